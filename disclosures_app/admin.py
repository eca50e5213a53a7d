"""The staff interface for the register and the log: every change via a service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from disclosures_app import notices, ropa, services
from disclosures_app.forms import DisclosureForm, RecipientForm
from disclosures_app.models import Disclosure, Notice, Recipient, Transfer
from privacyportal import audit
from privacyportal.audit.admin import ReadOnlyLedgerAdmin


class TransferInline(admin.TabularInline):
    model = Transfer
    extra = 0
    verbose_name = "country and safeguard"
    verbose_name_plural = "countries the data goes to, and what protects it there"


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    form = RecipientForm
    change_list_template = "admin/disclosures_app/recipient/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [TransferInline]
    list_display = ("name", "kind", "in_policy", "contract", "sold", "state")
    list_filter = ("kind", "listed_in_policy", "sale_or_sharing")
    search_fields = ("name",)
    readonly_fields = (
        "archived_at",
        "created_at",
        "updated_at",
        "purposes_text",
        "categories_text",
        "consent_text",
    )
    actions = ["archive"]
    fieldsets = (
        (None, {"fields": ("name", "kind", "description")}),
        (
            "What the policy allows",
            {
                "fields": (
                    "purposes",
                    "data_categories",
                    "listed_in_policy",
                    "consent_purpose",
                    "sale_or_sharing",
                )
            },
        ),
        (
            "Contract",
            {"fields": ("contract_reference", "contract_start", "contract_end")},
        ),
        ("Where notices go", {"fields": ("notice_email", "notice_url")}),
        ("Record", {"fields": ("archived_at", "created_at", "updated_at")}),
    )

    # Staff who may only look see lists in words, not the stored JSON.
    READABLE = {
        "purposes": "purposes_text",
        "data_categories": "categories_text",
        "consent_purpose": "consent_text",
    }

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or self.has_change_permission(request, obj):
            return self.fieldsets
        return [
            (title, {"fields": [self.READABLE.get(f, f) for f in opts["fields"]]})
            for title, opts in self.fieldsets
        ]

    @admin.display(description="purposes")
    def purposes_text(self, obj: Recipient) -> str:
        return "; ".join(obj.purposes) or "None recorded"

    @admin.display(description="data categories")
    def categories_text(self, obj: Recipient) -> str:
        return "; ".join(obj.data_categories) or "None recorded"

    @admin.display(description="consent that allows other disclosures")
    def consent_text(self, obj: Recipient) -> str:
        from consent_app.models import Purpose  # read only: the purpose's name

        names = Purpose.objects.filter(code=obj.consent_purpose)
        return names.values_list("name", flat=True).first() or "None"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("records-of-processing/", view(self.ropa_view), name="ropa"),
            path("records-of-processing.csv", view(self.ropa_csv), name="ropa_csv"),
            path(
                "records-of-processing/print/",
                view(self.ropa_print),
                name="ropa_print",
            ),
            *super().get_urls(),
        ]

    def _ropa(self, request: HttpRequest, form: str) -> list:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if form != "page":  # a download is evidence leaving the portal
            with transaction.atomic():
                audit.record(
                    "disclosures.ropa.downloaded", actor=request.user, data={"as": form}
                )
        return ropa.record_of_processing()

    def ropa_view(self, request: HttpRequest) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Records of processing activities",
            "sections": self._ropa(request, "page"),
            "made_at": timezone.now(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/disclosures_app/ropa.html", context)

    def ropa_print(self, request: HttpRequest) -> HttpResponse:
        context = {"sections": self._ropa(request, "html"), "made_at": timezone.now()}
        response = TemplateResponse(request, "disclosures/ropa_print.html", context)
        if request.GET.get("download"):
            name = f"records-of-processing-{timezone.localdate():%Y-%m-%d}.html"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def ropa_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        sections = self._ropa(request, "csv")
        response = StreamingHttpResponse(
            ropa.ropa_csv(sections), content_type="text/csv; charset=utf-8"
        )
        name = f"records-of-processing-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.display(description="contract")
    def contract(self, obj: Recipient) -> str:
        return obj.contract_problem().capitalize() or "In order"

    @admin.display(description="in policy")
    def in_policy(self, obj: Recipient) -> str:
        return "Yes" if obj.listed_in_policy else "No (consent)"

    @admin.display(description="sold or shared")
    def sold(self, obj: Recipient) -> str:
        return "Yes (CCPA)" if obj.sale_or_sharing else "No"

    @admin.display(description="state")
    def state(self, obj: Recipient) -> str:
        if obj.archived_at:
            return f"Archived {obj.archived_at:%Y-%m-%d}"
        return "In use"

    def save_model(
        self, request: HttpRequest, obj: Recipient, form: Any, change: bool
    ) -> None:
        services.recipient_save(
            actor=request.user, recipient=obj, fields=list(form.changed_data)
        )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        changed = formset.save(commit=False)
        services.recipient_transfers_save(
            actor=request.user,
            recipient=form.instance,
            changed=changed,
            deleted=list(formset.deleted_objects),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and Disclosure.objects.filter(recipient=obj).exists():
            return False  # the log refers to it: archive instead
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Recipient) -> None:
        services.recipient_delete(actor=request.user, recipient=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for recipient in queryset:
            services.recipient_delete(actor=request.user, recipient=recipient)

    @admin.action(
        description="Archive (no further disclosures)", permissions=["change"]
    )
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(
            services.recipient_archive(actor=request.user, recipient=r)
            for r in queryset
        )
        self.message_user(request, f"{done} recipients archived", messages.SUCCESS)


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyLedgerAdmin):
    """Append-only: staff may record a disclosure, never change or remove one."""

    form = DisclosureForm
    autocomplete_fields = ("subject", "recipient")
    list_display = ("disclosed_at", "recipient", "subject", "data", "exported")
    list_filter = (
        "recipient__kind",
        "withheld_from_subject",
        "sale_or_sharing",
        "channel",
    )
    list_select_related = ("recipient", "subject")
    date_hierarchy = "disclosed_at"
    search_fields = ("=subject__email", "recipient__name", "legal_reference")
    search_help_text = "A recipient's name, an exact e-mail address or an order."

    # What a recorded disclosure shows, in words (the add form has its own).
    shown = (
        "disclosed_at",
        "recipient",
        "subject",
        "data",
        "purpose",
        "legal_basis",
        "legal_reference",
        "in_export",
        "consent",
        "recorded_by",
        "channel",
        "recorded_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("disclosures_app.add_disclosure")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown if obj else super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.shown if obj else ()

    @admin.display(description="relied on")
    def consent(self, obj: Disclosure) -> str:
        if obj.consent_relied_on:
            return "The person's consent (the policy does not cover it)"
        return "The privacy policy"

    @admin.display(description="data disclosed")
    def data(self, obj: Disclosure) -> str:
        return ", ".join(obj.categories)

    @admin.display(description="in export")
    def exported(self, obj: Disclosure) -> str:
        return "Withheld" if obj.withheld_from_subject else "Shown"

    @admin.display(description="in the person's export")
    def in_export(self, obj: Disclosure) -> str:
        if obj.withheld_from_subject:
            return f"Withheld: {obj.withheld_ground}"
        return "Yes"

    def save_model(
        self, request: HttpRequest, obj: Disclosure, form: Any, change: bool
    ) -> None:
        # The form ran the policy check; the service runs it again in its
        # transaction and records the who and when.
        saved = services.disclosure_record(
            actor=request.user, item=form.item(), channel=Disclosure.Channel.ADMIN
        )
        obj.pk = saved.pk


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Art. 19 notices: sent by the portal; staff only record acknowledgements."""

    list_display = (
        "created_at",
        "recipient",
        "request_reference",
        "change",
        "status",
        "attempts",
        "reason",
    )
    list_filter = ("status", "change")
    list_select_related = ("recipient",)
    search_fields = ("request_reference", "recipient__name")
    search_help_text = "A request reference (PR-...) or a recipient's name."
    show_full_result_count = False
    fields = (
        "recipient",
        "request_reference",
        "change",
        "data",
        "status",
        "attempts",
        "reason",
        "created_at",
        "sent_at",
        "acknowledged_at",
    )
    readonly_fields = fields
    actions = ["acknowledge"]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # Change permission exists for the confirm action; the page edits nothing.
        hide = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), **hide}
        )

    @admin.display(description="data concerned")
    def data(self, obj: Notice) -> str:
        return ", ".join(obj.categories)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description="Record that the recipient confirmed", permissions=["change"]
    )
    def acknowledge(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(
            notices.notice_acknowledge(actor=request.user, notice=n)
            for n in queryset.select_related("recipient")
        )
        self.message_user(
            request, f"{done} notices recorded as confirmed", messages.SUCCESS
        )
