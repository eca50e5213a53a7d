"""External SQL sources configured in the admin, against a second real database."""

from __future__ import annotations

import sqlite3

import psycopg2
import pytest

from privacyportal.registry import Outcome, registry
from privacyportal.subjects.models import DataSubject
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.fulfilment import erasure
from requests_app.fulfilment.external_sql import encrypt_url
from requests_app.models import ExternalSource, PrivacyRequest, SourceOutcome
from requests_app.tests.fulfilment_helpers import run_steps, verified_for
from requests_app.tests.test_external_sql import (  # noqa: F401 - fixtures
    postgres_url,
    sqlite_url,
)

pytestmark = pytest.mark.django_db
BACKENDS = ["sqlite_url", "postgres_url"]


def rows(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        conn = psycopg2.connect(url)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        conn.close()


def admin_post(client, url: str, **overrides):
    data = {
        "name": "CRM customers",
        "slug": "crm",
        "connection_url": url,
        "table": "customers",
        "identity_column": "email",
        "identity_kind": "email",
        "export_columns_text": "full_name, phone, tier",
        "erase_modes_text": "phone=set_null\nfull_name=mask",
        "mask_value": "[redacted]",
        "keep_legal_basis": "",
        "categories": "contact details; customer tier",
        "purposes": "sales",
        "recipients": "",
        "retention": "while a customer",
        "origin": "our CRM",
        "enabled": "on",
        "_save": "Save",
        **overrides,
    }
    return client.post("/admin/requests_app/externalsource/add/", data)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_saved_source_is_validated_encrypted_and_registered(
    backend, request, officer, client
):
    url = request.getfixturevalue(backend)
    client.force_login(officer)
    response = admin_post(client, url)
    assert response.status_code == 302, response.content[:2000]
    row = ExternalSource.objects.get(slug="crm")
    assert url not in row.url_encrypted and row.validated_at
    assert row.erase_modes == {"phone": "set_null", "full_name": "mask"}
    keys = registry.keys()
    assert "external.crm" in keys
    source = registry.get("external.crm")
    assert source.info.categories == ("contact details", "customer tier")
    row.enabled = False
    row.save()
    keys = registry.keys()
    assert "external.crm" not in keys


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_tables_columns_and_injection_attempts_are_refused(
    backend, request, officer, client
):
    url = request.getfixturevalue(backend)
    client.force_login(officer)
    attempts = [
        {"table": "customers; DROP TABLE customers"},
        {"table": "nope"},
        {"export_columns_text": "full_name, password"},
        {"identity_column": "email = email OR 1=1 --"},
        {"erase_modes_text": "phone=drop_table"},
    ]
    for overrides in attempts:
        response = admin_post(client, url, **overrides)
        assert response.status_code == 200, overrides
        assert b"errornote" in response.content or b"errorlist" in response.content
    assert not ExternalSource.objects.exists()
    assert len(rows(url, "SELECT * FROM customers")) == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_erasure_and_export_reach_the_external_table(
    backend, request, officer, settings, tmp_path
):
    import json
    import zipfile

    from requests_app.fulfilment.export import build_export

    url = request.getfixturevalue(backend)
    settings.ERASURE_DELAY_HOURS = 0
    ExternalSource.objects.create(
        name="CRM",
        slug="crm",
        url_encrypted=encrypt_url(url),
        table="customers",
        identity_column="email",
        export_columns=["full_name", "phone"],
        erase_modes={"phone": "set_null", "full_name": "mask"},
        mask_value="x'); DROP TABLE customers; --",
    )
    ann = DataSubjectFactory(email="ann@example.org")
    package = build_export(subject=ann, path=tmp_path / "p.zip", reference="PR-1")
    data = json.loads(zipfile.ZipFile(package.path).read("data.json"))
    assert [r["phone"] for r in data["sources"]["external.crm"]["data"]["rows"]] == [
        "+44 1",
        "+44 2",
    ]

    req = verified_for(ann, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=req)
    erasure.erasure_start(request_id=req.pk)
    run_steps(req)
    assert erasure.erasure_finish(request_id=req.pk)
    step = SourceOutcome.objects.get(request=req, source_key="external.crm")
    assert step.outcome == Outcome.ANONYMISED and step.items == 2
    left = rows(url, "SELECT email, full_name, phone FROM customers ORDER BY phone")
    assert ("ann@example.org", "x'); DROP TABLE customers; --", None) in left
    assert ("bob@example.org", "Bob", "+1 5") in left


def test_a_down_external_database_leaves_the_request_needing_attention(
    officer, settings
):
    settings.ERASURE_DELAY_HOURS = 0
    ExternalSource.objects.create(
        name="Old billing",
        slug="billing",
        url_encrypted=encrypt_url("postgres://postgres@127.0.0.1:1/gone"),
        table="invoices",
        identity_column="email",
        export_columns=["amount"],
        erase_modes={"amount": "delete_row"},
    )
    subject = DataSubjectFactory(email="bill@example.org")
    req = verified_for(subject, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=req)
    erasure.erasure_start(request_id=req.pk)
    run_steps(req)
    assert erasure.erasure_finish(request_id=req.pk) is False

    step = SourceOutcome.objects.get(request=req, source_key="external.billing")
    assert step.status == SourceOutcome.Status.FAILED and step.needs_attention
    assert "cannot connect" in step.last_error
    # Nothing happened there: no later attempt will think an earlier one erased.
    assert step.external_started_at is None
    req.refresh_from_db()
    assert req.status == PrivacyRequest.Status.IN_PROGRESS and req.needs_attention
    # The profile (the e-mail the external table is searched by) waits for it.
    profile = SourceOutcome.objects.get(request=req, source_key="subjects.profile")
    assert profile.status == SourceOutcome.Status.PENDING
    assert DataSubject.objects.get(pk=subject.pk).email == "bill@example.org"
    others = SourceOutcome.objects.filter(request=req).exclude(
        pk__in=[step.pk, profile.pk]
    )
    assert all(o.status == SourceOutcome.Status.DONE for o in others)


def test_an_erase_committed_there_but_not_recorded_here_is_not_called_nothing(
    request, officer, settings, monkeypatch
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    crm = request.getfixturevalue("sqlite_url")
    settings.ERASURE_DELAY_HOURS = 0
    ExternalSource.objects.create(
        name="CRM",
        slug="crm",
        url_encrypted=encrypt_url(crm),
        table="customers",
        identity_column="email",
        export_columns=["full_name", "phone"],
        erase_modes={"phone": "delete_row"},
    )
    ann = DataSubjectFactory(email="ann@example.org")
    req = verified_for(ann, PrivacyRequest.Type.ERASURE)
    erasure.erasure_approve(actor=officer, request=req)
    erasure.erasure_start(request_id=req.pk)
    step = SourceOutcome.objects.get(request=req, source_key="external.crm")

    # The CRM commits its change, then recording it here fails (a crash).
    real_record = erasure._record_done

    def crash(*args, **kwargs):
        raise OSError("worker lost")

    monkeypatch.setattr(erasure, "_record_done", crash)
    assert erasure.erasure_step_run(outcome_id=step.pk).state == "retry"
    ann_rows = "SELECT phone FROM customers WHERE email = 'ann@example.org'"
    assert rows(crm, ann_rows) == []  # gone there, unrecorded here
    step.refresh_from_db()
    assert step.status == SourceOutcome.Status.PENDING and step.external_started_at
    monkeypatch.setattr(erasure, "_record_done", real_record)

    # Within the lease another attempt may still be running: wait.
    assert erasure.erasure_step_run(outcome_id=step.pk).state == "waiting"
    # After it, the retry finds nothing left, and says what really happened.
    later = timezone.now() + erasure.EXTERNAL_LEASE + timedelta(minutes=1)
    with time_machine.travel(later):
        assert erasure.erasure_step_run(outcome_id=step.pk).state == "done"
    step.refresh_from_db()
    # Not "nothing held": deleted, by the attempt that was cut off.
    assert step.outcome == Outcome.DELETED and step.items == 0
    assert "earlier attempt" in step.detail and step.external_started_at is None
