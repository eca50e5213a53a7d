"""Operators' view of the work queues kept in the database: read-only.

The e-mail outbox and the kept tasks are written by services only; here staff
see what is waiting, what failed and why (a broker or SMTP outage shows up as
rows piling up), and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from privacyportal.models import OutboundEmail, PendingTask


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "template", "to", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("=to", "=key")
    search_help_text = "An exact e-mail address or idempotency key."
    date_hierarchy = "created_at"
    # Context and headers are scrubbed once sent; before that they may hold a
    # link's minting reference, which is of no use to a reader.
    exclude = ("context", "headers")
    show_full_result_count = False


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "name", "attempts")
    # The arguments carry the address a link was asked for.
    exclude = ("args",)
