from __future__ import annotations

from typing import Any

from django import template

from disclosures_app.selectors import figures

register = template.Library()


@register.inclusion_tag("admin/disclosures_app/_warnings.html", takes_context=True)
def disclosure_warnings(context: Any) -> dict[str, Any]:
    request = context.get("request")
    allowed = request is not None and request.user.has_perm(
        "disclosures_app.view_disclosure"
    )
    return {"figures": figures() if allowed else []}
