"""Who a complainant may turn to next: the dispute body and their authority."""

from __future__ import annotations

from complaints_app import conf
from complaints_app.models import Complaint, SupervisoryAuthority


def codes_for(country: str, region: str) -> list[str]:
    """Most specific first: a US state's own, then the country's."""
    codes = [f"{country}-{region}"] if region else []
    return [*codes, country]


def authorities_for(complaint: Complaint) -> list[SupervisoryAuthority]:
    rows = list(
        SupervisoryAuthority.objects.filter(
            code__in=codes_for(complaint.country, complaint.region)
        )
    )
    # The state's authorities only; the country's where the state has none.
    for code in codes_for(complaint.country, complaint.region):
        found = [row for row in rows if row.code == code]
        if found:
            return sorted(found, key=lambda row: (row.order, row.name))
    return []


def next_steps(complaint: Complaint) -> dict:
    """The e-mail's "what happens next": JSON-serialisable."""
    return {
        "dispute_body": conf.dispute_body(),
        "authorities": [
            {"name": row.name, "url": row.complaint_url}
            for row in authorities_for(complaint)
        ],
    }
