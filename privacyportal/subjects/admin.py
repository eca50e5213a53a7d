from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html_join

from privacyportal.subjects import services, story
from privacyportal.subjects.models import DataSubject, Device, Organization

# (label, admin URL name, extra args) of per-subject evidence downloads.
EVIDENCE_LINKS = [
    ("Consent history (CSV)", "admin:consent_app_consentevent_evidence", ["csv"]),
    ("Consent history (JSON)", "admin:consent_app_consentevent_evidence", ["json"]),
]


def exact_email_search(queryset: QuerySet, term: str) -> QuerySet | None:
    """Searching for an address matches it exactly (indexed), never by substring."""
    term = term.strip()
    if "@" in term:
        return queryset.by_email(term)
    return None


class DeviceInline(admin.TabularInline):
    model = Device
    extra = 0
    fields = ("serial_number", "software_version", "connected_hardware", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ListField(forms.CharField):
    """A JSON list edited as one value per line (staff never see `[]`)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        lines = (line.strip() for line in str(value or "").splitlines())
        return [line for line in lines if line]


class PairsField(forms.CharField):
    """A JSON object edited as `name: value` lines (staff never see `{}`)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, dict):
            return "\n".join(f"{k}: {v}" for k, v in value.items())
        return value or ""

    def to_python(self, value: Any) -> dict[str, str]:
        pairs = {}
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, rest = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError(
                    f"Line {number} needs the form 'name: value' (for example "
                    "'age range: 25-34')."
                )
            pairs[name.strip()] = rest.strip()
        return pairs


class DataSubjectForm(forms.ModelForm):
    ip_addresses = ListField(
        required=False, label="IP addresses", help_text="One address per line."
    )
    demographics = PairsField(
        required=False, help_text="One 'name: value' per line, e.g. 'age range: 25-34'."
    )

    class Meta:
        model = DataSubject
        fields = services.EDITABLE_FIELDS


@admin.register(DataSubject)
class DataSubjectAdmin(admin.ModelAdmin):
    form = DataSubjectForm
    change_form_template = "admin/subjects/datasubject/change_form.html"
    list_display = (
        "id",
        "email",
        "name",
        "company",
        "is_under_13",
        "requester_only",
        "created_at",
    )
    list_filter = ("is_under_13", "requester_only")
    search_fields = ("name",)
    search_help_text = "An exact e-mail address, or part of a name."
    status_fields = (
        "processing_restricted",
        "objects_to_marketing",
        "objects_to_profiling",
        "marketing_opted_out_at",
        "is_under_13",
        "under_13_marked_at",
        "requester_only",
        "anonymised_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = (*status_fields, "evidence_links")
    fieldsets = (
        (None, {"fields": ("name", "email", "phone", "postal_address")}),
        ("Work", {"fields": ("title", "company", "account_username")}),
        ("Technical", {"fields": ("ip_addresses", "domain", "demographics")}),
        ("Status", {"fields": status_fields}),
        ("Evidence", {"fields": ("evidence_links",)}),
    )
    inlines = [DeviceInline]
    show_full_result_count = False

    @admin.display(description="Downloads")
    def evidence_links(self, obj: DataSubject) -> str:
        """Links other apps offer for this subject (by URL name: no import)."""
        links = []
        for label, name, args in EVIDENCE_LINKS:
            try:
                links.append((reverse(name, args=[obj.pk, *args]), label))
            except NoReverseMatch:
                continue
        if not links:
            return "—"
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        exact = exact_email_search(queryset, search_term)
        if exact is not None:
            return exact, False
        return super().get_search_results(request, queryset, search_term)

    def save_model(
        self, request: HttpRequest, obj: DataSubject, form: Any, change: bool
    ) -> None:
        values = {
            f: form.cleaned_data[f]
            for f in form.changed_data
            if f in services.EDITABLE_FIELDS
        }
        if change:
            original = DataSubject.objects.get(pk=obj.pk)
            services.subject_update(
                actor=request.user, subject=original, changes=values
            )
        else:
            created = services.subject_create(
                actor=request.user, email=values.pop("email", None), **values
            )
            obj.pk = created.pk

    def get_urls(self) -> list:
        pack = path(
            "<path:object_id>/evidence-pack/",
            self.admin_site.admin_view(self.evidence_pack_view),
            name="subjects_datasubject_evidence_pack",
        )
        return [pack, *super().get_urls()]

    def evidence_pack_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The whole story as a ZIP, for anyone who may view data subjects."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=object_id)
        pack = services.subject_evidence_pack(actor=request.user, subject=subject)
        response = HttpResponse(pack, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="evidence-pack-subject-{subject.pk}.zip"'
        )
        response["Cache-Control"] = "no-store"
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method == "GET" and object_id.isdigit():
            subject = DataSubject.objects.filter(pk=object_id).first()
            if subject is not None and self.has_view_permission(request, subject):
                extra_context = {
                    **(extra_context or {}),
                    "story": story.sections(subject),
                    "evidence_pack_url": reverse(
                        "admin:subjects_datasubject_evidence_pack", args=[subject.pk]
                    ),
                }
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            request.method == "GET"
            and response.status_code == 200
            and object_id.isdigit()
        ):
            services.subject_viewed(actor=request.user, subject_id=int(object_id))
        return response

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Subjects leave through an erasure request, which keeps a receipt.
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A customer account owns recordings, settings and receipts: never
        # removed from a list page, and never without an audit record.
        return False

    list_display = ("name", "slug", "contact_email", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)

    def save_model(
        self, request: HttpRequest, obj: Organization, form: Any, change: bool
    ) -> None:
        if change:
            services.organization_update(
                actor=request.user, organization=obj, fields=form.changed_data
            )
        else:
            created = services.organization_create(
                actor=request.user,
                name=obj.name,
                slug=obj.slug,
                contact_name=obj.contact_name,
                contact_email=obj.contact_email,
            )
            obj.pk = created.pk


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices are recorded by the product; staff look them up, never edit them."""

    list_display = ("serial_number", "software_version", "subject", "created_at")
    list_select_related = ("subject",)
    search_fields = ("=serial_number",)
    search_help_text = "An exact serial number, or the owner's exact e-mail address."
    readonly_fields = (
        "subject",
        "serial_number",
        "software_version",
        "connected_hardware",
        "custom_settings",
        "created_at",
    )
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if "@" in search_term:
            owners = DataSubject.objects.by_email(search_term.strip())
            return queryset.filter(subject__in=owners), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
