"""Registry source for the subject's own profile and devices."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from privacyportal.registry import ErasureResult, Outcome, SourceInfo
from privacyportal.subjects.models import DataSubject, Device

PROFILE_FIELDS = (
    "name",
    "email",
    "phone",
    "postal_address",
    "title",
    "company",
    "account_username",
    "ip_addresses",
    "domain",
    "demographics",
    "is_under_13",
    "created_at",
)
# What a requester may ask to correct here (free-text fields, as typed).
RECTIFIABLE = {
    "name": gettext_noop("Name"),
    "email": gettext_noop("E-mail address"),
    "phone": gettext_noop("Phone number"),
    "postal_address": gettext_noop("Postal address"),
    "title": gettext_noop("Job title"),
    "company": gettext_noop("Company"),
}
DEVICE_FIELDS = (
    "serial_number",
    "software_version",
    "connected_hardware",
    "custom_settings",
    "created_at",
)


class SubjectProfileSource:
    key = "subjects.profile"
    # Words marked with gettext_noop: see privacyportal.registry.
    label = gettext_noop("Profile and devices")
    info = SourceInfo(
        categories=(
            gettext_noop("contact details"),
            gettext_noop("account"),
            gettext_noop("title and company"),
            gettext_noop("IP address and domain"),
            gettext_noop("demographics"),
            gettext_noop("devices"),
        ),
        purposes=(
            gettext_noop("providing the service"),
            gettext_noop("customer support"),
            gettext_noop("security"),
        ),
        recipients=(gettext_noop("service providers acting on our instructions"),),
        retention=gettext_noop("while the account is active, then erased on request"),
        origin=gettext_noop("provided by you or collected when you use the service"),
    )

    def export(self, subject: DataSubject) -> dict[str, Any]:
        profile = {f: getattr(subject, f) for f in PROFILE_FIELDS}
        devices = (
            Device.objects.filter(subject=subject).order_by("pk").values(*DEVICE_FIELDS)
        )
        return {"profile": profile, "devices": list(devices)}

    def rectifiable_fields(self) -> dict[str, str]:
        return dict(RECTIFIABLE)

    def current_values(self, subject: DataSubject) -> dict[str, Any]:
        return {name: getattr(subject, name) for name in RECTIFIABLE}

    def rectify(
        self, subject: DataSubject, *, field: str, value: Any, actor: Any
    ) -> None:
        from django.core.exceptions import ValidationError

        from privacyportal.subjects.services import subject_update

        if field not in RECTIFIABLE:
            raise ValueError(f"{self.label} has no field {field!r}")
        try:
            DataSubject._meta.get_field(field).clean(value, subject)
        except ValidationError as exc:
            raise ValueError("; ".join(exc.messages)) from None
        subject_update(
            actor=actor, subject=subject, changes={field: value}, reason="rectification"
        )

    def erase(self, subject: DataSubject, *, actor: Any) -> ErasureResult:
        from privacyportal.subjects.services import subject_anonymise

        if subject.anonymised_at:
            return ErasureResult(Outcome.ANONYMISED, 0, "already anonymised")
        devices = subject_anonymise(actor=actor, subject=subject)
        return ErasureResult(
            Outcome.ANONYMISED,
            devices + 1,
            "personal fields cleared and devices deleted; the record id is kept so "
            "ledgers that refer to it stay consistent",
        )
