"""Which language a page speaks: the switcher, its cookie, Accept-Language, staff."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from privacyportal import languages

FORM = "/privacy/request/"


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("pt-BR", "pt-br"),
        ("fr-CA", "fr"),
        ("es", "es"),
        ("ja", "en-gb"),
        ("", "en-gb"),
    ],
)
def test_accept_language_picks_the_page_language(client, header, expected):
    response = client.get(FORM, HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert _lang(response) == expected
    assert response["Content-Language"] == expected


@pytest.mark.django_db
def test_the_switcher_wins_over_the_browser_and_is_remembered(client):
    response = client.get(f"{FORM}?lang=fr", HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(response) == "fr"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["httponly"]
    # The next page, without the link, keeps French over the browser's German.
    assert _lang(client.get("/privacy/preferences/", HTTP_ACCEPT_LANGUAGE="de")) == "fr"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client):
    response = client.get(f"{FORM}?lang=klingon", HTTP_ACCEPT_LANGUAGE="es")
    assert _lang(response) == "es"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_the_switcher_lists_every_language_in_its_own_name(client):
    html = client.get(FORM, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for code, own in settings.LANGUAGES:
        assert f'lang="{code}"' in html and own in html
    # The current one is marked, not linked; the others are links.
    assert 'aria-current="true" lang="de"' in html
    assert 'href="?lang=fr"' in html and 'href="?lang=de"' not in html


@pytest.mark.django_db
def test_staff_pages_stay_in_the_staff_language(client):
    response = client.get("/admin/login/?lang=de", HTTP_ACCEPT_LANGUAGE="de")
    assert _lang(response) == settings.LANGUAGE_CODE
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_a_query_string_that_cannot_be_parsed_is_still_the_portals_400(client):
    response = client.get(FORM, QUERY_STRING="lang=%ff%fe&x=%zz" + "&a" * 2000)
    assert response.status_code < 500


def test_supported_maps_variants_and_refuses_the_unknown():
    assert languages.supported("pt-BR") == "pt-br"
    assert languages.supported("de-AT") == "de"
    assert languages.supported("zz") == settings.LANGUAGE_CODE
    assert languages.supported("") == settings.LANGUAGE_CODE
    assert languages.name("de") == "German"


def test_pages_about_a_request_speak_its_language_unless_the_visitor_chose():
    factory = RequestFactory()
    with translation.override("en-gb"):
        plain = factory.get("/privacy/request/status/x/")
        languages.speak(plain, "de")
        assert translation.get_language() == "de" and plain.LANGUAGE_CODE == "de"
    with translation.override("fr"):
        chosen = factory.get("/privacy/request/status/x/")
        chosen.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "fr"
        languages.speak(chosen, "de")
        assert translation.get_language() == "fr"


def test_a_reference_is_kept_on_one_line_inside_a_translated_sentence():
    from django.template import Context, Template

    page = Template(
        "{% load i18n portal_i18n %}{% blocktranslate with ref=r|nobreak %}"
        "Your request {{ ref }}{% endblocktranslate %}"
    ).render(Context({"r": "PR-2026-<b>"}))
    assert page == 'Your request <span class="nobreak">PR-2026-&lt;b&gt;</span>'
