"""Consent API keys made before the API keep working after the migration."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from privacyportal.api.models import ApiKey
from privacyportal.api.tests.fixtures import ApiClient

_copy = importlib.import_module("privacyportal.api.migrations.0002_copy_consent_keys")
RAW = "ck_" + "k" * 43
REVOKED = "ck_" + "r" * 43


@pytest.fixture
def old_apps(transactional_db):
    """The apps as they were before the copy, with the old table recreated.

    Outside a transaction (SQLite's schema editor refuses to run inside one),
    so the table is dropped again by hand.
    """
    loader = MigrationLoader(connection)
    state = loader.project_state(("api", "0002_copy_consent_keys"), at_end=False)
    apps = state.apps
    old = apps.get_model("consent_app", "ApiKey")
    with connection.schema_editor() as editor:
        editor.create_model(old)
    yield apps
    with connection.schema_editor() as editor:
        editor.delete_model(old)


def test_old_consent_keys_become_consent_read_keys_that_still_work(old_apps, purposes):
    from privacyportal.api.keys import key_hash

    apps = old_apps
    Old = apps.get_model("consent_app", "ApiKey")
    Old.objects.create(name="CRM", prefix=RAW[:10], key_hash=key_hash(RAW))
    Old.objects.create(
        name="Ads",
        prefix=REVOKED[:10],
        key_hash=key_hash(REVOKED),
        revoked_at=timezone.now(),
    )
    _copy.copy_keys(apps, None)
    _copy.copy_keys(apps, None)  # a second run copies nothing twice
    assert ApiKey.objects.count() == 2
    crm = ApiKey.objects.get(name="CRM")
    assert crm.scopes == ["consent:read"] and crm.prefix == RAW[:10]
    query = {"email": "a@example.org", "purpose": "newsletter"}
    assert ApiClient(RAW).get("/api/v1/consent", query).status_code == 200
    assert ApiClient(REVOKED).get("/api/v1/consent", query).status_code == 401
