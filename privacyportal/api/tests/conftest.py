from __future__ import annotations

from consent_app.tests.conftest import purposes, subject  # noqa: F401
from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401
