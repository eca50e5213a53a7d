"""Every URL the portal routes, read from its URL resolver, and live tokens.

The web-wide tests (HEAD, the request fuzz) walk this list, so a page added
to any app's urls.py is covered without editing them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
# Plausible values for the API's non-secret parameters (ids, slugs, references);
# secrets (tokens) come from the caller.
SAMPLES = {"pk": "1", "slug": "acme", "reference": "PR-2026-000001"}


@dataclass(frozen=True)
class Route:
    route: str  # "privacy/request/status/<str:token>/"
    name: str  # "requests:status"

    def path(self, values: Mapping[str, str | bytes] | None = None) -> str:
        """The URL path with each parameter replaced by its (quoted) value."""
        values = {**SAMPLES, **(values or {})}
        return "/" + _PARAM.sub(
            lambda m: quote(values.get(m.group(1), "x"), safe=""), self.route
        )


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        if not isinstance(p.pattern, RoutePattern):
            continue  # regex routes (admin's app index) take no part here
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, route, inner)
        elif isinstance(p, URLPattern):
            yield Route(route, namespace + (p.name or ""))


def _all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def public_routes() -> list[Route]:
    """Every route outside the admin."""
    return [r for r in _all_routes() if not r.route.startswith("admin/")]


def admin_pages() -> list[Route]:
    """The admin's routes that take no parameter (index, changelists, add, ...)."""
    return [
        r
        for r in _all_routes()
        if r.route.startswith("admin/") and not _PARAM.search(r.route)
    ]


def live_tokens() -> dict[str, str]:
    """A working token for each route name that takes one (needs the database).

    Routes missing here (export downloads, verify's new-link) get dead tokens.
    """
    from consent_app import links
    from consent_app.models import ConsentLink, Purpose
    from privacyportal.subjects.tests.factories import DataSubjectFactory
    from requests_app.models import RequestLink
    from requests_app.services.common import link_issue
    from requests_app.tests.factories import submit

    request, now, subject = submit(), timezone.now(), DataSubjectFactory()

    def request_link(purpose: str) -> str:
        return link_issue(request, purpose, ttl=timedelta(days=1), now=now)

    def consent_link(kind: str, purpose: Purpose | None = None) -> str:
        return links._create(kind=kind, subject=subject, days=1, purpose=purpose)

    status = request_link(RequestLink.Purpose.STATUS)
    marketing = Purpose.objects.filter(is_marketing=True).first()
    return {
        "requests:verify": request_link(RequestLink.Purpose.VERIFY),
        "requests:status": status,
        **{
            f"requests:{action}": status
            for action in ("answer", "withdraw", "cancel_erasure", "add_correction")
        },
        "consent:manage": consent_link(ConsentLink.Kind.PREFERENCES),
        "consent:unsubscribe": consent_link(ConsentLink.Kind.UNSUBSCRIBE, marketing),
    }
