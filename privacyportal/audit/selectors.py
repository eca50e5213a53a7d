"""The dashboard's panel on the nightly audit check."""

from __future__ import annotations

from django.utils import timezone

from privacyportal.models import AuditVerification
from privacyportal.widgets import Panel, Viewer


def check_panel(viewer: Viewer) -> list[Panel]:
    last = AuditVerification.objects.order_by("-run_at").first()
    if last is None:
        lines = ["The audit trail has not been checked yet; the check runs nightly."]
        tone = "warn"
    else:
        when = timezone.localtime(last.run_at)
        lines = [last.message, f"Last checked {when:%-d %b %Y at %H:%M}."]
        if not last.ok and last.alerted:
            lines.append("The Privacy Officers were e-mailed about this break.")
        tone = "ok" if last.ok else "alert"
    return [Panel(key="audit-check", title="Audit trail check", lines=lines, tone=tone)]
