"""Helpers for fulfilment tests: run workflows synchronously, test sources."""

from __future__ import annotations

from typing import Any

from privacyportal import mail as outbox
from privacyportal.registry import ErasureResult, Outcome, SourceInfo
from requests_app import services
from requests_app.fulfilment.erasure import (
    erasure_finish,
    erasure_start,
    erasure_step_run,
)
from requests_app.models import PrivacyRequest, SourceOutcome
from requests_app.tests.factories import submit, token_from


def verified_for(subject: Any, type_: str, **overrides: Any) -> PrivacyRequest:
    # Sent here, never published: a running worker would otherwise send the
    # verification e-mail itself and the test could not read its link.
    with outbox.sending_here():
        request = submit(type=type_, email=subject.email, **overrides)
    request, _ = services.request_verify(token=token_from(request))
    return request


def run_steps(request: PrivacyRequest, rounds: int = 10) -> None:
    for _ in range(rounds):
        ids = list(
            SourceOutcome.objects.filter(
                request=request, status=SourceOutcome.Status.PENDING
            ).values_list("pk", flat=True)
        )
        if not ids:
            return
        for pk in ids:
            erasure_step_run(outcome_id=pk)


def run_erasure(request: PrivacyRequest) -> bool:
    """Start (the delay must have passed), run every step, try to finish."""
    erasure_start(request_id=request.pk)
    run_steps(request)
    return erasure_finish(request_id=request.pk)


class FakeSource:
    """A source whose erase result (or exception) the test chooses."""

    info = SourceInfo(categories=("test data",), purposes=("testing",))

    def __init__(self, key: str, result: Any = None) -> None:
        self.key, self.label = key, f"Test source {key}"
        self.result = result or ErasureResult(Outcome.DELETED, 1, "one row")
        self.calls = 0

    def export(self, subject: Any) -> dict[str, Any]:
        return {"rows": [{"id": 1, "subject": subject.pk}]}

    def erase(self, subject: Any, *, actor: Any) -> ErasureResult:
        self.calls += 1
        if isinstance(self.result, BaseException):
            raise self.result
        if callable(self.result):
            return self.result(subject)
        return self.result
