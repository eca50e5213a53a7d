"""Complaints in the admin: a readable queue, a workbench page, the two tables.

The admin calls services only. Each workflow step is a button on the
complaint's page (shown only when the status allows it) that opens a short
form; the list offers the steps that need no text as bulk actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from complaints_app import authorities, services
from complaints_app.forms import ComplaintRuleForm
from complaints_app.models import (
    Complaint,
    ComplaintRule,
    SupervisoryAuthority,
)
from incidents_app.models import Incident
from privacyportal import audit, languages
from requests_app.admin import WIDE_INPUTS, DueWindowFilter
from requests_app.jurisdictions import jurisdiction_name, residence_name
from requests_app.services.common import tz
from requests_app.timeline import person

C = Complaint.Status


class StepForm(forms.Form):
    """A step's form; it knows the complaint (the incident choices depend on it)."""

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint


class NoteForm(StepForm):
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        max_length=5000,
        help_text="Staff only; never e-mailed.",
    )


class DecideForm(StepForm):
    upheld = forms.TypedChoiceField(
        label="Decision",
        choices=[("yes", "Resolved (complaint upheld)"), ("no", "Not upheld")],
        coerce=lambda value: value == "yes",
        # The admin lays out choices by this class (else in the label column).
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),
    )
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        max_length=5000,
        help_text="E-mailed to the complainant as written, followed by the "
        "dispute-resolution body and the authority for where they live.",
    )


class EscalateForm(StepForm):
    to = forms.CharField(
        label="Taken to",
        max_length=200,
        help_text="e.g. TRUSTe, or the Information Commissioner's Office.",
    )


class LinkIncidentForm(StepForm):
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(),
        help_text="The incident in the breach register this complaint is about.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.exclude(
            complaint_links__complaint=self.complaint
        ).order_by("-became_aware_at")


