"""The appeals source: what a person appealed and what we decided, kept with the
request it appeals and anonymised with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from privacyportal import roles
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor
from privacyportal.registry import Outcome, materialise, registry
from requests_app.fulfilment.sources import AppealSource
from requests_app.models import Appeal
from requests_app.services import appeals
from requests_app.tests.factories import staff_user
from requests_app.tests.test_appeals import (  # noqa: F401 (a fixture)
    _seeded_rules,
    filed,
)
from retention_app.services.sweep import retention_sweep

pytestmark = pytest.mark.django_db
SOURCE = AppealSource()
SYSTEM = Actor.system("test")


@pytest.fixture
def decider(db):
    """Not the officer who refused: the one who may decide the appeal."""
    return staff_user("appeal-decider", roles.PRIVACY_OFFICER)


def denied(officer, decider) -> Appeal:
    appeal = filed(officer, text="You do hold my data: I got your newsletter.")
    appeals.appeal_decide(
        actor=decider, appeal=appeal, upheld=False, reasons="The law exempts it."
    )
    appeal.refresh_from_db()
    return appeal


def test_the_source_is_registered():
    assert isinstance(registry.get("requests.appeals"), AppealSource)


def test_export_gives_the_appeal_and_our_decision_to_its_author_only(officer, decider):
    appeal = denied(officer, decider)
    someone_else = filed(officer, text="Another person's appeal.")
    (row,) = materialise(SOURCE.export(appeal.request.subject))["appeals"]
    assert row["request"] == appeal.request.reference
    assert row["appeal"] == "You do hold my data: I got your newsletter."
    assert row["status"] == "Not upheld"
    assert row["reasons for the decision"] == "The law exempts it."
    assert row["decided"] == appeal.decided_at
    others = materialise(SOURCE.export(someone_else.request.subject))["appeals"]
    assert [r["appeal"] for r in others] == ["Another person's appeal."]


def test_erasure_keeps_an_undecided_appeal_until_decided(officer):
    appeal = filed(officer)
    result = SOURCE.erase(appeal.request.subject, actor=SYSTEM)
    assert result.outcome == Outcome.RETAINED and result.items == 1
    assert "not yet decided: kept until we decide" in result.reason
    assert "Art. 17(3)(b)" in result.legal_basis


def test_erasure_keeps_a_decided_appeal_with_its_request_and_changes_nothing(
    officer, decider
):
    appeal = denied(officer, decider)
    before = AuditEvent.objects.count()
    first = SOURCE.erase(appeal.request.subject, actor=SYSTEM)
    second = SOURCE.erase(appeal.request.subject, actor=SYSTEM)
    assert first == second and first.outcome == Outcome.RETAINED
    assert "24 months after it is closed, then anonymised" in first.reason
    assert "not yet decided" not in first.reason
    assert AuditEvent.objects.count() == before
    appeal.refresh_from_db()
    assert appeal.text and appeal.reasons


def test_anonymising_the_closed_request_clears_its_appeal(officer, decider):
    appeal = denied(officer, decider)
    with time_machine.travel(timezone.now() + timedelta(days=731)):
        retention_sweep(actor=SYSTEM, only=["requests.closed_requests"])
    appeal.refresh_from_db()
    assert appeal.text == "" and appeal.reasons == ""
    assert appeal.status == Appeal.Status.DENIED and appeal.decided_at


def test_retention_msgid_names_the_months_the_request_is_kept():
    from requests_app.fulfilment.sources import KEEP_MONTHS

    assert f"{KEEP_MONTHS} months" in AppealSource.info.retention
