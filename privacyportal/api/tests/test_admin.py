"""API keys in the admin: shown once, scopes in words, revoked after a confirmation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

from privacyportal.api.keys import api_key_create, key_hash
from privacyportal.api.models import ApiKey
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Actor

ADD = "/admin/api/apikey/add/"
LIST = "/admin/api/apikey/"
FORM = {"name": "CRM sync", "scopes": ["consent:read", "consent:write"]}
SHOTS = os.environ.get("API_SHOTS", "")


def test_staff_create_a_key_and_see_it_once(admin_client, admin_user):
    response = admin_client.post(ADD, FORM)
    assert response.status_code == 200
    text = response.content.decode()
    key = ApiKey.objects.get(name="CRM sync")
    (raw,) = re.findall(re.escape(key.prefix) + r"[\w-]+", text)
    assert key_hash(raw) == key.key_hash and key.key_hash not in text
    assert "no-store" in response["Cache-Control"]
    assert "Copy this key now" in text and "Read consent answers" in text
    assert key.scopes == ["consent:read", "consent:write"]
    assert key.created_by == admin_user
    event = AuditEvent.objects.get(action="api.key.created")
    assert event.actor_id == str(admin_user.pk) and raw not in str(event.data)


def _cookies_decoded(client) -> str:
    """Every cookie's value, the messages cookie unpacked (signed, compressed)."""
    storage = CookieStorage(HttpRequest())
    values = [m.value for m in client.cookies.values()]
    return " ".join(values + [str(storage._decode(v)) for v in values])


def test_a_new_key_travels_in_no_cookie_session_or_message(admin_client, monkeypatch):
    created = []

    def create(**kwargs):
        created.append(api_key_create(**kwargs))
        return created[-1]

    monkeypatch.setattr("privacyportal.api.keys.api_key_create", create)
    response = admin_client.post(ADD, FORM)
    [(_key, raw)] = created
    assert raw not in _cookies_decoded(admin_client)
    assert raw not in str(dict(admin_client.session))
    assert not list(get_messages(response.wsgi_request))
    later = admin_client.get(LIST)
    assert raw not in later.content.decode()


def test_a_bad_network_is_a_form_error_and_creates_nothing(admin_client):
    response = admin_client.post(ADD, {**FORM, "allowed_ips": "10.0.0.0/99"})
    assert response.status_code == 200
    assert "is not an address or network" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_changing_scopes_goes_through_the_service(admin_client):
    key, _ = api_key_create(actor=Actor.system(), name="CRM", scopes=["consent:read"])
    response = admin_client.post(
        f"/admin/api/apikey/{key.pk}/change/",
        {"scopes": ["reports:read"], "allowed_ips": "", "rate_per_minute": "60"},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.scopes == ["reports:read"] and key.rate_per_minute == 60
    assert AuditEvent.objects.filter(action="api.key.changed").count() == 1


def test_revoking_asks_first_then_revokes(admin_client):
    key, _ = api_key_create(actor=Actor.system(), name="CRM", scopes=["consent:read"])
    form = {"action": "revoke", "_selected_action": [key.pk]}
    ask = admin_client.post(LIST, form)
    assert ask.status_code == 200 and "Revoke these API keys?" in ask.content.decode()
    assert ApiKey.objects.get().revoked_at is None
    done = admin_client.post(LIST, {**form, "confirm": "yes"})
    assert done.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="api.key.revoked").count() == 1


def test_the_list_says_what_each_key_may_do_in_words(admin_client):
    api_key_create(actor=Actor.system(), name="CRM", scopes=["subjects:read"])
    text = admin_client.get(LIST).content.decode()
    assert "Look up a person by e-mail address" in text and "Live" in text
    assert "subjects:read" not in text


@pytest.mark.browser
def test_the_key_pages_fit_the_screen_and_break_no_csp_rule(
    page, live_server, admin_user, tmp_path
):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else 0)
    admin_user.set_password("pw-Browser-Api-Keys-1")
    admin_user.save()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin_user.get_username())
    page.fill("input[name=password]", "pw-Browser-Api-Keys-1")
    page.click("input[type=submit]")
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + ADD)
    page.screenshot(path=str(out / "add.png"), full_page=True)
    page.fill("input[name=name]", "Mail platform")
    page.get_by_label("Read consent answers").check()
    page.click("input[name=_save]")
    page.wait_for_selector("text=Copy this key now")
    page.screenshot(path=str(out / "created.png"), full_page=True)
    page.goto(live_server.url + LIST)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280
    page.screenshot(path=str(out / "list.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
