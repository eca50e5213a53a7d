"""Operators' view of the work queues kept in the database: read-only.

The e-mail outbox and the kept tasks are written by services only; here staff
see what is waiting, what failed and why (a broker or SMTP outage shows up as
rows piling up), and change nothing.
"""

from __future__ import annotations

from django.contrib import admin

from privacyportal.audit.admin import ReadOnlyLedgerAdmin as ReadOnlyAdmin
from privacyportal.models import OutboundEmail, PendingTask


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


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "name", "attempts")
    # The arguments carry the address a link was asked for.
    exclude = ("args",)
