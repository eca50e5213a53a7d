"""API test helpers: keys and a client that sends them. Import the fixtures
into a conftest.py (consent_app/tests does) to test an app's api.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from privacyportal.api.keys import api_key_create
from privacyportal.api.problems import CONTENT_TYPE, TYPE_PREFIX
from privacyportal.audit.services import Actor

SYSTEM = Actor.system()


@pytest.fixture
def make_key(db) -> Callable[..., str]:
    """A new key's raw value; scopes and other fields as given."""

    def make(scopes: list[str] | None = None, name: str = "", **fields: Any) -> str:
        name = name or f"integration {make.count}"
        make.count += 1
        _, raw = api_key_create(
            actor=SYSTEM, name=name, scopes=scopes or ["consent:read"], **fields
        )
        return raw

    make.count = 0
    return make


class ApiClient:
    """A test client that sends a key and JSON bodies."""

    def __init__(self, raw: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}

    def get(self, path: str, params: dict | None = None, **extra: Any) -> Any:
        return self.client.get(path, params or {}, **self.headers, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        extra.setdefault("content_type", "application/json")
        return self.client.post(path, body, **self.headers, **extra)

    def put(self, path: str, body: bytes, **extra: Any) -> Any:
        extra.setdefault("content_type", "application/octet-stream")
        return self.client.put(path, body, **self.headers, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.client.delete(path, **self.headers, **extra)


def assert_problem(response: Any, status: int, slug: str) -> dict:
    """The response is an RFC 9457 problem of that status and type; its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert body["type"] == TYPE_PREFIX + slug and body["status"] == status, body
    return body


@pytest.fixture
def api(make_key) -> Callable[..., ApiClient]:
    def client(*scopes: str, **fields: Any) -> ApiClient:
        return ApiClient(make_key(list(scopes) or ["consent:read"], **fields))

    return client
