from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from privacyportal.formfields import CodeListField, freeze, https_urls
from requests_app import rule_versions
from requests_app.fulfilment.rectification import field_choices
from requests_app.jurisdictions import (
    CA_PROVINCES,
    COUNTRY_CODES,
    US_STATES,
    known_codes,
    residence,
)
from requests_app.models import DeadlineRule, PrivacyRequest

DETAILS_MAX = 5000

Choices = list[tuple[str, Any]]


def single_line(value: str) -> None:
    """Names go into e-mails and pages: no line breaks or control characters."""
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise forms.ValidationError(_("Use letters, spaces and punctuation only."))


def text_only(value: str) -> None:
    """Free text keeps its line breaks and tabs, but no other control characters."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in value):
        raise forms.ValidationError(
            _("Remove the control characters (invisible symbols) from the text.")
        )


def collation_key(name: str) -> tuple[str, str]:
    """Sort names as a reader of the page expects, without a collation library.

    Accents are dropped and case folded (NFKD, then combining marks removed),
    so "Österreich" sorts among the O's and "Åland" among the A's in every
    language; the name itself breaks ties. Not full Unicode collation
    (pyuca/ICU), which would be a dependency for a few edge cases of 250 names.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return base.casefold(), name


_COUNTRY_CHOICES: dict[str, Choices] = {}


def country_choices() -> Choices:
    """Every ISO 3166 country, named and sorted in the active language.

    Built once per language and process (a few ms) and then shared: the
    select calls this when it renders, so each page gets its own language.
    """
    language = get_language() or ""
    choices = _COUNTRY_CHOICES.get(language)
    if choices is None:
        named = sorted(
            ((code, str(name)) for code, name in countries),
            key=lambda choice: collation_key(choice[1]),
        )
        choices = [("", gettext("Choose…")), *named]
        _COUNTRY_CHOICES[language] = choices
    return choices


_REGION_CHOICES = [
    ("", "—"),
    (_("United States"), US_STATES),
    (_("Canada"), CA_PROVINCES),
]
_REGION_MISSING = {
    "US": _("Choose your state."),
    "CA": _("Choose your province or territory."),
}


# Messages that say what to do, so each reads on its own in the error summary.
EMAIL_INVALID = _("Enter an e-mail address like name@example.com.")


def _required(message: Any, **more: Any) -> dict[str, Any]:
    return {"required": message, **more}


