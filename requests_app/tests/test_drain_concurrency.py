"""Several drains at once file each submission exactly once (SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from requests_app.models import PrivacyRequest, RequestSubmission
from requests_app.services import submissions_drain

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent PostgreSQL writers"
    ),
]
ROWS = 30


def _row(n: int) -> RequestSubmission:
    return RequestSubmission(
        data={
            "type": "access",
            "email": f"race{n}@example.org",
            "name": f"Race {n}",
            "country": "DE",
            "region": "",
            "relationship": "customer",
            "details": "",
            "is_agent": False,
            "agent_name": "",
            "agent_email": "",
            "correction_field": "",
            "correction_value": "",
        }
    )


def test_three_drains_at_once_file_each_submission_once():
    RequestSubmission.objects.bulk_create([_row(n) for n in range(ROWS)])
    barrier = threading.Barrier(3)
    filed: list[int] = []
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            barrier.wait()
            filed.append(submissions_drain())
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sum(filed) == ROWS
    emails = list(PrivacyRequest.objects.values_list("email", flat=True))
    assert sorted(emails) == sorted(f"race{n}@example.org" for n in range(ROWS))
    references = PrivacyRequest.objects.values_list("reference", flat=True)
    assert len(set(references)) == ROWS
    assert not RequestSubmission.objects.exists()
