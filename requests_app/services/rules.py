"""Edits of deadline rules and holidays (Privacy Officers, in the admin)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.forms.models import model_to_dict

from privacyportal import audit
from requests_app.services.common import clock_cache_clear


def policy_save(*, actor: Any, obj: models.Model, fields: list[str]) -> None:
    """Save a rule or holiday; the audit event holds the new values."""
    created = obj.pk is None
    with transaction.atomic():
        obj.save()
        audit.record(
            f"requests.{obj._meta.model_name}.{'created' if created else 'changed'}",
            actor=actor,
            target=obj,
            data={"fields": fields, "values": model_to_dict(obj)},
        )
        # Submissions read rules from a cache (the signals drop it as well).
        clock_cache_clear()


def policy_delete(*, actor: Any, obj: models.Model) -> None:
    with transaction.atomic():
        values = model_to_dict(obj)
        audit.record(
            f"requests.{obj._meta.model_name}.deleted",
            actor=actor,
            target=obj,
            data={"values": values},
        )
        obj.delete()
        clock_cache_clear()
