"""The request form on a phone-sized screen, with JavaScript on and off."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS
from requests_app.models import PrivacyRequest

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 800}


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    """The conftest ``page`` fixture's Chromium, for pages with their own options."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _phone(browser, *, javascript: bool = True):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    return context.new_page()


def _fill_required(page, email: str) -> None:
    page.check("input[name=type][value=access]")
    page.fill("input[name=name]", "Wanjiru Phone")
    page.fill("input[name=email]", email)
    page.select_option("select[name=country]", "KE")
    page.select_option("select[name=relationship]", "visitor")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 390")


@pytest.mark.parametrize("javascript", [True, False])
def test_conditional_fields_follow_the_choices(browser, live_server, javascript):
    page = _phone(browser, javascript=javascript)
    page.goto(f"{live_server.url}/privacy/request/")
    correction, agent = (
        page.locator("#id_correction_value"),
        page.locator("#id_agent_name"),
    )
    assert not correction.is_visible() and not agent.is_visible()
    assert _no_horizontal_scroll(page)

    page.check("input[name=type][value=rectification]")
    assert correction.is_visible() and not agent.is_visible()
    page.check("input[name=is_agent]")
    assert agent.is_visible() and page.locator("#id_agent_email").is_visible()

    # Changing one's mind hides them again, and out of the tab order.
    page.check("input[name=type][value=erasure]")
    page.uncheck("input[name=is_agent]")
    assert not correction.is_visible() and not agent.is_visible()
    page.focus("input[name=is_agent]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"


def test_the_form_submits_without_javascript(browser, live_server):
    page = _phone(browser, javascript=False)
    page.goto(f"{live_server.url}/privacy/request/")
    _fill_required(page, "nojs@example.org")
    # Filled, then hidden again: the hidden values are ignored, not refused.
    page.check("input[name=is_agent]")
    page.fill("input[name=agent_name]", "Someone")
    page.uncheck("input[name=is_agent]")
    page.click("button[type=submit]")
    page.wait_for_url("**/privacy/request/sent/")
    assert "Check your inbox" in page.inner_text("main")
    assert _no_horizontal_scroll(page)
    request = PrivacyRequest.objects.get(email="nojs@example.org")
    assert (request.country, request.jurisdiction) == ("KE", "XX")
    assert request.agent_name == ""


def test_a_failed_post_focuses_the_summary_whose_links_reach_the_fields(
    browser, live_server
):
    page = _phone(browser)
    page.goto(f"{live_server.url}/privacy/request/")
    page.fill("input[name=email]", "not-an-address")
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.title().startswith("Error:")
    assert page.evaluate("document.activeElement.id") == "error-summary-title"
    assert _no_horizontal_scroll(page)

    links = page.locator(".error-summary a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert {"#id_type_0", "#id_name", "#id_email", "#id_country"} <= set(hrefs)
    page.click(".error-summary a[href='#id_email']")
    assert page.evaluate("document.activeElement.id") == "id_email"
    email = page.locator("#id_email")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.get_attribute("aria-describedby") == "id_email_helptext id_email_error"
    page.click(".error-summary a[href='#id_type_0']")
    assert page.evaluate("document.activeElement.id") == "id_type_0"


def test_radios_and_checkbox_are_big_enough_to_tap(browser, live_server):
    page = _phone(browser)
    page.goto(f"{live_server.url}/privacy/request/")
    for selector in ("#id_type_0", "#id_is_agent"):
        box = page.locator(selector).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, selector
