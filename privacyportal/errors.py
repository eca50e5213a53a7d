"""The portal's error pages (handler400/403/404/500 in privacyportal.urls).

They read nothing the request carries: Django's own handlers are wrapped in
``requires_csrf_token``, which reads ``request.POST`` again, so a body that
failed to parse raised a second time inside the 400 page and ended as a bare
500. Nor do they echo the path, which may hold a secret link token.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from privacyportal.context_processors import portal

# Marked with gettext_noop and translated when shown, inside a try: a page of
# last resort must still answer, in English, if the catalogues fail.
PAGES = {
    400: (
        N_("We could not read that request"),
        N_(
            "Your browser sent something we could not read. Please go back, "
            "reload the page and try again."
        ),
    ),
    403: (
        N_("This action is not allowed"),
        N_(
            "You may not do this, or the form you sent has expired: go back, "
            "reload the page and try again."
        ),
    ),
    404: (
        N_("Page not found"),
        N_("There is no page at this address. It may have been mistyped."),
    ),
    500: (
        N_("Something went wrong on our side"),
        N_(
            "Please try again later. If it keeps happening, write to us at the "
            "address below."
        ),
    ),
}
CSRF_PAGE = (
    N_("This form has expired"),
    N_(
        "For your safety a form works only for a while, and only with cookies "
        "allowed for this site. Please go back, reload the page and send it again."
    ),
)


def _translated(text: str) -> str:
    try:
        return gettext(text)
    except Exception:  # a broken catalogue: the English original will do
        return text


def _language() -> str:
    try:
        return translation.get_language() or settings.LANGUAGE_CODE
    except Exception:
        return settings.LANGUAGE_CODE


def error_page(
    request: HttpRequest, status: int, words: tuple[str, str] | None = None
) -> HttpResponse:
    """The portal's page for ``status``, from the template and settings only.

    In the visitor's language (the locale middleware has chosen it by now);
    ``words`` replaces the status's own title and message.
    """
    title, message = (_translated(text) for text in (words or PAGES[status]))
    try:
        context = {
            **portal(request),  # settings only, never the request's data
            "status": status,
            "title": title,
            "message": message,
        }
        html = loader.render_to_string("errors/error.html", context)
    except Exception:  # the page of last resort must not fail in turn
        html = (
            f'<!doctype html><html lang="{escape(_language())}">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1>"
            f"<p>{escape(message)}</p></html>"
        )
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # CSRF_FAILURE_VIEW: Django's own page is a bare "403 Forbidden" with DEBUG off.
    # The usual cause for the public is a form left open too long, or cookies off.
    return error_page(request, 403, CSRF_PAGE)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)
