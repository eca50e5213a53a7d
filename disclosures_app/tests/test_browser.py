from __future__ import annotations

import os
from pathlib import Path

import pytest

from disclosures_app.demo import seed_recipients
from disclosures_app.models import Notice
from disclosures_app.tests.factories import DisclosureFactory
from privacyportal.audit.services import Actor

# Screenshots for a person to look at; DISCLOSURES_SHOTS=/tmp/x keeps them.
SHOTS = os.environ.get("DISCLOSURES_SHOTS", "")

PAGES = {
    "index": "/admin/",
    "recipients": "/admin/disclosures_app/recipient/",
    "recipient": "/admin/disclosures_app/recipient/{recipient}/change/",
    "log": "/admin/disclosures_app/disclosure/",
    "disclosure": "/admin/disclosures_app/disclosure/{disclosure}/change/",
    "record": "/admin/disclosures_app/disclosure/add/",
    "notices": "/admin/disclosures_app/notice/",
    "ropa": "/admin/disclosures_app/recipient/records-of-processing/",
    "person": "/admin/subjects/datasubject/{subject}/change/",
}


@pytest.mark.browser
def test_each_staff_page_fits_the_screen_and_breaks_no_csp_rule(
    page, live_server, admin_user, subject, tmp_path
):
    seed_recipients(actor=Actor.system("test"))
    police = DisclosureFactory(
        subject=subject,
        recipient__name="City Police",
        recipient__authority=True,
        legal_reference="Warrant 2026/17",
        withheld_from_subject=True,
        withheld_ground="Court order forbids telling the person",
    )
    DisclosureFactory(subject=subject, sale_or_sharing=True)
    Notice.objects.create(
        recipient=police.recipient,
        subject=subject,
        request_reference="PR-2026-000042",
        change="erasure",
        categories=["contact details"],
        status="failed",
        attempts=5,
        reason="answered with an error (503) (5 tries)",
    )
    ids = {
        "recipient": police.recipient.pk,
        "disclosure": police.pk,
        "subject": subject.pk,
    }
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else 0)
    admin_user.set_password("pw-Browser-Disclose-1")
    admin_user.save()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin_user.get_username())
    page.fill("input[name=password]", "pw-Browser-Disclose-1")
    page.click("input[type=submit]")
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for name, url in PAGES.items():
        page.goto(live_server.url + url.format(**ids))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280, name
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
