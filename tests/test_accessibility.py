"""Every public page, measured with axe-core in Chromium (issue 14).

Each page is opened at a phone width (390 px) and a desktop width (1280 px),
in English and German, and must have no serious or critical axe violation
under WCAG 2.0/2.1 A+AA and 2.2 AA (target size included), and must not
scroll sideways on the phone.

One browser, one live server and one tab per width for the module (a new
tab costs more than a check); each test starts without the last one's cookies
and request routes. The pages' data is made once, through the services, and
committed (the server thread reads it); the module flushes it at the end, as
a transactional test would.

Run alone: ``pytest tests/test_accessibility.py`` (axe-core comes from
``npm ci``, which ``make test`` runs).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import a11y

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# The same arguments as the root conftest's `page` fixture.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = [390, 1280]
LANGUAGES = ["en-gb", "de"]
HEIGHT = 800
BAD_TOKEN = "B" * 43


@dataclass
class Site:
    """The live server's address and the secret links the pages need."""

    url: str = ""
    links: dict[str, str] = field(default_factory=dict)


def _seed_reference_data() -> None:
    # Migrations seed these; a transactional test before this module flushed them.
    from django.apps import apps

    from requests_app.tests.factories import reseed_deadline_rules

    reseed_deadline_rules()
    importlib.import_module("consent_app.migrations.0003_seed_purposes").seed(
        apps, None
    )


def _request_links(site: Site, officer: Any) -> None:
    from requests_app import services
    from requests_app.tests.factories import in_progress, submit, token_from

    pending = submit()
    site.links["verify"] = f"/privacy/request/verify/{token_from(pending)}/"

    confirmed = submit()
    used = token_from(confirmed)
    services.request_verify(token=used)
    site.links["already_confirmed"] = f"/privacy/request/verify/{used}/"
    status = token_from(confirmed, "request_confirmation")
    site.links["status"] = f"/privacy/request/status/{status}/"

    asked = in_progress(officer)
    services.request_ask(actor=officer, request=asked, question="Which account?")
    status = token_from(asked, "request_confirmation")
    site.links["status_question"] = f"/privacy/request/status/{status}/"


def _erased_link(site: Site, officer: Any) -> None:
    from django.test import override_settings

    from privacyportal.subjects.tests.factories import DataSubjectFactory
    from requests_app.fulfilment import erasure
    from requests_app.models import PrivacyRequest
    from requests_app.tests.factories import token_from
    from requests_app.tests.fulfilment_helpers import run_erasure, verified_for

    person = DataSubjectFactory(email="erased.a11y@example.org")
    request = verified_for(person, PrivacyRequest.Type.ERASURE)
    with override_settings(ERASURE_DELAY_HOURS=0):
        erasure.erasure_approve(actor=officer, request=request)
        run_erasure(request)
    status = token_from(request, "request_confirmation")
    site.links["status_erased"] = f"/privacy/request/status/{status}/"


def _export_link(site: Site, officer: Any) -> None:
    import re

    from django.core import mail

    from privacyportal import mail as outbox
    from privacyportal.subjects.tests.factories import DataSubjectFactory
    from requests_app.fulfilment import exports
    from requests_app.models import PrivacyRequest
    from requests_app.tests.fulfilment_helpers import verified_for

    person = DataSubjectFactory(email="export.a11y@example.org")
    request = verified_for(person, PrivacyRequest.Type.ACCESS)
    package = exports.export_approve(actor=officer, request=request)
    exports.export_build(package_id=package.pk)
    outbox.send_pending()
    bodies = [m.body for m in mail.outbox if m.to == [person.email]]
    found = re.search(r"https?://\S+(/privacy/export/[^/\s]+/)", bodies[-1])
    site.links["export"] = found.group(1)


def _consent_links(site: Site) -> None:
    from consent_app import links
    from consent_app.models import ConsentLink, Purpose
    from consent_app.tests.factories import PolicyVersionFactory
    from privacyportal.subjects.tests.factories import DataSubjectFactory

    PolicyVersionFactory(published=True)
    person = DataSubjectFactory(email="consent.a11y@example.org")
    token = links._create(kind=ConsentLink.Kind.PREFERENCES, subject=person, days=1)
    site.links["manage"] = f"/privacy/preferences/{token}/"
    marketing = Purpose.objects.filter(is_marketing=True).first()
    token = links._create(
        kind=ConsentLink.Kind.UNSUBSCRIBE, subject=person, days=60, purpose=marketing
    )
    site.links["unsubscribe"] = f"/privacy/unsubscribe/{token}/"


