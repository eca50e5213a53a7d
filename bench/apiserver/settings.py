"""The portal's settings with the bench's URLs (see __init__.py)."""

from privacyportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.apiserver.urls"
