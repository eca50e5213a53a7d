"""Secret link tokens stay out of the application and access logs."""

from __future__ import annotations

import io
import logging
import re

import pytest

from privacyportal.logredact import GunicornLogger, RedactTokens, redact

TOKEN = "TkwvH2abcdefghijklmnopqrstuvwxyz0123456789"


# Every public route that takes a token; each is checked below.
TOKEN_ROUTES = [
    f"/privacy/request/verify/{TOKEN}/",
    f"/privacy/request/verify/{TOKEN}/new-link/",
    f"/privacy/request/status/{TOKEN}/",
    f"/privacy/request/status/{TOKEN}/answer/",
    f"/privacy/request/status/{TOKEN}/withdraw/",
    f"/privacy/request/status/{TOKEN}/cancel-erasure/",
    f"/privacy/request/status/{TOKEN}/correction/",
    f"/privacy/request/status/{TOKEN}/appeal/",
    f"/privacy/export/{TOKEN}/",
    f"/privacy/preferences/{TOKEN}/",
    f"/privacy/unsubscribe/{TOKEN}/",
    f"/privacy/report-compromise/confirm/{TOKEN}/",
]


def _public_routes_with_a_parameter(patterns=None, prefix: str = "") -> list[str]:
    """Every public route that takes a parameter, as a path with TOKEN in it."""
    from django.urls import URLResolver, get_resolver

    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "api/")):
            # Staff pages sit behind a login, and the API's keys travel in the
            # Authorization header: their paths carry ids and references, not secrets.
            continue
        if isinstance(entry, URLResolver):
            found += _public_routes_with_a_parameter(entry.url_patterns, route)
        elif "<" in route:
            found.append("/" + re.sub(r"<[^>]+>", TOKEN, route))
    return sorted(found)


def test_every_public_route_with_a_parameter_is_checked_here():
    # A new route that takes a token must join TOKEN_ROUTES.
    assert _public_routes_with_a_parameter() == sorted(TOKEN_ROUTES)


@pytest.mark.parametrize("path", TOKEN_ROUTES)
def test_tokens_in_public_paths_are_redacted(path):
    line = f'"POST {path}?list=news HTTP/1.1" 404 "https://portal.example{path}"'
    assert TOKEN not in redact(line)
    assert redact(path) == path.replace(TOKEN, "[token]")


@pytest.mark.parametrize(
    "text",
    [
        f"/privacy/request/status/{TOKEN}>/",  # mail clients keep what follows
        f"/privacy/request/status/{TOKEN}%3E/",
        f"/privacy/unsubscribe/{TOKEN}.",
        f"/Privacy/Export/{TOKEN}/",  # case-sensitive routes 404 and log it
        f"/admin/login/?next=%2Fprivacy%2Fexport%2F{TOKEN}%2F",
        f"{{'path': 'privacy/request/verify/{TOKEN}/x/'}}",  # Resolver404
        f"/privacy/request/status/{TOKEN[:24]}/",  # a truncated link
    ],
)
def test_mangled_token_links_are_redacted(text):
    assert TOKEN[:20] not in redact(text) and "[token]" in redact(text)


def test_consent_api_keys_are_redacted():
    key = "ck_" + TOKEN
    assert redact(f"Authorization: Bearer {key}") == "Authorization: Bearer ck_[key]"


def test_other_paths_are_left_alone():
    for path in (
        "/privacy/request/lost-link/",
        "/privacy/preferences/",
        "/privacy/policy/",
        "/api/v1/consent?purpose=marketing",
        "/admin/requests_app/privacyrequest/?q=PR-2026-000123",
        "/healthz",
    ):
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


def test_gunicorn_access_and_error_logs_carry_no_token(capsys):
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = GunicornLogger(cfg)
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
    logger.access(resp, req, environ, timedelta(seconds=0.1))
    try:
        raise OSError(f"reading {path} failed")
    except OSError:
        logger.exception("Error handling request GET %s", path)
    out, err = capsys.readouterr()
    assert f'"GET {path.replace(TOKEN, "[token]")} HTTP/1.1" 200' in out
    assert "Error handling request GET /privacy/export/[token]/" in err
    assert "OSError: reading /privacy/export/[token]/ failed" in err
    assert TOKEN not in out + err


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
