"""The breach register for privacy staff: every change goes through a service."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from incidents_app import clocks, notices, services
from incidents_app.forms import (
    AuthorityNoticeRuleForm,
    DecisionForm,
    IncidentForm,
    NotifiedForm,
    StateNoticeRuleForm,
)
from incidents_app.models import (
    AuthorityNoticeRule,
    CompromiseReport,
    Incident,
    StateNoticeRule,
)
from incidents_app.register import register_csv
from privacyportal import audit, languages
from requests_app.admin import WIDE_INPUTS
from requests_app.jurisdictions import US_STATES, jurisdiction_name

S = Incident.Status
DECISION_FIELDS = (
    "status",
    "risk_text",
    "authority_decision",
    "decision_reasons",
    "decided_at",
    "decided_by",
    "people_decision",
    "people_reason",
)


class ClockFilter(admin.SimpleListFilter):
    """The authority notice clock, as the dashboard's tiles count it."""

    title = "authority notice clock"
    parameter_name = "clock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("running", "Running"), ("overdue", "Over: not notified in time")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "running":
            return queryset.clock_running(timezone.now())
        if self.value() == "overdue":
            return queryset.notification_overdue(timezone.now())
        return queryset


class NoticeFilter(admin.SimpleListFilter):
    title = "notice to the people affected"
    parameter_name = "notice"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("sending", "Being sent now")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.notices_sending() if self.value() == "sending" else queryset


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    change_form_template = "admin/incidents_app/incident/change_form.html"
    change_list_template = "admin/incidents_app/incident/change_list.html"
    list_display = ("reference", "title", "risk_text", "status", "notify_by")
    list_filter = ("status", "risk", ClockFilter, NoticeFilter)
    search_fields = ("reference", "title")
    list_select_related = ()
    date_hierarchy = "became_aware_at"

    class Media:
        css = {"all": ["incidents/admin.css"]}

    actions = ["download_csv"]
    readonly_fields = (
        "reference",
        *DECISION_FIELDS,
        "authority_clock",
        "authority_notified_at",
        "authority_reference",
        "late_reason",
        "state_deadlines",
        "closed_at",
        "created_at",
        "updated_at",
        "categories_text",
        "jurisdictions_text",
        "linked_complaints",
    )
    fieldsets = (
        (
            "What happened",
            {
                "fields": (
                    "reference",
                    "title",
                    "description",
                    "became_aware_at",
                    "occurred_from",
                    "occurred_to",
                )
            },
        ),
        (
            "Data and people affected",
            {
                "fields": (
                    "data_categories",
                    "other_data_categories",
                    "subject_categories",
                    "approx_subjects",
                    "approx_records",
                    "jurisdictions",
                )
            },
        ),
        ("Consequences and measures", {"fields": ("consequences", "measures")}),
        ("Assessment and decision", {"fields": DECISION_FIELDS}),
        (
            "Supervisory authority",
            {
                "fields": (
                    "authority_clock",
                    "authority_notified_at",
                    "authority_reference",
                    "late_reason",
                )
            },
        ),
        ("Telling residents of US states", {"fields": ("state_deadlines",)}),
        ("Complaints about it", {"fields": ("linked_complaints",)}),
        ("Record", {"fields": ("closed_at", "created_at", "updated_at")}),
    )
    READABLE = {
        "data_categories": "categories_text",
        "jurisdictions": "jurisdictions_text",
    }

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:  # a new incident: its description only
            return self.fieldsets[:3]
        if self.has_change_permission(request, obj):
            return self.fieldsets
        return [
            (title, {"fields": [self.READABLE.get(f, f) for f in opts["fields"]]})
            for title, opts in self.fieldsets
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Art. 33(5): the register keeps every breach

    # --- columns in words ---------------------------------------------------------

    @admin.display(description="risk", ordering="risk")
    def risk_text(self, obj: Incident) -> str:
        return obj.get_risk_display()

    @admin.display(description="notify authority by", ordering="became_aware_at")
    def notify_by(self, obj: Incident) -> str:
        if obj.status == S.NOT_NOTIFIABLE or obj.notify_authority is False:
            return "Not notifiable"
        if obj.authority_notified_at:
            late = clocks.is_late(obj.authority_due_at, obj.authority_notified_at)
            return "Notified late" if late else "Notified in time"
        due = obj.authority_due_at
        words = clocks.time_left_words(due, timezone.now())
        when = f"{timezone.localtime(due):%-d %b %H:%M}"
        if due < timezone.now():
            return format_html(
                '<strong class="incident-overdue">OVERDUE</strong> {}: {}', when, words
            )
        return f"{when} ({words})"

    @admin.display(description="authority")
    def authority_decision(self, obj: Incident) -> str:
        return {True: "Notify", False: "Do not notify"}.get(
            obj.notify_authority, "Not decided"
        )

    @admin.display(description="people affected")
    def people_decision(self, obj: Incident) -> str:
        return {True: "Tell them", False: "Do not tell them"}.get(
            obj.notify_people, "Not decided"
        )

    @admin.display(description="deadline to notify the authority")
    def authority_clock(self, obj: Incident) -> str:
        due = timezone.localtime(obj.authority_due_at)
        hours = obj.authority_hours
        text = f"{due:%-d %b %Y %H:%M %Z} ({hours} hours after becoming aware)"
        if obj.awaiting_authority:
            text += f" ({clocks.time_left_words(obj.authority_due_at, timezone.now())})"
        return text

    @admin.display(description="notice deadlines per state")
    def state_deadlines(self, obj: Incident) -> str:
        dates = services.state_notice_dates(obj)
        if not dates:
            return "No US state chosen."
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (
                    d.name,
                    f"by {d.due:%-d %b %Y} ({d.days} days)"
                    if d.due
                    else "no fixed number of days (without unreasonable delay)",
                )
                for d in dates
            ),
        )

    @admin.display(description="linked complaints")
    def linked_complaints(self, obj: Incident) -> str:
        # The links are complaints_app's (it writes them, from the complaint's
        # page); here they are only read, through the reverse relation.
        rows = [
            (reverse("admin:complaints_app_complaint_change", args=[c.pk]), c.reference)
            for c in obj.complaints.order_by("received_at", "id")
        ]
        if not rows:
            return (
                "No complaint is linked yet. Link one from the complaint's page "
                "(Link an incident…)."
            )
        return format_html_join(", ", '<a href="{}">{}</a>', rows)

    @admin.display(description="categories of data")
    def categories_text(self, obj: Incident) -> str:
        return "; ".join(obj.data_categories) or "None recorded"

    @admin.display(description="where the people affected live")
    def jurisdictions_text(self, obj: Incident) -> str:
        return (
            "; ".join(jurisdiction_name(c) for c in obj.jurisdictions) or "Not recorded"
        )

    def save_model(
        self, request: HttpRequest, obj: Incident, form: Any, change: bool
    ) -> None:
        services.incident_save(
            actor=request.user, incident=obj, fields=form.changed_data
        )

    # --- the decision pages ---------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "register.csv", view(self.register_view), name="incidents_register_csv"
            ),
            path("<int:pk>/decide/", view(self.decide_view), name="incidents_decide"),
            path(
                "<int:pk>/notified/",
                view(self.notified_view),
                name="incidents_notified",
            ),
            path("<int:pk>/close/", view(self.close_view), name="incidents_close"),
            path("<int:pk>/draft/", view(self.draft_view), name="incidents_draft"),
            path(
                "<int:pk>/notices/",
                view(partial(notices_view, self)),
                name="incidents_notices",
            ),
            *super().get_urls(),
        ]

    def _incident(self, request: HttpRequest, pk: int, change: bool) -> Incident:
        incident = get_object_or_404(Incident, pk=pk)
        allowed = (self.has_change_permission if change else self.has_view_permission)(
            request, incident
        )
        if not allowed:
            raise PermissionDenied
        return incident

    def _form_page(
        self,
        request: HttpRequest,
        pk: int,
        form_class: type[forms.Form] | None,
        title: str,
        act: Callable[[Incident, Any], Incident],
        initial: dict | None = None,
        button: str = "Save",
    ) -> HttpResponse:
        incident = self._incident(request, pk, change=True)
        form = form_class(request.POST or None, initial=initial) if form_class else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                act(incident, form)
            except services.IncidentRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(
                    request, f"{incident.reference}: {title.lower()} recorded."
                )
                return redirect("admin:incidents_app_incident_change", incident.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title}: {incident.reference}",
            "incident": incident,
            "form": form,
            "button": button,
            "opts": self.model._meta,
            "due": timezone.localtime(incident.authority_due_at),
        }
        return TemplateResponse(
            request, "admin/incidents_app/incident/action.html", context
        )

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def act(incident: Incident, form: DecisionForm) -> Incident:
            return services.incident_decide(
                actor=request.user, incident=incident, **form.service_kwargs()
            )

        return self._form_page(
            request, pk, DecisionForm, "Decision", act, button="Record the decision"
        )

    def notified_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def act(incident: Incident, form: NotifiedForm) -> Incident:
            return services.incident_mark_notified(
                actor=request.user, incident=incident, **form.cleaned_data
            )

        initial = {"notified_at": timezone.localtime().replace(second=0, microsecond=0)}
        return self._form_page(
            request,
            pk,
            NotifiedForm,
            "Authority notified",
            act,
            initial,
            button="Record the notification",
        )

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def act(incident: Incident, form: None) -> Incident:
            return services.incident_close(actor=request.user, incident=incident)

        return self._form_page(
            request, pk, None, "Closing", act, button="Close the incident"
        )

    def draft_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self._incident(request, pk, change=False)
        with transaction.atomic():
            audit.record(
                "incidents.draft.viewed",
                actor=request.user,
                target=incident,
                data={"reference": incident.reference},
            )
        context = {
            "incident": incident,
            "categories": self.categories_text(incident),
            "jurisdictions": self.jurisdictions_text(incident),
            "aware_at": timezone.localtime(incident.became_aware_at),
            "due_at": timezone.localtime(incident.authority_due_at),
            "late": clocks.is_late(incident.authority_due_at, timezone.now()),
            "contact": settings.PRIVACY_CONTACT_EMAIL,
            "made_at": timezone.localtime(),
        }
        return TemplateResponse(request, "incidents/authority_draft.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        incident = Incident.objects.filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if incident is not None and self.has_change_permission(request, incident):
            extra["incident_actions"] = _offered(incident)
        return super().change_view(request, object_id, form_url, extra)

    # --- the register for a regulator ---------------------------------------

    def _csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        with transaction.atomic():  # evidence leaving the portal
            audit.record(
                "incidents.register.downloaded",
                actor=request.user,
                data={"incidents": queryset.count()},
            )
        response = StreamingHttpResponse(
            register_csv(queryset), content_type="text/csv; charset=utf-8"
        )
        name = f"breach-register-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def register_view(self, request: HttpRequest) -> StreamingHttpResponse:
        return self._csv(request, Incident.objects.all())

    @admin.action(
        description="Download selected as CSV (breach register)", permissions=["view"]
    )
    def download_csv(
        self, request: HttpRequest, queryset: QuerySet
    ) -> StreamingHttpResponse:
        return self._csv(request, queryset)


def _offered(incident: Incident) -> list[tuple[str, str]]:
    """The decision pages the incident's state allows (others are not offered)."""
    names = []
    if incident.status == S.OPEN:
        names.append(("incidents_decide", "Record decision"))
    if incident.awaiting_authority:
        names.append(("incidents_notified", "Mark authority notified"))
    if incident.status in (S.NOTIFIED, S.NOT_NOTIFIABLE):
        names.append(("incidents_close", "Close"))
    return [
        (reverse(f"admin:{name}", args=[incident.pk]), label) for name, label in names
    ]


class NoticeRuleAdmin(admin.ModelAdmin):
    """Versions of a notice period: added and edited, audited, never deleted.

    A version's first day is fixed once saved: a change of law is a new version
    starting that day, with the old one ended the day before. Once an incident
    was counted under a version, its period is fixed too (the forms).
    """

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return ("effective_from",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a period that no longer applies is ended, not lost

    @admin.display(description="in force", ordering="effective_from")
    def in_force(self, obj: StateNoticeRule | AuthorityNoticeRule) -> str:
        return obj.in_force_label


@admin.register(StateNoticeRule)
class StateNoticeRuleAdmin(NoticeRuleAdmin):
    form = StateNoticeRuleForm
    list_display = ("state_name", "in_force", "days", "verified_by_counsel", "notes")
    list_filter = ("verified_by_counsel",)
    search_fields = ("state",)
    fields = (
        "state",
        "effective_from",
        "effective_to",
        "days",
        "notes",
        "verified_by_counsel",
    )
    formfield_overrides = WIDE_INPUTS

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs):
        if db_field.name == "state":  # by name: a typo'd code would never apply
            return forms.ChoiceField(
                label="State", choices=[("", "---------"), *US_STATES]
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: StateNoticeRule, form: Any, change: bool
    ) -> None:
        services.state_rule_save(actor=request.user, rule=obj, fields=form.changed_data)

    @admin.display(description="state", ordering="state")
    def state_name(self, obj: StateNoticeRule) -> str:
        return jurisdiction_name(f"US-{obj.state}")


@admin.register(AuthorityNoticeRule)
class AuthorityNoticeRuleAdmin(NoticeRuleAdmin):
    form = AuthorityNoticeRuleForm
    list_display = ("name", "where", "in_force", "period")
    fields = (
        "code",
        "name",
        "jurisdictions",
        "effective_from",
        "effective_to",
        "hours",
        "source_citation",
        "source_url",
    )
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(
        self, request: HttpRequest, obj: AuthorityNoticeRule, form: Any, change: bool
    ) -> None:
        services.authority_rule_save(
            actor=request.user, rule=obj, fields=form.changed_data
        )

    @admin.display(description="applies to")
    def where(self, obj: AuthorityNoticeRule) -> str:
        return ", ".join(jurisdiction_name(code) for code in obj.jurisdictions)

    @admin.display(description="time to notify")
    def period(self, obj: AuthorityNoticeRule) -> str:
        return f"{obj.hours} hours after becoming aware"


# --- Compromised-account reports ------------------------------------------------


class ReportStatusFilter(admin.SimpleListFilter):
    """The states staff can see (unconfirmed reports are not listed)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        shown = (
            CompromiseReport.Status.RECEIVED,
            CompromiseReport.Status.INCIDENT_OPENED,
        )
        return [(status.value, status.label) for status in shown]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(CompromiseReport)
class CompromiseReportAdmin(admin.ModelAdmin):
    """Confirmed reports from the public form; read-only but for one action."""

    change_form_template = "admin/incidents_app/compromisereport/change_form.html"
    list_display = ("reference", "verified_at", "status", "account_name", "incident")
    list_filter = (ReportStatusFilter,)
    search_fields = ("reference", "email", "account_name")
    list_select_related = ("incident",)
    date_hierarchy = "verified_at"
    fields = (
        "reference",
        "status",
        "verified_at",
        "what_happened_text",
        "happened_on",
        "email",
        "phone",
        "account_name",
        "language_name",
        "incident",
        "incident_opened_at",
        "incident_opened_by",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Unconfirmed reports may be anyone's typing; staff see what a
        # reporter confirmed, and the purge job deletes the rest.
        return (
            super()
            .get_queryset(request)
            .exclude(status=CompromiseReport.Status.UNCONFIRMED)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # what the reporter said stays as they said it

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="what happened")
    def what_happened_text(self, obj: CompromiseReport) -> str:
        return linebreaksbr(obj.what_happened, autoescape=True)

    @admin.display(description="reporter's language")
    def language_name(self, obj: CompromiseReport) -> str:
        return languages.name(obj.language) if obj.language else "Not known"

    def _may_open(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents_app.add_incident")

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.open_incident_view)
        return [
            path("<int:pk>/open-incident/", view, name="incidents_compromise_open"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        report = self.get_queryset(request).filter(pk=object_id).first()
        extra = dict(extra_context or {})
        extra["can_open_incident"] = (
            report is not None
            and report.status == CompromiseReport.Status.RECEIVED
            and self._may_open(request)
        )
        return super().change_view(request, object_id, form_url, extra)

    def open_incident_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A confirmation page, then the service: the authority's clock starts."""
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self._may_open(request):
            raise PermissionDenied
        if request.method == "POST":
            try:
                incident = services.compromise_incident_open(
                    actor=request.user, report=report
                )
            except services.IncidentRefused as refused:
                messages.error(request, str(refused))
                return redirect("admin:incidents_app_compromisereport_change", pk)
            messages.success(
                request, f"{incident.reference} opened from report {report.reference}."
            )
            return redirect("admin:incidents_app_incident_change", incident.pk)
        # The people affected are not known yet: the shortest period in force.
        hours = clocks.authority_hours_at(report.verified_at, [])
        context = {
            **self.admin_site.each_context(request),
            "title": f"Open an incident from report {report.reference}",
            "report": report,
            "opts": self.model._meta,
            "hours": hours,
            "due": timezone.localtime(clocks.authority_due(report.verified_at, hours)),
        }
        return TemplateResponse(
            request, "admin/incidents_app/compromisereport/open_incident.html", context
        )


# --- telling the people affected (incidents_app/notices.py) ----------------------


class ChooseForm(forms.Form):
    how = forms.ChoiceField(
        label="Add",
        choices=[
            ("everyone", "Everyone on file with an e-mail address"),
            ("consent", "People with a consent answer for the purposes below"),
        ],
        widget=forms.RadioSelect,
    )
    purposes = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from consent_app.models import Purpose

        super().__init__(*args, **kwargs)
        self.fields["purposes"].choices = list(
            Purpose.objects.order_by("name").values_list("code", "name")
        )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="List of e-mail addresses",
        help_text="A CSV file, one address per line (a header 'email' is allowed). "
        "If any line is wrong, no one from the file is added.",
    )


