from __future__ import annotations

import pytest
from django.core.cache import cache

from requests_app.tests.factories import staff_user


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def officer(db):
    return staff_user("officer", "Privacy Officer")


@pytest.fixture
def analyst(db):
    return staff_user("analyst", "Privacy Analyst")


@pytest.fixture
def support(db):
    return staff_user("support", "Support")


@pytest.fixture
def auditor(db):
    return staff_user("auditor", "Auditor")
