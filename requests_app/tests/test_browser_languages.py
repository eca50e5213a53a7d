"""A request filed in each language stays in it: form, e-mail, confirmation, status.

At phone width (390 px), in Chromium. Each language reaches the form a
different way a person would: the browser's Accept-Language, the switcher
link, a ``?lang=`` link. French runs once with JavaScript off. Expected words
come from the catalogues (gettext under that language), and each must differ
from the English, so an untranslated page fails rather than passes.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from conftest import CHROMIUM, CHROMIUM_ARGS
from privacyportal import mail as outbox
from privacyportal.models import OutboundEmail
from privacyportal.subjects.models import DataSubject
from requests_app.models import PrivacyRequest

PHONE = {"width": 390, "height": 800}
# (language, how the person arrives, the country they live in, JavaScript on)
JOURNEYS = [
    ("en-gb", "browser", "GB", True),
    ("de", "browser", "DE", True),
    ("fr", "switcher", "FR", False),
    ("es", "link", "ES", True),
    ("pt-br", "browser", "BR", True),
]
ACCEPT = {"en-gb": "en-GB,en;q=0.8", "de": "de-DE,de;q=0.9", "pt-br": "pt-BR,pt;q=0.9"}


def words(language: str, msgid: str) -> str:
    with translation.override(language):
        text = gettext(msgid)
    if language != "en-gb":
        assert text != msgid, f"{msgid!r} is not translated into {language}"
    return text


@pytest.fixture(scope="module")
def browser():
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread for the whole
    # module; the ORM calls between page actions (and the teardown's flush)
    # are still synchronous.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


def _open_form(page, base: str, language: str, how: str) -> None:
    form = f"{base}/privacy/request/"
    if how == "link":
        page.goto(f"{form}?lang={language}")
    elif how == "switcher":
        page.goto(form)  # English by default (the context sends no language)
        page.click(f'.language-switch a[lang="{language}"]')
    else:
        page.goto(form)
    assert page.get_attribute("html", "lang") == language


def _file(page, email: str, country: str) -> None:
    page.check("input[name=type][value=access]")
    page.fill("input[name=name]", "Ana Língua")
    page.fill("input[name=email]", email)
    page.select_option("select[name=country]", country)
    page.select_option("select[name=relationship]", "customer")
    page.click("button[type=submit]")


def _link(email: str, kind: str) -> str:
    outbox.send_pending()
    for message in reversed(mail.outbox):
        found = re.search(rf"(http\S+/privacy/request/{kind}/\S+/)", message.body)
        if message.to == [email] and found:
            return message, found.group(1)
    raise AssertionError(f"no {kind} e-mail to {email}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "how", "country", "js"), JOURNEYS)
def test_a_request_stays_in_the_language_it_was_filed_in(
    browser, live_server, settings, language, how, country, js
):
    settings.SITE_URL = live_server.url
    email = f"journey-{language}@example.org"
    headers = {"Accept-Language": ACCEPT[language]} if how == "browser" else {}
    filer = browser.new_context(
        viewport=PHONE, java_script_enabled=js, extra_http_headers=headers
    )
    page = filer.new_page()
    _open_form(page, live_server.url, language, how)
    _file(page, email, country)
    page.wait_for_url("**/privacy/request/sent/")
    assert page.inner_text("h1") == words(language, "Check your inbox")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    request = PrivacyRequest.objects.get(email=email)
    assert request.language == language
    message, verify_link = _link(email, "verify")
    assert OutboundEmail.objects.get(to=email).language == language
    assert words(language, "Privacy Office") in message.body
    assert (
        words(
            language,
            "If you did not make this request, ignore this e-mail: "
            "nothing will happen.",
        )
        in message.body
    )
    filer.close()

    # The link is opened elsewhere (a phone's mail app: no cookie, an English
    # browser): the pages about the request still speak its language.
    reader = browser.new_context(
        viewport=PHONE,
        java_script_enabled=js,
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    page = reader.new_page()
    page.goto(verify_link)
    assert page.get_attribute("html", "lang") == language
    assert page.inner_text("h1") == words(language, "Confirm your request")
    page.click("button[type=submit]")
    page.wait_for_url("**/privacy/request/status/**")
    assert page.get_attribute("html", "lang") == language
    assert request.reference in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reader.close()

    # The confirmation e-mail, sent by the worker with no page around it.
    confirmation, _ = _link(email, "status")
    assert words(language, "Privacy Office") in confirmation.body
    assert DataSubject.objects.get(email=email).language == language