class NoticeForm(forms.Form):
    what_happened = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="What happened"
    )
    consequences = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What this may mean for them",
        required=False,
    )
    measures = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="What we are doing"
    )
    advice = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What they can do",
        required=False,
        help_text="e.g. change your password, watch your bank statements.",
    )

    def text(self) -> notices.NoticeText:
        return notices.NoticeText(**self.cleaned_data)


def _notice_initial(incident: Incident) -> dict[str, str]:
    last = incident.notice_runs.order_by("-pk").first()
    text = notices._text(last) if last else notices.NoticeText.drafted_from(incident)
    return vars(text)


def _notices_post(
    request: HttpRequest, incident: Incident, page: dict[str, Any]
) -> HttpResponse | None:
    """Handle one of the page's forms; a redirect when something changed."""
    action = request.POST.get("action")
    done = None
    try:
        if action == "choose":
            page["choose"] = form = ChooseForm(request.POST)
            if form.is_valid():
                done = _choose(request, incident, form)
        elif action == "upload":
            page["upload"] = form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                text = form.cleaned_data["file"].read().decode("utf-8-sig", "replace")
                added = notices.affected_add_list(
                    actor=request.user, incident=incident, text=text
                )
                done = f"{added:,} people added from the list."
        elif action in ("preview", "send"):
            page["notice"] = form = NoticeForm(request.POST)
            if form.is_valid() and action == "preview":
                page["preview"] = notices.notice_preview(incident, form.text())
            elif form.is_valid():
                run = notices.notice_run_start(
                    actor=request.user, incident=incident, text=form.text()
                )
                done = f"Sending the notice to {run.total:,} people."
    except notices.ListRejected as rejected:
        messages.error(request, str(rejected))
        page["list_errors"] = rejected.errors[:200]
    except notices.NoticeRefused as refused:
        messages.error(request, str(refused))
    if done is None:
        return None
    messages.success(request, f"{incident.reference}: {done}")
    return redirect("admin:incidents_notices", incident.pk)


