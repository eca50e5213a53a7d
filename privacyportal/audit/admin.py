from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

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
    AREAS = (
        ("requests", "Privacy requests"),
        ("consent", "Consent"),
        ("retention", "Retention"),
        ("subjects", "Data subjects"),
        ("audit", "Audit trail"),
    )

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple:
        return self.AREAS

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(action__startswith=f"{self.value()}.")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyLedgerAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "action",
        "actor_type",
        "actor_label",
        "target_type",
        "target_id",
        "subject_id",
        "redacted",
    )
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
