"""The portal's error pages (handler400/403/404/500 in privacyportal.urls).

They read nothing the request carries: Django's own handlers are wrapped in
``requires_csrf_token``, which reads ``request.POST`` again, so a body that
failed to parse raised a second time inside the 400 page and ended as a bare
500. Nor do they echo the path, which may hold a secret link token.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader

from privacyportal.context_processors import portal

PAGES = {
    400: (
        "We could not read that request",
        "Your browser sent something we could not read. Please go back, "
        "reload the page and try again.",
    ),
    403: (
        "This action is not allowed",
        "You may not do this, or the form you sent has expired: go back, "
        "reload the page and try again.",
    ),
    404: (
        "Page not found",
        "There is no page at this address. It may have been mistyped.",
    ),
    500: (
        "Something went wrong on our side",
        "Please try again later. If it keeps happening, write to us at the "
        "address below.",
    ),
}


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """The portal's page for ``status``, from the template and settings only."""
    title, message = PAGES[status]
    context = {
        **portal(request),  # settings only, never the request's data
        "status": status,
        "title": title,
        "message": message,
    }
    try:
        html = loader.render_to_string("errors/error.html", context)
    except Exception:  # the page of last resort must not fail in turn
        html = f"<!doctype html><title>{title}</title><h1>{title}</h1>"
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # CSRF_FAILURE_VIEW: Django's own page is a bare "403 Forbidden" with DEBUG off.
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)
