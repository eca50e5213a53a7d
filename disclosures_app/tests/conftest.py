from __future__ import annotations

import pytest

from consent_app.tests.conftest import purposes  # noqa: F401  (the policy's purposes)


@pytest.fixture
def subject(db):
    from privacyportal.subjects.tests.factories import DataSubjectFactory

    return DataSubjectFactory()


from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401, E402
