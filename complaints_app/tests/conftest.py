from __future__ import annotations

# The public form's fixtures: a fresh cache, the intake task run inline, and
# post_form (POST, then run what the view's transaction enqueued).
from requests_app.tests.conftest import (  # noqa: F401
    _fresh_cache,
    _run_submission_task_inline,
    post_form,
)
