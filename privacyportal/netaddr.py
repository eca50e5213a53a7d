"""The client's address, behind as many trusted reverse proxies as configured."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address the outermost trusted proxy saw, or the peer's ("" if none).

    With ``PROXY_COUNT`` = N trusted proxies, each appends the address it
    received from to X-Forwarded-For, so the client is the N-th entry from the
    right of "X-Forwarded-For, REMOTE_ADDR". Entries further left were written
    by the client itself and are never trusted.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PROXY_COUNT
    if not proxies:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [a.strip() for a in forwarded.split(",") if a.strip()] + [peer]
    return chain[-(proxies + 1)] if len(chain) > proxies else chain[0]
