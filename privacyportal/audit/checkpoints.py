"""Checkpoints: the head of the audit chain, kept where the database cannot reach.

The chain proves that no event was edited or removed *between* two others, but
deleting the newest events leaves a shorter chain that is still intact. A
checkpoint (newest seq, its hash, the time) anchors the head outside the
database: appended, signed with ``AUDIT_HMAC_KEY`` (which lives in the
environment, not in the database), to ``AUDIT_CHECKPOINT_FILE`` every hour, and
e-mailed to the Privacy Officers once a day. ``audit_verify`` then refuses a
chain that ends before, or differs at, any checkpoint.

Writing the file changes nothing in the database, so it is not itself audited
(an hourly event would also move the head it has just recorded); the daily
e-mail is, because it queues outbox rows.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from privacyportal import mail, roles
from privacyportal.audit.services import Checkpoint, chain_head, mac, record

log = logging.getLogger(__name__)
VERSION = "v1"
MAILED = "audit.checkpoint.mailed"


class BadCheckpoint(ValueError):
    """A line that is not a checkpoint this portal signed."""


def _signature(at: str, seq: int, head_hash: str) -> str:
    # A prefix of its own, so no checkpoint signature can pass for an event hash.
    return mac(f"audit-checkpoint|{VERSION}|{at}|{seq}|{head_hash}")


def checkpoint_line(checkpoint: Checkpoint) -> str:
    """One signed line: ``v1 <time UTC> <seq> <hash> <signature>``."""
    at = checkpoint.at.astimezone(UTC).isoformat(timespec="seconds")
    signature = _signature(at, checkpoint.seq, checkpoint.hash)
    return f"{VERSION} {at} {checkpoint.seq} {checkpoint.hash} {signature}"


def checkpoint_parse(line: str) -> Checkpoint:
    """The checkpoint a signed line states; BadCheckpoint if it is not genuine."""
    parts = line.split()
    if len(parts) != 5 or parts[0] != VERSION:
        raise BadCheckpoint("not a checkpoint line")
    _, at, seq, head_hash, signature = parts
    try:
        number, when = int(seq), datetime.fromisoformat(at)
    except ValueError:
        raise BadCheckpoint("not a checkpoint line") from None
    if not hmac.compare_digest(signature, _signature(at, number, head_hash)):
        raise BadCheckpoint("its signature does not match: forged or altered")
    return Checkpoint(number, head_hash, when)


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def _append(path: Path, line: str) -> None:
    """Append one line and flush it to disk before returning."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        # One write under O_APPEND: concurrent writers never interleave a line.
        if os.write(fd, data) != len(data):
            raise OSError(f"short write to {path}")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # make the new file's directory entry durable too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def checkpoint_write() -> Checkpoint:
    """Append the chain's current head to the checkpoint file; returns it."""
    checkpoint = chain_head()
    _append(checkpoint_file(), checkpoint_line(checkpoint))
    return checkpoint


@dataclass
class CheckpointsRead:
    checkpoints: list[Checkpoint]
    problems: list[str]


def checkpoints_read(lines: Iterable[str], source: str) -> CheckpointsRead:
    """Genuine checkpoints among ``lines``; one problem per line that is not."""
    result = CheckpointsRead([], [])
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            result.checkpoints.append(checkpoint_parse(line))
        except BadCheckpoint as exc:
            result.problems.append(f"{source}, line {number}: {exc}")
    return result


def checkpoints_load(extra_lines: Iterable[str] = ()) -> CheckpointsRead:
    """The checkpoint file's lines, then lines given by hand (from the e-mail)."""
    path = checkpoint_file()
    lines = path.read_text().splitlines() if path.exists() else []
    found = checkpoints_read(lines, str(path))
    given = checkpoints_read(extra_lines, "checkpoint given")
    return CheckpointsRead(
        found.checkpoints + given.checkpoints, found.problems + given.problems
    )


def _officers() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def _mail_context(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        "line": checkpoint_line(checkpoint),
    }


def checkpoint_mail(*, actor: Any = None) -> int:
    """E-mail the chain's head to every Privacy Officer; returns e-mails queued.

    Once a day per officer (the outbox key holds the date), however often it
    runs. The checkpoint is also appended to the file, if it can be. The e-mail
    leaves the portal: someone who controls only the database cannot recall it.
    """
    checkpoint = chain_head()
    try:
        _append(checkpoint_file(), checkpoint_line(checkpoint))
    except OSError:  # the e-mail is the other anchor: it must not depend on this one
        log.exception("audit checkpoint not written to %s", checkpoint_file())
    day = checkpoint.at.astimezone(timezone.get_default_timezone()).date()
    context, officers = _mail_context(checkpoint), _officers()
    if not officers:
        log.warning("audit checkpoint not e-mailed: no Privacy Officer with e-mail")
    with transaction.atomic():
        queued = [
            user.pk
            for user in officers
            if mail.queue_email(
                key=f"audit:checkpoint:{day.isoformat()}:to:{user.pk}",
                to=user.email,
                template="audit_checkpoint",
                context=context,
                language=settings.LANGUAGE_CODE,  # staff read English
            )
        ]
        if queued:
            record(
                MAILED,
                actor=actor,
                data={"seq": checkpoint.seq, "hash": checkpoint.hash, "to": queued},
            )
    return len(queued)
