"""Retention policies and customers' recording settings.

Invariants:
- a policy's days are between 1 and MAX_RETENTION_DAYS;
- a change that shortens retention needs ``confirmed=True`` and never makes an
  item due before ``now + RETENTION_GRACE_DAYS`` (``not_before``);
- stored expiry dates follow the policy version: the version is bumped first,
  the recompute runs in batches, and the sweep skips a category whose
  recompute lags (finishing it first), so a crash half-way never deletes early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from privacyportal import audit
from privacyportal.retention import Due, RetentionCategory, Terms, categories
from retention_app import expiry
from retention_app.categories import CUSTOMER_RULE, recording_category
from retention_app.categories import transcript_category as transcripts
from retention_app.models import MAX_RETENTION_DAYS, RecordingSettings, RetentionPolicy


class PolicyError(ValueError):
    """A policy or setting the rules refuse."""


@dataclass(frozen=True)
class ChangePreview:
    shortens: bool
    takes_effect: datetime
    due_now: Due
    due_after: Due


class ConfirmationRequired(Exception):
    def __init__(self, preview: ChangePreview) -> None:
        self.preview = preview
        super().__init__(
            f"shortening: {preview.due_after.count} items would be due on "
            f"{preview.takes_effect:%Y-%m-%d}; confirm to proceed"
        )


def check_days(days: Any) -> int:
    if not isinstance(days, int) or isinstance(days, bool):
        raise PolicyError("the duration must be a whole number of days")
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise PolicyError(f"the duration must be 1 to {MAX_RETENTION_DAYS} days")
    return days


def policy_get(category: RetentionCategory) -> RetentionPolicy:
    """The category's policy, created from its defaults on first use."""
    policy, _ = RetentionPolicy.objects.get_or_create(
        category=category.key,
        defaults={
            "days": category.default_days or MAX_RETENTION_DAYS,
            "action": category.action,
            "legal_basis": category.legal_basis,
        },
    )
    return policy


def terms_of(policy: RetentionPolicy) -> Terms:
    return Terms(
        policy.category,
        policy.days,
        policy.action,
        policy.version,
        policy.not_before,
        policy.previous_days,
    )


def policy_preview(*, policy: RetentionPolicy, days: int) -> ChangePreview:
    days = check_days(days)
    category = categories.get(policy.category)
    shortens = days < policy.days
    grace = timedelta(days=settings.RETENTION_GRACE_DAYS)
    effect = timezone.now() + grace if shortens else timezone.now()
    new = Terms(policy.category, days, policy.action, policy.version + 1, effect)
    return ChangePreview(
        shortens=shortens,
        takes_effect=effect,
        due_now=category.due_under(at=effect, terms=terms_of(policy)),
        due_after=category.due_under(at=effect, terms=new),
    )


def _grace(
    policy: RetentionPolicy, old: int, days: int, preview: ChangePreview
) -> None:
    """Set the grace period of a change and the duration in force during it.

    In force until a shortening's grace period ends is the duration it
    replaced; a change during a grace period compares with that one.
    """
    pending = bool(
        policy.not_before
        and timezone.now() < policy.not_before
        and policy.previous_days
    )
    in_force = policy.previous_days if pending else old
    if days >= in_force:  # no shorter than what is in force: applies at once
        policy.previous_days, policy.not_before = None, None
        return
    policy.previous_days = in_force
    if preview.shortens or not pending:
        policy.not_before = preview.takes_effect


def policy_change(
    *,
    actor: Any,
    policy: RetentionPolicy,
    days: int,
    legal_basis: str | None = None,
    confirmed: bool = False,
) -> RetentionPolicy:
    """Change a policy (new version) and recompute stored expiry dates."""
    preview = policy_preview(policy=policy, days=days)
    if preview.shortens and not confirmed:
        raise ConfirmationRequired(preview)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        locked = RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
        old = locked.days
        locked.days = days
        locked.version = F("version") + 1
        locked.legal_basis = locked.legal_basis if legal_basis is None else legal_basis
        _grace(locked, old, days, preview)
        locked.updated_at, locked.updated_by = timezone.now(), user
        locked.save()
        locked.refresh_from_db()
        audit.record(
            "retention.policy.changed",
            actor=actor,
            target=locked,
            data={
                "category": locked.category,
                "old_days": old,
                "days": days,
                "version": locked.version,
                "not_before": locked.not_before,
                "newly_due": preview.due_after.count,
            },
        )
    policy_recompute(policy=locked)
    return locked


def policy_recompute(*, policy: RetentionPolicy) -> int:
    """Bring stored expiry dates up to the policy's version (idempotent)."""
    category = categories.get(policy.category)
    touched = category.recompute(
        terms=terms_of(policy), batch_size=settings.RETENTION_BATCH_SIZE
    )
    RetentionPolicy.objects.filter(pk=policy.pk, version=policy.version).update(
        recomputed_version=policy.version
    )
    policy.recomputed_version = policy.version
    return touched


# --- Customers' settings --------------------------------------------------------------


def settings_for(organization_id: int) -> RecordingSettings:
    found, _ = RecordingSettings.objects.get_or_create(organization_id=organization_id)
    return found


def _category(kind: str):
    return recording_category if kind == "recording" else transcripts


def content_rule(organization_id: int, kind: str) -> expiry.Rule:
    """The rule for an organization's recordings or transcripts (see expiry.py)."""
    own = RecordingSettings.objects.filter(organization_id=organization_id).first()
    return content_rule_unsaved(own or RecordingSettings(), kind)


def content_rule_unsaved(own: RecordingSettings, kind: str) -> expiry.Rule:
    """The customer's rule for a kind; during the customer's grace period with
    the duration in force until it ends (which covers a return to the
    default policy as well as a shorter own setting)."""
    if own.explicit(kind):
        until = getattr(own, f"{kind}_until_deleted")
        days = None if until else getattr(own, f"{kind}_days")
        rule = expiry.Rule(days, None, CUSTOMER_RULE)
    else:
        rule = policy_rule(policy_get(_category(kind)))
    if own.not_before is None or own.not_before <= timezone.now():
        return rule
    return expiry.Rule(
        rule.days,
        own.not_before,
        rule.label,
        previous_days=getattr(own, f"{kind}_previous_days"),
    )


def _in_force(own: RecordingSettings, kind: str, rule: expiry.Rule) -> int | None:
    """Days in force for a kind now (None: kept until deleted)."""
    pending = own.not_before is not None and timezone.now() < own.not_before
    if (
        pending
        and rule.previous_days is not None
        and rule.previous_days > (rule.days or 0)
    ):
        return rule.previous_days
    return rule.days


def policy_rule(policy: RetentionPolicy) -> expiry.Rule:
    return expiry.Rule(
        policy.days, policy.not_before, previous_days=policy.previous_days
    )


def _shortens(old: expiry.Rule, new: expiry.Rule) -> bool:
    if new.days is None:
        return False
    return old.days is None or new.days < old.days


def recording_settings_update(
    *,
    actor: Any,
    organization_id: int,
    recording_days: int | None = None,
    recording_until_deleted: bool = False,
    transcript_days: int | None = None,
    transcript_until_deleted: bool = False,
    confirmed: bool = False,
) -> RecordingSettings:
    """Set a customer's retention for recordings and transcripts (None = default)."""
    for value in (recording_days, transcript_days):
        if value is not None:
            check_days(value)
    old = {k: content_rule(organization_id, k) for k in ("recording", "transcript")}
    with transaction.atomic():
        own = RecordingSettings.objects.select_for_update().get(
            pk=settings_for(organization_id).pk
        )
        own.recording_days, own.recording_until_deleted = (
            recording_days,
            recording_until_deleted,
        )
        own.transcript_days, own.transcript_until_deleted = (
            transcript_days,
            transcript_until_deleted,
        )
        in_force = {k: _in_force(own, k, old[k]) for k in old}
        new = {k: content_rule_unsaved(own, k) for k in old}
        shortened = {
            k: new[k].days is not None
            and (in_force[k] is None or new[k].days < in_force[k])
            for k in old
        }
        shortens = any(_shortens(old[k], new[k]) for k in old) or any(
            shortened.values()
        )
        effect = timezone.now() + timedelta(days=settings.RETENTION_GRACE_DAYS)
        if shortens and not confirmed:
            due = _settings_preview(organization_id, new)
            raise ConfirmationRequired(ChangePreview(True, effect, Due(0), due))
        _customer_grace(own, shortened, in_force, new, effect)
        own.save()
        audit.record(
            "retention.settings.changed",
            actor=actor,
            target=own,
            data={
                "organization_id": organization_id,
                "recording_days": recording_days,
                "recording_until_deleted": recording_until_deleted,
                "transcript_days": transcript_days,
                "transcript_until_deleted": transcript_until_deleted,
                "not_before": own.not_before,
            },
        )
    recompute_organization(organization_id)
    return own


def _customer_grace(
    own: RecordingSettings,
    shortened: dict[str, bool],
    in_force: dict[str, int | None],
    new: dict[str, expiry.Rule],
    effect: Any,
) -> None:
    """Per kind, what applies until a shortening's grace period ends."""
    if not any(shortened.values()):
        pending = own.not_before is not None and timezone.now() < own.not_before
        if not pending:
            own.not_before = None
        for kind in shortened:
            # Not shortened now: its own duration, or the one still in force.
            keep = pending and in_force[kind] is not None
            setattr(own, f"{kind}_previous_days", in_force[kind] if keep else None)
        return
    own.not_before = effect
    for kind, cut in shortened.items():
        # A shortened kind keeps the duration in force (None: it was kept
        # until deleted, so nothing is due before the grace ends); another
        # kind keeps its own duration, which means no waiting for it.
        setattr(own, f"{kind}_previous_days", in_force[kind] if cut else new[kind].days)


def _settings_preview(organization_id: int, new: dict[str, expiry.Rule]) -> Due:
    """Items of the organization due when a shortening change takes effect."""
    effect = timezone.now() + timedelta(days=settings.RETENTION_GRACE_DAYS)
    count = size = 0
    for kind, rule in new.items():
        if rule.days is None:
            continue
        rows = _category(kind).model.objects.filter(
            organization_id=organization_id,
            held=False,
            started_at__lte=effect - timedelta(days=rule.days),
        )
        agg = rows.aggregate(n=Count("pk"), b=Sum("size_bytes"))
        count, size = count + agg["n"], size + (agg["b"] or 0)
    return Due(count, size)


def recompute_organization(organization_id: int) -> int:
    size = settings.RETENTION_BATCH_SIZE
    return sum(
        _category(kind).recompute_organization(
            organization_id=organization_id,
            rule=content_rule(organization_id, kind),
            batch_size=size,
        )
        for kind in ("recording", "transcript")
    )
