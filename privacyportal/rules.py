"""Effective-dated rules: one version of a law's rule per row, between two dates.

Deadline rules, appeal rules, complaint rules and the incident notice periods
share this shape. Versions of one rule share a key (``VERSION_OF``: a code, a
state); at most one version per key is in force on any day, so a change of
law is a new version added with its start date, and the old one is ended the
day before. What "the day" is (receipt, refusal, becoming aware) is each
rule's own; the arithmetic here is the same for all.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def covers(start: date, end: date | None, day: date) -> bool:
    """Whether ``day`` lies in [start, end]; an empty end is open."""
    return start <= day and (end is None or day <= end)


def first_day_field(day: str) -> models.DateField:
    """The start date, ``day`` naming the day counted ("of receipt")."""
    return models.DateField(help_text=f"First day {day} this version applies to.")


def last_day_field(day: str) -> models.DateField:
    return models.DateField(
        null=True,
        blank=True,
        help_text=f"Last day {day} this version applies to; empty while in force.",
    )


def version_constraints(key: str) -> list[models.BaseConstraint]:
    """One version per key and start day; an end never before its start.

    Named after the model (``deadlinerule_version``), as before the base existed.
    """
    return [
        models.UniqueConstraint(
            fields=[key, "effective_from"], name="%(class)s_version"
        ),
        models.CheckConstraint(
            condition=Q(effective_to__isnull=True)
            | Q(effective_to__gte=models.F("effective_from")),
            name="%(class)s_dates_in_order",
        ),
    ]


class EffectiveDatedQuerySet(models.QuerySet):
    def on(self, day: date) -> EffectiveDatedQuerySet:
        """The versions in force on ``day``, whatever their key."""
        return self.filter(effective_from__lte=day).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )

    def in_force(self, key: str, day: date) -> Any:
        """The version of rule ``key`` in force on ``day``, or None."""
        versions = self.on(day).filter(**{self.model.VERSION_OF: key})
        return versions.order_by("-effective_from").first()

    def overlapping(self, rule: EffectiveDatedRule) -> EffectiveDatedQuerySet:
        """Other versions of ``rule``'s key in force on any of its days."""
        others = self.filter(**{rule.VERSION_OF: rule.version_key}).exclude(pk=rule.pk)
        if rule.effective_to:
            others = others.filter(effective_from__lte=rule.effective_to)
        return others.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=rule.effective_from)
        )


class EffectiveDatedRule(models.Model):
    """A version of a rule in force from ``effective_from`` to ``effective_to``.

    Subclasses name their key field in ``VERSION_OF``, add
    ``version_constraints(VERSION_OF)`` to their Meta, and call
    ``super().clean()`` after normalising their own fields.
    """

    VERSION_OF: ClassVar[str] = "code"
    OVERLAP_MESSAGE: ClassVar[str] = (
        "Another version of this rule is in force on some of these days: "
        "end it the day before this one starts."
    )

    effective_from = first_day_field("of receipt")
    effective_to = last_day_field("of receipt")

    objects = EffectiveDatedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def version_key(self) -> str:
        return getattr(self, self.VERSION_OF)

    @property
    def in_force_label(self) -> str:
        """'from 1 Jul 2024' or 'from 1 Jan 2023 to 30 Jun 2024'."""
        start = f"from {self.effective_from:%-d %b %Y}"
        if self.effective_to is None:
            return start
        return f"{start} to {self.effective_to:%-d %b %Y}"

    def in_force(self, day: date) -> bool:
        return covers(self.effective_from, self.effective_to, day)

    def clean(self) -> None:
        # A missing start is reported by its field's own validation.
        if self.effective_from is None:
            return
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError(
                {"effective_to": "The last day comes before the first day."}
            )
        if type(self)._default_manager.overlapping(self).exists():
            raise ValidationError(self.OVERLAP_MESSAGE)
