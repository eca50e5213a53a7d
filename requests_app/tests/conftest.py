from __future__ import annotations

import pytest
from django.core.cache import cache

from privacyportal.api.tests.fixtures import api, make_key  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _run_submission_task_inline(request, monkeypatch):
    """The public form only stores a submission and enqueues its processing.

    Here the enqueued task runs inline, as the worker would, once the view's
    transaction commits (``post_form`` below, or a live server). Tests marked
    ``services`` keep the real task: a real worker processes it.
    """
    if request.node.get_closest_marker("services"):
        return
    from requests_app.services.submissions import submission_process, submissions_drain
    from requests_app.tasks import submission_process_task, submissions_drain_task

    def process(args=(), kwargs=None, **options):
        submission_process(submission_id=args[0])

    def drain(args=(), kwargs=None, **options):
        submissions_drain()

    monkeypatch.setattr(submission_process_task, "apply_async", process)
    monkeypatch.setattr(submissions_drain_task, "apply_async", drain)


@pytest.fixture
def post_form(client, django_capture_on_commit_callbacks):
    """POST to a URL and run what its transaction enqueued (the intake task)."""

    def post(path, data, *, using=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return (using or client).post(path, data, **extra)

    return post
