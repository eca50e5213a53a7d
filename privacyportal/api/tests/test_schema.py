"""The OpenAPI schema and its reference page."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import URLPattern, get_resolver
from drf_spectacular.validation import validate_schema

from privacyportal.api.permissions import required_scope
from privacyportal.api.scopes import SCOPES

SCREENSHOT = Path("var/screenshots/api-docs.png")


@pytest.fixture
def schema(db) -> dict:
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 schema
    assert schema["openapi"].startswith("3.")


def test_the_schema_is_served_with_or_without_its_slash_and_as_yaml(db):
    response = Client().get("/api/v1/schema")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Privacy Portal API"


def test_every_operation_names_one_known_scope_and_the_key_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for path, method, operation in _operations(schema):
        [requirement] = operation["security"]
        [scope] = requirement["ApiKey"]
        assert scope in SCOPES, (path, method)
        assert f"Scope: `{scope}`" in operation["description"]


def test_every_post_takes_an_idempotency_key_and_documents_its_problems(schema):
    posts = [(p, o) for p, m, o in _operations(schema) if m == "post"]
    assert posts
    for path, operation in posts:
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
        for code in ("400", "401", "403", "409", "413", "415", "429"):
            content = operation["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], (path, code)


def _api_views():
    resolver = get_resolver()
    [api] = [p for p in resolver.url_patterns if str(p.pattern) == "api/v1/"]
    for pattern in api.url_patterns:
        view = getattr(pattern.callback, "cls", None)
        if (
            isinstance(pattern, URLPattern)
            and view
            and hasattr(view, "get_authenticators")
        ):
            yield str(pattern.pattern), view


def test_every_api_view_declares_a_scope_and_every_post_is_idempotent():
    checked = 0
    for route, view in _api_views():
        if "schema" in route or "docs" in route:
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            handler = getattr(view, method, None)
            if handler is None:
                continue
            assert required_scope(view(), method) in SCOPES, (route, method)
            if method == "post":
                assert getattr(handler, "idempotent", False), route
            checked += 1
    assert checked >= 6


def test_the_reference_page_has_no_inline_script_and_uses_vendored_files(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "<style" not in html
    assert "cdn" not in html.lower() and "swagger-ui-bundle.js" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    init = Client().get("/api/v1/docs/?script")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()


@pytest.mark.browser
def test_the_reference_page_renders_in_chromium_under_the_csp(live_server, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector("text=Privacy Portal API")
    page.get_by_text("/api/v1/consent/batch-read").first.wait_for()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert errors == []
