"""Global Privacy Control: the server reads ``Sec-GPC`` itself.

Any public page that knows which subject it serves (preference centre, request
form, request status page) calls :func:`honour_gpc`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def gpc_requested(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def client_ip(request: HttpRequest) -> str | None:
    from privacyportal.netaddr import client_ip as address

    return address(request) or None


def honour_gpc(request: HttpRequest, subject: Any) -> bool:
    """Record the signal for this subject (once); True when it is honoured."""
    if subject is None or not gpc_requested(request):
        return False
    from consent_app.services import gpc_honour

    return gpc_honour(
        subject=subject,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
