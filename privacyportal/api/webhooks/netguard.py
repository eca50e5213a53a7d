"""Where a webhook may be sent: HTTPS, to public addresses only (no SSRF).

A URL is checked when a subscription is saved and again right before each POST,
because DNS can change in between; the POST then connects to the address that
was just checked (``sending.py``), so a second lookup cannot swap it for an
internal one. ``WEBHOOK_ALLOW_HTTP`` and ``WEBHOOK_ALLOW_PRIVATE`` (on by
default only with DEBUG) let tests and development use a local receiver.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """A webhook URL the portal refuses to call; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str  # the checked IP address to connect to


def _public(ip: IP) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}") from None
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeURL("The URL must start with https://.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host name.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL must not contain a user name or password.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port or default, path


def _resolve(host: str, port: int) -> list[IP]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host name {host} does not resolve ({exc}).") from None
    # Scope ids ("fe80::1%eth0") are dropped: they never make an address public.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str) -> Target:
    """The URL's parts and a checked address to connect to, or UnsafeURL."""
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeURL(f"The host name {host} has no address.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        # Every address, not just the first: a name resolving to a public and a
        # private address could otherwise reach the private one on a retry.
        private = [str(ip) for ip in addresses if not _public(ip)]
        if private:
            raise UnsafeURL(
                f"{host} resolves to a private, loopback or reserved address "
                f"({', '.join(private)}); webhooks go to public addresses only."
            )
    return Target(scheme, host, port, path, str(addresses[0]))