def _choose(request: HttpRequest, incident: Incident, form: ChooseForm) -> str:
    if form.cleaned_data["how"] == "everyone":
        added = notices.affected_add_everyone(actor=request.user, incident=incident)
    else:
        added = notices.affected_add_by_consent(
            actor=request.user,
            incident=incident,
            purpose_codes=form.cleaned_data["purposes"],
        )
    return f"{added:,} people added (people already on the list are not added twice)."


def notices_view(
    model_admin: IncidentAdmin, request: HttpRequest, pk: int
) -> HttpResponse:
    """The people affected: choose them, preview the notice, send it."""
    change = request.method == "POST"
    incident = model_admin._incident(request, pk, change=change)
    page: dict[str, Any] = {}
    if change:
        response = _notices_post(request, incident, page)
        if response is not None:
            return response
    can_change = model_admin.has_change_permission(request, incident)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"People affected: {incident.reference}",
        "incident": incident,
        "opts": model_admin.model._meta,
        "can_change": can_change,
        "decision": model_admin.people_decision(incident),
        "counts": notices.affected_counts(incident),
        "runs": incident.notice_runs.select_related("started_by").order_by("-pk"),
        "choose": page.get("choose") or ChooseForm(),
        "upload": page.get("upload") or UploadForm(),
        "notice": page.get("notice") or NoticeForm(initial=_notice_initial(incident)),
        "preview": page.get("preview"),
        "list_errors": page.get("list_errors"),
    }
    return TemplateResponse(request, "incidents/admin/notices_page.html", context)