def _make_data(site: Site) -> None:
    from privacyportal import mail as outbox
    from requests_app.tests.factories import staff_user

    _seed_reference_data()
    officer = staff_user("a11y-officer", "Privacy Officer")
    with outbox.sending_here():
        _request_links(site, officer)
        _erased_link(site, officer)
        _export_link(site, officer)
    _consent_links(site)


@pytest.fixture(scope="module")
def transactional_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """pytest-django's name, overridden here: one flush for the module, not per test.

    Its name makes pytest-django create the test database and run this module
    with the other transactional tests (which start from, and leave, a flushed
    database); the pages' data is committed once and flushed at the end.
    """
    from django.core.management import call_command

    # Open for the whole module: the live server's thread reads and writes too.
    with django_db_blocker.unblock():
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def site(transactional_db, tmp_path_factory) -> Iterator[Site]:
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("a11y-media")))
    media.enable()
    server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    try:
        built = Site(url=server.url)
        _make_data(built)
        yield built
    finally:
        server._live_server_modified_settings.disable()
        server.stop()
        media.disable()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    a11y.axe_source()  # skip (or fail) before starting anything without axe
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made between page actions are still synchronous.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            launched = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    # Every case posts from 127.0.0.1; the hourly counters start from zero.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def tabs(browser) -> Iterator[dict[int, Any]]:
    """One page per width for the module: a new page costs more than a check.

    bypass_csp: the site allows no inline script; axe is the test's script.
    """
    opened = {}
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": HEIGHT}, bypass_csp=True
        )
        opened[width] = context.new_page()
    yield opened
    for page in opened.values():
        page.context.close()


@pytest.fixture
def tab(tabs, request) -> Iterator[Any]:
    """The page for this test's width, without the last test's cookies or routes."""
    callspec = getattr(request.node, "callspec", None)
    page = tabs[callspec.params["width"] if callspec else WIDTHS[0]]
    page.context.clear_cookies()
    yield page
    page.unroute_all(behavior="ignoreErrors")


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _submit(
    page: Any, form: str = "main form", fill: dict[str, str] | None = None
) -> Any:
    """Send a form as a person would, skipping the browser's own checks."""
    for name, value in (fill or {}).items():
        page.fill(f"{form} [name={name}]", value)
    with page.expect_navigation() as sent:
        page.eval_on_selector(form, "f => { f.noValidate = true; f.submit(); }")
    return sent.value


# --- the pages -------------------------------------------------------------------
# Each opens one page in ``page``, in ``lang``, and returns the last response.

Opener = Callable[[Any, Site, str], Any]


def _get(path: str) -> Opener:
    def open_(page: Any, site: Site, lang: str) -> Any:
        return page.goto(site.url + _with_lang(site.links.get(path, path), lang))

    return open_


def _then_submit(path: str, **fill: str) -> Opener:
    def open_(page: Any, site: Site, lang: str) -> Any:
        _get(path)(page, site, lang)
        return _submit(page, fill=fill)

    return open_


def _bad_request(page: Any, site: Site, lang: str) -> Any:
    # A multipart body without a boundary cannot be parsed: the portal's 400.
    def as_post(route: Any) -> None:
        headers = {**route.request.headers, "content-type": "multipart/form-data"}
        route.continue_(method="POST", headers=headers, post_data="a=1")

    page.route("**/no-such-page/**", as_post)
    return page.goto(site.url + _with_lang("/no-such-page/", lang))


def _rate_limited(page: Any, site: Site, lang: str, settings: Any) -> Any:
    # The first valid post is already one too many (a refused form may not count).
    settings.REQUEST_RESEND_RATE = 0
    return _then_submit("/privacy/request/lost-link/", **LOST_LINK)(page, site, lang)


LOST_LINK = {"email": "ada@example.org", "reference": "PR-2026-000001"}