class UnlinkIncidentForm(StepForm):
    incident = forms.ModelChoiceField(queryset=Incident.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = self.complaint.incidents.order_by(
            "-became_aware_at"
        )


# step -> (button label, statuses it applies to, form, what it runs)
STEPS: dict[str, tuple[str, tuple[str, ...], type[StepForm] | None]] = {
    "acknowledge": ("Acknowledge", (C.RECEIVED,), None),
    "investigate": ("Start the investigation", (C.ACKNOWLEDGED,), None),
    "note": ("Add a note…", tuple(C.values), NoteForm),
    "decide": ("Record the outcome…", (C.ACKNOWLEDGED, C.INVESTIGATING), DecideForm),
    "escalate": ("Taken further…", (C.RESOLVED, C.NOT_UPHELD), EscalateForm),
    "link": ("Link an incident…", tuple(C.values), LinkIncidentForm),
    "unlink": ("Unlink an incident…", tuple(C.values), UnlinkIncidentForm),
}


# What the step's page says will happen, and its confirm button.
STEP_WORDS: dict[str, tuple[str, str]] = {
    "acknowledge": (
        "The complainant is e-mailed that our Privacy Officer has read the "
        "complaint and by which date they will have the outcome.",
        "Acknowledge and e-mail the complainant",
    ),
    "investigate": (
        "The complaint is marked as under investigation. Nobody is e-mailed.",
        "Start the investigation",
    ),
    "note": (
        "Notes are for staff only and cannot be changed once added.",
        "Add the note",
    ),
    "decide": (
        "The complainant is e-mailed the outcome as you write it, with the "
        "dispute-resolution body and the authority for where they live.",
        "Record the outcome and e-mail it",
    ),
    "escalate": (
        "Record that the complainant took the complaint further. Nobody is e-mailed.",
        "Record where it was taken",
    ),
    "link": (
        "The complaint and the incident will each show the other. Nobody is e-mailed.",
        "Link the incident",
    ),
    "unlink": (
        "The link between the complaint and the incident is removed. Nobody is "
        "e-mailed.",
        "Unlink the incident",
    ),
}


def _run(step: str, actor: Any, complaint: Complaint, data: dict) -> str:
    if step == "acknowledge":
        services.complaint_acknowledge(actor=actor, complaint=complaint)
        return f"{complaint.reference} acknowledged; the complainant was told."
    if step == "investigate":
        services.complaint_investigate(actor=actor, complaint=complaint)
        return f"Investigation of {complaint.reference} started."
    if step == "note":
        services.complaint_note_add(actor=actor, complaint=complaint, text=data["text"])
        return f"Note added to {complaint.reference}."
    if step in ("link", "unlink"):
        return _link(step, actor, complaint, data["incident"])
    if step == "decide":
        services.complaint_decide(
            actor=actor,
            complaint=complaint,
            upheld=data["upheld"],
            outcome=data["outcome"],
        )
        return f"Outcome of {complaint.reference} recorded and e-mailed."
    services.complaint_escalate(actor=actor, complaint=complaint, to=data["to"])
    return f"{complaint.reference} recorded as taken to {data['to']}."


def _link(step: str, actor: Any, complaint: Complaint, incident: Incident) -> str:
    if step == "link":
        made = services.complaint_link_incident(
            actor=actor, complaint=complaint, incident=incident
        )
        done = "linked to" if made else "was already linked to"
    else:
        made = services.complaint_unlink_incident(
            actor=actor, complaint=complaint, incident=incident
        )
        done = "unlinked from" if made else "was not linked to"
    return f"{complaint.reference} {done} {incident.reference}."


# Line breaks as <br>: the CSP allows no inline style (pre-wrap would be dropped).
NOTE_HTML = "<p><strong>{}, {}</strong><br>{}</p>"


def _day(moment) -> str:
    return f"{moment.astimezone(tz()):%-d %b %Y}" if moment else "—"


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "status",
        "name",
        "place",
        "received",
        "next_date",
        "assignee_name",
    )
    list_filter = ("status", DueWindowFilter)
    list_select_related = ("assignee",)
    search_fields = ("=reference", "=email")
    ordering = ("-received_at", "-id")
    actions = ("acknowledge_selected", "investigate_selected", "assign_to_me")
    change_form_template = "admin/complaints_app/complaint/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "status",
                    "assignee_name",
                    "received",
                    "ack_due",
                    "decide_due",
                    "law_applied",
                )
            },
        ),
        (
            "Complainant",
            {"fields": ("name", "email", "place", "language_name", "text")},
        ),
        ("Investigation notes (staff only)", {"fields": ("note_list",)}),
        (
            "Linked requests and incidents",
            {"fields": ("linked_requests", "linked_incidents")},
        ),
        (
            "Decision",
            {
                "fields": (
                    "acknowledged",
                    "decided",
                    "outcome",
                    "escalated",
                    "where_next",
                )
            },
        ),
    )
    readonly_fields = (
        "reference",
        "status",
        "assignee_name",
        "received",
        "ack_due",
        "decide_due",
        "law_applied",
        "name",
        "email",
        "place",
        "language_name",
        "text",
        "linked_requests",
        "linked_incidents",
        "note_list",
        "acknowledged",
        "decided",
        "outcome",
        "escalated",
        "where_next",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # complaints come from the public form (confirmed by e-mail)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- columns ---------------------------------------------------------------

    @admin.display(description="where they live")
    def place(self, obj: Complaint) -> str:
        return residence_name(obj.country, obj.region) or jurisdiction_name(
            obj.jurisdiction
        )

    @admin.display(description="received", ordering="received_at")
    def received(self, obj: Complaint) -> str:
        return _day(obj.received_at)

    @admin.display(description="next date")
    def next_date(self, obj: Complaint) -> str:
        due = obj.running_due_at
        if due is None:
            return "—"
        what = "acknowledge by" if obj.acknowledged_at is None else "decide by"
        late = due < timezone.now()
        return format_html(
            "{} {}{}",
            what,
            _day(due),
            mark_safe(" <strong>(overdue)</strong>") if late else "",
        )

    @admin.display(description="assignee")
    def assignee_name(self, obj: Complaint) -> str:
        return person(obj.assignee) if obj.assignee_id else "nobody yet"

    @admin.display(description="acknowledge by")
    def ack_due(self, obj: Complaint) -> str:
        return _day(obj.ack_due_at)

    @admin.display(description="decide by")
    def decide_due(self, obj: Complaint) -> str:
        return _day(obj.due_at)

    @admin.display(description="law applied")
    def law_applied(self, obj: Complaint) -> str:
        if obj.rule_id is None:
            return "The company's own periods (no law sets a shorter one here)"
        return f"{obj.rule.name} ({obj.rule.source_citation})"

    @admin.display(description="language")
    def language_name(self, obj: Complaint) -> str:
        return languages.name(obj.language) if obj.language else "Not known"

    @admin.display(description="privacy requests")
    def linked_requests(self, obj: Complaint) -> str:
        rows = [
            (
                reverse("admin:requests_app_privacyrequest_change", args=[r.pk]),
                r.reference,
            )
            for r in obj.requests.all()
        ]
        if not rows:
            return "none"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', rows)

    @admin.display(description="incidents")
    def linked_incidents(self, obj: Complaint) -> str:
        rows = [
            (
                reverse("admin:incidents_app_incident_change", args=[i.pk]),
                i.reference,
                i.title,
            )
            for i in obj.incidents.order_by("-became_aware_at")
        ]
        if not rows:
            return "none"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {}', rows)

    @admin.display(description="notes")
    def note_list(self, obj: Complaint) -> str:
        notes = obj.notes.select_related("author")
        rows = [
            (
                f"{note.created_at.astimezone(tz()):%-d %b %Y %H:%M}",
                person(note.author),
                linebreaksbr(note.text, autoescape=True),
            )
            for note in notes
        ]
        if not rows:
            return "none yet"
        return format_html_join(
            "",
            NOTE_HTML,
            rows,
        )

    @admin.display(description="acknowledged")
    def acknowledged(self, obj: Complaint) -> str:
        if obj.acknowledged_at is None:
            return "not yet"
        who = person(obj.acknowledged_by) if obj.acknowledged_by_id else "the portal"
        return f"{_day(obj.acknowledged_at)} by {who}"

    @admin.display(description="decided")
    def decided(self, obj: Complaint) -> str:
        if obj.decided_at is None:
            return "not yet"
        who = person(obj.decided_by) if obj.decided_by_id else "the portal"
        return f"{_day(obj.decided_at)} by {who}"

    @admin.display(description="taken further")
    def escalated(self, obj: Complaint) -> str:
        if obj.escalated_at is None:
            return "no"
        return f"{_day(obj.escalated_at)}, to {obj.escalated_to}"

    @admin.display(description="where they can go next")
    def where_next(self, obj: Complaint) -> str:
        steps = authorities.next_steps(obj)
        body = steps["dispute_body"]
        rows = [(body["url"], body["name"])] + [
            (a["url"], a["name"]) for a in steps["authorities"]
        ]
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', rows)

    # --- the workflow -----------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/step/<slug:step>/",
                self.admin_site.admin_view(self.step_view),
                name="complaints_app_complaint_step",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        buttons = []
        if obj is not None and self.has_change_permission(request, obj):
            buttons = [
                (
                    reverse("admin:complaints_app_complaint_step", args=[obj.pk, step]),
                    label,
                )
                for step, (label, statuses, _) in STEPS.items()
                if obj.status in statuses
                and (step != "unlink" or obj.incident_links.exists())
            ]
        extra_context = {
            **(extra_context or {}),
            "steps": buttons,
            "title": f"Complaint {obj.reference}" if obj else "Complaint",
            # Nothing on the page is edited in place: every change is a step.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def step_view(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        complaint = get_object_or_404(Complaint, pk=pk)
        if step not in STEPS or not self.has_change_permission(request, complaint):
            return HttpResponseRedirect(self._page(complaint))
        label, statuses, form_class = STEPS[step]
        if complaint.status not in statuses:
            self.message_user(
                request,
                f"{complaint.reference} is {complaint.get_status_display().lower()}: "
                f"“{label.rstrip('…')}” is not possible now.",
                messages.ERROR,
            )
            return HttpResponseRedirect(self._page(complaint))
        form = (
            form_class(request.POST or None, complaint=complaint)
            if form_class
            else None
        )
        if request.method == "POST" and (form is None or form.is_valid()):
            data = form.cleaned_data if form else {}
            try:
                self.message_user(request, _run(step, request.user, complaint, data))
            except services.ComplaintError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(self._page(complaint))
        explained, button = STEP_WORDS[step]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label.rstrip('…')}: {complaint.reference}",
            "complaint": complaint,
            "form": form,
            "explained": explained,
            "button": button,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/complaints_app/complaint/step.html", context
        )

    def _page(self, complaint: Complaint) -> str:
        return reverse("admin:complaints_app_complaint_change", args=[complaint.pk])

    # --- bulk actions -------------------------------------------------------------

    def _bulk(self, request, queryset, call, done: str) -> None:
        count, refused = 0, []
        for complaint in queryset:
            try:
                call(actor=request.user, complaint=complaint)
                count += 1
            except services.ComplaintError as exc:
                refused.append(str(exc))
        self.message_user(request, f"{count} of {len(queryset)} complaints {done}.")
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(
        description="Acknowledge (e-mails the complainant)", permissions=["change"]
    )
    def acknowledge_selected(self, request, queryset) -> None:
        self._bulk(request, queryset, services.complaint_acknowledge, "acknowledged")

    @admin.action(description="Start the investigation", permissions=["change"])
    def investigate_selected(self, request, queryset) -> None:
        self._bulk(
            request, queryset, services.complaint_investigate, "under investigation"
        )

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset) -> None:
        def assign(*, actor, complaint):
            services.complaint_assign(actor=actor, complaint=complaint, assignee=actor)

        self._bulk(request, queryset, assign, "assigned to you")


