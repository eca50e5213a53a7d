from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from privacyportal import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
    }


def test_healthz_names_the_failing_dependency_with_503(client, monkeypatch):
    def broken() -> None:
        raise ConnectionError("no route")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"


def test_public_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_login_locks_out_after_five_failures_for_that_user_and_address(
    client, admin_user
):
    cache.clear()
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    locked = client.post("/admin/login/", {"username": "admin", "password": "password"})
    assert locked.status_code == 429
    # Another address may still sign in: the lockout is per username + IP.
    other = client.post(
        "/admin/login/",
        {"username": "admin", "password": "password"},
        REMOTE_ADDR="10.9.8.7",
    )
    assert other.status_code == 302
