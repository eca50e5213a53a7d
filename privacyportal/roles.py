"""Staff roles: groups whose permissions are derived from one table.

Groups are created by a data migration (subjects 0002); their permissions are
synced after every ``migrate`` because apps added later bring new permissions.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

PRIVACY_OFFICER = "Privacy Officer"
PRIVACY_ANALYST = "Privacy Analyst"
AUDITOR = "Auditor"
SUPPORT = "Support"
ROLES = (PRIVACY_OFFICER, PRIVACY_ANALYST, AUDITOR, SUPPORT)

# Apps whose models staff work with.
PORTAL_APPS = (
    "portal",  # the e-mail outbox and kept tasks (read-only in the admin)
    "subjects",
    "audit",
    "requests_app",
    "consent_app",
    "retention_app",
    "disclosures_app",
    "incidents_app",  # Officers manage; Analysts and Auditors view
    "complaints_app",
    "api",  # API keys: Officers manage them; Analysts and Auditors view
    "webhooks",  # Officers manage subscriptions; others view the delivery log
    "django_celery_beat",
)
# Models that set policy: only Privacy Officers change them.
POLICY_MODELS = {
    "consent_app.purpose",
    "consent_app.policyversion",
    "api.apikey",
    "retention_app.retentionpolicy",
    # A customer's own retention choice and recording on/off.
    "retention_app.recordingsettings",
    # Letting staff open a customer's content is a decision for an officer.
    "retention_app.accessgrant",
    "retention_app.legalhold",
    "requests_app.deadlinerule",
    "requests_app.appealrule",
    "requests_app.holiday",
    "requests_app.externalsource",
    "disclosures_app.recipient",
    "disclosures_app.transfer",
    "incidents_app.incident",
    "incidents_app.statenoticerule",
    "incidents_app.authoritynoticerule",
    "complaints_app.complaintrule",
    "complaints_app.supervisoryauthority",
    "incidents_app.affectedperson",
    "incidents_app.noticerun",
    # Where the portal sends events, and sending them again.
    "webhooks.webhooksubscription",
    "webhooks.webhookdelivery",
    "webhooks.webhookattempt",
}
# Single permissions of other models that only Privacy Officers hold: uploading
# a customer's recordings (the upload page checks add_recording).
OFFICER_ONLY_PERMS = {
    "retention_app.add_recording",
    "retention_app.add_chattranscript",
    # An appeal is decided by an officer (never the one who refused).
    "requests_app.decide_appeal",
}
# What Support may touch: entering requests received by phone or letter.
SUPPORT_PERMS = {
    "requests_app.add_privacyrequest",
    "requests_app.view_privacyrequest",
    "requests_app.view_requestevent",
}
# The audit trail and other ledgers are never changed by anyone.
LEDGER_MODELS = {
    "audit.auditevent",
    "consent_app.consentevent",
    "retention_app.deletionrecord",
}
# Append-only logs staff add to but never change or delete: disclosures are
# entered by hand too (a phone call to a partner), so adding is allowed.
APPEND_ONLY_MODELS = {
    "disclosures_app.disclosure",
    "complaints_app.complaintnote",
}


def _label(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


def _model(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.content_type.model}"


def allowed(role: str, perm: Permission) -> bool:
    """The single rule table: may this role hold this permission?"""
    model, action = _model(perm), perm.codename.split("_", 1)[0]
    if model in LEDGER_MODELS and action != "view":
        return False
    if model in APPEND_ONLY_MODELS and action in ("change", "delete"):
        return False
    if role == PRIVACY_OFFICER:
        return True
    if role == AUDITOR:
        return action == "view"
    if role == PRIVACY_ANALYST:
        if model.startswith("django_celery_beat."):
            return action == "view"
        if model in POLICY_MODELS or _label(perm) in OFFICER_ONLY_PERMS:
            return action == "view"
        return True
    if role == SUPPORT:
        return _label(perm) in SUPPORT_PERMS
    return False


def sync_roles() -> dict[str, int]:
    """Create the groups if missing and give each exactly its permissions."""
    perms = list(
        Permission.objects.filter(
            content_type__app_label__in=PORTAL_APPS
        ).select_related("content_type")
    )
    counts = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        granted = [p for p in perms if allowed(role, p)]
        group.permissions.set(granted)
        counts[role] = len(granted)
    return counts


def sync_after_migrate(sender: Any = None, **kwargs: Any) -> None:
    sync_roles()
