"""Records of processing activities (GDPR Art. 30), generated, never typed.

Built on each request from the personal-data registry (what is held, why,
from where), the retention categories and the policies in force, and the
recipient register (who receives what, where, under which safeguard). Staff
never maintain it by hand: adding a source, a retention rule or a recipient
changes the record.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from disclosures_app.models import Recipient
from privacyportal import csvsafe, retention
from privacyportal.registry import registry
from privacyportal.subjects.story import Section

# Whose data a source holds, where it is not the general public using the
# service. A new source about another group of people adds its line here.
PEOPLE = {
    "retention.applicants": "Job applicants",
}
EVERYONE = "Customers, users of the service and visitors of the site"


def _join(values: Any) -> str:
    return "; ".join(str(v) for v in values if v)


def _recipients_for(
    categories: set[str], register: list[Recipient], fallback: Any
) -> str:
    names = [r.name for r in register if categories & set(r.data_categories)]
    return _join(names) or _join(fallback) or "No one outside the company"


def activities(register: list[Recipient]) -> Section:
    rows = []
    for source in registry:
        info = source.info
        rows.append(
            (
                source.label,
                _join(info.purposes),
                PEOPLE.get(source.key, EVERYONE),
                _join(info.categories),
                _recipients_for(set(info.categories), register, info.recipients),
                info.retention or "See the retention rules",
                info.origin,
            )
        )
    return Section(
        "activities",
        "Processing activities (one per place that holds personal data)",
        (
            "Held in",
            "Purposes",
            "Whose data",
            "Categories of data",
            "Recipients",
            "How long",
            "Where it comes from",
        ),
        rows,
    )


def _transfers(recipient: Recipient) -> str:
    return _join(
        f"{t.country} ({t.get_safeguard_display()})" for t in recipient.transfers.all()
    )


def recipients(register: list[Recipient]) -> Section:
    rows = [
        (
            r.name,
            r.get_kind_display(),
            _join(r.purposes),
            _join(r.data_categories) or "As each disclosure records",
            _transfers(r) or "No transfer outside the company's countries",
            "Yes" if r.listed_in_policy else "No: each disclosure needs consent",
            r.contract_problem().capitalize() or "In order",
            "Yes" if r.sale_or_sharing else "No",
        )
        for r in register
    ]
    return Section(
        "recipients",
        "Recipients, transfers to other countries and their safeguards",
        (
            "Recipient",
            "Kind",
            "Purposes",
            "Categories of data",
            "Countries and safeguards",
            "Named in the privacy policy",
            "Contract",
            "Sale or sharing (CCPA)",
        ),
        rows,
    )


def _days(days: int | None) -> str:
    return "Until deleted" if days is None else f"{days} days"


def retention_rules() -> Section:
    from retention_app.models import RetentionPolicy  # read only: the rules in force

    in_force = {p.category: p for p in RetentionPolicy.objects.all()}
    rows = []
    for category in retention.categories:
        policy = in_force.get(category.key)
        days = policy.days if policy else category.default_days
        basis = (policy.legal_basis if policy else "") or category.legal_basis
        action = policy.action if policy else category.action
        rows.append(
            (category.label, _days(days), dict(retention.Action.CHOICES)[action], basis)
        )
    return Section(
        "retention",
        "Retention rules (what the scheduled sweep enforces)",
        ("What", "Kept for", "Then", "Why that long"),
        rows,
    )


def record_of_processing() -> list[Section]:
    register = list(
        Recipient.objects.filter(archived_at__isnull=True).prefetch_related("transfers")
    )
    return [activities(register), recipients(register), retention_rules()]


def ropa_csv(sections: list[Section]) -> Iterator[str]:
    """One CSV: a section column, then each section's own columns and rows."""
    buffer = io.StringIO()
    out = csvsafe.writer(buffer)
    for section in sections:
        out.writerow(["Section", *section.columns])
        for row in section.rows:
            out.writerow([section.title, *row])
        out.writerow([])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
