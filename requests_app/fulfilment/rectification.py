"""Rectification: the requester names fields and values, staff decide per field.

Invariants:
- a correction names a field some registered source can rectify
  (``registry.field_owner``); anything else is refused with a message;
- an applied correction goes through that source's ``rectify`` (which audits),
  in the same transaction as the decision; a value the source refuses leaves
  the item undecided and says why;
- a rejection needs a reason; when no item is left undecided the request is
  completed (partially, if any was rejected) and the requester is told the
  outcome of each field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from privacyportal.registry import registry, shown, stored
from requests_app.models import PrivacyRequest, RectificationItem, RequestEvent
from requests_app.services import common
from requests_app.services.common import RequestError, S, TransitionError

MAX_VALUE = 2000


@dataclass(frozen=True)
class DiffRow:
    item: RectificationItem
    source: str
    label: str
    current: Any
    requested: str

    @property
    def differs(self) -> bool:
        return str(self.current or "") != self.requested


def field_choices() -> list[tuple[str, str]]:
    """Every rectifiable field, as ("source.field", "Source label: Field label"),
    in the active language (the requester's on the public form)."""
    return [
        (f"{s.key}.{name}", f"{shown(s.label)}: {shown(label)}")
        for s in registry.rectifiable()
        for name, label in s.rectifiable_fields().items()
    ]


def _resolve(field: str) -> tuple[str, str]:
    source = registry.field_owner(field.strip())
    if source is None:
        raise RequestError(
            f"We hold no field called {field.strip()!r} that can be corrected; "
            "choose one of the fields listed."
        )
    name = field.strip().rpartition(".")[2]
    # Stored in English whatever the requester's language: pages look the
    # label up live (registry.field_label) and fall back to this text.
    return f"{source.key}.{name}", stored(source.rectifiable_fields()[name])


def corrections_add(
    *, actor: Any, request: PrivacyRequest, corrections: Iterable[tuple[str, str]]
) -> list[RectificationItem]:
    """Record the requester's corrections; refuses unknown fields, changing nothing."""
    pairs = [(f, (v or "").strip()) for f, v in corrections if f]
    if not pairs:
        return []
    if request.type != PrivacyRequest.Type.RECTIFICATION or not request.is_open:
        raise RequestError("Corrections can be added to an open correction request.")
    resolved = []
    for field, value in pairs:
        if not value or len(value) > MAX_VALUE:
            raise RequestError(f"Give the corrected value (at most {MAX_VALUE} chars).")
        resolved.append((*_resolve(field), value))
    with transaction.atomic():
        items = [
            RectificationItem.objects.create(
                request=request, field=key, label=label, new_value=value
            )
            for key, label, value in resolved
        ]
        common.event(
            request,
            RequestEvent.Kind.ANSWER,
            actor=actor,
            public=True,
            message="Corrections: " + ", ".join(i.label for i in items),
        )
        common.record(
            "corrections_added",
            request,
            actor=actor,
            data={"fields": [i.field for i in items]},
        )
    return items


def rectification_diff(request: PrivacyRequest) -> list[DiffRow]:
    """Each correction beside the value held now, for the staff decision."""
    current: dict[str, dict] = {}
    rows = []
    for item in request.corrections.all():
        source = registry.field_owner(item.field)
        key, _, name = item.field.rpartition(".")
        if source is not None and request.subject is not None:
            if key not in current:
                current[key] = source.current_values(request.subject)
            value = current[key].get(name)
        else:
            value = None
        label = source.label if source else key
        rows.append(DiffRow(item, label, item.label, value, item.new_value))
    return rows


def rectification_decide(
    *,
    actor: Any,
    item: RectificationItem,
    apply: bool,
    reason: str = "",
) -> RectificationItem:
    """Apply or reject one correction (see module doc)."""
    reason = reason.strip()
    if not apply and not reason:
        raise RequestError("A rejected correction needs a reason for the requester.")
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=item.request_id)
        if request.status not in {S.VERIFIED, S.IN_PROGRESS}:
            raise TransitionError(f"{request.reference} is not being worked on.")
        if request.subject is None:
            raise RequestError(f"{request.reference} has no verified subject.")
        item = RectificationItem.objects.select_for_update().get(pk=item.pk)
        if item.status != RectificationItem.Status.PROPOSED:
            raise RequestError(f"{item.label} was already decided.")
        old = _current(item, request)
        if apply:
            _apply(item, request, actor)
        RectificationItem.objects.filter(pk=item.pk).update(
            status=RectificationItem.Status.APPLIED
            if apply
            else RectificationItem.Status.REJECTED,
            old_value="" if old is None else str(old),
            reason=reason,
            decided_by=common.user_or_none(actor),
            decided_at=timezone.now(),
        )
        item.refresh_from_db()
        if request.status == S.VERIFIED:
            common.transition(request, S.IN_PROGRESS, actor=actor, action="started")
        common.record(
            "correction_applied" if apply else "correction_rejected",
            request,
            actor=actor,
            data={"field": item.field, "reason": reason},
        )
        _finish_if_decided(request, actor)
    return item


def _current(item: RectificationItem, request: PrivacyRequest) -> Any:
    source = registry.field_owner(item.field)
    if source is None:
        return None
    return source.current_values(request.subject).get(item.field.rpartition(".")[2])


def _apply(item: RectificationItem, request: PrivacyRequest, actor: Any) -> None:
    source = registry.field_owner(item.field)
    if source is None:
        raise RequestError(f"No source holds {item.field} any more.")
    try:
        source.rectify(
            request.subject,
            field=item.field.rpartition(".")[2],
            value=item.new_value,
            actor=actor,
        )
    except ValueError as exc:
        raise RequestError(f"{item.label}: {exc}") from None


def _finish_if_decided(request: PrivacyRequest, actor: Any) -> None:
    items = list(request.corrections.all())
    if any(i.status == RectificationItem.Status.PROPOSED for i in items):
        return
    partial = any(i.status == RectificationItem.Status.REJECTED for i in items)
    fields = [
        {"label": i.label, "applied": i.status == "applied", "reason": i.reason}
        for i in items
    ]
    summary = "\n".join(
        f"{f['label']}: corrected"
        if f["applied"]
        else f"{f['label']}: not corrected — {f['reason']}"
        for f in fields
    )
    common.transition(
        request,
        S.PARTIALLY_COMPLETED if partial else S.COMPLETED,
        actor=actor,
        action="completed",
        message=summary,
        public=True,
        completed_at=timezone.now(),
        outcome_summary=summary,
        decided_by=common.user_or_none(actor),
    )
    common.email_requester(
        request,
        "fulfilment_rectification_done",
        "rectification_done",
        partial=partial,
        fields=fields,
    )
