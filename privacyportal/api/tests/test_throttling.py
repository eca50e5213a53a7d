"""Per-key rate limit: 429 with Retry-After, counted per key."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

URL = "/api/v1/consent"
QUERY = {"email": "a@example.org", "purpose": "newsletter"}


@pytest.fixture(autouse=True)
def _fresh_counts():
    # Key ids repeat between test runs; their counts must not.
    cache.clear()


def test_a_key_over_its_rate_gets_429_with_retry_after(api, purposes):
    # 20 s into a minute: the window ends in 40 s.
    start = timezone.now().replace(second=20, microsecond=0)
    client = api("consent:read", rate_per_minute=3)
    with time_machine.travel(start, tick=False):
        codes = [client.get(URL, QUERY).status_code for _ in range(4)]
        refused = client.get(URL, QUERY)
    assert codes == [200, 200, 200, 429]
    assert refused.json()["type"] == "urn:privacy-portal:problem:rate-limited"
    assert refused["Retry-After"] == "40"
    with time_machine.travel(start.replace(second=0) + timezone.timedelta(minutes=1)):
        assert client.get(URL, QUERY).status_code == 200


def test_each_key_has_its_own_count(api, purposes, settings):
    settings.API_RATE_PER_MINUTE = 2
    one, two = api("consent:read"), api("consent:read")
    start = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert [one.get(URL, QUERY).status_code for _ in range(3)] == [200, 200, 429]
        assert two.get(URL, QUERY).status_code == 200
