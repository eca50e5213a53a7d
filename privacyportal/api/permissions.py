"""Scopes per operation.

A view says which scope each method needs, either for all of its methods::

    permission_classes = [scope("consent:read")]

or per method (HasScope is the default permission class)::

    required_scopes = {"GET": "requests:read", "POST": "requests:write"}

A method the view handles but names no scope for is refused (a forgotten
scope fails closed). The OpenAPI schema reads the same declaration
(``required_scope``), so the documented scope is the enforced one.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from privacyportal.api.problems import Problem
from privacyportal.api.scopes import SCOPES

# Methods answered by the framework itself (405 with no metadata class).
_NO_SCOPE = {"OPTIONS"}


class HasScope(BasePermission):
    scope_name: str | None = None

    def has_permission(self, request: Request, view: Any) -> bool:
        method = request.method or ""
        if method in _NO_SCOPE or not hasattr(view, method.lower()):
            return True  # nothing runs: DRF answers 405
        needed = required_scope(view, method)
        if needed is None:
            return False
        if not getattr(request.user, "has_scope", lambda _: False)(needed):
            raise Problem("missing-scope", f"This operation needs the scope {needed}.")
        return True


def scope(name: str) -> type[HasScope]:
    """A permission class requiring ``name`` for every method of a view."""
    if name not in SCOPES:
        raise ValueError(f"unknown scope {name!r}")
    return type(f"HasScope_{name.replace(':', '_')}", (HasScope,), {"scope_name": name})


def required_scope(view: Any, method: str) -> str | None:
    """The scope ``view`` declares for ``method`` (HEAD as GET), or None."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    for permission in getattr(view, "permission_classes", ()):
        if isinstance(permission, type) and getattr(permission, "scope_name", None):
            return permission.scope_name
    return getattr(view, "required_scopes", {}).get(method)
