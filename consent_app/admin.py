"""The staff interface: every change goes through a service."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from consent_app.models import (
    ConsentEvent,
    ConsentState,
    PolicyVersion,
    Purpose,
)
from consent_app.policy import policy_version_publish, policy_version_save
from consent_app.services import ConsentError, purpose_save
from consent_app.sources import ledger_rows, state_rows
from privacyportal import audit, csvsafe
from privacyportal.audit.admin import ReadOnlyLedgerAdmin
from privacyportal.subjects.models import DataSubject


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "legal_basis",
        "is_marketing",
        "default_granted",
        "children_allowed",
        "active",
        "reconsent_since",
    )
    list_filter = ("is_marketing", "legal_basis", "active")
    readonly_fields = ("reconsent_since", "reconsent_version", "created_at")
    search_fields = ("code", "name")

    def save_model(
        self, request: HttpRequest, obj: Purpose, form: Any, change: bool
    ) -> None:
        purpose_save(actor=request.user, purpose=obj, fields=list(form.changed_data))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The ledger refers to purposes: retire one by unticking "active".
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = (
        "label",
        "effective_on",
        "status",
        "material",
        "less_protective",
        "published_at",
        "campaign_progress",
    )
    list_filter = ("status", "material", "less_protective")
    list_select_related = ("campaign",)
    filter_horizontal = ("affected_purposes",)
    readonly_fields = (
        "status",
        "published_at",
        "published_by",
        "campaign_progress",
        "created_at",
    )
    actions = ["publish"]

    @admin.display(description="Notice e-mails")
    def campaign_progress(self, obj: PolicyVersion) -> str:
        campaign = getattr(obj, "campaign", None)
        if campaign is None:
            return "-"
        return f"{campaign.get_status_display()}: {campaign.progress}"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj and obj.status != PolicyVersion.Status.DRAFT:
            # Published versions are evidence of what people were told.
            return [f.name for f in obj._meta.fields] + ["campaign_progress"]
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published version is view-only: saving it would be refused anyway.
        if obj is not None and obj.status != PolicyVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool
    ) -> None:
        fields = [f for f in form.changed_data if f != "affected_purposes"]
        policy_version_save(actor=request.user, version=obj, fields=fields or None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Publish selected drafts…", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> Any:
        drafts = list(queryset.filter(status=PolicyVersion.Status.DRAFT))
        if not drafts:
            self.message_user(request, "No draft selected.", messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            return self._confirm_page(request, drafts)
        published = 0
        for version in drafts:
            try:
                policy_version_publish(actor=request.user, version=version)
                published += 1
            except ConsentError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, f"{published} policy version(s) published.")
        return None

    def _confirm_page(self, request: HttpRequest, drafts: list) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish policy versions?",
            "drafts": drafts,
            "subjects": DataSubject.objects.filter(
                email__isnull=False, anonymised_at__isnull=True
            ).count(),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "consent/admin_publish_confirm.html", context)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyLedgerAdmin):
    list_display = (
        "occurred_at",
        "subject_link",
        "purpose",
        "action",
        "source",
        "policy_version",
        "reason",
        "redacted",
    )
    list_filter = (
        "purpose",
        "action",
        "source",
        ("occurred_at", admin.DateFieldListFilter),
        "redacted",
    )
    list_select_related = ("purpose", "policy_version")
    search_fields = ("=subject__id",)
    search_help_text = "An exact subject id."
    date_hierarchy = "occurred_at"
    list_per_page = 100
    change_list_template = "consent/admin_consentevent_change_list.html"

    @admin.display(description="Subject", ordering="subject_id")
    def subject_link(self, obj: ConsentEvent) -> str:
        url = reverse("admin:subjects_datasubject_change", args=[obj.subject_id])
        return format_html('<a href="{}">#{}</a>', url, obj.subject_id)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.evidence_view)
        return [
            path(
                "evidence/<int:subject_id>.<str:fmt>",
                view,
                name="consent_app_consentevent_evidence",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None):
        subject_id = request.GET.get("subject__id__exact") or request.GET.get("q")
        extra = {"evidence_subject": subject_id if (subject_id or "").isdigit() else ""}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def evidence_view(self, request: HttpRequest, subject_id: int, fmt: str):
        """A subject's consent history with versions and sources (CSV or JSON)."""
        if not self.has_view_permission(request) or fmt not in {"csv", "json"}:
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=subject_id)
        audit.record(
            "consent.evidence.downloaded",
            actor=request.user,
            target=("subjects.datasubject", subject.pk),
            subject_id=subject.pk,
            data={"format": fmt},
        )
        name = f"consent-evidence-subject-{subject.pk}.{fmt}"
        if fmt == "json":
            return _evidence_json(subject, name)
        return _evidence_csv(subject, name)


EVIDENCE_COLUMNS = (
    "id",
    "occurred_at",
    "purpose",
    "action",
    "source",
    "reason",
    "policy_version",
    "actor",
    "ip",
    "user_agent",
    "evidence",
    "redacted",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _evidence_csv(subject: DataSubject, name: str) -> StreamingHttpResponse:
    writer = csvsafe.writer(_Echo())

    def lines():
        yield writer.writerow(EVIDENCE_COLUMNS)
        for row in ledger_rows(subject):
            yield writer.writerow([row[c] for c in EVIDENCE_COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _evidence_json(subject: DataSubject, name: str) -> HttpResponse:
    policies = {
        v.label: {
            "effective_on": v.effective_on.isoformat(),
            "published_at": v.published_at.isoformat() if v.published_at else None,
            "material": v.material,
            "less_protective": v.less_protective,
        }
        for v in PolicyVersion.objects.published()
    }
    body = {
        "subject_id": subject.pk,
        "events": list(ledger_rows(subject)),
        "current": state_rows(subject),
        "policy_versions": policies,
    }
    response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyLedgerAdmin):
    """Derived from the ledger by the services; never edited by hand."""

    list_display = ("subject_id", "purpose", "granted", "since", "source")
    list_filter = ("purpose", "granted", "source")
    list_select_related = ("purpose",)
    search_fields = ("=subject__id",)
    search_help_text = "An exact subject id."
    list_per_page = 100
