from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from privacyportal.audit.admin import ReadOnlyLedgerAdmin
from privacyportal.retention import Action, categories
from privacyportal.subjects.models import Organization
from retention_app import services
from retention_app.models import (
    AccessGrant,
    ApplicantStatistic,
    DeletionRecord,
    LegalHold,
    Recording,
    RecordingSettings,
    RetentionPolicy,
    SweepRun,
)
from retention_app.selectors import certificate, certificate_csv
from retention_app.services.content import active_grant
from retention_app.services.ingest import IngestItem
from retention_app.services.policies import terms_of


def _readonly_everything(model_admin: admin.ModelAdmin) -> list[str]:
    return [f.name for f in model_admin.model._meta.fields]


# --- Policies ---------------------------------------------------------------------


class DurationForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=36500)
    confirm = forms.BooleanField(
        required=False, help_text="I have read how many items become due."
    )


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("what", "days", "action", "version", "not_before", "next_sweep")
    list_display_links = ("what",)
    readonly_fields = (
        "what",
        "days",
        "action",
        "version",
        "recomputed_version",
        "not_before",
        "updated_at",
        "updated_by",
    )
    fields = ("change_duration", *readonly_fields, "legal_basis")

    def get_readonly_fields(self, request, obj=None):
        return ("change_duration", *self.readonly_fields)

    @admin.display(description="duration")
    def change_duration(self, obj: RetentionPolicy) -> str:
        url = reverse("admin:retention_app_retentionpolicy_duration", args=[obj.pk])
        return format_html('<a href="{}">Change the duration (with preview)</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per registered category, created on first use

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        for category in categories:
            services.policy_get(category)
        return super().changelist_view(request, extra_context)

    @admin.display(description="what is kept", ordering="category")
    def what(self, obj: RetentionPolicy) -> str:
        return obj.label

    @admin.display(description="next sweep")
    def next_sweep(self, obj: RetentionPolicy) -> str:
        # A handful of policies, each counted on a partial index of due rows.
        category = categories.get(obj.category)
        due = category.due(
            now=timezone.now(), terms=terms_of(obj), holds=services.active_holds()
        )
        verb = "anonymises" if category.action == Action.ANONYMISE else "deletes"
        items = f"{verb} {due.count} {'item' if due.count == 1 else 'items'}"
        return f"{items} ({filesizeformat(due.bytes)})" if due.bytes else items

    def save_model(self, request, obj, form, change) -> None:
        services.policy_change(
            actor=request.user,
            policy=RetentionPolicy.objects.get(pk=obj.pk),
            days=obj.days,
            legal_basis=obj.legal_basis,
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/duration/",
                self.admin_site.admin_view(self.duration_view),
                name="retention_app_retentionpolicy_duration",
            )
        ]
        return own + super().get_urls()

    def duration_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        policy = get_object_or_404(RetentionPolicy, pk=pk)
        form = DurationForm(request.POST or None, initial={"days": policy.days})
        preview = None
        if request.method == "POST" and form.is_valid():
            try:
                services.policy_change(
                    actor=request.user,
                    policy=policy,
                    days=form.cleaned_data["days"],
                    confirmed=form.cleaned_data["confirm"],
                )
            except services.ConfirmationRequired as asked:
                preview = asked.preview
            except services.PolicyError as exc:
                form.add_error("days", str(exc))
            else:
                self.message_user(request, f"{policy.category}: policy changed")
                return redirect("admin:retention_app_retentionpolicy_changelist")
        return TemplateResponse(
            request,
            "retention/policy_duration.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Change retention of {policy.category}",
                "policy": policy,
                "form": form,
                "preview": preview,
                "opts": self.model._meta,
            },
        )


# --- Holds -----------------------------------------------------------------------


