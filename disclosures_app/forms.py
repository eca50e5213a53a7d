"""Admin forms: lists as one line each and checkboxes, never raw JSON."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from disclosures_app.models import Disclosure, Recipient
from disclosures_app.services import DisclosureInput, refusal, registry_categories


class LinesField(forms.CharField):
    """A list of short texts, typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def _category_field(label: str, required: bool) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=required,
        choices=[(c, c) for c in registry_categories()],
        widget=forms.CheckboxSelectMultiple,
    )


def _consent_purposes() -> list[tuple[str, str]]:
    from consent_app.models import Purpose  # read only: the purposes by name

    return list(
        Purpose.objects.filter(active=True)
        .order_by("position")
        .values_list("code", "name")
    )


def _https(field: Any, **kwargs: Any) -> Any:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class RecipientForm(forms.ModelForm):
    purposes = LinesField(required=False, help_text="One purpose per line.")

    class Meta:
        model = Recipient
        formfield_callback = _https
        fields = (
            "name",
            "kind",
            "description",
            "purposes",
            "data_categories",
            "listed_in_policy",
            "consent_purpose",
            "sale_or_sharing",
            "contract_reference",
            "contract_start",
            "contract_end",
            "notice_email",
            "notice_url",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "consent_purpose" not in self.fields:
            return  # a read-only view: the admin shows the values in words
        self.fields["data_categories"] = _category_field("Data categories", False)
        self.fields["consent_purpose"] = forms.ChoiceField(
            label=self.fields["consent_purpose"].label,
            help_text=self.fields["consent_purpose"].help_text,
            choices=_consent_purposes(),
        )

    def clean_notice_url(self) -> str:
        url = self.cleaned_data.get("notice_url", "")
        if url and not url.startswith("https://"):
            raise forms.ValidationError("Notices are sent over HTTPS only.")
        return url


class DisclosureForm(forms.ModelForm):
    """Staff record a disclosure; the policy check runs before anything is saved."""

    class Meta:
        model = Disclosure
        fields = (
            "subject",
            "recipient",
            "categories",
            "purpose",
            "legal_basis",
            "disclosed_at",
            "legal_reference",
            "withheld_ground",
        )
        help_texts = {
            "legal_reference": "For an authority: the court order, warrant or law.",
            "withheld_ground": "Only for an authority, and only where a documented "
            "legal ground forbids telling the person. Leave empty otherwise.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "recipient" not in self.fields:
            return  # the read-only view of a recorded disclosure
        self.fields["categories"] = _category_field("Data disclosed", True)
        self.fields["recipient"].queryset = Recipient.objects.filter(
            archived_at__isnull=True
        )

    def item(self) -> DisclosureInput:
        data = self.cleaned_data
        return DisclosureInput(
            subject=data["subject"],
            recipient=data["recipient"],
            categories=list(data["categories"]),
            purpose=data["purpose"],
            legal_basis=data["legal_basis"],
            disclosed_at=data["disclosed_at"],
            legal_reference=data.get("legal_reference", ""),
            withheld_ground=data.get("withheld_ground", ""),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        reason = refusal(self.item())
        if reason:
            raise forms.ValidationError(f"Refused: {reason}.")
        return data
