from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from privacyportal.audit.describe import AREAS, describe
from privacyportal.audit.models import AuditEvent


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    """Ledgers are evidence: the admin can show them, never add, change or delete."""

    show_full_result_count = False  # no COUNT(*) over a ledger on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}


class AreaFilter(admin.SimpleListFilter):
    """Filter by the first part of the action code, from a fixed list.

    A plain field filter would run SELECT DISTINCT over the whole ledger on
    every page; the exact action is searchable instead.
    """

    title = "area"
    parameter_name = "area"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [(code, names[1]) for code, names in AREAS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(action__startswith=f"{self.value()}.")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyLedgerAdmin):
    # Words, not codes: the codes stay searchable (search_help_text) and on
    # each event's own page, which is the evidence.
    list_display = ("seq", "occurred_at", "what", "by", "about", "person", "erased")
    list_filter = (
        AreaFilter,
        "actor_type",
        "redacted",
        ("occurred_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "=action",
        "=target_type",
        "=target_id",
        "=actor_id",
        "=subject_id",
    )
    search_help_text = (
        "An exact action code (requests.request.verified), target type "
        "(subjects.datasubject), target id, actor id or subject id."
    )
    list_per_page = 100
    ordering = ("-seq",)

    @admin.display(description="what happened", ordering="action")
    def what(self, event: AuditEvent) -> str:
        return describe(event.action)

    @admin.display(description="by")
    def by(self, event: AuditEvent) -> str:
        kind = event.get_actor_type_display()
        return f"{kind}: {event.actor_label}" if event.actor_label else kind

    @admin.display(description="about")
    def about(self, event: AuditEvent) -> str:
        if not event.target_type:
            return "—"
        return f"{_model_name(event.target_type)} {event.target_id}".strip()

    @admin.display(description="personal data")
    def erased(self, event: AuditEvent) -> str:
        # Not a red cross on every row: only the redacted ones say something.
        return "Removed (erasure)" if event.redacted else ""

    @admin.display(description="data subject", ordering="subject_id")
    def person(self, event: AuditEvent) -> str:
        if event.subject_id is None:
            return "—"
        url = reverse("admin:subjects_datasubject_change", args=[event.subject_id])
        return format_html('<a href="{}">Data subject {}</a>', url, event.subject_id)


@lru_cache(maxsize=256)
def _model_name(target_type: str) -> str:
    """ "retention_app.legalhold" as staff read it: "Legal hold"."""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return capfirst(model._meta.verbose_name)
