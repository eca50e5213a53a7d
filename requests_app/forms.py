from __future__ import annotations

import copy
import unicodedata
from typing import Any

from django import forms

from requests_app.fulfilment.rectification import field_choices
from requests_app.jurisdictions import CA_PROVINCES, COUNTRIES, US_STATES, residence
from requests_app.models import PrivacyRequest

DETAILS_MAX = 5000


def single_line(value: str) -> None:
    """Names go into e-mails and pages: no line breaks or control characters."""
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise forms.ValidationError("Use letters, spaces and punctuation only.")


_COUNTRY_CHOICES = [("", "Choose…"), *COUNTRIES]
_REGION_CHOICES = [
    ("", "—"),
    ("United States", US_STATES),
    ("Canada", CA_PROVINCES),
]
_REGION_MISSING = {
    "US": "Choose your state.",
    "CA": "Choose your province or territory.",
}


class CodeChoiceField(forms.ChoiceField):
    """A choice among fixed string codes, checked by one set look-up.

    Django's ChoiceField walks the whole list on every validation (and
    re-normalises it when the choices are a callable): some 60 countries or
    50 states, on every public POST, for nothing.
    """

    def __init__(self, *, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        # A callable, so each form's deep copy of the field shares the list.
        super().__init__(choices=lambda: codes, **kwargs)
        self.codes = frozenset(_flat_codes(codes))

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.codes


def _flat_codes(choices: list) -> list[str]:
    """The codes of a choice list, looking inside option groups."""
    codes = []
    for code, label in choices:
        if isinstance(label, list | tuple):
            codes += _flat_codes(label)
        elif code:
            codes.append(code)
    return codes


class RequestForm(forms.Form):
    type = forms.ChoiceField(
        label="What would you like us to do?",
        choices=PrivacyRequest.Type.choices,
        widget=forms.RadioSelect,
        help_text="Deleting includes what you posted publicly on our forums and blogs.",
    )
    name = forms.CharField(label="Your name", max_length=200, validators=[single_line])
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="We send a link to this address to confirm the request is yours.",
    )
    country = CodeChoiceField(label="Country where you live", codes=_COUNTRY_CHOICES)
    region = CodeChoiceField(
        label="State or province (United States and Canada only)",
        codes=_REGION_CHOICES,
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
    agent_name = forms.CharField(
        label="Agent's name", max_length=200, required=False, validators=[single_line]
    )
    agent_email = forms.EmailField(
        label="Agent's e-mail", max_length=254, required=False
    )
    # The registry decides which fields exist (sources may be added at
    # runtime). A callable is evaluated only when the select is rendered or a
    # value is chosen, so a submission without a correction reads no source.
    correction_field = forms.ChoiceField(
        label="Information to correct",
        required=False,
        choices=lambda: _correction_choices(),
        help_text="Only for corrections. You can add more on your status page.",
    )
    correction_value = forms.CharField(
        label="The correct value", max_length=2000, required=False
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label="Leave this empty", required=False)

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


class _SharedFields(dict):
    """A form's base fields whose deep copy is shallow: instances share them."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)


class RequestValidation(RequestForm):
    """The public form for validating a POST, without copying its fields.

    Django deep-copies every field, widget and choice list for each form
    instance so that an instance may change its own fields. Validation
    changes none, and on the public POST the copy was a quarter of the
    view's CPU. Showing errors uses a RequestForm (fresh copies), as does
    every GET. So RequestForm must not change its fields per instance (no
    ``__init__`` touching ``self.fields``): a test guards it.
    """


RequestValidation.base_fields = _SharedFields(RequestForm.base_fields)


def _correction_choices() -> list[tuple[str, str]]:
    return [("", "—"), *field_choices()]


def clean_residence(form: forms.BaseForm, data: dict) -> None:
    """Country and region pick the legal clock (jurisdictions.jurisdiction_for).

    A US request needs its state and a Canadian one its province (Quebec has
    its own law). Shared by the public form and the staff entry form in the
    admin, so a request taken by phone or letter gets the same clock as one
    filed online.
    """
    country, region = residence(data.get("country", ""), data.get("region", ""))
    if country in _REGION_MISSING and not region:
        form.add_error("region", _REGION_MISSING[country])
    elif country:
        # A region means nothing elsewhere (or another country's): never store it.
        data["region"] = region


def residence_fields() -> dict[str, forms.Field]:
    """Fresh copies of the public form's country and state fields."""
    return {
        name: copy.deepcopy(RequestForm.base_fields[name])
        for name in ("country", "region")
    }


class LostLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="The address you made the request with.",
    )
    reference = forms.RegexField(
        label="Reference",
        regex=r"^\s*[Pp][Rr]-\d{4}-\d{6}\s*$",
        max_length=30,
        help_text="As in our e-mails, e.g. PR-2026-000123.",
        error_messages={"invalid": "A reference looks like PR-2026-000123."},
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


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
