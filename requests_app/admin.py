"""Staff work in the admin: the queue with its clocks, actions that call services."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from privacyportal import languages, roles
from privacyportal.subjects.models import normalize_email
from requests_app import (
    actions,
    admin_actions,
    jurisdictions,
    rule_versions,
    services,
    timeline,
)
from requests_app.forms import (
    DeadlineRuleForm,
    clean_residence,
    residence_fields,
    single_line,
)
from requests_app.fulfilment import rectification
from requests_app.fulfilment.external_sql import ERASE_MODES, redact_url
from requests_app.fulfilment.receipt import receipt_download
from requests_app.fulfilment.sources import external_source_save
from requests_app.models import (
    OPEN_STATUSES,
    DeadlineRule,
    ExternalSource,
    Holiday,
    PrivacyRequest,
    RectificationItem,
    SourceOutcome,
)
from requests_app.services import RequestError, Submission

COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows: a full COUNT(*) over a million is too slow.

    Beyond the cap the changelist shows "1000" and pages up to it (20 pages);
    filters and search narrow the list far below it in daily work.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk")[:COUNT_CAP].count()


class StatusFilter(admin.SimpleListFilter):
    """Open requests unless asked otherwise: the queue is work still to do.

    ``status=closed`` and ``status=all`` widen it; any single status code
    (``status=needs_info``) still works, as do the field lookups
    ``status__exact`` and ``status__in`` that older links carry.
    """

    title = "status"
    parameter_name = "status"
    OPEN, CLOSED, ALL = "open", "closed", "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        statuses = [(s, PrivacyRequest.Status(s).label) for s in OPEN_STATUSES]
        return [*statuses, (self.CLOSED, "Closed"), (self.ALL, "All")]

    def choices(self, changelist: Any):
        # The first choice, "Open", is the unfiltered default (Django's "All").
        choices = list(super().choices(changelist))
        choices[0]["display"] = "Open"
        yield from choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.ALL or (value is None and _status_lookup_in(request)):
            return queryset
        if value is None or value == self.OPEN:
            return queryset.open()
        if value == self.CLOSED:
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)


def _status_lookup_in(request: HttpRequest) -> bool:
    return any(key.startswith("status__") for key in request.GET)


def shows_open_queue(request: HttpRequest) -> bool:
    """True when the list is the open queue or a part of it."""
    value = request.GET.get(StatusFilter.parameter_name)
    if value is None:
        return not _status_lookup_in(request)
    return value in OPEN_STATUSES or value == StatusFilter.OPEN


class JurisdictionFilter(admin.SimpleListFilter):
    """A few groups; a single code (``jurisdiction=US-CA``) is still accepted."""

    title = "jurisdiction"
    parameter_name = "jurisdiction"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        # A fixed list: a DISTINCT over the table would cost a scan per page.
        groups = list(jurisdictions.GROUPS)
        value = self.value()
        if value and value not in dict(groups):
            groups.append((value, jurisdictions.jurisdiction_name(value)))
        return groups

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        american = Q(jurisdiction="US") | Q(jurisdiction__startswith="US-")
        if not value:
            return queryset
        if value == "US-ANY":
            return queryset.filter(american)
        if value == "OTHER":
            return queryset.exclude(american).exclude(jurisdiction__in=["EU", "UK"])
        return queryset.filter(jurisdiction=value.upper())


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "needs_attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("yes", "Yes (a step failed)"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"yes", "no"}:
            return queryset.filter(needs_attention=self.value() == "yes")
        return queryset


class DueWindowFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("overdue", "Overdue"), ("7", "In 7 days"), ("30", "In 30 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.overdue(now)
        if self.value() in {"7", "30"}:
            return queryset.due_within(now, int(self.value()))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("mine", "Mine"), ("none", "Unassigned")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class VerifiedFilter(admin.SimpleListFilter):
    title = "verified"
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"yes", "no"}:
            return queryset.filter(verified_at__isnull=self.value() == "no")
        return queryset


def _table(headers: tuple[str, ...], rows: list[tuple]) -> str:
    """A read-only HTML table (no formset: nothing here is edited in place)."""
    if not rows:
        return "—"
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
    )
    return format_html(
        '<table class="pr-fulfilment"><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        head,
        body,
    )


class EntryForm(forms.ModelForm):
    """A request received by phone, letter or e-mail, entered by staff."""

    channel = forms.ChoiceField(
        choices=[
            c
            for c in PrivacyRequest.Channel.choices
            if c[0] != PrivacyRequest.Channel.WEB
        ]
    )

    # The public form's choices and checks: a US request without a state would
    # get the company's 30 days only instead of the state's 45-day clock.
    country = residence_fields()["country"]
    region = residence_fields()["region"]

    class Meta:
        model = PrivacyRequest
        fields = (
            "type",
            "channel",
            "name",
            "email",
            "country",
            "region",
            "relationship",
            "details",
            "is_agent",
            "agent_name",
            "agent_email",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "agent_name"):  # they go into e-mails, as typed
            self.fields[name].validators.append(single_line)

    def clean(self) -> dict:
        data = super().clean()
        clean_residence(self, data)
        return data


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    # What a queue row needs to pick the next request, narrow enough for a
    # 1280 px screen beside the filters (e-mail and received date are on
    # the request page; search finds an exact e-mail address).
    list_display = (
        "reference",
        "type_short",
        "status_badge",
        "due_badge",
        "assignee_name",
        "jurisdiction_name",
    )
    list_select_related = ("assignee",)
    list_filter = (
        StatusFilter,
        DueWindowFilter,
        AssigneeFilter,
        NeedsAttentionFilter,
        "type",
        JurisdictionFilter,
        VerifiedFilter,
    )
    search_fields = ("=reference",)
    search_help_text = "An exact e-mail address or reference (PR-2026-000123)."
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = 50
    # Counts per filter choice would each scan the table.
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ("subject",)
    actions = [
        "assign_to_me",
        "assign",
        "extend",
        "ask",
        "deny",
        "complete",
        "approve_export",
        "approve_erasure",
        "cancel_erasure",
        "retry_failed",
        "apply_restriction",
    ]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "type",
                    "status",
                    "channel",
                    "subject",
                    "duplicate_of",
                )
            },
        ),
        (
            "Requester",
            {
                "fields": (
                    "name",
                    "email",
                    "residence",
                    "jurisdiction_name",
                    "relationship",
                    "language_name",
                    "details",
                    "is_agent",
                    "agent_name",
                    "agent_email",
                )
            },
        ),
        (
            "Clock",
            {
                "fields": (
                    "received_at",
                    "verified_at",
                    "acknowledged_at",
                    "due_at",
                    "policy_due_at",
                    "legal_due_at",
                    "applied_rule",
                    "extended_at",
                    "extension_reason",
                    "paused_at",
                    "paused_days",
                )
            },
        ),
        (
            "Decision",
            {
                "fields": (
                    "assignee_name",
                    "entered_by_name",
                    "decided_by_name",
                    "completed_at",
                    "closed_at",
                    "outcome_summary",
                    "denial_reason",
                    "denial_legal_basis",
                )
            },
        ),
        (
            "Fulfilment",
            {
                "fields": (
                    "fulfilment_links",
                    "export_table",
                    "correction_table",
                    "needs_attention",
                    "erasure_approved_at",
                    "erasure_approved_by_name",
                    "erasure_run_after",
                    "erasure_started_at",
                )
            },
        ),
        ("Staff notes", {"fields": ("staff_notes",)}),
    )

    class Media:
        css = {"all": ["requests/admin.css"]}

    # --- who sees what --------------------------------------------------------

    def _is_support_only(self, request: HttpRequest) -> bool:
        user = request.user
        if user.is_superuser:
            return False
        if not hasattr(user, "_request_roles"):
            user._request_roles = set(user.groups.values_list("name", flat=True))
        return user._request_roles == {roles.SUPPORT}

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # The open queue is worked most urgent first: due date ascending puts
        # the overdue on top (unless a column was clicked). It is also what
        # the open-requests (due_at, id) indexes serve, so the page costs the
        # same at a million requests as at a thousand. Closed requests keep
        # the newest first.
        if "o" in request.GET:
            return super().get_ordering(request)
        if request.GET.get(DueWindowFilter.parameter_name) or shows_open_queue(request):
            return ("due_at", "id")
        return super().get_ordering(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        open_queue = shows_open_queue(request) and "o" not in request.GET
        title = "Open requests, most urgent first" if open_queue else "Privacy requests"
        extra_context = {**(extra_context or {}), "title": title}
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if self._is_support_only(request):
            # Support staff see the requests they entered, nothing else.
            return queryset.filter(entered_by=request.user)
        return queryset

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        if obj is None:
            kwargs["form"] = EntryForm
            kwargs["fields"] = (*EntryForm.Meta.fields, "channel")
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ((None, {"fields": EntryForm.Meta.fields}),)
        return self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ()
        # Everything but the notes: status and clocks change through actions only.
        return [
            f for fs in self.fieldsets for f in fs[1]["fields"] if f != "staff_notes"
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Legal rule applied")
    def applied_rule(self, obj: PrivacyRequest) -> str:
        return rule_versions.applied_rule_html(obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if "@" in term:
            return queryset.filter(email=normalize_email(term)), False
        if term:
            return queryset.filter(reference=term.upper()), False
        return queryset, False

    # --- columns --------------------------------------------------------------

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: PrivacyRequest) -> str:
        badge = format_html(
            '<span class="pr-badge pr-status-{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )
        if not obj.needs_attention:
            return badge
        # A failed step waits for staff: visible without opening the request.
        return format_html(
            '{}<br><span class="pr-attention">needs attention</span>', badge
        )

    @admin.display(description="due", ordering="due_at")
    def due_badge(self, obj: PrivacyRequest) -> str:
        date = timezone.localtime(obj.due_at).date().isoformat()
        if not obj.is_open or obj.status == PrivacyRequest.Status.RECEIVED:
            return date
        if obj.paused_at is not None:
            # The clock stands still until the requester answers.
            return format_html('{}<br><span class="pr-paused">paused</span>', date)
        left = obj.days_left
        css = "pr-overdue" if left < 0 else "pr-soon" if left <= 7 else "pr-ok"
        label = f"{-left} days overdue" if left < 0 else f"{left} days left"
        return format_html('{}<br><span class="{}">{}</span>', date, css, label)

    @admin.display(description="type", ordering="type")
    def type_short(self, obj: PrivacyRequest) -> str:
        return timeline.type_short(obj.type)

    @admin.display(description="assignee", ordering="assignee")
    def assignee_name(self, obj: PrivacyRequest) -> str:
        return timeline.person(obj.assignee) or "—"

    @admin.display(description="jurisdiction", ordering="jurisdiction")
    def jurisdiction_name(self, obj: PrivacyRequest) -> str:
        return jurisdictions.jurisdiction_name(obj.jurisdiction)

    @admin.display(description="language", ordering="language")
    def language_name(self, obj: PrivacyRequest) -> str:
        # The language every e-mail to the requester is written in.
        return languages.name(obj.language)

    @admin.display(description="lives in")
    def residence(self, obj: PrivacyRequest) -> str:
        return jurisdictions.residence_name(obj.country, obj.region)

    @admin.display(description="entered by")
    def entered_by_name(self, obj: PrivacyRequest) -> str:
        return timeline.person(obj.entered_by) or "—"

    @admin.display(description="erasure approved by")
    def erasure_approved_by_name(self, obj: PrivacyRequest) -> str:
        return timeline.person(obj.erasure_approved_by) or "—"

    @admin.display(description="decided by")
    def decided_by_name(self, obj: PrivacyRequest) -> str:
        return timeline.person(obj.decided_by) or "—"

    # --- saving ---------------------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: PrivacyRequest, form: Any, change: bool
    ) -> None:
        if change:
            services.request_set_notes(
                actor=request.user, request=obj, notes=obj.staff_notes
            )
            return
        data = form.cleaned_data
        created = services.request_submit(
            actor=request.user,
            entered_by=request.user,
            submission=Submission(
                **{f: data[f] for f in EntryForm.Meta.fields if f != "channel"},
                channel=data["channel"],
            ),
        )
        obj.pk, obj.reference = created.pk, created.reference

    # --- actions (see admin_actions: forms, services, refusals) ---------------

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "assign_to_me")

    @admin.action(description="Assign to…", permissions=["change"])
    def assign(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "assign")

    @admin.action(description="Extend the deadline…", permissions=["change"])
    def extend(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "extend")

    @admin.action(description="Ask the requester a question…", permissions=["change"])
    def ask(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "ask")

    @admin.action(description="Deny…", permissions=["change"])
    def deny(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "deny")

    @admin.action(description="Mark completed…", permissions=["change"])
    def complete(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "complete")

    @admin.action(description="Approve export…", permissions=["change"])
    def approve_export(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "approve_export")

    @admin.action(description="Approve erasure…", permissions=["change"])
    def approve_erasure(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "approve_erasure")

    @admin.action(description="Cancel a scheduled erasure", permissions=["change"])
    def cancel_erasure(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "cancel_erasure")

    @admin.action(description="Retry failed sources", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(self, request, queryset, "retry_failed")

    @admin.action(description="Apply restriction / objection…", permissions=["change"])
    def apply_restriction(self, request: HttpRequest, queryset: QuerySet):
        return admin_actions.confirm_and_run(
            self, request, queryset, "apply_restriction"
        )

    # --- fulfilment -------------------------------------------------------------

    @admin.display(description="evidence and decisions")
    def fulfilment_links(self, obj: PrivacyRequest) -> str:
        if obj.pk is None:
            return "—"
        links = [
            (
                reverse("admin:requests_app_privacyrequest_receipt", args=[obj.pk]),
                "Download the receipt (what was exported, deleted, kept and why)",
            )
        ]
        if obj.type == PrivacyRequest.Type.RECTIFICATION:
            links.append(
                (
                    reverse(
                        "admin:requests_app_privacyrequest_corrections", args=[obj.pk]
                    ),
                    "Decide on the corrections (diff per source)",
                )
            )
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links)

    @admin.display(description="access exports")
    def export_table(self, obj: PrivacyRequest) -> str:
        rows = [
            (
                p.get_status_display(),
                p.ready_at or "",
                p.expires_at or "",
                f"{p.download_count} of {p.max_downloads}",
                p.size,
                p.last_error,
            )
            for p in obj.exports.all()
        ]
        headers = ("status", "ready", "link expires", "downloads", "bytes", "error")
        return _table(headers, rows)

    @admin.display(description="corrections")
    def correction_table(self, obj: PrivacyRequest) -> str:
        rows = [
            (c.label, c.new_value, c.get_status_display(), c.reason)
            for c in obj.corrections.all()
        ]
        return _table(("field", "requested value", "decision", "reason"), rows)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/receipt/",
                view(self.receipt_view),
                name="requests_app_privacyrequest_receipt",
            ),
            path(
                "<int:pk>/corrections/",
                view(self.corrections_view),
                name="requests_app_privacyrequest_corrections",
            ),
            path(
                "<int:pk>/do/<slug:name>/",
                view(self.act_view),
                name="requests_app_privacyrequest_act",
            ),
            *super().get_urls(),
        ]

    def _request_or_404(self, request: HttpRequest, pk: int) -> PrivacyRequest:
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    # --- the request page as a workbench --------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            extra_context = {**(extra_context or {}), **self._workbench(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _workbench(self, request: HttpRequest, obj: PrivacyRequest) -> dict:
        """The buttons this user may press now, the progress and the timeline."""
        offered = []
        if self.has_change_permission(request, obj):
            offered = [
                {
                    "label": a.label,
                    "url": reverse(
                        "admin:requests_app_privacyrequest_act", args=[obj.pk, a.name]
                    ),
                    # Without a form the button posts at once (nothing to confirm).
                    "direct": admin_actions.STEPS[a.name].form is None,
                }
                for a in actions.allowed(obj, request.user)
            ]
        progress = self._progress(obj)
        return {
            "buttons": offered,
            "progress": progress,
            "progress_problems": any(p["problem"] for p in progress),
            "timeline": timeline.entries(obj),
            "summary": {
                "status": obj.get_status_display(),
                "due": self.due_badge(obj),
                "assignee": timeline.person(obj.assignee)
                or ("nobody yet" if obj.is_open else "nobody"),
                "closed": not obj.is_open,
                "attention": obj.needs_attention,
                "type": obj.get_type_display(),
                "jurisdiction": jurisdictions.jurisdiction_name(obj.jurisdiction),
            },
        }

    def _progress(self, obj: PrivacyRequest) -> list[dict]:
        """Erasure outcome per source, in words."""
        failed = SourceOutcome.Status.FAILED
        return [
            {
                "source": o.label or o.source_key,
                "state": o.get_status_display(),
                "outcome": o.get_outcome_display() if o.outcome else "",
                "items": o.items,
                "kept": f"{o.reason} ({o.legal_basis})" if o.reason else "",
                "detail": o.detail,
                "problem": (
                    f"After {o.attempts} attempts: {o.last_error}"
                    if o.status == failed
                    else ""
                ),
            }
            for o in obj.outcomes.all()
        ]

    def act_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        """One action on one request, from its page: confirm, run, go back."""
        obj = self._request_or_404(request, pk)
        if name not in admin_actions.STEPS:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        back = reverse("admin:requests_app_privacyrequest_change", args=[obj.pk])
        if why := actions.refusal(name, obj, request.user):
            self.message_user(request, why, messages.ERROR)
            return redirect(back)
        direct = admin_actions.STEPS[name].form is None
        if direct and request.method != "POST":
            return redirect(back)  # a link never changes anything
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        response = admin_actions.confirm_and_run(
            self, request, queryset, name, original=obj
        )
        return response or redirect(back)

    def receipt_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._request_or_404(request, pk)
        body = receipt_download(actor=request.user, request=obj)
        response = HttpResponse(body, content_type="application/json")
        name = f"{obj.reference}-receipt.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def corrections_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._request_or_404(request, pk)
        if request.method == "POST":
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
            self._decide(request, obj)
            return redirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Corrections of {obj.reference}",
            "opts": self.model._meta,
            "original": obj,
            "rows": rectification.rectification_diff(obj),
            "can_change": self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "requests/admin/corrections.html", context)

    def _decide(self, request: HttpRequest, obj: PrivacyRequest) -> None:
        item = get_object_or_404(
            RectificationItem, pk=request.POST.get("item"), request=obj
        )
        try:
            rectification.rectification_decide(
                actor=request.user,
                item=item,
                apply=request.POST.get("decision") == "apply",
                reason=request.POST.get("reason", ""),
            )
        except RequestError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{item.label}: decision recorded.")


# Rule and authority tables: long names, citations and addresses fit their box.
WIDE_INPUTS = {
    models.CharField: {
        "widget": admin_widgets.AdminTextInputWidget(attrs={"class": "vLargeTextField"})
    },
    # Authorities' pages are https; a bare "ico.org.uk" should become one too.
    models.URLField: {
        "assume_scheme": "https",
        "widget": admin_widgets.AdminURLFieldWidget(
            attrs={"class": "vURLField vLargeTextField"}
        ),
    },
}


class AuditedPolicyAdmin(admin.ModelAdmin):
    """Rules and holidays change deadlines: every edit is audited."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        services.policy_save(actor=request.user, obj=obj, fields=form.changed_data)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.policy_delete(actor=request.user, obj=obj)

    def get_actions(self, request: HttpRequest) -> dict:
        return {}  # bulk delete would skip the audit


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(AuditedPolicyAdmin):
    list_display = ("name", "applies_to", "in_force", "period", "open_requests")
    form = DeadlineRuleForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Applies to")
    def applies_to(self, obj: DeadlineRule) -> str:
        if obj.is_policy:
            return "Everyone (company policy)"
        names = [jurisdictions.jurisdiction_name(c) for c in obj.jurisdictions or []]
        return ", ".join(names) or "—"

    @admin.display(description="Period")
    def period(self, obj: DeadlineRule) -> str:
        """The time allowed in words: "45 calendar days, + 45"."""
        unit = obj.get_unit_display()
        text = f"{obj.amount} {unit}"
        if obj.extension_amount:
            text += f", + {obj.extension_amount} {obj.get_extension_unit_display()}"
        return text

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return rule_versions.with_open_counts(super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        if obj is not None and rule_versions.in_use(obj):
            # The form freezes the jurisdictions itself, showing their names.
            timing = [f for f in rule_versions.TIMING_FIELDS if f != "jurisdictions"]
            return (*timing, "versions")
        return ("versions",) if obj is not None else ()

    @admin.display(description="In force")
    def in_force(self, obj: DeadlineRule) -> str:
        return obj.in_force_label

    @admin.display(description="Open requests", ordering="open_requests")
    def open_requests(self, obj: DeadlineRule) -> int:
        return obj.open_requests

    @admin.display(description="Source")
    def source(self, obj: DeadlineRule) -> str:
        return rule_versions.source_html(obj)

    @admin.display(description="Open requests per version")
    def versions(self, obj: DeadlineRule) -> str:
        rows = [
            (v.in_force_label, v.open_requests) for v in rule_versions.versions_of(obj)
        ]
        listing = format_html_join(mark_safe("<br>"), "In force {}: {} open", rows)
        if not rule_versions.in_use(obj):
            return listing
        return format_html(
            "{}<br>{}",
            listing,
            "This version has requests: its timing is fixed. For a change of "
            "law, add a version and end this one the day before.",
        )


@admin.register(Holiday)
class HolidayAdmin(AuditedPolicyAdmin):
    list_display = ("date", "name", "where")
    list_filter = ("jurisdiction",)
    date_hierarchy = "date"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs):
        if db_field.name == "jurisdiction":
            # Only codes requests carry: a typed "DE" or "eu" never applied.
            return forms.ChoiceField(
                label="Applies to",
                choices=[("", "Everywhere"), *jurisdictions.known_codes()],
                required=False,
                help_text="A country also covers its states or provinces.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Applies to", ordering="jurisdiction")
    def where(self, obj: Holiday) -> str:
        return dict(jurisdictions.known_codes()).get(obj.jurisdiction, "Everywhere")