class _AuditedAdmin(admin.ModelAdmin):
    """Staff edit these tables directly; every save and deletion is audited."""

    action_code = ""
    formfield_overrides = WIDE_INPUTS

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            self.action_code,
            actor=request.user,
            target=obj,
            data={"what": "changed" if change else "added", "name": str(obj)},
        )

    def delete_model(self, request, obj) -> None:
        audit.record(
            self.action_code,
            actor=request.user,
            target=obj,
            data={"what": "deleted", "name": str(obj)},
        )
        super().delete_model(request, obj)


@admin.register(SupervisoryAuthority)
class SupervisoryAuthorityAdmin(_AuditedAdmin):
    action_code = "complaints.authority.changed"
    list_display = ("name", "place", "complaint_page")
    search_fields = ("code", "name")
    fields = ("code", "name", "complaint_url", "order")
    actions = None

    @admin.display(description="complaint page", ordering="complaint_url")
    def complaint_page(self, obj: SupervisoryAuthority) -> str:
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">{}</a>',
            obj.complaint_url,
            obj.complaint_url,
        )

    @admin.display(description="where", ordering="code")
    def place(self, obj: SupervisoryAuthority) -> str:
        country, _, region = obj.code.partition("-")
        return residence_name(country, region) or obj.code


@admin.register(ComplaintRule)
class ComplaintRuleAdmin(_AuditedAdmin):
    action_code = "complaints.rule.changed"
    form = ComplaintRuleForm
    list_display = ("name", "where", "in_force", "ack_days", "resolution_days")
    fields = (
        "code",
        "name",
        "jurisdictions",
        "effective_from",
        "effective_to",
        "ack_days",
        "resolution_days",
        "source_citation",
        "source_url",
    )
    actions = None

    @admin.display(description="applies to")
    def where(self, obj: ComplaintRule) -> str:
        return ", ".join(jurisdiction_name(code) for code in obj.jurisdictions)

    @admin.display(description="in force")
    def in_force(self, obj: ComplaintRule) -> str:
        return obj.in_force_label
