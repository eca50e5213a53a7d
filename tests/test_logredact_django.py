"""No link token reaches any Django log handler, with DEBUG on or off.

Django builds its logging from DEFAULT_LOGGING and then settings.LOGGING, and
its default handlers decide at emit time from settings.DEBUG (``console`` for
DEBUG=1, ``mail_admins`` for DEBUG=0). So each mode replays that set-up, sends
4xx and 5xx requests to every kind of token URL, and reads what every handler
in the process would write.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.utils import timezone
from django.utils.log import configure_logging

from requests_app.models import ExportPackage, RequestLink
from requests_app.services.common import hash_token
from requests_app.tests.factories import submit

pytestmark = pytest.mark.django_db

UNKNOWN = "UnKnoWn0123456789abcdefghijklmnopqrstuvwxy"
EXPIRED = {kind: f"{kind:_<12}Expired0123456789abcdefghijk" for kind in "vse"}

# (method, path) on every public token route; with an unknown token each is a
# 404 (or 405 for a method the route refuses), with the database down a 500.
TOKEN_REQUESTS = [
    ("get", "/privacy/request/verify/{t}/"),
    ("post", "/privacy/request/verify/{t}/"),
    ("get", "/privacy/request/verify/{t}/new-link/"),
    ("get", "/privacy/request/status/{t}/"),
    ("post", "/privacy/request/status/{t}/answer/"),
    ("post", "/privacy/request/status/{t}/withdraw/"),
    ("post", "/privacy/request/status/{t}/cancel-erasure/"),
    ("post", "/privacy/request/status/{t}/correction/"),
    ("get", "/privacy/request/status/{t}/withdraw/"),
    ("get", "/privacy/export/{t}/"),
    ("post", "/privacy/export/{t}/"),
    ("get", "/privacy/preferences/{t}/"),
    ("post", "/privacy/preferences/{t}/"),
    ("get", "/privacy/unsubscribe/{t}/"),
    ("post", "/privacy/unsubscribe/{t}/"),  # RFC 8058 one-click
    ("put", "/privacy/unsubscribe/{t}/"),
]


def _all_handlers() -> set[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return {
        handler
        for logger in loggers
        for handler in logger.handlers
        # pytest's own capture handlers are the harness, not the portal's.
        if not type(handler).__module__.startswith("_pytest")
    }


@pytest.fixture(params=[True, False], ids=["DEBUG=1", "DEBUG=0"])
def log_lines(request, settings):
    """What every handler would write, as Django configures logging."""
    settings.DEBUG = request.param
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    lines: list[str] = []
    for handler in _all_handlers():
        # After the handler's filters ran: what it would print, mail or send.
        handler.emit = lambda record, h=handler: lines.append(h.format(record))
    yield lines
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def _send(client: Client, requests: list[tuple[str, str]], token: str) -> list[int]:
    return [
        getattr(client, method)(path.format(t=token)).status_code
        for method, path in requests
    ]


def _expired_links() -> None:
    """Links that exist but are spent: 410 on verify, status and export."""
    request = submit()
    past = timezone.now() - timedelta(days=1)
    for purpose, token in (
        (RequestLink.Purpose.VERIFY, EXPIRED["v"]),
        (RequestLink.Purpose.STATUS, EXPIRED["s"]),
    ):
        RequestLink.objects.create(
            request=request,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=past - timedelta(days=1),
            expires_at=past,
        )
    ExportPackage.objects.create(request=request, token_hash=hash_token(EXPIRED["e"]))


def _assert_redacted(lines: list[str], expected: int) -> None:
    text = "\n".join(lines)
    assert len(lines) >= expected, text
    for token in (UNKNOWN, *EXPIRED.values()):
        assert token not in text
        assert token[:20] not in text
    assert "[token]" in text


def test_4xx_on_token_urls_logs_no_token(log_lines):
    _expired_links()
    client = Client(raise_request_exception=False)
    codes = _send(client, TOKEN_REQUESTS, UNKNOWN)
    codes += [
        client.get(f"/privacy/request/verify/{EXPIRED['v']}/").status_code,
        client.get(f"/privacy/request/status/{EXPIRED['s']}/").status_code,
        client.get(f"/privacy/export/{EXPIRED['e']}/").status_code,
    ]
    assert set(codes) == {404, 405, 410}, codes
    _assert_redacted(log_lines, len(codes))
    assert any("Not Found: /privacy/request/verify/[token]/" in x for x in log_lines)
    assert any("Gone: /privacy/export/[token]/" in x for x in log_lines)


def test_500_on_token_urls_logs_no_token(log_lines, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    client = Client(raise_request_exception=False)
    monkeypatch.setattr(CursorWrapper, "execute", database_down)
    codes = _send(client, TOKEN_REQUESTS, UNKNOWN)
    monkeypatch.undo()
    assert codes.count(500) >= 12, codes
    _assert_redacted(log_lines, len(codes))
    assert any(
        "Internal Server Error: /privacy/unsubscribe/[token]/" in x for x in log_lines
    )


def test_a_traceback_naming_a_token_url_is_redacted(log_lines):
    path = f"/privacy/request/status/{UNKNOWN}/withdraw/"
    try:
        raise ValueError(f"could not handle {path}")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: x")
    _assert_redacted(log_lines, 1)
    assert "ValueError: could not handle /privacy/request/status/[token]/" in (
        "\n".join(log_lines)
    )


def test_runserver_request_lines_are_redacted(log_lines):
    path = f"/privacy/preferences/{UNKNOWN}/"
    logging.getLogger("django.server").warning('"GET %s HTTP/1.1" 404 179', path)
    _assert_redacted(log_lines, 1)


def test_every_configured_handler_redacts(settings):
    # A handler added to LOGGING later must redact too.
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_tokens" in handler.get("filters", []), name
