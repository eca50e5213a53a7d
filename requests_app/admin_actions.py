"""Staff actions on requests, shared by the queue (bulk) and the request page.

Each action has a confirmation form (or none: it runs at once) and calls one
service. Requests an action does not apply to are set aside before the form
is shown, and every one set aside is reported by reference and reason, in the
words of ``requests_app.actions``; the services still guard every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from privacyportal import roles
from requests_app import actions, services, timeline
from requests_app.fulfilment import erasure, exports, restriction
from requests_app.models import DenialCategory, PrivacyRequest
from requests_app.services import RequestError, TransitionError
from requests_app.services.workflow import EXTENSION_BY_NOTICE_MAX_DAYS

# --- forms ---------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """Nothing to fill in: the page is there to confirm an irreversible step."""


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label="Assign to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workers = Q(is_superuser=True) | Q(
            groups__name__in=[roles.PRIVACY_OFFICER, roles.PRIVACY_ANALYST]
        )
        field = self.fields["assignee"]
        field.queryset = (
            get_user_model()
            .objects.filter(workers, is_active=True, is_staff=True)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        field.label_from_instance = timeline.person


class ExtendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, help_text="E-mailed to the requester."
    )
    until = forms.DateField(
        required=False,
        label="New due date (only where the law lets you name it)",
        help_text="Switzerland, Singapore, New Zealand: the date you tell the "
        "requester, at most 90 days after the current due date. Leave empty "
        "where the law fixes the extension.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AskForm(forms.Form):
    question = forms.CharField(
        widget=forms.Textarea, help_text="E-mailed; answered on the status page."
    )


class DenyForm(forms.Form):
    category = forms.ChoiceField(
        choices=DenialCategory.choices,
        label="Why, in the words of the yearly reports",
        help_text="Counted in the CCPA § 7102 metrics (Reports).",
    )
    reason = forms.CharField(widget=forms.Textarea, help_text="E-mailed.")
    legal_basis = forms.CharField(
        max_length=200, help_text="e.g. GDPR Art. 12(5) manifestly unfounded"
    )


class CompleteForm(forms.Form):
    partial = forms.BooleanField(
        required=False, label="Only partly completed (say what was not done below)"
    )
    summary = forms.CharField(
        widget=forms.Textarea, required=False, help_text="E-mailed to the requester."
    )


class ApproveErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label="Delete or anonymise this person's data in every source once the "
        "cancel window has passed",
    )


class ObjectionForm(forms.Form):
    marketing = forms.BooleanField(required=False, label="Objects to marketing")
    profiling = forms.BooleanField(required=False, label="Objects to profiling")
    reason = forms.CharField(required=False, help_text="Recorded in the audit trail.")


# --- what each action runs -----------------------------------------------------

Run = Callable[[Any, PrivacyRequest, dict], Any]


@dataclass(frozen=True)
class Step:
    form: type[forms.Form] | None  # None: runs at once, no confirmation page
    title: str
    run: Run


def _restriction(user: Any, r: PrivacyRequest, d: dict) -> Any:
    return restriction.restriction_apply(
        actor=user,
        request=r,
        marketing=d["marketing"],
        profiling=d["profiling"],
        reason=d["reason"],
    )


def _deny(user: Any, r: PrivacyRequest, d: dict) -> Any:
    return services.request_deny(
        actor=user,
        request=r,
        reason=d["reason"],
        legal_basis=d["legal_basis"],
        category=d["category"],
    )


def _complete(user: Any, r: PrivacyRequest, d: dict) -> Any:
    return services.request_complete(
        actor=user, request=r, partial=d["partial"], summary=d["summary"]
    )


STEPS: dict[str, Step] = {
    "assign_to_me": Step(
        None,
        "",
        lambda u, r, d: services.request_assign(actor=u, request=r, assignee=u),
    ),
    "assign": Step(
        AssignForm,
        "Assign to a colleague",
        lambda u, r, d: services.request_assign(
            actor=u, request=r, assignee=d["assignee"]
        ),
    ),
    "ask": Step(
        AskForm,
        "Ask the requester a question",
        lambda u, r, d: services.request_ask(
            actor=u, request=r, question=d["question"]
        ),
    ),
    "extend": Step(
        ExtendForm,
        "Extend the deadline (the requester is e-mailed)",
        lambda u, r, d: services.request_extend(
            actor=u, request=r, reason=d["reason"], until=d.get("until")
        ),
    ),
    "approve_export": Step(
        ConfirmForm,
        "Approve the export (a download link is e-mailed to the requester)",
        lambda u, r, d: exports.export_approve(actor=u, request=r),
    ),
    "approve_erasure": Step(
        ApproveErasureForm,
        "Approve erasure (it starts in {hours} hours unless cancelled; "
        "the requester is e-mailed)",
        lambda u, r, d: erasure.erasure_approve(actor=u, request=r),
    ),
    "cancel_erasure": Step(
        None, "", lambda u, r, d: erasure.erasure_cancel(actor=u, request=r)
    ),
    "retry_failed": Step(
        None,
        "",
        lambda u, r, d: erasure.erasure_retry_failed(actor=u, request=r) or False,
    ),
    "apply_restriction": Step(
        ObjectionForm,
        "Set the subject's restriction or objection flags and close",
        _restriction,
    ),
    "complete": Step(
        CompleteForm, "Mark completed (the requester is e-mailed)", _complete
    ),
    "deny": Step(
        DenyForm, "Deny (the requester is told why and how to complain)", _deny
    ),
}


# --- running and reporting -----------------------------------------------------


def _refused(name: str, user: Any, obj: PrivacyRequest, error: RequestError) -> str:
    """A service's refusal as a sentence naming the request and the reason."""
    if isinstance(error, TransitionError):
        # The state changed since the page was drawn: explain from the new one.
        obj.refresh_from_db()
        why = actions.refusal(name, obj, user)
        return why or f"{obj.reference} was changed by someone else meanwhile."
    text = str(error)
    if obj.reference in text:
        return text
    return f"{obj.reference} was not {actions.BY_NAME[name].done}: {text}"


