"""privacyportal.counts: every widget's tile counts in one statement."""

from __future__ import annotations

import pytest

from privacyportal import counts
from requests_app.models import PrivacyRequest
from requests_app.tests.factories import submit

pytestmark = pytest.mark.django_db


def test_many_counts_take_one_statement_and_stop_at_the_cap(
    monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(counts, "TILE_CAP", 2)
    for _ in range(3):
        submit()
    requests = PrivacyRequest.objects
    with django_assert_num_queries(1):
        found = counts.capped_counts(
            {"all": requests.all(), "none": requests.filter(pk=-1)}
        )
    assert found == {"all": 2, "none": 0}


def test_counted_fetches_only_what_the_console_did_not(django_assert_num_queries):
    submit()
    requests = PrivacyRequest.objects
    with django_assert_num_queries(0):
        assert counts.counted({"a": 7}, {"a": requests.all()}) == {"a": 7}
    with django_assert_num_queries(1):
        found = counts.counted({"a": 7}, {"a": requests.none(), "b": requests.all()})
    assert found == {"a": 7, "b": 1}
