"""Staff screens for appeals of refused requests and the states' appeal rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from requests_app import jurisdictions, timeline
from requests_app.admin import WIDE_INPUTS, AuditedPolicyAdmin, DueWindowFilter
from requests_app.models import Appeal, AppealRule, PrivacyRequest
from requests_app.services.appeals import AppealError, appeal_decide

# Frozen once an appeal uses the version: a change of law is a new version.
RULE_TIMING_FIELDS = ("jurisdiction", "effective_from", "window_days", "decide_days")


@admin.register(AppealRule)
class AppealRuleAdmin(AuditedPolicyAdmin):
    list_display = ("name", "state", "in_force", "window", "decide", "complaint")
    search_fields = ("name", "jurisdiction")
    formfield_overrides = WIDE_INPUTS

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs):
        if db_field.name == "jurisdiction":
            return forms.ChoiceField(
                label="State",
                choices=[("", "---------"), *jurisdictions.known_codes()],
                help_text="Where the requester lives.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="State", ordering="jurisdiction")
    def state(self, obj: AppealRule) -> str:
        return jurisdictions.jurisdiction_name(obj.jurisdiction)

    @admin.display(description="In force", ordering="effective_from")
    def in_force(self, obj: AppealRule) -> str:
        return obj.in_force_label

    @admin.display(description="Time to appeal")
    def window(self, obj: AppealRule) -> str:
        return f"{obj.window_days} days after the decision"

    @admin.display(description="Time to decide")
    def decide(self, obj: AppealRule) -> str:
        return f"{obj.decide_days} days"

    @admin.display(description="Attorney general")
    def complaint(self, obj: AppealRule) -> str:
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">complaint page</a>',
            obj.complaint_url,
        )

    def _frozen(self, obj: Any) -> bool:
        return obj is not None and obj.appeal_set.exists()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        if self._frozen(obj):  # the state by name, not its code
            return ("state", *RULE_TIMING_FIELDS[1:])
        return ()

    def get_exclude(self, request: HttpRequest, obj: Any = None):
        return ("jurisdiction",) if self._frozen(obj) else None


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("uphold", "Uphold: reopen the request and carry it out"),
            (
                "deny",
                "Deny: keep the decision (the requester gets the attorney "
                "general's complaint link)",
            ),
        ],
        # The admin lays out choices by this class (else in the label column).
        widget=forms.RadioSelect(attrs={"class": "radiolist"}),
    )
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="E-mailed to the requester as written.",
        max_length=5000,
    )


class OpenFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decided"

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [("no", "Not decided yet"), ("yes", "Decided")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(status=Appeal.Status.OPEN)
        if self.value() == "yes":
            return queryset.exclude(status=Appeal.Status.OPEN)
        return queryset


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("request", "state", "filed", "decide_by", "outcome", "decider")
    list_filter = (OpenFilter, DueWindowFilter)
    list_select_related = ("request", "rule", "decided_by", "appealed_decided_by")
    search_fields = ("request__reference",)
    actions = ["decide"]
    change_form_template = "requests/admin/appeal_change_form.html"
    fields = (
        "request_link",
        "state",
        "appealed",
        "first_decider",
        "wrote",
        "filed",
        "decide_by",
        "outcome",
        "decider",
        "decided",
        "reasons_given",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # appeals are filed by requesters, on their status page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence of the requester's right exercised

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decided through the action, which calls the service

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("requests_app.decide_appeal")

    @admin.display(description="Request")
    def request_link(self, obj: Appeal) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:requests_app_privacyrequest_change", args=[obj.request_id]),
            obj.request.reference,
        )

    @admin.display(description="What the requester wrote")
    def wrote(self, obj: Appeal) -> str:
        return obj.text

    @admin.display(description="Law")
    def state(self, obj: Appeal) -> str:
        return obj.rule.name

    @admin.display(description="Decision appealed")
    def appealed(self, obj: Appeal) -> str:
        return PrivacyRequest.Status(obj.appealed_status).label

    @admin.display(description="First decision by")
    def first_decider(self, obj: Appeal) -> str:
        if obj.appealed_decided_by is None:
            return "Not recorded"
        return timeline.person(obj.appealed_decided_by)

    @admin.display(description="Filed", ordering="filed_at")
    def filed(self, obj: Appeal) -> str:
        return f"{timezone.localtime(obj.filed_at):%-d %b %Y %H:%M}"

    @admin.display(description="Decide by", ordering="due_at")
    def decide_by(self, obj: Appeal) -> str:
        due = f"{timezone.localtime(obj.due_at):%-d %b %Y}"
        late = obj.status == Appeal.Status.OPEN and obj.due_at < timezone.now()
        return f"{due} (overdue)" if late else due

    @admin.display(description="Outcome", ordering="status")
    def outcome(self, obj: Appeal) -> str:
        return {
            Appeal.Status.OPEN: "Not decided yet",
            Appeal.Status.UPHELD: "Upheld (request reopened)",
            Appeal.Status.DENIED: "Denied",
        }[obj.status]

    @admin.display(description="Decided by")
    def decider(self, obj: Appeal) -> str:
        return timeline.person(obj.decided_by) if obj.decided_by else "—"

    @admin.display(description="Reasons")
    def reasons_given(self, obj: Appeal) -> str:
        return obj.reasons or "—"

    @admin.display(description="Decided")
    def decided(self, obj: Appeal) -> str:
        if obj.decided_at is None:
            return "—"
        return f"{timezone.localtime(obj.decided_at):%-d %b %Y %H:%M}"

    @admin.action(description="Decide the selected appeals", permissions=["decide"])
    def decide(self, request: HttpRequest, queryset: QuerySet):
        form = DecideForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._decide_each(request, queryset, form.cleaned_data)
            return None
        chosen = queryset.select_related("request", "rule", "appealed_decided_by")
        context = {
            **self.admin_site.each_context(request),
            "title": "Decide appeals" if len(chosen) > 1 else "Decide the appeal",
            "opts": self.model._meta,
            "form": form,
            "queryset": chosen,
            "appeals": [
                (obj, self.appealed(obj), self.first_decider(obj), self.decide_by(obj))
                for obj in chosen
            ],
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "requests/admin/appeal_decide.html", context)

    # --- one appeal, from its own page ---------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.decide_one)
        return [
            path("<int:pk>/decide/", view, name="requests_app_appeal_decide"),
            *super().get_urls(),
        ]

    def decide_one(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The list's action for the appeal whose page the officer is on."""
        appeal = get_object_or_404(Appeal, pk=pk)
        if not self.has_decide_permission(request):
            raise PermissionDenied
        page = reverse("admin:requests_app_appeal_change", args=[appeal.pk])
        if appeal.status != Appeal.Status.OPEN:
            self.message_user(request, "This appeal is already decided.", messages.INFO)
            return HttpResponseRedirect(page)
        response = self.decide(request, Appeal.objects.filter(pk=appeal.pk))
        return response or HttpResponseRedirect(page)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = Appeal.objects.filter(pk=object_id).first()
        offered = (
            appeal is not None
            and appeal.status == Appeal.Status.OPEN
            and self.has_decide_permission(request)
        )
        extra = {**(extra_context or {}), "decide_url": None}
        if offered:
            extra["decide_url"] = reverse(
                "admin:requests_app_appeal_decide", args=[appeal.pk]
            )
            extra["refused_it"] = appeal.appealed_decided_by_id == request.user.pk
        return super().change_view(request, object_id, form_url, extra)

    def _decide_each(self, request: HttpRequest, queryset: QuerySet, data: dict):
        done, refusals = 0, []
        for appeal in queryset.select_related("request", "rule"):
            try:
                appeal_decide(
                    actor=request.user,
                    appeal=appeal,
                    upheld=data["decision"] == "uphold",
                    reasons=data["reasons"],
                )
                done += 1
            except AppealError as error:
                refusals.append(str(error))
        verb = "upheld" if data["decision"] == "uphold" else "denied"
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(request, f"{done} appeal{'s' * (done != 1)} {verb}.", level)
        for why in refusals:
            self.message_user(request, why, messages.WARNING)
