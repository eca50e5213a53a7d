"""Key authentication for every API view: ``Authorization: Bearer <key>``.

The only authentication class the API has, so DRF never looks at a session
and never needs CSRF. Failures: no key, an unknown, revoked or expired key →
401 ``unauthenticated`` (one answer for all four, so a caller learns nothing
about a key it does not hold); a live key from an address outside its
allow-list → 403 ``address-not-allowed`` (the caller holds a real key; telling
its operator why is worth more than hiding it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from privacyportal.api.keys import api_key_find, api_key_touch, ip_allowed
from privacyportal.api.models import ApiKey
from privacyportal.api.problems import Problem
from privacyportal.audit.services import Actor
from privacyportal.netaddr import client_ip


@dataclass(frozen=True)
class KeyUser:
    """``request.user`` of an API call: the integration a key stands for."""

    key: ApiKey
    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True

    @property
    def actor(self) -> Actor:
        """Who the audit trail names for this call's writes."""
        return Actor.api_key(self.key.pk, self.key.name)

    def has_scope(self, scope: str) -> bool:
        return scope in self.key.scopes


def api_actor(request: Request) -> Actor:
    """The actor for services called by an API view."""
    return request.user.actor


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[KeyUser, ApiKey]:
        key = api_key_find(request.META.get("HTTP_AUTHORIZATION"))
        if key is None or not key.is_live:
            raise AuthenticationFailed(
                "Send a live API key as 'Authorization: Bearer <key>'."
            )
        if not ip_allowed(key, client_ip(request._request)):
            raise Problem("address-not-allowed")
        api_key_touch(key)
        return KeyUser(key), key

    def authenticate_header(self, request: Any) -> str:
        # Makes DRF answer 401 (not 403) when authentication fails.
        return 'Bearer realm="api"'