# (how to open it, the status codes it may answer with)
PAGES: dict[str, tuple[Opener, set[int]]] = {
    "home": (_get("/"), {200}),
    "request-form": (_get("/privacy/request/"), {200}),
    "request-form-errors": (
        _then_submit("/privacy/request/", email="not-an-address"),
        {400},
    ),
    "sent": (_get("/privacy/request/sent/"), {200}),
    "opted-out": (_get("/privacy/request/opted-out/"), {200}),
    "verify": (_get("verify"), {200}),
    # A used link: its own page once requests/already_confirmed.html exists,
    # the neutral invalid-link page (404) before.
    "already-confirmed": (_get("already_confirmed"), {200, 404}),
    "link-invalid": (_get(f"/privacy/request/verify/{BAD_TOKEN}/"), {404}),
    "new-link-sent": (_then_submit(f"/privacy/request/verify/{BAD_TOKEN}/"), {200}),
    "lost-link": (_get("/privacy/request/lost-link/"), {200}),
    "lost-link-errors": (
        _then_submit("/privacy/request/lost-link/", email="nope"),
        {400},
    ),
    "lost-link-sent": (_then_submit("/privacy/request/lost-link/", **LOST_LINK), {200}),
    "status": (_get("status"), {200}),
    "status-question": (_get("status_question"), {200}),
    "status-erased": (_get("status_erased"), {200}),
    "export": (_get("export"), {200}),
    "preferences": (_get("/privacy/preferences/"), {200}),
    "preferences-errors": (
        _then_submit("/privacy/preferences/", email="nope"),
        {200, 400},
    ),
    "preferences-link-sent": (
        _then_submit("/privacy/preferences/", email="consent.a11y@example.org"),
        {200},
    ),
    "preferences-manage": (_get("manage"), {200}),
    "preferences-link-invalid": (_get(f"/privacy/preferences/{BAD_TOKEN}/"), {404}),
    "unsubscribe": (_get("unsubscribe"), {200}),
    "unsubscribed": (_then_submit("unsubscribe"), {200}),
    "policy": (_get("/privacy/policy/"), {200}),
    "not-found": (_get("/no-such-page/"), {404}),
    "bad-request": (_bad_request, {400}),
}
SPECIAL = {"rate-limited": (_rate_limited, {429})}

CASES = [
    pytest.param(name, width, lang, id=f"{name}-{width}-{lang}")
    for name in [*PAGES, *SPECIAL]
    for width in WIDTHS
    for lang in LANGUAGES
]


@pytest.mark.parametrize(("name", "width", "lang"), CASES)
def test_page_is_accessible(tab, site, settings, name, width, lang):
    if name in SPECIAL:
        opener, expected = SPECIAL[name]
        response = opener(tab, site, lang, settings)
    else:
        opener, expected = PAGES[name]
        response = opener(tab, site, lang)
    # Measured on the page the case is about, not on whatever came back.
    assert response.status in expected, f"{name} answered {response.status}"
    lang_attr = tab.get_attribute("html", "lang")
    violations = a11y.blocking(a11y.run_axe(tab))
    overflow = a11y.horizontal_overflow(tab, width) if width < 400 else ""
    assert lang_attr == lang, f"<html lang> is {lang_attr!r}, the page asked {lang}"
    assert not violations, (
        f"{name} at {width}px ({lang}): serious/critical axe violations\n"
        + a11y.describe(violations)
    )
    assert not overflow, f"{name} at {width}px ({lang}) scrolls sideways: {overflow}"


# --- the harness itself can fail ---------------------------------------------------

BROKEN = """
() => {
  const main = document.querySelector('main');
  main.insertAdjacentHTML('beforeend',
    '<img src="/static/none.png" id="a11y-no-alt">'
    + '<button id="a11y-no-name"></button>'
    + '<a href="/" id="a11y-tiny" style="display:inline-block;width:8px;'
    + 'height:8px;overflow:hidden;font-size:4px">x</a>'
    + '<a href="/" style="display:inline-block;width:8px;height:8px;'
    + 'overflow:hidden;font-size:4px">y</a>'
    + '<div id="a11y-wide" style="width:2000px">wide</div>');
}
"""


def test_harness_reports_a_broken_page(tab, site):
    tab.goto(site.url + "/")
    tab.evaluate(BROKEN)
    violations = a11y.blocking(a11y.run_axe(tab))
    rules = {v["id"] for v in violations}
    assert {"image-alt", "button-name", "target-size"} <= rules
    report = a11y.describe(violations)
    assert "#a11y-no-alt" in report and "image-alt (critical)" in report
    assert "#a11y-tiny" in report
    assert "div#a11y-wide" in a11y.horizontal_overflow(tab, 390)