class ExternalSourceForm(forms.ModelForm):
    """Connection URL is write-only; columns and modes as plain text."""

    connection_url = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="postgres://user:password@host:5432/db or sqlite:////path/file.db. "
        "Stored encrypted; leave empty to keep the current one.",
    )
    export_columns_text = forms.CharField(
        label="Columns to export", help_text="Comma-separated column names."
    )
    erase_modes_text = forms.CharField(
        label="Erase mode per column",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One per line: column=mode, mode one of "
        + ", ".join(ERASE_MODES)
        + ". delete_row removes the subject's rows.",
    )

    class Meta:
        model = ExternalSource
        fields = (
            "name",
            "slug",
            "table",
            "identity_column",
            "identity_kind",
            "mask_value",
            "keep_legal_basis",
            "categories",
            "purposes",
            "recipients",
            "retention",
            "origin",
            "enabled",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        row = self.instance
        if row.pk:
            self.fields["export_columns_text"].initial = ", ".join(row.export_columns)
            self.fields["erase_modes_text"].initial = "\n".join(
                f"{c}={m}" for c, m in row.erase_modes.items()
            )
        else:
            self.fields["connection_url"].required = True

    def clean_export_columns_text(self) -> list[str]:
        text = self.cleaned_data["export_columns_text"]
        return [c.strip() for c in text.split(",") if c.strip()]

    def clean_erase_modes_text(self) -> dict[str, str]:
        modes = {}
        for line in self.cleaned_data["erase_modes_text"].splitlines():
            if not line.strip():
                continue
            column, sep, mode = line.partition("=")
            if not sep or mode.strip() not in ERASE_MODES:
                raise forms.ValidationError(f"Not column=mode: {line.strip()!r}")
            modes[column.strip()] = mode.strip()
        return modes

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        # ModelForm copies fields onto the instance only after clean(): the
        # check needs them now.
        for name in self._meta.fields:
            if name in data:
                setattr(self.instance, name, data[name])
        self.instance.export_columns = data["export_columns_text"]
        self.instance.erase_modes = data["erase_modes_text"]
        from requests_app.fulfilment.sources import external_source_check

        problems = external_source_check(self.instance, data["connection_url"] or None)
        for problem in problems:
            self.add_error(None, problem)
        return data


@admin.register(ExternalSource)
class ExternalSourceAdmin(admin.ModelAdmin):
    form = ExternalSourceForm
    list_display = ("name", "key", "table", "identity_kind", "enabled", "validated_at")
    readonly_fields = ("connection", "validated_at", "created_at", "updated_at")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="current connection")
    def connection(self, obj: ExternalSource) -> str:
        from requests_app.fulfilment.external_sql import (
            ExternalSourceError,
            decrypt_url,
        )

        if not obj.url_encrypted:
            return "—"
        try:
            return redact_url(decrypt_url(obj.url_encrypted))
        except ExternalSourceError as exc:
            return str(exc)

    def save_model(
        self, request: HttpRequest, obj: ExternalSource, form: Any, change: bool
    ) -> None:
        external_source_save(
            actor=request.user,
            row=obj,
            url=form.cleaned_data.get("connection_url") or None,
            fields=form.changed_data,
        )

    def get_actions(self, request: HttpRequest) -> dict:
        return {}  # bulk delete would skip the audit

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Untick "enabled" instead: past receipts name the source by its key.
        return False


from requests_app import appeal_admin  # noqa: E402,F401  (registers the appeal screens)