class HoldForm(forms.ModelForm):
    recording_ids_text = forms.CharField(
        required=False, label="Recording ids", help_text="Comma-separated ids."
    )

    class Meta:
        model = LegalHold
        fields = ("scope", "organization", "subject", "reason", "matter_reference")


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    form = HoldForm
    list_display = (
        "__str__",
        "scope",
        "organization",
        "subject",
        "placed_at",
        "released_at",
    )
    list_filter = ("scope", ("released_at", admin.EmptyFieldListFilter))
    list_select_related = ("organization", "subject")
    raw_id_fields = ("organization", "subject")
    actions = ["release"]

    def get_readonly_fields(self, request, obj=None):
        return _readonly_everything(self) if obj else ()

    def get_fields(self, request, obj=None):
        if obj:
            return _readonly_everything(self)
        return (*HoldForm.Meta.fields, "recording_ids_text")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        text = form.cleaned_data.get("recording_ids_text") or ""
        ids = [int(x) for x in text.replace(" ", "").split(",") if x.isdigit()]
        hold = services.hold_place(
            actor=request.user,
            scope=obj.scope,
            reason=obj.reason,
            matter_reference=obj.matter_reference,
            organization_id=obj.organization_id,
            subject_id=obj.subject_id,
            recording_ids=ids,
        )
        obj.pk = hold.pk

    @admin.action(description="Release selected holds", permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(
            services.hold_release(actor=request.user, hold=h, reason="released")
            for h in queryset
        )
        self.message_user(request, f"{done} holds released")


# --- Recordings --------------------------------------------------------------------


class UploadForm(forms.Form):
    """A staff upload: one meeting's media and, optionally, its chat transcript."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.all())
    meeting_title = forms.CharField(max_length=300)
    started_at = forms.DateTimeField(help_text="e.g. 2026-03-01 09:30")
    duration_seconds = forms.IntegerField(min_value=0, initial=0, required=False)
    participants = forms.CharField(
        required=False, help_text="E-mail addresses, separated by ';'."
    )
    media = forms.FileField(help_text="The recording file; stored encrypted.")
    transcript = forms.FileField(required=False, help_text="UTF-8 text of the chat.")

    def clean_started_at(self):
        value = self.cleaned_data["started_at"]
        if value > timezone.now():
            raise forms.ValidationError("A recording cannot start in the future.")
        return value

    def clean_participants(self) -> tuple[str, ...]:
        emails = []
        for part in self.cleaned_data["participants"].replace(",", ";").split(";"):
            email = part.strip().lower()
            if email:
                validate_email(email)
                emails.append(email)
        return tuple(dict.fromkeys(emails))

    def clean_transcript(self) -> str | None:
        upload = self.cleaned_data.get("transcript")
        if not upload:
            return None
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The transcript must be UTF-8 text.") from None

    def item(self) -> IngestItem:
        data = self.cleaned_data
        return IngestItem(
            organization_id=data["organization"].pk,
            meeting_title=data["meeting_title"].strip(),
            started_at=data["started_at"],
            duration_seconds=data["duration_seconds"] or 0,
            participant_emails=data["participants"],
            media_file=data["media"],
            transcript=data["transcript"],
        )


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    change_list_template = "retention/recording_change_list.html"
    list_display = (
        "id",
        "meeting_title",
        "organization",
        "started_at",
        "size",
        "purge_after",
        "held",
    )
    list_filter = ("held",)
    list_select_related = ("organization",)
    search_fields = ("=id", "meeting_title")
    date_hierarchy = "started_at"
    show_full_result_count = False
    exclude = ("participants",)
    actions = ["delete_now"]

    def get_readonly_fields(self, request, obj=None):
        return (*_readonly_everything(self), "content")

    def has_add_permission(self, request) -> bool:
        return False  # ingest: the upload page or manage.py import_recordings

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deletion goes through the "delete now" action

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj: Recording) -> str:
        return filesizeformat(obj.size_bytes)

    @admin.display(description="content")
    def content(self, obj: Recording) -> str:
        if not obj.media:
            return "no media file"
        if active_grant(obj.organization_id) is None:
            return "metadata only: no active access grant from the customer"
        url = reverse("admin:retention_app_recording_content", args=[obj.pk])
        return format_html('<a href="{}">Open (audited)</a>', url)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/content/",
                self.admin_site.admin_view(self.content_view),
                name="retention_app_recording_content",
            ),
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="retention_app_recording_upload",
            ),
        ]
        return own + super().get_urls()

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("retention_app.add_recording"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.recordings_import(
                    actor=request.user, items=[form.item()], source="admin upload"
                )
            except services.RecordingDisabledError as exc:
                form.add_error("organization", str(exc))
            else:
                self.message_user(request, "Recording uploaded (stored encrypted)")
                return redirect("admin:retention_app_recording_changelist")
        return TemplateResponse(
            request,
            "retention/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": "Upload a recording",
                "form": form,
                "opts": self.model._meta,
            },
        )

    def content_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        recording = get_object_or_404(Recording, pk=pk)
        try:
            chunks = services.recording_stream(actor=request.user, recording=recording)
        except services.ContentAccessError as exc:
            raise PermissionDenied(str(exc)) from None
        # Streamed, a verified chunk at a time: a video of any size costs the
        # web process a few MiB. The length lets a client notice a download
        # cut short (a checksum failure withholds the last chunk).
        response = StreamingHttpResponse(
            chunks, content_type="application/octet-stream"
        )
        response["Content-Length"] = str(recording.size_bytes)
        response["Content-Disposition"] = f'attachment; filename="recording-{pk}.bin"'
        return response

    @admin.action(
        description="Delete now on the customer's instruction", permissions=["change"]
    )
    def delete_now(self, request: HttpRequest, queryset: QuerySet):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "retention/confirm_delete.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Delete recordings now",
                    "recordings": queryset.select_related("organization")[:200],
                    "ids": list(queryset.values_list("pk", flat=True)[:200]),
                    "opts": self.model._meta,
                },
            )
        titles = dict(queryset.order_by("pk").values_list("pk", "meeting_title"))
        result = services.recordings_delete(actor=request.user, ids=list(titles))
        n = result.deleted
        done = (
            f"{n} {'item' if n == 1 else 'items'} deleted on the customer's instruction"
        )
        self.message_user(request, done + " (recordings and their transcripts).")
        for pk, holds in sorted(result.refused.items()):
            why = ", ".join(str(h) for h in holds) or "a legal hold"
            self.message_user(
                request,
                f"“{titles[pk]}” (recording #{pk}) was not deleted: it is under {why}.",
                level=messages.ERROR,
            )
        return None


class DisableForm(forms.Form):
    purge_existing = forms.BooleanField(required=False)


@admin.register(RecordingSettings)
class RecordingSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "recording_enabled",
        "recording_days",
        "recording_until_deleted",
        "transcript_days",
        "transcript_until_deleted",
        "not_before",
    )
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    readonly_fields = ("recording_enabled", "not_before", "updated_at")
    actions = ["disable_recording", "enable_recording"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # A shortening is confirmed by saving the form a second time.
        try:
            saved = services.recording_settings_update(
                actor=request.user,
                organization_id=obj.organization_id,
                recording_days=obj.recording_days,
                recording_until_deleted=obj.recording_until_deleted,
                transcript_days=obj.transcript_days,
                transcript_until_deleted=obj.transcript_until_deleted,
                confirmed=request.POST.get("_confirm_shortening") == "yes"
                or change is False,
            )
        except services.ConfirmationRequired as asked:
            self.message_user(request, str(asked), level=messages.WARNING)
            return
        obj.pk = saved.pk

    @admin.action(
        description="Disable recording (customer's choice)", permissions=["change"]
    )
    def disable_recording(self, request: HttpRequest, queryset: QuerySet):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "retention/confirm_disable.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Disable recording",
                    "items": queryset.select_related("organization"),
                    "opts": self.model._meta,
                },
            )
        purge = request.POST.get("purge_existing") == "on"
        for own in queryset:
            result = services.recording_disable(
                actor=request.user,
                organization_id=own.organization_id,
                purge_existing=purge,
            )
            self.message_user(
                request,
                f"{own.organization}: recording disabled; {result.purged} deleted, "
                f"{result.held} kept under legal hold",
            )
        return None

    @admin.action(description="Enable recording", permissions=["change"])
    def enable_recording(self, request: HttpRequest, queryset: QuerySet) -> None:
        for own in queryset:
            services.recording_enable(
                actor=request.user, organization_id=own.organization_id
            )
        self.message_user(request, f"{queryset.count()} organizations enabled")


# --- Grants --------------------------------------------------------------------------


class GrantForm(forms.ModelForm):
    hours = forms.IntegerField(min_value=1, max_value=720, initial=24)

    class Meta:
        model = AccessGrant
        fields = ("organization", "requested_by", "approved_by", "purpose")


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    form = GrantForm
    list_display = (
        "__str__",
        "requested_by",
        "approved_by",
        "granted_at",
        "expires_at",
        "revoked_at",
    )
    list_select_related = ("organization",)
    raw_id_fields = ("organization",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return _readonly_everything(self) if obj else (*GrantForm.Meta.fields, "hours")

    def get_readonly_fields(self, request, obj=None):
        return _readonly_everything(self) if obj else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        grant = services.grant_create(
            actor=request.user,
            organization_id=obj.organization_id,
            requested_by=obj.requested_by,
            approved_by=obj.approved_by,
            purpose=obj.purpose,
            hours=form.cleaned_data["hours"],
        )
        obj.pk = grant.pk

    @admin.action(description="Revoke selected grants", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(services.grant_revoke(actor=request.user, grant=g) for g in queryset)
        self.message_user(request, f"{done} grants revoked")


# --- Ledgers and runs ----------------------------------------------------------------


class CertificateForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.all())
    start = forms.DateField()
    end = forms.DateField(help_text="Inclusive.")


def category_label(key: str) -> str:
    """A retention category in words ("Conference recordings"), never its key."""
    try:
        return categories.get(key).label
    except KeyError:
        return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


class CategoryFilter(admin.SimpleListFilter):
    """By kind of item, from the registered categories (no DISTINCT over receipts)."""

    title = "what"
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return sorted(((c.key, c.label) for c in categories), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(category=self.value()) if self.value() else queryset


@admin.register(DeletionRecord)
class DeletionRecordAdmin(ReadOnlyLedgerAdmin):
    list_display = ("deleted_at", "what", "item_id", "organization", "reason", "rule")
    fields = (
        "deleted_at",
        "what",
        "item_id",
        "organization",
        "action",
        "reason",
        "rule",
        "size",
        "sweep",
    )
    readonly_fields = fields
    list_filter = (CategoryFilter, "reason", "action")
    search_fields = ("=item_id", "=organization_id")
    search_help_text = "An exact item id or organization id."
    date_hierarchy = "deleted_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Receipts keep the organization by id (no foreign key: see the model);
        # its name comes in the same query, one indexed lookup per shown row.
        names = Organization.objects.filter(pk=OuterRef("organization_id"))
        return (
            super()
            .get_queryset(request)
            .annotate(organization_name=Subquery(names.values("name")[:1]))
        )

    @admin.display(description="What", ordering="category")
    def what(self, obj: DeletionRecord) -> str:
        done = "anonymised" if obj.action == "anonymise" else "deleted"
        return f"{category_label(obj.category)}: {done}"

    @admin.display(description="Organization", ordering="organization_id")
    def organization(self, obj: DeletionRecord) -> str:
        if obj.organization_id is None:
            return "—"
        name = getattr(obj, "organization_name", None)
        return name or f"Organization no longer on file (#{obj.organization_id})"

    @admin.display(description="Rule")
    def rule(self, obj: DeletionRecord) -> str:
        if not obj.policy_key:
            return "—"
        if obj.policy_key == obj.category:
            # The category's own retention policy: its version is what matters.
            version = obj.policy_version
            return f"Retention policy v{version}" if version else "Retention policy"
        return category_label(obj.policy_key)

    @admin.display(description="Size", ordering="bytes")
    def size(self, obj: DeletionRecord) -> str:
        return filesizeformat(obj.bytes) if obj.bytes else "—"

    @admin.display(description="Sweep run")
    def sweep(self, obj: DeletionRecord) -> str:
        if obj.sweep_run_id is None:
            return "Not by a sweep"
        url = reverse("admin:retention_app_sweeprun_change", args=[obj.sweep_run_id])
        return format_html('<a href="{}">Sweep run {}</a>', url, obj.sweep_run_id)

    def get_urls(self):
        own = [
            path(
                "certificate/",
                self.admin_site.admin_view(self.certificate_view),
                name="retention_app_deletionrecord_certificate",
            )
        ]
        return own + super().get_urls()

    def certificate_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = CertificateForm(request.GET or None)
        if not form.is_valid():
            return self._render(request, form, None)
        data = form.cleaned_data
        tz = timezone.get_current_timezone()
        start = datetime.combine(data["start"], time.min, tz)
        end = datetime.combine(data["end"] + timedelta(days=1), time.min, tz)
        cert = certificate(
            organization_id=data["organization"].pk, start=start, end=end
        )
        if request.GET.get("format") == "csv":
            response = StreamingHttpResponse(
                certificate_csv(cert), content_type="text/csv"
            )
            name = f"deletion-certificate-{cert.organization_id}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return self._render(request, form, cert, data["organization"])

    def _render(self, request, form, cert, organization=None) -> HttpResponse:
        return TemplateResponse(
            request,
            "retention/certificate.html",
            {
                **self.admin_site.each_context(request),
                "title": "Deletion certificate",
                "form": form,
                "cert": cert,
                "organization": organization,
                "generated_at": timezone.now(),
                "opts": self.model._meta,
            },
        )


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyLedgerAdmin):
    list_display = ("started_at", "outcome", "summary", "freed", "took", "triggered_by")
    list_filter = ("status", "dry_run")
    fields = (
        "started_at",
        "finished_at",
        "status",
        "dry_run",
        "triggered_by",
        "took",
        "slowest_batch",
        "freed",
        "counts_table",
        "errors_list",
        "anomalies_list",
    )
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def outcome(self, obj: SweepRun) -> str:
        label = obj.get_status_display()
        return f"{label} (dry run: nothing deleted)" if obj.dry_run else label

    @admin.display(description="Items disposed of")
    def summary(self, obj: SweepRun) -> str:
        parts = [
            f"{category_label(key)}: {count:,}"
            for key, count in sorted((obj.counts or {}).items())
            if count
        ]
        return " · ".join(parts) or "Nothing was due"

    @admin.display(description="Items disposed of, per kind")
    def counts_table(self, obj: SweepRun) -> str:
        rows = sorted((obj.counts or {}).items())
        if not rows:
            return "Nothing was due."
        return format_html(
            "<table><thead><tr><th scope='col'>Kind</th><th scope='col'>Items</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td></tr>",
                ((category_label(k), f"{v:,}") for k, v in rows),
            ),
        )

    @admin.display(description="Errors")
    def errors_list(self, obj: SweepRun) -> str:
        return _bullets(obj.errors, "None.")

    @admin.display(description="Notes (nothing stopped)")
    def anomalies_list(self, obj: SweepRun) -> str:
        return _bullets(obj.anomalies, "None.")

    @admin.display(description="Space freed", ordering="bytes_freed")
    def freed(self, obj: SweepRun) -> str:
        return filesizeformat(obj.bytes_freed) if obj.bytes_freed else "—"

    @admin.display(description="Took", ordering="duration_seconds")
    def took(self, obj: SweepRun) -> str:
        return _seconds(obj.duration_seconds)

    @admin.display(description="Longest batch")
    def slowest_batch(self, obj: SweepRun) -> str:
        return _seconds(obj.slowest_batch_seconds)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} s" if value < 120 else f"{value / 60:,.1f} min"


def _bullets(items: Any, empty: str) -> str:
    """A JSON list of notes as a list; an entry may be text or a small mapping."""
    if not items:
        return empty
    lines = [
        "; ".join(f"{k}: {v}" for k, v in i.items()) if isinstance(i, dict) else str(i)
        for i in items
    ]
    return format_html(
        "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    )


@admin.register(ApplicantStatistic)
class ApplicantStatisticAdmin(ReadOnlyLedgerAdmin):
    list_display = ("month", "position", "outcome", "count")
    list_filter = ("outcome",)
