from __future__ import annotations

import importlib

import pytest

from consent_app.models import Purpose
from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401

_seed = importlib.import_module("consent_app.migrations.0003_seed_purposes")


@pytest.fixture
def purposes(db) -> dict[str, Purpose]:
    """The policy's purposes (the migration seeds them; transactional tests flush)."""
    for position, row in enumerate(_seed.PURPOSES):
        code, name, description, basis, marketing, default, children = row
        Purpose.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "legal_basis": basis,
                "is_marketing": marketing,
                "default_granted": default,
                "children_allowed": children,
                "position": position * 10,
            },
        )
    return {p.code: p for p in Purpose.objects.all()}


@pytest.fixture
def subject(db):
    from privacyportal.subjects.tests.factories import DataSubjectFactory

    return DataSubjectFactory()
