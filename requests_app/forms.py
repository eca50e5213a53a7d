from __future__ import annotations

import copy
from typing import Any

from django import forms

from requests_app.fulfilment.rectification import field_choices
from requests_app.jurisdictions import COUNTRIES, US_STATES
from requests_app.models import PrivacyRequest

DETAILS_MAX = 5000
_COUNTRY_CHOICES = [("", "Choose…"), *COUNTRIES]
_STATE_CHOICES = [("", "—"), *US_STATES]


class RequestForm(forms.Form):
    type = forms.ChoiceField(
        label="What would you like us to do?",
        choices=PrivacyRequest.Type.choices,
        widget=forms.RadioSelect,
        help_text="Deleting includes what you posted publicly on our forums and blogs.",
    )
    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="We send a link to this address to confirm the request is yours.",
    )
    # Callables: every form instance deep-copies its fields, and a copy of a
    # callable is free where one of some 250 (code, name) pairs is not.
    country = forms.ChoiceField(
        label="Country where you live", choices=lambda: _COUNTRY_CHOICES
    )
    region = forms.ChoiceField(
        label="State (United States only)",
        choices=lambda: _STATE_CHOICES,
        required=False,
    )
    relationship = forms.ChoiceField(
        label="You are our…", choices=PrivacyRequest.Relationship.choices
    )
    details = forms.CharField(
        label="Details",
        widget=forms.Textarea,
        max_length=DETAILS_MAX,
        required=False,
        help_text=f"Anything that helps us (at most {DETAILS_MAX:,} characters).",
    )
    is_agent = forms.BooleanField(
        label="I am an authorised agent acting for someone else", required=False
    )
    agent_name = forms.CharField(label="Agent's name", max_length=200, required=False)
    agent_email = forms.EmailField(
        label="Agent's e-mail", max_length=254, required=False
    )
    correction_field = forms.ChoiceField(
        label="Information to correct",
        required=False,
        help_text="Only for corrections. You can add more on your status page.",
    )
    correction_value = forms.CharField(
        label="The correct value", max_length=2000, required=False
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label="Leave this empty", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The registry decides which fields exist (sources may be added at
        # runtime). A callable is evaluated only when the select is rendered or
        # a value is chosen, so a submission without a correction does not read
        # every source (external ones are rows in the database).
        self.fields["correction_field"].choices = _correction_choices

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("correction_field")) != bool(data.get("correction_value")):
            self.add_error(
                "correction_value", "Choose the information and give its new value."
            )
        if data.get("correction_field") and data.get("type") != "rectification":
            self.add_error("correction_field", "Only for a correction request.")
        clean_residence(self, data)
        if data.get("is_agent"):
            for field in ("agent_name", "agent_email"):
                if not data.get(field):
                    self.add_error(field, "Required when you act as an agent.")
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


def _correction_choices() -> list[tuple[str, str]]:
    return [("", "—"), *field_choices()]


def clean_residence(form: forms.BaseForm, data: dict) -> None:
    """Country and US state pick the legal clock: a US request needs its state.

    Shared by the public form and the staff entry form in the admin, so a
    request taken by phone or letter gets the same clock as one filed online.
    """
    country = (data.get("country") or "").upper()
    if country == "US" and not data.get("region"):
        form.add_error("region", "Choose your state.")
    elif country and country != "US":
        # A state means nothing outside the US: never store one.
        data["region"] = ""


def residence_fields() -> dict[str, forms.Field]:
    """Fresh copies of the public form's country and state fields."""
    return {
        name: copy.deepcopy(RequestForm.base_fields[name])
        for name in ("country", "region")
    }


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer", widget=forms.Textarea, max_length=DETAILS_MAX
    )


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label="Information to correct")
    value = forms.CharField(label="The correct value", max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices()
