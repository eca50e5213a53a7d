from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from privacyportal import mail as outbox
from privacyportal.models import OutboundEmail
from privacyportal.tasks import send_email_task

pytestmark = pytest.mark.django_db
HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def probe_templates(settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["DIRS"] = [HERE / "templates", *templates[0]["DIRS"]]
    settings.TEMPLATES = templates


def queue(key: str = "k1", **extra):
    return outbox.queue_email(
        key=key,
        to="ann@example.org",
        template="probe",
        context={"name": "Ann"},
        **extra,
    )


def test_email_is_sent_only_after_commit_and_only_once(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent_ids = []
    monkeypatch.setattr(
        send_email_task, "apply_async", lambda args, kwargs: sent_ids.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email = queue(headers={"List-Unsubscribe": "<https://x/u/1>"})
        assert sent_ids == []
    assert sent_ids == [email.pk]
    assert outbox.send_one(email.pk) is True
    assert outbox.send_one(email.pk) is False  # duplicate delivery sends nothing
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Hello Ann"
    assert f"{settings.SITE_URL}/x" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe"] == "<https://x/u/1>"


def test_same_key_is_queued_once():
    assert queue("reminder:1") is not None
    assert queue("reminder:1") is None
    assert OutboundEmail.objects.filter(key="reminder:1").count() == 1


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("doomed")
        raise RuntimeError("service failed")
    assert not OutboundEmail.objects.filter(key="doomed").exists()


def test_unsent_email_is_sent_later_when_the_broker_was_down(monkeypatch):
    email = queue("late")
    assert outbox.send_pending() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.sent_at
    assert outbox.send_pending() == 0


def test_smtp_failure_is_recorded_and_retried(monkeypatch):
    email = queue("flaky")

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert outbox.send_one(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
    assert "smtp down" in email.last_error
    monkeypatch.undo()
    assert outbox.send_one(email.pk) is True


def test_a_broken_template_fails_inside_the_callers_transaction():
    with pytest.raises(Exception, match="missing"):
        outbox.queue_email(key="x", to="a@b.c", template="missing", context={})
    assert not OutboundEmail.objects.exists()


@pytest.fixture
def minter():
    minted: dict[int, list[str]] = {}

    def mint(row_id: int) -> str:
        if row_id == 404:
            raise outbox.LinkGone("request withdrawn")
        token = f"tok{len(minted.setdefault(row_id, [])) + 1}"
        minted[row_id].append(token)
        return f"https://portal.example/l/{token}/"

    outbox.register_minter("test.link", mint)
    yield minted
    outbox._MINTERS.pop("test.link", None)


def test_secret_link_is_minted_at_send_time_and_never_stored(minter):
    link = outbox.secret_link("test.link", 7)
    email = outbox.queue_email(
        key="linked",
        to="a@b.c",
        template="probe_link",
        context={"url": link},
        headers={"List-Unsubscribe": outbox.secret_link("test.link", 8, "<{url}>")},
    )
    assert minter == {}  # nothing minted while queued
    assert "tok" not in str(OutboundEmail.objects.get(pk=email.pk).context)
    assert outbox.send_one(email.pk)
    assert "https://portal.example/l/tok1/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["List-Unsubscribe"] == (
        "<https://portal.example/l/tok1/>"
    )
    email.refresh_from_db()
    # Once sent, nothing secret or personal remains in the outbox row.
    assert (email.context, email.headers) == ({}, {})


def test_link_whose_row_is_gone_fails_the_email_without_retry(minter):
    email = outbox.queue_email(
        key="gone",
        to="a@b.c",
        template="probe_link",
        context={"url": outbox.secret_link("test.link", 404)},
    )
    assert outbox.send_one(email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "withdrawn" in email.last_error and mail.outbox == []


def test_unknown_minter_is_refused_when_queued():
    with pytest.raises(LookupError, match="no link minter"):
        outbox.queue_email(
            key="bad",
            to="a@b.c",
            template="probe_link",
            context={"url": outbox.secret_link("nobody", 1)},
        )


def test_old_sent_emails_are_purged_but_pending_ones_kept():
    from datetime import timedelta

    from django.utils import timezone

    old_sent, old_pending, recent = queue("a"), queue("b"), queue("c")
    outbox.send_one(old_sent.pk)
    outbox.send_one(recent.pk)
    long_ago = timezone.now() - timedelta(days=91)
    OutboundEmail.objects.filter(pk__in=[old_sent.pk, old_pending.pk]).update(
        created_at=long_ago
    )
    assert outbox.purge_sent() == 1
    assert set(OutboundEmail.objects.values_list("key", flat=True)) == {"b", "c"}
