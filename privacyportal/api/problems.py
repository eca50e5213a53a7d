"""Every error under /api/ as ``application/problem+json`` (RFC 9457).

Two layers produce them:

- ``exception_handler`` (DRF's EXCEPTION_HANDLER) for everything a view raises;
- ``ProblemMiddleware`` for what happens before or outside a view: a body over
  the limit (413, refused before anything reads it), an unknown URL (404), a
  request Django could not parse (400), an unhandled error (500). It rewrites
  any error response under /api/ that is not a problem already, so no HTML
  page ever answers an API client.

``type`` is ``urn:privacy-portal:problem:<slug>``; the slugs are in PROBLEMS
and in the README ("API", "Errors"). They are stable: clients may branch on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:privacy-portal:problem:"

# slug -> (status, title). Titles are fixed per type; ``detail`` varies.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request could not be read"),
    "malformed-body": (400, "The body is not valid JSON"),
    "invalid-input": (400, "Some fields are missing or wrong"),
    "bad-cursor": (400, "The pagination cursor is not valid"),
    "bad-idempotency-key": (400, "The Idempotency-Key header is not valid"),
    "unauthenticated": (401, "A valid API key is required"),
    "forbidden": (403, "This key may not do that"),
    "missing-scope": (403, "This key lacks the scope the operation needs"),
    "address-not-allowed": (403, "This key may not be used from this address"),
    "not-found": (404, "Nothing is here"),
    "method-not-allowed": (405, "This method is not allowed here"),
    "not-acceptable": (406, "No acceptable representation"),
    "conflict": (409, "This conflicts with the current state"),
    "idempotency-key-reused": (
        409,
        "This Idempotency-Key was used for a different request",
    ),
    "body-too-large": (413, "The body is too large"),
    "unsupported-media-type": (415, "The body must be application/json"),
    "rate-limited": (429, "Too many calls for this key"),
    "server-error": (500, "Something went wrong on our side"),
}
_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    429: "rate-limited",
}
_BY_EXCEPTION: list[tuple[type[Exception], str]] = [
    (exceptions.ParseError, "malformed-body"),
    (exceptions.ValidationError, "invalid-input"),
    (exceptions.AuthenticationFailed, "unauthenticated"),
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "rate-limited"),
]


class Problem(exceptions.APIException):
    """An API error with its own problem type: ``raise Problem("bad-cursor")``."""

    def __init__(self, slug: str, detail: str | None = None) -> None:
        self.slug = slug
        self.status_code, title = PROBLEMS[slug]
        super().__init__(detail or title)


def problem_body(
    slug: str, *, status_code: int | None = None, detail: str = "", instance: str = ""
) -> dict[str, Any]:
    code, title = PROBLEMS.get(slug, PROBLEMS["server-error"])
    body = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status_code or code,
        "detail": detail or title,
    }
    if instance:
        body["instance"] = instance
    return body


def problem_response(
    request: HttpRequest, slug: str, detail: str = "", status_code: int | None = None
) -> JsonResponse:
    body = problem_body(
        slug, status_code=status_code, detail=detail, instance=request.path
    )
    return JsonResponse(body, status=body["status"], content_type=CONTENT_TYPE)


def _slug(exc: Exception, status_code: int) -> str:
    if isinstance(exc, Problem):
        return exc.slug
    for cls, slug in _BY_EXCEPTION:
        if isinstance(exc, cls):
            return slug
    return _BY_STATUS.get(status_code, "bad-request" if status_code < 500 else "")


def _detail(exc: Exception, slug: str) -> str:
    if isinstance(exc, exceptions.ValidationError) or slug == "not-found":
        return ""  # the title says it; field errors go in "errors"
    if isinstance(exc, exceptions.APIException) and isinstance(exc.detail, str):
        return str(exc.detail)
    return ""


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler (status, headers such as Retry-After), with a problem body."""
    # Imported here: rest_framework.views loads the settings that name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a 500: ProblemMiddleware answers it
    slug = _slug(exc, response.status_code)
    request = context.get("request")
    body = problem_body(
        slug,
        status_code=response.status_code,
        detail=_detail(exc, slug),
        instance=request.path if request is not None else "",
    )
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        body["errors"] = errors if isinstance(errors, dict) else {"body": errors}
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


# --- outside the views -------------------------------------------------------------

# Headers an error response keeps when its body is replaced.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty too


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class ProblemMiddleware:
    """Under /api/: 413 for oversize bodies, problem+json for every error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        limit = settings.API_MAX_BODY_BYTES
        if _content_length(request) > limit:
            limit = _own_limit(request, limit)
        if _content_length(request) > limit:
            detail = f"Bodies are limited to {limit} bytes."
            return problem_response(request, "body-too-large", detail)
        response = self.get_response(request)
        if response.status_code < 400 or _is_problem(response):
            return response
        return _as_problem(request, response)


def _own_limit(request: HttpRequest, limit: int) -> int:
    """A view's own body limit (``max_body_bytes``: uploads), else ``limit``."""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return limit
    own = getattr(getattr(view, "view_class", None), "max_body_bytes", None)
    return own() if callable(own) else (own or limit)


def _is_problem(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith(CONTENT_TYPE)


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    code = response.status_code
    slug = _BY_STATUS.get(code, "bad-request" if code < 500 else "server-error")
    problem = problem_response(request, slug, status_code=code)
    for header in _KEPT_HEADERS:
        if header in response:
            problem[header] = response[header]
    return problem
