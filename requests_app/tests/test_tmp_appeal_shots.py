import importlib

import pytest
from django.apps import apps

from privacyportal import roles
from privacyportal.audit.services import Actor
from requests_app.services import appeals
from requests_app.tests.factories import reseed_deadline_rules, staff_user
from requests_app.tests.test_appeals import refused
from requests_app.tests.test_browser_console import log_in

pytestmark = pytest.mark.browser


def test_shots(page, live_server, transactional_db):
    reseed_deadline_rules()
    importlib.import_module("requests_app.migrations.0014_seed_appeal_rules").seed(apps, None)
    first = staff_user("maria", roles.PRIVACY_OFFICER, first_name="Maria", last_name="Lopez")
    second = staff_user("sam", roles.PRIVACY_OFFICER, first_name="Sam", last_name="Okafor")
    req, token = refused(first)
    appeal = appeals.appeal_file(request=req, text="I think the exemption does not apply to my account data.", actor=Actor.subject(None))
    req2, token2 = refused(first, region="CO")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/privacy/request/status/{token2}/")
    page.screenshot(path="/tmp/appeal_shots/status_offer.png", full_page=True)
    page.goto(f"{live_server.url}/privacy/request/status/{token}/")
    page.screenshot(path="/tmp/appeal_shots/status_filed.png", full_page=True)
    log_in(page, live_server, second)
    page.goto(f"{live_server.url}/admin/requests_app/appeal/")
    page.screenshot(path="/tmp/appeal_shots/admin_list.png", full_page=True)
    page.goto(f"{live_server.url}/admin/requests_app/appeal/{appeal.pk}/change/")
    page.screenshot(path="/tmp/appeal_shots/admin_change.png", full_page=True)
    page.goto(f"{live_server.url}/admin/requests_app/appealrule/")
    page.screenshot(path="/tmp/appeal_shots/admin_rules.png", full_page=True)
    page.goto(f"{live_server.url}/admin/requests_app/appeal/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "decide")
    page.click("button[name=index]")
    page.screenshot(path="/tmp/appeal_shots/admin_decide.png", full_page=True)
    page.check("input[value=deny]")
    page.fill("textarea[name=reasons]", "The exemption for fraud prevention applies.")
    page.click("input[name=apply]")
    page.screenshot(path="/tmp/appeal_shots/admin_after.png", full_page=True)
    page.goto(f"{live_server.url}/privacy/request/status/{token}/")
    page.screenshot(path="/tmp/appeal_shots/status_denied.png", full_page=True)
