"""Operators' view of the work queues kept in the database: read-only.

The e-mail outbox and the kept tasks are written by services only; here staff
see what is waiting, what failed and why (a broker or SMTP outage shows up as
rows piling up), and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from privacyportal.audit.admin import ReadOnlyLedgerAdmin as ReadOnlyAdmin
from privacyportal.emailtitles import TITLES, title
from privacyportal.models import OutboundEmail, PendingTask


class KindFilter(admin.SimpleListFilter):
    """Which e-mail, by title; a fixed list (no DISTINCT over the outbox)."""

    title = "e-mail"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return sorted(TITLES.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "what", "to", "status", "attempts", "sent_at")
    list_filter = ("status", KindFilter)
    search_fields = ("=to", "=key")
    search_help_text = "An exact e-mail address or idempotency key."
    date_hierarchy = "created_at"
    # Context and headers are scrubbed once sent; before that they may hold a
    # link's minting reference, which is of no use to a reader.
    exclude = ("context", "headers", "template", "key")
    readonly_fields = ("what",)

    @admin.display(description="E-mail", ordering="template")
    def what(self, obj: OutboundEmail) -> str:
        return title(obj.template)


def task_title(name: str) -> str:
    """A kept task in words: its docstring's first line, else its name in words."""
    from celery import current_app

    task = current_app.tasks.get(name)
    doc = (getattr(task, "__doc__", None) or "").strip().splitlines()
    if doc and doc[0].strip():
        return doc[0].strip().rstrip(".")
    short = name.rsplit(".", 1)[-1].removesuffix("_task")
    return short.replace("_", " ").capitalize()


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "what", "attempts")
    # The arguments carry the address a link was asked for.
    exclude = ("args", "name")
    readonly_fields = ("what",)

    @admin.display(description="Work waiting to be sent", ordering="name")
    def what(self, obj: PendingTask) -> str:
        return task_title(obj.name)
