"""Admin forms: checkboxes and plain choices, never raw JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from incidents_app import services
from incidents_app.models import AuthorityNoticeRule, Incident, StateNoticeRule
from privacyportal.formfields import CodeListField, freeze, https_urls
from privacyportal.registry import registry
from requests_app.jurisdictions import US_STATES

YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNDECIDED = [("", "Not decided yet"), *YES_NO]


def data_category_choices() -> list[tuple[str, str]]:
    """Every category some registered source holds (the registry's own names)."""
    return [(c, c) for c in sorted({c for s in registry for c in s.info.categories})]


def jurisdiction_choices() -> list[tuple[str, str]]:
    return [
        ("EU", "EU / EEA"),
        ("UK", "United Kingdom"),
        *((f"US-{code}", f"US: {name}") for code, name in US_STATES),
    ]


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = (
            "title",
            "description",
            "became_aware_at",
            "occurred_from",
            "occurred_to",
            "data_categories",
            "other_data_categories",
            "subject_categories",
            "approx_subjects",
            "approx_records",
            "jurisdictions",
            "consequences",
            "measures",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "data_categories" in self.fields:
            self.fields["data_categories"] = forms.MultipleChoiceField(
                label="Categories of data",
                required=False,
                choices=data_category_choices(),
                widget=forms.CheckboxSelectMultiple,
            )
        if "jurisdictions" in self.fields:
            self.fields["jurisdictions"] = forms.MultipleChoiceField(
                label="Where the people affected live",
                required=False,
                choices=jurisdiction_choices(),
                widget=forms.SelectMultiple(attrs={"size": 10}),
                help_text="Hold Ctrl (or Cmd) to choose several.",
            )

    def clean_became_aware_at(self) -> Any:
        value = self.cleaned_data["became_aware_at"]
        if value and value > timezone.now():
            raise forms.ValidationError(
                "The time of awareness cannot be in the future."
            )
        return value

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and end < start:
            self.add_error("occurred_to", "The end comes before the start.")
        return data


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DecisionForm(forms.Form):
    risk = forms.ChoiceField(
        label="Risk to people's rights and freedoms",
        choices=[c for c in Incident.Risk.choices if c[0]],
        widget=forms.RadioSelect,
    )
    notify_authority = forms.ChoiceField(
        label="Notify the supervisory authority?",
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label="Reasons for the decision", widget=forms.Textarea(attrs={"rows": 4})
    )
    notify_people = forms.ChoiceField(
        label="Tell the people affected (Art. 34)?",
        choices=YES_NO_UNDECIDED,
        required=False,
        help_text="Required when the risk is high.",
    )
    people_reason = forms.CharField(
        label="Reason for telling or not telling them",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "risk": data["risk"],
            "notify_authority": data["notify_authority"] == "yes",
            "reasons": data["reasons"],
            "notify_people": _yes_no(data.get("notify_people", "")),
            "people_reason": data.get("people_reason", ""),
        }


class NotifiedForm(forms.Form):
    notified_at = forms.DateTimeField(
        label="Notified at",
        help_text="Date and time in the portal's time zone, e.g. 2026-03-30 14:05.",
    )
    authority_reference = forms.CharField(
        label="The authority's reference", required=False, max_length=100
    )
    late_reason = forms.CharField(
        label="Reason for notifying late",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the notice period has passed (Art. 33(1)).",
    )


class NoticeRuleForm(forms.ModelForm):
    """A version of a notice period, checked as the service will check it.

    Once an incident was counted under the version, the fields that decide its
    dates (``services.*_FROZEN``) are shown but cannot change; any change the
    service refuses is a message on the page and saves nothing.
    """

    frozen: ClassVar[dict[str, str]]
    counted: ClassVar[Callable[[Any], list[services.Counted]]]
    check: ClassVar[Callable[[Any], None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        counted = type(self).counted(self.instance)
        if counted:
            why = (
                f"Fixed: {services.counted_words(counted)}. For a change of law, "
                "end this version and add a new one from a later day."
            )
            freeze(self, self.frozen, why)

    def _post_clean(self) -> None:
        # Only here does the instance carry the posted values (Django's own
        # model validation runs here too: dates in order, no overlap).
        super()._post_clean()
        if self.errors:
            return
        try:
            type(self).check(self.instance)
        except services.IncidentRefused as refusal:
            self.add_error(None, str(refusal))


class StateNoticeRuleForm(NoticeRuleForm):
    frozen = services.STATE_FROZEN
    counted = staticmethod(services.state_rule_counted)
    check = staticmethod(services.state_rule_check)

    class Meta:
        model = StateNoticeRule
        fields = ("state", "effective_from", "effective_to", "days", "notes")


class AuthorityNoticeRuleForm(NoticeRuleForm):
    frozen = services.AUTHORITY_FROZEN
    counted = staticmethod(services.authority_rule_counted)
    check = staticmethod(services.authority_rule_check)

    jurisdictions = CodeListField(
        label="Where the people affected live",
        choices=jurisdiction_choices(),
        plural="places",
        help_text="The period applies to incidents affecting people who live here.",
    )

    class Meta:
        model = AuthorityNoticeRule
        formfield_callback = https_urls
        fields = ("code", "name", "jurisdictions", "effective_from", "effective_to")
        fields += ("hours", "source_citation", "source_url")
