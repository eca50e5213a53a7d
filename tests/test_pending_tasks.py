"""Work that exists only in a task survives a broker outage (PendingTask)."""

from __future__ import annotations

import pytest

from privacyportal.models import PendingTask
from privacyportal.tasks import enqueue, pending_tasks_redispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()  # the public views below are rate-limited per address


class _Task:
    name = "tests.example_task"

    def __init__(self, fail: bool) -> None:
        self.fail, self.sent = fail, []

    def apply_async(self, args=(), kwargs=None, **options):
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.sent.append(args)


def test_a_refused_kept_task_is_stored_and_sent_when_the_broker_is_back(
    django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(_Task(fail=True), "ann@example.org", "PR-2026-000001", keep=True)
        enqueue(_Task(fail=True), "not@kept.example")  # its work is recorded elsewhere
    row = PendingTask.objects.get()
    assert row.name == "tests.example_task"
    assert row.args == ["ann@example.org", "PR-2026-000001"]

    from celery import current_app

    sent = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=(), **kw: sent.append((name, args))
    )
    assert pending_tasks_redispatch() == 1
    assert sent == [("tests.example_task", ["ann@example.org", "PR-2026-000001"])]
    assert not PendingTask.objects.exists()


def test_a_broker_still_down_keeps_the_rows_and_counts_the_attempt(monkeypatch):
    from celery import current_app

    PendingTask.objects.create(name="tests.a", args=[1])
    PendingTask.objects.create(name="tests.b", args=[2])

    def down(*args, **kwargs):
        raise ConnectionError("still down")

    monkeypatch.setattr(current_app, "send_task", down)
    assert pending_tasks_redispatch() == 0
    assert list(PendingTask.objects.values_list("name", "attempts")) == [
        ("tests.a", 1),
        ("tests.b", 0),  # not tried: the run stopped at the first refusal
    ]


def test_the_public_link_requests_are_kept(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    from consent_app.tasks import preference_link_task
    from requests_app.tasks import status_link_resend_task

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(preference_link_task, "apply_async", down)
    monkeypatch.setattr(status_link_resend_task, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/privacy/preferences/", {"email": "kim@example.org"})
        client.post(
            "/privacy/request/lost-link/",
            {"email": "kim@example.org", "reference": "PR-2026-000007"},
        )
    assert sorted(PendingTask.objects.values_list("name", flat=True)) == sorted(
        [preference_link_task.name, status_link_resend_task.name]
    )


def test_operators_see_the_queues_and_change_nothing(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from privacyportal.models import OutboundEmail

    OutboundEmail.objects.create(
        key="k1", to="ann@example.org", template="request_verify"
    )
    PendingTask.objects.create(name="tests.kept", args=["ann@example.org"])
    officer = get_user_model().objects.create_user(
        "ops", "ops@staff.example", "x", is_staff=True
    )
    officer.groups.add(Group.objects.get(name="Privacy Officer"))
    client.force_login(officer)
    outbox = client.get("/admin/portal/outboundemail/")
    kept = client.get("/admin/portal/pendingtask/")
    assert outbox.status_code == 200 and b"ann@example.org" in outbox.content
    assert kept.status_code == 200 and b"Kept" in kept.content  # "tests.kept" in words
    assert b"ann@example.org" not in kept.content  # its arguments stay hidden
    assert client.get("/admin/portal/outboundemail/add/").status_code == 403
