"""Registry source for the subject's own profile and devices."""

from __future__ import annotations

from typing import Any

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
    "name": "Name",
    "email": "E-mail address",
    "phone": "Phone number",
    "postal_address": "Postal address",
    "title": "Job title",
    "company": "Company",
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
    label = "Profile and devices"
    info = SourceInfo(
        categories=(
            "contact details",
            "account",
            "title and company",
            "IP address and domain",
            "demographics",
            "devices",
        ),
        purposes=("providing the service", "customer support", "security"),
        recipients=("service providers acting on our instructions",),
        retention="while the account is active, then erased on request",
        origin="provided by you or collected when you use the service",
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
