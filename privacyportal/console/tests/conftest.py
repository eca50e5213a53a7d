from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401, E402
