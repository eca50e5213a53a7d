"""A request whose body or query string cannot be parsed is a 400, up front.

Django parses ``request.GET``/``POST``/``FILES`` lazily and raises from wherever
they are first read: the CSRF check, a view, Django's error views (which read
the body again) or the DEBUG error page. Reading them once here, before any
view, turns every such failure into the portal's 400 page whichever URL the
request was for, routed or not.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from privacyportal.errors import error_page

# ValueError covers UnicodeDecodeError; LookupError a charset that names a
# codec Python has but cannot decode text with ("rot13", "hex").
UNPARSABLE = (
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
    UnreadablePostError,
    ValueError,
    LookupError,
)


class PortalWSGIRequest(WSGIRequest):
    """A WSGIRequest that can be built whatever charset its Content-Type names.

    Django decodes the query string in the body's charset while it builds the
    request (setting ``encoding`` evaluates ``GET``), so "charset=rot13" or
    "charset=idna" with a query string raised before any middleware ran.
    """

    unparsable = False

    def __init__(self, environ: dict) -> None:
        # A copy taken first: Django writes the decoded path into the environ.
        fallback = {**environ, "CONTENT_TYPE": ""}
        try:
            super().__init__(environ)
        except UNPARSABLE:
            # Nothing was read yet: build it again without the Content-Type
            # and let the middleware answer 400.
            super().__init__(fallback)
            self.unparsable = True


class UnparsableRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "unparsable", False) or not _parses(request):
            # Django logs every 4xx ("Bad Request: <path>") on its way out.
            return error_page(request, 400)
        return self.get_response(request)


def _parses(request: HttpRequest) -> bool:
    try:
        # The query string is decoded in the body's charset too.
        request.GET  # noqa: B018
        # Django parses a body for POST only; the API's own parsers read its
        # bodies (JSON, or a 415 for anything else) and answer as problems.
        if request.method == "POST" and not request.path_info.startswith("/api/"):
            request.POST  # noqa: B018
            request.FILES  # noqa: B018
    except UNPARSABLE:
        return False
    return True
