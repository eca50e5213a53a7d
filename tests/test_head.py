"""HEAD answers like GET on every page, public and admin (RFC 9110 9.3.2)."""

from __future__ import annotations

import pytest

from consent_app.models import ConsentEvent
from requests_app.models import RequestLink
from requests_app.services.common import hash_token
from tests import urlmap
from tests.urlmap import Route, admin_pages, public_routes

pytestmark = pytest.mark.django_db

# Pages that must show themselves to GET (with a live token where they take one).
SHOWN = {
    "home",
    "healthz",
    "requests:form",
    "requests:verify",
    "requests:lost_link",
    "requests:status",
    "consent:preferences",
    "consent:manage",
    "consent:unsubscribe",
    "consent:policy",
}


@pytest.fixture
def live_tokens(db) -> dict[str, str]:
    return urlmap.live_tokens()


def _assert_head_like_get(client, path: str) -> int:
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code, path
    assert head.get("Content-Type") == got.get("Content-Type"), path
    body = b"".join(head.streaming_content) if head.streaming else head.content
    assert body == b"", path
    return got.status_code


@pytest.mark.parametrize("route", public_routes(), ids=lambda r: r.name)
def test_head_answers_like_get_on_public_pages(client, live_tokens, route: Route):
    token = live_tokens.get(route.name, "no-such-token")
    status = _assert_head_like_get(client, route.path({"token": token}))
    if route.name in SHOWN:
        assert status == 200


def test_every_page_that_must_show_itself_is_routed():
    assert SHOWN.issubset(r.name for r in public_routes())


def test_head_answers_like_get_on_every_admin_page(admin_client):
    # One signed-in client for all of them: a login per page costs seconds.
    pages = [route.path() for route in admin_pages()]
    assert "/admin/" in pages and "/admin/requests_app/privacyrequest/" in pages
    for path in pages:
        _assert_head_like_get(admin_client, path)


def test_head_on_action_links_changes_nothing(client, live_tokens):
    # Mail scanners prefetch links: HEAD, like GET, only shows the button.
    client.head(f"/privacy/request/verify/{live_tokens['requests:verify']}/")
    client.head(f"/privacy/unsubscribe/{live_tokens['consent:unsubscribe']}/")
    verify = live_tokens["requests:verify"]
    link = RequestLink.objects.get(token_hash=hash_token(verify))
    assert link.used_at is None
    assert link.request.status == link.request.Status.RECEIVED
    assert not ConsentEvent.objects.exists()