class CodeChoiceField(forms.ChoiceField):
    """A choice among fixed string codes, checked by one set look-up.

    Django's ChoiceField walks the whole list on every validation (and
    re-normalises it when the choices are a callable): some 250 countries or
    60 states, on every public POST, for nothing. ``choices`` may be a
    callable (evaluated when the select renders, e.g. per language);
    ``codes`` are then the values it accepts.
    """

    def __init__(
        self,
        *,
        choices: Choices | Callable[[], Choices],
        codes: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if codes is None:
            codes = _flat_codes(choices)  # type: ignore[arg-type]
        if not callable(choices):
            fixed = choices
            choices = lambda: fixed  # noqa: E731
        # A callable, so each form's deep copy of the field shares the list.
        super().__init__(choices=choices, **kwargs)
        self.codes = frozenset(codes)

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.codes


def _flat_codes(choices: Choices) -> list[str]:
    """The codes of a choice list, looking inside option groups."""
    codes = []
    for code, label in choices:
        if isinstance(label, list | tuple):
            codes += _flat_codes(label)
        elif code:
            codes.append(code)
    return codes


def _details_help() -> str:
    # The limit's digits grouped as the page's language writes them (5,000 /
    # 5.000 / 5 000).
    limit = number_format(DETAILS_MAX, force_grouping=True)
    return gettext("Anything that helps us (at most %(limit)s characters).") % {
        "limit": limit
    }


_details_help_lazy = lazy(_details_help, str)


class RequestForm(forms.Form):
    type = forms.ChoiceField(
        label=_("What would you like us to do?"),
        choices=PrivacyRequest.Type.choices,
        widget=forms.RadioSelect,
        error_messages=_required(
            _("Choose what you would like us to do."),
            invalid_choice=_("Choose one of the options."),
        ),
        help_text=_(
            "Deleting includes what you posted publicly on our forums and blogs."
        ),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages=_required(_("Enter your name.")),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages=_required(
            _("Enter your e-mail address."), invalid=EMAIL_INVALID
        ),
        help_text=_("We send a link to this address to confirm the request is yours."),
    )
    country = CodeChoiceField(
        label=_("Country where you live"),
        choices=country_choices,
        codes=COUNTRY_CODES,
        error_messages=_required(
            _("Choose the country where you live."),
            invalid_choice=_("Choose a country from the list."),
        ),
    )
    region = CodeChoiceField(
        label=_("State or province (United States and Canada only)"),
        choices=_REGION_CHOICES,
        required=False,
        error_messages={
            "invalid_choice": _("Choose a state or province from the list.")
        },
    )
    relationship = forms.ChoiceField(
        label=_("Your relationship with us"),
        choices=PrivacyRequest.Relationship.choices,
        error_messages=_required(_("Choose how you know us.")),
    )
    details = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea,
        max_length=DETAILS_MAX,
        required=False,
        validators=[text_only],
        help_text=_details_help_lazy(),
        error_messages={
            "max_length": _(
                "Keep the details to at most %(limit_value)s characters "
                "(they have %(show_value)s)."
            )
        },
    )
    is_agent = forms.BooleanField(
        label=_("I am an authorised agent acting for someone else"), required=False
    )
    agent_name = forms.CharField(
        label=_("Agent's name"),
        max_length=200,
        required=False,
        validators=[single_line],
    )
    agent_email = forms.EmailField(
        label=_("Agent's e-mail address"),
        max_length=254,
        required=False,
        error_messages={"invalid": EMAIL_INVALID},
    )
    # The registry decides which fields exist (sources may be added at
    # runtime). A callable is evaluated only when the select is rendered or a
    # value is chosen, so a submission without a correction reads no source.
    correction_field = forms.ChoiceField(
        label=_("Information to correct"),
        required=False,
        choices=lambda: _correction_choices(),
        help_text=_("You can add more corrections on your request's page later."),
    )
    correction_value = forms.CharField(
        label=_("The correct value"), max_length=2000, required=False
    )
    # Honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        # Fields the page hides for this choice are ignored, not refused: a
        # person who filled them and then changed their mind cannot see them.
        if data.get("type") != PrivacyRequest.Type.RECTIFICATION:
            data["correction_field"] = data["correction_value"] = ""
        if not data.get("is_agent"):
            data["agent_name"] = data["agent_email"] = ""
        if bool(data.get("correction_field")) != bool(data.get("correction_value")):
            self.add_error(
                "correction_value", _("Choose the information and give its new value.")
            )
        clean_residence(self, data)
        if data.get("type") == PrivacyRequest.Type.COMPLAINT and not (
            data.get("details") or "details" in self.errors
        ):
            self.add_error("details", _("Tell us what your complaint is about."))
        if data.get("is_agent"):
            for field in ("agent_name", "agent_email"):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, _("Required when you act as an agent."))
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


def _without_help(fields: dict[str, forms.Field]) -> _SharedFields:
    """The fields, those with help text as copies without it.

    Binding a field tests its help text (``help_text or ""``), which makes a
    lazy translation look itself up in the catalogue: four look-ups per POST
    for text validation never shows.
    """
    shared = _SharedFields(fields)
    for name, field in fields.items():
        if field.help_text:
            shared[name] = copy.copy(field)
            shared[name].help_text = ""
    return shared


RequestValidation.base_fields = _without_help(RequestForm.base_fields)


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
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("The address you made the request with."),
        error_messages=_required(
            _("Enter the address you made the request with."), invalid=EMAIL_INVALID
        ),
    )
    reference = forms.RegexField(
        label=_("Reference"),
        regex=r"^\s*[Pp][Rr]-\d{4}-\d{6}\s*$",
        max_length=30,
        help_text=_("As in our e-mails, e.g. PR-2026-000123."),
        error_messages=_required(
            _("Enter the reference of your request."),
            invalid=_("A reference looks like PR-2026-000123."),
        ),
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea, max_length=DETAILS_MAX
    )


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("Information to correct"))
    value = forms.CharField(label=_("The correct value"), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = field_choices()


def jurisdictions_field(**kwargs: Any) -> CodeListField:
    """Where a rule applies, chosen by name from the codes requests carry."""
    kwargs.setdefault("label", "Applies to")
    return CodeListField(choices=known_codes(), plural="jurisdictions", **kwargs)


class DeadlineRuleForm(forms.ModelForm):
    """A deadline rule version; where it applies is fixed once it has requests
    (the admin makes the other timing fields read-only)."""

    jurisdictions = jurisdictions_field(
        required=False, help_text="None for the company policy, which applies to all."
    )

    class Meta:
        model = DeadlineRule
        formfield_callback = https_urls
        fields = "__all__"  # noqa: DJ007 (the admin names the fields it shows)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if rule_versions.in_use(self.instance):
            why = "Fixed: this version has requests."
            freeze(self, ["jurisdictions"], why)
