"""A body that cannot be parsed is a 400 with the portal's page, wherever it goes.

Django parses ``request.POST`` lazily and raises from wherever it is read
first: the CSRF check, the 400/404/500 views (``requires_csrf_token`` reads
the body again), the DEBUG error page. Each re-raise used to end as a bare
"Internal Server Error" from gunicorn.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from consent_app import links
from consent_app.models import ConsentLink
from privacyportal.middleware import PortalWSGIRequest
from privacyportal.subjects.tests.factories import DataSubjectFactory
from requests_app.models import RequestLink
from requests_app.services.common import link_issue
from requests_app.tests.factories import submit

ROOT = Path(__file__).resolve().parent.parent
# Any 32 characters: CSRF then reads the body to find the form's token.
CSRF_COOKIE = "x" * 32
BAD_FORMS = [
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
]
NO_BOUNDARY = "multipart/form-data"
CSRF_URLS = [
    "/",
    "/healthz",
    "/privacy/request/",
    "/privacy/preferences/",
    "/admin/login/",
]
UNROUTED = ["/does-not-exist/", "/privacy/nope/"]


@pytest.fixture(autouse=True)
def _portal_requests(monkeypatch) -> None:
    # The test client builds its own WSGIRequest; build the one gunicorn's
    # handler builds (privacyportal.wsgi).
    monkeypatch.setattr("django.test.client.WSGIRequest", PortalWSGIRequest)


def _client() -> Client:
    # enforce_csrf_checks: the test client skips CSRF otherwise, and with it
    # the first read of the body.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = CSRF_COOKIE
    return client


def _assert_portal_400(response) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert "Privacy Portal" in page and "could not read" in page
    # The page passes the outer middleware like any other answer.
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.fixture
def status_action_url(db) -> str:
    token = link_issue(
        submit(),
        RequestLink.Purpose.STATUS,
        ttl=timedelta(days=1),
        now=timezone.now(),
    )
    return f"/privacy/request/status/{token}/withdraw/"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("content_type", BAD_FORMS)
@pytest.mark.parametrize("url", CSRF_URLS)
def test_form_in_another_charset_is_a_400_on_csrf_protected_urls(
    settings, url, content_type, debug
):
    settings.DEBUG = debug
    response = _client().post(url, b"a=1", content_type=content_type)
    _assert_portal_400(response)


@pytest.mark.parametrize("debug", [False, True])
def test_form_in_another_charset_is_a_400_on_a_status_page_action(
    settings, status_action_url, debug
):
    settings.DEBUG = debug
    response = _client().post(status_action_url, b"a=1", content_type=BAD_FORMS[0])
    _assert_portal_400(response)


@pytest.mark.django_db
@pytest.mark.parametrize("url", UNROUTED)
def test_multipart_without_boundary_to_an_unrouted_url_is_a_400(settings, url):
    settings.DEBUG = False
    response = _client().post(url, b"a=1", content_type=NO_BOUNDARY)
    _assert_portal_400(response)


@pytest.fixture
def preferences_url(db) -> str:
    token = links._create(
        kind=ConsentLink.Kind.PREFERENCES, subject=DataSubjectFactory(), days=1
    )
    return f"/privacy/preferences/{token}/"


def test_unknown_codec_in_content_type_is_a_400_even_for_get(settings, preferences_url):
    # "rot13" is a codec Python knows but cannot decode bytes with; the page
    # reads its query string (?saved=1), decoded in the body's charset.
    settings.DEBUG = False
    response = _client().get(
        preferences_url + "?saved=1",
        CONTENT_TYPE="application/x-www-form-urlencoded; charset=rot13",
    )
    _assert_portal_400(response)


@pytest.mark.django_db
def test_body_over_the_size_limit_is_a_400_with_the_portal_page(settings):
    settings.DEBUG = False
    body = b"details=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = _client().post(
        "/privacy/request/", body, content_type="application/x-www-form-urlencoded"
    )
    _assert_portal_400(response)


@pytest.mark.django_db
def test_a_readable_form_still_reaches_the_csrf_check_and_the_view(settings):
    settings.DEBUG = False
    client = _client()
    refused = client.post("/privacy/preferences/", {"email": "a@example.org"})
    assert refused.status_code == 403 and b"reload the page" in refused.content
    shown = client.post(
        "/privacy/preferences/",
        {"email": "not an address", "csrfmiddlewaretoken": CSRF_COOKIE},
    )
    assert shown.status_code == 200 and b'name="email"' in shown.content


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_handlers_render_the_portal_page_without_reading_the_body(
    rf, status, settings
):
    from django.urls import get_resolver

    settings.DEBUG = False
    request = rf.post("/x/", b"a=1", content_type=BAD_FORMS[0])
    handler = get_resolver().resolve_error_handler(status)
    args = (request,) if status == 500 else (request, Exception("boom"))
    response = handler(*args)
    assert response.status_code == status
    assert b"Privacy Portal" in response.content
    assert not hasattr(request, "_post")


def test_the_error_page_has_a_plain_fallback_when_its_template_fails(rf, monkeypatch):
    from privacyportal import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    response = errors.server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


# --- the same through a real gunicorn, as deployed --------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    return {
        **env,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "SITE_URL": "http://test.invalid",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "test-only-secret-key-" + "s" * 40,
        "AUDIT_HMAC_KEY": "test-only-audit-key-" + "a" * 40,
        "RETENTION_MASTER_KEY": "dGVzdC1vbmx5LXJldGVudGlvbi1tYXN0ZXIta2V5ISE=",
        # None of these requests reaches the database or the broker.
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'unused.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "LOG_LEVEL": "CRITICAL",
    }


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory) -> Iterator[int]:
    """gunicorn with the repository's gunicorn.conf.py and production settings."""
    var_dir = tmp_path_factory.mktemp("gunicorn-var")
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=_server_env(var_dir),
        stdout=subprocess.DEVNULL,
        stderr=(var_dir / "gunicorn.log").open("wb"),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (var_dir / "gunicorn.log").read_text()
                pytest.fail(f"gunicorn did not start:\n{log[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/privacy/request/", BAD_FORMS[0]), ("/", BAD_FORMS[1])]
    + [(url, NO_BOUNDARY) for url in UNROUTED],
)
def test_gunicorn_answers_an_unparsable_body_with_the_portal_400(
    gunicorn_port, path, content_type
):
    headers = {"Content-Type": content_type, "Cookie": f"csrftoken={CSRF_COOKIE}"}
    status, body = _request(gunicorn_port, "POST", path, b"a=1", headers)
    assert (status, b"Privacy Portal" in body) == (400, True)


@pytest.mark.parametrize("charset", ["rot13", "punycode", "idna"])
def test_gunicorn_answers_a_query_in_a_charset_without_text_with_a_400(
    gunicorn_port, charset
):
    headers = {"Content-Type": f"text/plain; charset={charset}"}
    status, body = _request(gunicorn_port, "GET", "/?a=%C3%A9", headers=headers)
    assert (status, b"Privacy Portal" in body) == (400, True)


def test_the_wsgi_application_builds_portal_requests():
    from privacyportal.wsgi import application

    assert application.request_class is PortalWSGIRequest
