from __future__ import annotations

from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401
