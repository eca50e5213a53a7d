"""Audit action codes in the words staff use.

Codes stay machine-friendly in the ledger (``requests.request.verified``);
staff pages never show them. Known actions have a sentence here; any other
code is turned into words from its parts, so a new action is never shown raw.
"""

from __future__ import annotations

# Each area (the code's first part): its name in a sentence, and as the audit
# list's filter names it. Apps add theirs with register_area; both follow.
AREAS: dict[str, tuple[str, str]] = {
    "requests": ("Privacy request", "Privacy requests"),
    "consent": ("Consent", "Consent"),
    "retention": ("Retention", "Retention"),
    "subjects": ("Data subject", "Data subjects"),
    "portal": ("Portal", "Staff sign-in"),
    "audit": ("Audit trail", "Audit trail"),
}

SENTENCES: dict[str, str] = {
    "subjects.subject.viewed": "Record viewed by staff",
    "subjects.subject.created": "Record created",
    "subjects.subject.updated": "Record changed",
    "subjects.subject.anonymised": "Record anonymised",
    "subjects.subject.restricted": "Processing restricted",
    "subjects.subject.objected": "Objection recorded",
    "subjects.subject.marketing_opted_out": "Opted out of marketing",
    "subjects.subject.evidence_pack": "Evidence pack downloaded",
    "subjects.device.added": "Device recorded",
    "consent.evidence.downloaded": "Consent evidence downloaded",
    "consent.ledger.redacted": "Consent history redacted",
    "consent.preference_link.sent": "Preference-centre link sent",
    "requests.export.downloaded": "Data export downloaded",
    "audit.subject.redacted": "Personal data in the audit trail redacted",
    "audit.checkpoint.mailed": "Audit checkpoint e-mailed to Privacy Officers",
    "portal.staff.second_factor_enrolled": "Second factor set up",
    "portal.staff.recovery_code_used": "Signed in with a recovery code",
}


def register_area(area: str, in_a_sentence: str, in_the_filter: str) -> None:
    """An app's area: "Incident: …" in a generated sentence, a filter entry."""
    AREAS.setdefault(area, (in_a_sentence, in_the_filter))


def register(code: str, sentence: str) -> None:
    """Apps may name their own actions next to the code that records them."""
    SENTENCES[code] = sentence


def describe(code: str) -> str:
    if code in SENTENCES:
        return SENTENCES[code]
    area, _, rest = code.partition(".")
    words = rest.replace(".", " ").replace("_", " ").strip()
    label = AREAS.get(area, (area.replace("_", " ").capitalize(),))[0]
    return f"{label}: {words}" if words else label
