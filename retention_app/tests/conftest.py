from __future__ import annotations

import pytest
from django.db import connection

from privacyportal.audit.services import Actor


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def actor():
    return Actor.system("test")


@pytest.fixture
def officer(django_user_model):
    return django_user_model.objects.create_superuser(
        "officer", "officer@example.com", "pw-officer-123"
    )


def postgres_only():
    return pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL trigger"
    )


from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401, E402
