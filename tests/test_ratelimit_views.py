"""The public views' limits hold when one address posts many times at once."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from consent_app.tasks import preference_link_task
from requests_app.tasks import submissions_drain_task

pytestmark = pytest.mark.django_db(transaction=True)


def _fresh_address() -> str:
    # Counters in Redis outlive a test run: each test posts from a new address.
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def _concurrently(attempts: int, post, address: str) -> list[int]:
    """Status codes of ``attempts`` posts released together from threads."""
    barrier, codes, errors = threading.Barrier(attempts), [], []

    def run(i: int) -> None:
        client = Client(REMOTE_ADDR=address)
        barrier.wait()
        try:
            codes.append(post(client, i).status_code)
        except Exception as exc:  # a thread's error would vanish unseen
            errors.append(exc)
        finally:
            connection.close()  # each thread's own database session

    threads = [threading.Thread(target=run, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    return codes


def _form_post(client: Client, i: int):
    return client.post(
        "/privacy/request/",
        {
            "type": "access",
            "name": "Concurrent",
            "email": f"c{i}-{uuid.uuid4().hex[:6]}@example.org",
            "country": "DE",
            "relationship": "customer",
        },
    )


# Concurrent INSERTs need PostgreSQL: SQLite's shared in-memory test database
# answers them with "database table is locked". The cache is still the file
# cache or Redis, as the fixture says.
@pytest.mark.services
def test_simultaneous_form_posts_from_one_address_accept_exactly_the_limit(
    shared_cache, settings, monkeypatch
):
    from requests_app.models import RequestSubmission

    settings.REQUEST_RATE_PER_IP = 10
    # The broker is the outside world here: the intake rows are what counts.
    monkeypatch.setattr(submissions_drain_task, "apply_async", lambda *a, **k: None)
    codes = _concurrently(25, _form_post, _fresh_address())
    assert sorted(codes) == [302] * 10 + [429] * 15
    assert RequestSubmission.objects.count() == 10


def test_simultaneous_preference_link_requests_accept_exactly_the_limit(
    shared_cache, settings, monkeypatch
):
    settings.CONSENT_LINK_REQUESTS_PER_IP = 20
    sent = []
    monkeypatch.setattr(
        preference_link_task, "apply_async", lambda args=(), **k: sent.append(args)
    )

    def post(client: Client, i: int):
        return client.post("/privacy/preferences/", {"email": f"p{i}@example.org"})

    address = _fresh_address()
    codes = _concurrently(30, post, address)
    assert sorted(codes) == [200] * 20 + [429] * 10
    assert len(sent) == 20
    # And the window holds: the next ones are refused too.
    later = Client(REMOTE_ADDR=address)
    assert [post(later, i).status_code for i in range(3)] == [429] * 3