def run_one(name: str, user: Any, obj: PrivacyRequest, data: dict) -> str | None:
    """Do one action; None when done, else the sentence saying why not."""
    if why := actions.refusal(name, obj, user):
        return why
    try:
        result = STEPS[name].run(user, obj, data)
    except RequestError as error:
        return _refused(name, user, obj, error)
    if result is False:
        return f"{obj.reference} was not {actions.BY_NAME[name].done}: nothing to do."
    return None


def _plural(n: int) -> str:
    return f"{n} request{'s' * (n != 1)}"


def run_each(
    modeladmin: Any,
    request: HttpRequest,
    queryset: QuerySet,
    name: str,
    data: dict | None = None,
) -> None:
    """Run ``name`` on every request; report the count and each one skipped."""
    total, refusals = 0, []
    for obj in queryset.select_related("legal_rule"):
        total += 1
        if why := run_one(name, request.user, obj, data or {}):
            refusals.append(why)
    done = total - len(refusals)
    verb = actions.BY_NAME[name].done
    count = f"{done} of {_plural(total)}" if refusals else _plural(done)
    level = messages.SUCCESS if done else messages.WARNING
    modeladmin.message_user(request, f"{count} {verb}.", level)
    for why in refusals:
        modeladmin.message_user(request, why, messages.WARNING)


def _extend_previews(objs: list[PrivacyRequest]) -> list[dict]:
    """Each request's due date now and after the extension (nothing saved).

    Where the law lets staff name the date, the preview says until when.
    """
    zone = timezone.get_current_timezone()
    return [
        {
            "reference": r.reference,
            "now": timezone.localtime(r.due_at, zone).date(),
            **_after(r, zone),
        }
        for r in objs
    ]


def _after(r: PrivacyRequest, zone: Any) -> dict:
    if r.legal_rule.spec().extension_amount:
        return {"after": timezone.localtime(services.extension_due(r), zone).date()}
    latest = timezone.localtime(r.due_at, zone).date() + timedelta(
        days=EXTENSION_BY_NOTICE_MAX_DAYS
    )
    return {"named_until": latest}


def confirm_and_run(
    modeladmin: Any,
    request: HttpRequest,
    queryset: QuerySet,
    name: str,
    *,
    original: PrivacyRequest | None = None,
) -> TemplateResponse | None:
    """The confirmation page (requests set aside listed first), then the run.

    ``original`` is the request whose page the action was started from.
    """
    step = STEPS[name]
    if step.form is None:
        run_each(modeladmin, request, queryset, name)
        return None
    form = step.form(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        run_each(modeladmin, request, queryset, name, form.cleaned_data)
        return None
    objs = list(queryset.select_related("legal_rule"))
    refusals = {r.pk: actions.refusal(name, r, request.user) for r in objs}
    eligible = [r for r in objs if refusals[r.pk] is None]
    if not eligible:
        for why in refusals.values():
            modeladmin.message_user(request, why, messages.WARNING)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": step.title.format(hours=settings.ERASURE_DELAY_HOURS),
        "opts": modeladmin.model._meta,
        "original": original,
        "form": form,
        "queryset": objs,
        "eligible": eligible,
        "skipped": [why for why in refusals.values() if why],
        "previews": _extend_previews(eligible) if name == "extend" else [],
        "action": name,
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "requests/admin/action_form.html", context)
