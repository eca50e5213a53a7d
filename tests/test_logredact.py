"""Secret link tokens stay out of the application and access logs."""

from __future__ import annotations

import io
import logging

import pytest

from privacyportal.logredact import GunicornLogger, RedactTokens, redact

TOKEN = "TkwvH2abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.mark.parametrize(
    "path",
    [
        f"/privacy/request/status/{TOKEN}/answer/",
        f"/privacy/request/verify/{TOKEN}/",
        f"/privacy/export/{TOKEN}/",
        f"/privacy/preferences/{TOKEN}/",
        f"/privacy/unsubscribe/{TOKEN}/?list=news",
    ],
)
def test_tokens_in_public_paths_are_redacted(path):
    assert TOKEN not in redact(f"GET {path} HTTP/1.1") and "[token]" in redact(path)


def test_other_paths_are_left_alone():
    for path in ("/privacy/request/lost-link/", "/admin/requests_app/", "/healthz"):
        assert redact(path) == path


def test_the_console_handler_writes_no_token():
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactTokens) for f in h.filters)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("django.request").warning(
            "Bad Request: %s", f"/privacy/request/status/{TOKEN}/answer/"
        )
    finally:
        handler.setStream(old)
    assert "Bad Request: /privacy/request/status/[token]/answer/" in stream.getvalue()
    assert TOKEN not in stream.getvalue()


def test_gunicorn_access_lines_carry_no_token():
    from types import SimpleNamespace

    from gunicorn.config import Config

    logger = GunicornLogger(Config())
    path = f"/privacy/export/{TOKEN}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://portal.example/privacy/request/status/{TOKEN}/",
    }
    req = SimpleNamespace(
        headers=[], method="GET", path=path, query="", version=(1, 1), uri=path
    )
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    from datetime import timedelta

    atoms = logger.atoms(resp, req, environ, timedelta(seconds=0.1))
    assert all(TOKEN not in str(value) for value in atoms.values())


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.2"),  # no proxy trusted: the header is ignored
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the forged entry is skipped
        (2, "203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (1, "", "10.0.0.2"),  # header missing: the peer
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    from django.test import RequestFactory

    from privacyportal.netaddr import client_ip

    settings.PROXY_COUNT = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected
