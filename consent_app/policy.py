"""Policy versions: publishing, the re-consent gate, and the notice campaign.

Invariants kept here:
- a version is published once (conditional UPDATE from draft);
- a less-protective version sets ``Purpose.reconsent_since`` on the purposes it
  affects, in O(1): every consent given before that moment stops covering data
  collected before it until the person consents again (see ``consent_allows``);
- a material version starts one campaign that e-mails each subject once, run
  by the shared outbox-campaign runner (``privacyportal.campaigns``): a batch
  claims the campaign row, advances its cursor in the same transaction as the
  e-mails it queues, and each e-mail's outbox key is unique per subject.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import markdown
import nh3
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consent_app.models import PolicyCampaign, PolicyVersion, Purpose
from consent_app.services import ConsentError
from privacyportal import audit, campaigns
from privacyportal.subjects.models import DataSubject


def render_markdown(text: str) -> str:
    """Markdown to HTML, then sanitised: raw HTML and scripts never get through."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"])
    return nh3.clean(html)


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _effective_start(version: PolicyVersion, now: datetime) -> datetime:
    start = timezone.make_aware(datetime.combine(version.effective_on, time.min))
    return max(start, now)


def policy_version_save(
    *, actor: Any, version: PolicyVersion, fields: list[str] | None = None
) -> PolicyVersion:
    """Create or edit a draft; a published version is evidence and stays as it is."""
    with transaction.atomic():
        if version.pk:
            status = PolicyVersion.objects.values_list("status", flat=True).get(
                pk=version.pk
            )
            if status != PolicyVersion.Status.DRAFT:
                raise ConsentError("A published policy version cannot be changed.")
            version.save(update_fields=fields or None)
            action = "updated"
        else:
            version.save()
            action = "created"
        audit.record(
            f"consent.policy_version.{action}",
            actor=actor,
            target=version,
            data={"label": version.label, "fields": fields or []},
        )
    return version


def policy_version_publish(
    *, actor: Any, version: PolicyVersion
) -> PolicyCampaign | None:
    """Publish a draft; returns the campaign a material change starts."""
    now = timezone.now()
    with transaction.atomic():
        updated = PolicyVersion.objects.filter(
            pk=version.pk, status=PolicyVersion.Status.DRAFT
        ).update(
            status=PolicyVersion.Status.PUBLISHED,
            published_at=now,
            published_by=_user_or_none(actor),
        )
        if updated != 1:
            raise ConsentError(f"{version.label} is already published.")
        version.refresh_from_db()
        gated = _gate_purposes(version, now) if version.less_protective else []
        campaign = _campaign_start(version) if version.material else None
        audit.record(
            "consent.policy_version.published",
            actor=actor,
            target=version,
            data={
                "label": version.label,
                "material": version.material,
                "less_protective": version.less_protective,
                "reconsent_purposes": gated,
                "campaign_total": campaign.total if campaign else 0,
            },
        )
    return campaign


def _gate_purposes(version: PolicyVersion, now: datetime) -> list[str]:
    purposes = version.affected_purposes.all()
    if not purposes.exists():
        purposes = Purpose.objects.all()
    codes = sorted(purposes.values_list("code", flat=True))
    Purpose.objects.filter(code__in=codes).update(
        reconsent_since=_effective_start(version, now), reconsent_version=version
    )
    return codes


def _recipients():
    return DataSubject.objects.filter(
        email__isnull=False, anonymised_at__isnull=True, is_under_13=False
    )


def _campaign_start(version: PolicyVersion) -> PolicyCampaign:
    campaign = PolicyCampaign.objects.create(
        version=version, total=_recipients().count()
    )
    campaigns.schedule(CAMPAIGN, campaign.pk, countdown=0)
    return campaign


def campaign_run_batch(*, campaign_id: int, batch_size: int | None = None) -> int:
    """E-mail the next batch of subjects; returns how many were handled.

    A run that finds the campaign locked by another run or already done does
    nothing, so a task delivered twice cannot e-mail anyone twice.
    """
    return campaigns.run_batch(CAMPAIGN, run_id=campaign_id, batch_size=batch_size)


def _campaign_finished(campaign: PolicyCampaign) -> None:
    audit.record(
        "consent.campaign.finished",
        actor=audit_system(),
        target=campaign,
        data={"sent": campaign.sent, "version": campaign.version.label},
    )


def audit_system() -> Any:
    from privacyportal.audit.services import Actor

    return Actor.system("policy campaign")


def _notice_context(version: PolicyVersion) -> dict[str, Any]:
    return {
        "label": version.label,
        "effective_on": version.effective_on.isoformat(),
        "summary": version.summary_of_changes,
        "less_protective": version.less_protective,
        "policy_url": settings.SITE_URL + reverse("consent:policy"),
        "preferences_url": settings.SITE_URL + reverse("consent:preferences"),
    }


def campaigns_resume(*, stalled_after: timedelta | None = None) -> int:
    """Re-enqueue running campaigns whose last batch is old (broker or worker lost)."""
    return campaigns.resume(CAMPAIGN, stalled_after=stalled_after)


CAMPAIGN = campaigns.Campaign(
    name="policy campaign",
    model=PolicyCampaign,
    task="consent_app.tasks.policy_campaign_batch_task",
    template="consent_policy_changed",
    key_prefix=lambda campaign: f"consent-policy-{campaign.version_id}-",
    recipients=lambda campaign: _recipients(),
    context=lambda campaign: _notice_context(campaign.version),
    finished=_campaign_finished,
    related=("version",),
)
