"""``Idempotency-Key`` for POST endpoints: a repeat gets the first answer.

Decorate a view's ``post`` (or a viewset's ``create``) with ``@idempotent``.
Without the header a call simply runs. With it:

- the first call inserts an ``IdempotentCall`` row, does its work and stores
  its answer (status and body) in that row, all in ONE transaction;
- a repeat with the same method, path and body gets the stored answer, with
  ``Idempotent-Replayed: true``; a different request under the same key gets
  a 409 ``idempotency-key-reused`` problem;
- a concurrent duplicate waits on the row's unique index until the first
  commits, then replays its answer: the work never runs twice;
- a crash (exception, killed process, lost connection) midway rolls the row
  back with the work, so the key is free again and a retry runs the call:
  a key is never left stuck "in progress";
- 5xx answers are not stored (the transaction is rolled back); every other
  answer, errors included, is replayed as first given;
- rows are swept after API_IDEMPOTENCY_HOURS (``idempotency_sweep``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from privacyportal.api.models import IdempotentCall
from privacyportal.api.problems import Problem

HEADER = "Idempotency-Key"
# Printable ASCII, as in draft-ietf-httpapi-idempotency-key-header; a UUID fits.
_VALID = re.compile(r"[\x21-\x7e]{1,255}")

Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None:
            return handler(view, request, *args, **kwargs)
        if not _VALID.fullmatch(raw):
            raise Problem("bad-idempotency-key", "Use 1 to 255 printable characters.")
        with transaction.atomic():
            call, first = _claim(request, raw)
            if not first:
                return _replay(call)
            response = _run(handler, view, request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            else:
                _store(call, response)
            return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def request_digest(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request._request.body)
    return digest.hexdigest()


def _claim(request: Request, raw: str) -> tuple[IdempotentCall, bool]:
    """(this call's new row, True), or (the first call's row, False)."""
    digest = request_digest(request)
    row = IdempotentCall(
        api_key=request.auth, key=raw, request_hash=digest, status=0, body=None
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # Waited for a concurrent first call to commit; it did.
        earlier = IdempotentCall.objects.filter(api_key=request.auth, key=raw).first()
        if earlier is None:  # swept in between: let the client retry
            raise Problem("conflict", "Retry this call.") from None
        if earlier.request_hash != digest:
            raise Problem(
                "idempotency-key-reused",
                "This key was first sent with another method, path or body.",
            ) from None
        return earlier, False
    return row, True


def _run(
    handler: Handler, view: Any, request: Request, *args: Any, **kwargs: Any
) -> Response:
    try:
        return handler(view, request, *args, **kwargs)
    except Exception as exc:
        # An API error (400, 404, ...) is an answer to store; anything else
        # propagates and rolls the claim back with the work.
        return view.handle_exception(exc)


def _store(call: IdempotentCall, response: Response) -> None:
    body = getattr(response, "data", None)
    call.status = response.status_code
    call.content_type = response.content_type or ""
    call.body = json.loads(JSONRenderer().render(body)) if body is not None else None
    call.save(update_fields=["status", "content_type", "body"])


def _replay(call: IdempotentCall) -> Response:
    return Response(
        call.body,
        status=call.status,
        content_type=call.content_type or None,
        headers={"Idempotent-Replayed": "true"},
    )


def idempotency_sweep() -> int:
    """Delete stored answers older than API_IDEMPOTENCY_HOURS; returns the count."""
    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotentCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted
