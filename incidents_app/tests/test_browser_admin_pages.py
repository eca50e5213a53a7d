"""Every staff page of complaints, appeals and incidents, in Chromium at 1280 x 800.

Each page must load, fit the width, and speak in words: no raw codes, ids,
JSON or Python values. With PR_SCREENSHOTS=<dir> each page is kept as a PNG
for a person to look at.
"""

from __future__ import annotations

import importlib
import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from complaints_app import services as complaint_services
from complaints_app.models import ComplaintRule, SupervisoryAuthority
from complaints_app.tests.factories import complaint
from incidents_app import services as incident_services
from incidents_app.models import Incident, StateNoticeRule
from incidents_app.tests.factories import IncidentFactory
from incidents_app.tests.test_compromise_reports import confirmed
from privacyportal import roles
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.models import AppealRule
from requests_app.services import appeals
from requests_app.tests.factories import reseed_deadline_rules, staff_user
from requests_app.tests.test_appeals import SUBJECT, refused
from requests_app.tests.test_browser_appeals import DECIDE_BUTTON
from requests_app.tests.test_browser_console import log_in, shot

pytestmark = pytest.mark.browser
WIDTH = 1280
# What a person should never have to read: Python values, JSON, snake_case codes.
RAW = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\{\"|\[\"|\b[a-z]+_[a-z_]+\b")


@pytest.fixture(autouse=True)
def _seeded_tables(transactional_db, settings, live_server):
    """What the migrations seed (an earlier live-server test flushed it)."""
    settings.SITE_URL = live_server.url
    reseed_deadline_rules()
    for app, name in [
        ("requests_app", "0014_seed_appeal_rules"),
        ("requests_app", "0015_seed_fl_ok_appeal_rules"),
        ("complaints_app", "0002_seed_authorities_and_rules"),
        ("incidents_app", "0006_seed_authority_notice_rules"),
    ]:
        importlib.import_module(f"{app}.migrations.{name}").seed(apps, None)
    # The state periods' seed predates their versions: 0005 starts those rows on
    # 1 January 2000, which the current model needs spelled out.
    seed = importlib.import_module(
        "incidents_app.migrations.0002_seed_state_notice_rules"
    )
    for state, days in seed.DAYS.items():
        StateNoticeRule.objects.get_or_create(
            state=state,
            effective_from=date(2000, 1, 1),
            defaults={"days": days, "notes": "From a summary; verify with counsel."},
        )


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": WIDTH, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def look_at(tab, live_server, name: str, path: str, part: str = "#content") -> str:
    """Open a staff page; fail on an error, a wide page or raw codes."""
    response = tab.goto(f"{live_server.url}{path}")
    assert response.status == 200, f"{name}: {response.status}"
    shot(tab, name)
    assert tab.locator(".messagelist .error").count() == 0, f"{name} was refused"
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH, name
    text = tab.inner_text(part)
    raw = RAW.findall(text)
    assert not raw, f"{name} shows raw values: {raw}"
    return text


def test_complaint_pages_read_in_plain_words(tab, live_server):
    officer = staff_user("officer", roles.PRIVACY_OFFICER)
    new = complaint(country="US", region="VA", email="va@example.org")
    worked = complaint(country="DE", email="de@example.org", language="de")
    acked = complaint(country="GB", email="gb@example.org")
    complaint_services.complaint_acknowledge(actor=officer, complaint=acked)
    complaint_services.complaint_acknowledge(actor=officer, complaint=worked)
    complaint_services.complaint_note_add(
        actor=officer, complaint=worked, text="Called the complainant.\nNo answer."
    )
    complaint_services.complaint_decide(
        actor=officer, complaint=worked, upheld=False, outcome="We sent no e-mail."
    )
    log_in(tab, live_server, officer)

    base = "/admin/complaints_app"
    listed = look_at(tab, live_server, "complaints-list", f"{base}/complaint/")
    assert new.reference in listed and "Not upheld" in listed
    look_at(tab, live_server, "complaint-new", f"{base}/complaint/{new.pk}/change/")
    page = look_at(
        tab, live_server, "complaint-worked", f"{base}/complaint/{worked.pk}/change/"
    )
    assert "German" in page and "Called the complainant." in page
    for step, on in [("acknowledge", new), ("note", new), ("decide", acked)]:
        look_at(
            tab,
            live_server,
            f"complaint-step-{step}",
            f"{base}/complaint/{on.pk}/step/{step}/",
        )
    look_at(
        tab,
        live_server,
        "complaint-step-escalate",
        f"{base}/complaint/{worked.pk}/step/escalate/",
    )
    look_at(tab, live_server, "authorities-list", f"{base}/supervisoryauthority/")
    authority = SupervisoryAuthority.objects.get(code="US-VA")
    look_at(
        tab,
        live_server,
        "authority-change",
        f"{base}/supervisoryauthority/{authority.pk}/change/",
    )
    look_at(tab, live_server, "complaint-rules-list", f"{base}/complaintrule/")
    rule = ComplaintRule.objects.get()
    look_at(
        tab,
        live_server,
        "complaint-rule-change",
        f"{base}/complaintrule/{rule.pk}/change/",
    )


def test_appeal_pages_read_in_plain_words(tab, live_server):
    refuser = staff_user("refuser", roles.PRIVACY_OFFICER)
    second = staff_user("second", roles.PRIVACY_OFFICER)
    request, _ = refused(refuser, region="VA")
    open_one = appeals.appeal_file(
        request=request, text="Please look again.", actor=SUBJECT
    )
    other, _ = refused(refuser, region="CO")
    denied = appeals.appeal_file(request=other, text="I disagree.", actor=SUBJECT)
    appeals.appeal_decide(actor=second, appeal=denied, upheld=False, reasons="Exempt.")
    log_in(tab, live_server, second)

    base = "/admin/requests_app"
    listed = look_at(tab, live_server, "appeals-list", f"{base}/appeal/")
    assert request.reference in listed and "Denied" in listed
    look_at(tab, live_server, "appeal-open", f"{base}/appeal/{open_one.pk}/change/")
    look_at(tab, live_server, "appeal-denied", f"{base}/appeal/{denied.pk}/change/")

    tab.goto(f"{live_server.url}{base}/appeal/?decided=no")
    tab.locator("#result_list input.action-select").first.check()
    tab.select_option("select[name=action]", "decide")
    tab.locator("button[name=index]").click()
    tab.get_by_role("button", name=DECIDE_BUTTON).wait_for()
    shot(tab, "appeal-decide")
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert "Please look again." in tab.inner_text("#content")

    look_at(tab, live_server, "appeal-rules-list", f"{base}/appealrule/")
    rule = AppealRule.objects.get(jurisdiction="US-VA")
    look_at(
        tab, live_server, "appeal-rule-change", f"{base}/appealrule/{rule.pk}/change/"
    )


def test_incident_pages_read_in_plain_words(tab, live_server):
    officer = staff_user("officer", roles.PRIVACY_OFFICER)
    DataSubjectFactory(email="lea@example.org", language="fr")
    fresh = IncidentFactory(jurisdictions=["US-CA", "DE"])
    decided = IncidentFactory(
        title="Laptop with a customer export stolen from a car",
        became_aware_at=timezone.now() - timedelta(hours=80),
        jurisdictions=["US-TX", "US-CA"],
    )
    incident_services.incident_decide(
        actor=officer,
        incident=decided,
        risk=Incident.Risk.HIGH,
        notify_authority=True,
        reasons="Unencrypted disk with names and addresses.",
        notify_people=True,
        people_reason="High risk: identity theft.",
    )
    report = confirmed(account_name="ada-lovelace", phone="+44 20 7946 0000")
    log_in(tab, live_server, officer)

    base = "/admin/incidents_app"
    listed = look_at(tab, live_server, "incidents-list", f"{base}/incident/")
    assert fresh.reference in listed and decided.reference in listed
    look_at(tab, live_server, "incident-add", f"{base}/incident/add/")
    look_at(tab, live_server, "incident-open", f"{base}/incident/{fresh.pk}/change/")
    look_at(tab, live_server, "incident-decide", f"{base}/incident/{fresh.pk}/decide/")
    look_at(
        tab, live_server, "incident-decided", f"{base}/incident/{decided.pk}/change/"
    )
    look_at(
        tab, live_server, "incident-notified", f"{base}/incident/{decided.pk}/notified/"
    )
    draft_page = f"{base}/incident/{decided.pk}/draft/"
    draft = look_at(tab, live_server, "incident-draft", draft_page, "body")
    assert decided.reference in draft

    notices = f"{base}/incident/{decided.pk}/notices/"
    look_at(tab, live_server, "incident-notices", notices)
    tab.get_by_label("Everyone on file with an e-mail address").check()
    tab.get_by_role("button", name="Add these people").click()
    tab.locator(".messagelist li").wait_for()
    tab.get_by_label("What we are doing").fill("We changed every access key.")
    tab.get_by_role("button", name="Preview", exact=True).click()
    tab.get_by_text("lea@example.org").first.wait_for()
    shot(tab, "incident-notices-preview")
    assert tab.evaluate("document.documentElement.scrollWidth") <= WIDTH

    look_at(tab, live_server, "state-rules-list", f"{base}/statenoticerule/")
    rule = StateNoticeRule.objects.order_by("state").first()
    look_at(
        tab,
        live_server,
        "state-rule-change",
        f"{base}/statenoticerule/{rule.pk}/change/",
    )
    look_at(tab, live_server, "reports-list", f"{base}/compromisereport/")
    look_at(tab, live_server, "report", f"{base}/compromisereport/{report.pk}/change/")
    look_at(
        tab,
        live_server,
        "report-open-incident",
        f"{base}/compromisereport/{report.pk}/open-incident/",
    )
