"""File a request in Chromium, follow the e-mailed link, see the status page."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from privacyportal import mail as outbox


@pytest.mark.browser
def test_file_verify_and_follow_a_request_in_the_browser(page, live_server, settings):
    settings.SITE_URL = live_server.url
    page.goto(f"{live_server.url}/privacy/request/")
    page.check("input[name=type][value=erasure]")
    page.fill("input[name=name]", "Grace Browser")
    page.fill("input[name=email]", "grace@example.org")
    page.select_option("select[name=country]", "US")
    page.select_option("select[name=region]", "CA")
    page.select_option("select[name=relationship]", "visitor")
    page.fill("textarea[name=details]", "Please delete my forum posts too.")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your inbox")

    outbox.send_pending()
    (message,) = [m for m in mail.outbox if m.to == ["grace@example.org"]]
    link = re.search(r"(http\S+/privacy/request/verify/\S+/)", message.body).group(1)
    page.goto(link)
    page.click("text=Confirm my request")
    page.wait_for_selector("text=Your request PR-")
    body = page.inner_text("main")
    assert "Delete my information" in body
    assert "Confirmed, waiting to be handled" in body
    assert "We will answer by" in body

    outbox.send_pending()
    confirmation = [m for m in mail.outbox if "confirmed" in m.subject]
    status_link = re.search(
        r"(http\S+/privacy/request/status/\S+/)", confirmation[0].body
    ).group(1)
    page.goto(status_link)
    assert "Withdraw my request" in page.inner_text("main")
