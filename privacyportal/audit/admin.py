from __future__ import annotations

from typing import Any

from django.contrib import admin
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
        "action",
        "actor_type",
        "target_type",
        "redacted",
        ("occurred_at", admin.DateFieldListFilter),
    )
    search_fields = ("=target_id", "=actor_id", "=subject_id")
    search_help_text = "An exact target id, actor id or subject id."
    date_hierarchy = "occurred_at"
    list_per_page = 100
    ordering = ("-seq",)
