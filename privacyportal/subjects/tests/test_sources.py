from __future__ import annotations

import json

import pytest

from privacyportal.registry import (
    ErasureResult,
    Outcome,
    PersonalDataSource,
    Registry,
    materialise,
    registry,
)
from privacyportal.subjects.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def test_subject_source_is_registered_by_app_config():
    source = registry.get("subjects.profile")
    assert isinstance(source, PersonalDataSource)
    assert "devices" in source.info.categories


def test_export_contains_profile_and_devices_and_is_json_serialisable():
    device = DeviceFactory(serial_number="SN-XYZ")
    data = materialise(registry.get("subjects.profile").export(device.subject))
    assert data["profile"]["email"] == device.subject.email
    assert [d["serial_number"] for d in data["devices"]] == ["SN-XYZ"]
    json.dumps(data, default=str)


def test_erase_anonymises_and_is_idempotent():
    device = DeviceFactory()
    source = registry.get("subjects.profile")
    first = source.erase(device.subject, actor=None)
    assert first.outcome == Outcome.ANONYMISED and first.items == 2
    device.subject.refresh_from_db()
    again = source.erase(device.subject, actor=None)
    assert again.outcome == Outcome.ANONYMISED and again.items == 0


def test_retained_outcome_must_give_reason_and_legal_basis():
    with pytest.raises(ValueError, match="reason"):
        ErasureResult(Outcome.RETAINED, 1, reason="")
    kept = ErasureResult(
        Outcome.RETAINED, 1, reason="legal record", legal_basis="legal obligation"
    )
    assert kept.outcome == "retained"
    with pytest.raises(ValueError, match="unknown outcome"):
        ErasureResult("vanished")


def test_registry_refuses_objects_that_are_not_sources_and_duplicate_keys():
    local = Registry()
    with pytest.raises(TypeError):
        local.register(object())

    class Fake:
        key, label, info = "x", "X", None

        def export(self, subject):
            return {}

        def erase(self, subject, *, actor):
            return ErasureResult(Outcome.NOTHING)

    class Other(Fake):
        pass

    local.register(Fake())
    with pytest.raises(ValueError, match="already registered"):
        local.register(Other())
    assert local.keys() == ["x"]


def test_profile_fields_can_be_rectified_through_the_registry():
    device = DeviceFactory()
    subject = device.subject
    source = registry.field_owner("subjects.profile.phone")
    assert source is registry.get("subjects.profile")
    assert registry.field_owner("phone") is source
    assert registry.field_owner("subjects.profile.password") is None
    source.rectify(subject, field="phone", value="+44 20 7946 0000", actor=None)
    subject.refresh_from_db()
    assert subject.phone == "+44 20 7946 0000"
    assert source.current_values(subject)["phone"] == "+44 20 7946 0000"


def test_rectification_with_an_invalid_value_is_refused():
    subject = DeviceFactory().subject
    source = registry.get("subjects.profile")
    with pytest.raises(ValueError, match="valid email"):
        source.rectify(subject, field="email", value="not-an-email", actor=None)
    with pytest.raises(ValueError, match="no field"):
        source.rectify(subject, field="is_under_13", value=False, actor=None)
