"""Which language the public side speaks, and to whom.

A visitor's language comes from, in order: a ``?lang=`` link of the language
switcher (remembered in a cookie), the cookie, then ``Accept-Language``.
Staff pages and the API keep ``LANGUAGE_CODE``: staff read one language, and
the admin's own strings mixed with a partly translated portal would be worse
than either.

A request stores the language it was filed in (``PrivacyRequest.language``);
every e-mail about it is rendered in that language (``mail.queue_email``
records it on the outbox row), whichever process sends it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# Paths that are never translated: staff, machines, probes.
STAFF_PREFIXES = ("/admin/", "/api/", "/healthz", "/static/")
SWITCH_PARAM = "lang"


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def supported(code: str | None) -> str:
    """A LANGUAGES code for ``code`` ("pt-BR", "de-AT" → "pt-br", "de").

    Anything unknown or empty gives LANGUAGE_CODE, so a stored value is always
    one the catalogues know.
    """
    if code:
        try:
            return translation.get_supported_language_variant(code.lower())
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def name(code: str) -> str:
    """The language's name in English ("German"), for staff."""
    return translation.get_language_info(supported(code))["name"]


def own_name(code: str) -> str:
    """The language's name in itself ("Deutsch"), for the switcher."""
    return dict(settings.LANGUAGES)[supported(code)]


def _switch_to(request: HttpRequest) -> str | None:
    # Read from the raw query string: request.GET may not parse yet (the
    # unparsable-request middleware, later in the chain, answers that).
    try:
        pairs = parse_qsl(request.META.get("QUERY_STRING", ""), errors="replace")
    except ValueError:
        return None
    wanted = dict(pairs).get(SWITCH_PARAM, "")
    if not wanted:
        return None
    try:
        return translation.get_supported_language_variant(wanted.lower())
    except LookupError:
        return None  # an unknown language changes nothing


class PublicLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for public pages only, plus ``?lang=``."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(STAFF_PREFIXES):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        chosen = _switch_to(request)
        request.language_chosen = chosen
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
            return
        super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        if request.path_info.startswith(STAFF_PREFIXES):
            return response
        response = super().process_response(request, response)
        chosen = getattr(request, "language_chosen", None)
        if chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        return response


def chosen_by_visitor(request: HttpRequest) -> bool:
    """Did the visitor pick a language (the switcher now, or its cookie)?"""
    return bool(
        getattr(request, "language_chosen", None)
        or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )


def speak(request: HttpRequest, language: str) -> None:
    """Pages about a request speak the language it was filed in.

    The person who filed in German gets German status pages from the link in
    a German e-mail, whatever the browser that opens it sends; a language
    picked with the switcher still wins.
    """
    if chosen_by_visitor(request):
        return
    code = supported(language)
    translation.activate(code)
    request.LANGUAGE_CODE = code
