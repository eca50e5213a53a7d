"""One signed POST to a checked address, with short timeouts and no redirects.

http.client rather than an HTTP library: it follows no redirects, and its
connection can be pointed at the IP address netguard just checked while TLS
still verifies the certificate for the URL's host name.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from privacyportal.api.webhooks import netguard, signing


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Pinned(http.client.HTTPConnection):
    """Connects to ``address`` while speaking to ``host`` (Host header)."""

    def __init__(self, target: netguard.Target) -> None:
        super().__init__(
            target.host, target.port, timeout=settings.WEBHOOK_CONNECT_TIMEOUT
        )
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (self.target.address, self.target.port), self.timeout
        )
        self.sock.settimeout(settings.WEBHOOK_READ_TIMEOUT)


class _PinnedTLS(_Pinned):
    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.target.host)


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def headers_for(
    *, event_type: str, delivery_id: int, secret: str, body: bytes, timestamp: int
) -> dict[str, str]:
    stamp = str(timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": "PrivacyPortal-Webhooks/1",
        "X-Portal-Event": event_type,
        "X-Portal-Delivery": str(delivery_id),
        "X-Portal-Timestamp": stamp,
        "X-Portal-Signature": signing.signature(secret, stamp, body),
    }


def post(url: str, body: bytes, headers: dict[str, str]) -> Result:
    """POST once; any refusal, timeout or non-2xx answer is a failed Result."""
    started = time.monotonic()
    try:
        target = netguard.check_url(url)  # again: DNS may have changed since
        status = _send(target, body, headers)
        error = "" if 200 <= status < 300 else _status_words(status)
    except netguard.UnsafeURL as exc:
        status, error = None, f"Refused: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        status, error = None, _error_words(exc)
    elapsed = int((time.monotonic() - started) * 1000)
    return Result(status, error[:200], elapsed)


def _send(target: netguard.Target, body: bytes, headers: dict[str, str]) -> int:
    kind = _PinnedTLS if target.scheme == "https" else _Pinned
    connection = kind(target)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)  # the body is neither stored nor needed
        return response.status
    finally:
        connection.close()


def _status_words(status: int) -> str:
    if 300 <= status < 400:
        return f"Answered {status} (a redirect; redirects are not followed)"
    return f"Answered {status}"


def _error_words(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return "Timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused"
    return f"{type(exc).__name__}: {exc}"
