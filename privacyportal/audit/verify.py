"""Everything ``manage.py audit_verify`` checks, and what it can and cannot prove.

It proves, with ``AUDIT_HMAC_KEY`` kept out of the database:

- every event from #1 to the newest is present, unaltered and in order (the
  HMAC chain: an edited, inserted or removed event breaks a link);
- no event at or below the newest *checkpoint* was deleted or rewritten: each
  checkpoint's event exists with the checkpointed hash, and the chain does not
  end before it. Checkpoints come from the file (hourly) and from lines given
  with ``--checkpoint`` (the daily e-mail to the Privacy Officers, which
  someone who controls only the database cannot reach);
- a checkpoint line that was not signed with the key is reported as forged;
- every redacted event is named by a redaction event later in the chain (who,
  when, why), so personal data cleared behind the application's back is found.

It cannot prove:

- that events written *after* the newest checkpoint were not deleted. The row
  id counter is a hint: on SQLite it rolls back with the transaction, so a
  counter above the newest id means deletion; on PostgreSQL a rolled-back write
  also leaves it above, so it is reported as a warning only, and a superuser
  can reset it anyway. The next checkpoint then anchors the shortened chain;
- anything against someone who holds ``AUDIT_HMAC_KEY`` *and* can write the
  checkpoint file: they can re-sign a rewritten chain and new checkpoints. Only
  checkpoints already e-mailed still catch them (give them with --checkpoint);
- a deletion hidden by also cutting the checkpoint file (the portal only
  appends; the operating system enforces nothing unless told to): only the
  e-mailed checkpoints, given with --checkpoint, still catch it. And whoever
  controls the database can stop the day's e-mail in the outbox before it goes;
- what a redacted value was: it is gone, only its digest stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max

from privacyportal.audit.checkpoints import checkpoints_load
from privacyportal.audit.models import AuditEvent
from privacyportal.audit.services import Break, Checkpoint, lock_chain, verify_chain


@dataclass
class Verdict:
    checked: int = 0
    broken: Break | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    newest_checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.problems


def anchors_from(checkpoints: Iterable[Checkpoint]) -> tuple[dict, list[str]]:
    """Checkpoints by seq; a problem where two genuine ones disagree on a hash."""
    anchors: dict[int, Checkpoint] = {}
    problems = []
    for checkpoint in checkpoints:
        seen = anchors.setdefault(checkpoint.seq, checkpoint)
        if seen.hash != checkpoint.hash:
            problems.append(
                f"two checkpoints disagree about event #{checkpoint.seq} "
                f"({seen.at:%Y-%m-%d %H:%M} and {checkpoint.at:%Y-%m-%d %H:%M} "
                "UTC): the chain was cut back and rewritten in between"
            )
    return anchors, problems


def audit_verify(
    *,
    extra_lines: Iterable[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Verdict:
    """Check the chain against itself, the checkpoints and the id counter."""
    loaded = checkpoints_load(extra_lines)
    anchors, problems = anchors_from(loaded.checkpoints)
    verdict = Verdict(problems=loaded.problems + problems)
    if anchors:
        verdict.newest_checkpoint = anchors[max(anchors)]
    else:
        verdict.warnings.append(
            "no checkpoint to compare with: deleting the newest events would go "
            "unnoticed (run manage.py audit_checkpoint, or give --checkpoint)"
        )
    for checked, broken in verify_chain(anchors=anchors):
        verdict.checked, verdict.broken = checked, broken
        if broken:
            break
        if progress and checked:
            progress(checked)
    if verdict.broken is None:
        _compare_id_counter(verdict)
    return verdict


def _compare_id_counter(verdict: Verdict) -> None:
    newest, handed_out = _id_counter()
    if handed_out is None or handed_out <= newest:
        return
    message = (
        f"row ids up to {handed_out} were handed out but the newest event has id "
        f"{newest}: events after #{verdict.checked} were deleted"
    )
    if connection.vendor == "sqlite":  # the counter rolls back with the write
        verdict.problems.append(message)
    else:
        verdict.warnings.append(
            message + ", or the newest write was rolled back (compare with the "
            "checkpoint e-mails)"
        )


def _id_counter() -> tuple[int, int | None]:
    """(newest id in the table, newest id ever handed out), with no write in flight."""
    table = AuditEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        lock_chain()
        newest = AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(last_value, 0) FROM pg_sequences WHERE "
                "format('%%I.%%I', schemaname, sequencename)::regclass"
                " = pg_get_serial_sequence(%s, 'id')::regclass",
                [table],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        else:
            return newest, None
        row = cursor.fetchone()
    return newest, int(row[0]) if row else 0
