"""Access exports: approve, build in a task, deliver by a one-purpose link.

Invariants:
- only a verified access request gets an export;
- the package lives under MEDIA_ROOT/exports/ with a random name; no URL serves
  MEDIA_ROOT, the only way in is the download view with the link's token;
- the token is ``secrets.token_urlsafe(32)``, minted when the e-mail is sent
  (never stored in the outbox); only its SHA-256 is stored; it expires after
  EXPORT_LINK_TTL days and allows EXPORT_MAX_DOWNLOADS downloads, each claimed
  by a conditional UPDATE and audited;
- a build is claimed (pending -> building) before the long write; a worker
  killed mid-build leaves a "building" row that the dispatch job resets;
- a package is deleted (audited) once its last download has streamed, or by
  the fulfilment dispatch job once its link expired; the retention sweep
  (category ``requests.export_packages``) remains the backstop; a legal hold on
  the subject keeps it;
- package files are 0600 in a 0700 directory, whatever the umask.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from privacyportal import audit, retention
from privacyportal.audit.services import Actor
from privacyportal.mail import LinkGone, secret_link
from requests_app.fulfilment.export import build_export
from requests_app.models import ExportPackage, PrivacyRequest, RequestEvent
from requests_app.services import common
from requests_app.services.common import (
    LinkExpired,
    LinkInvalid,
    RequestError,
    S,
    TransitionError,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
BACKOFF = (60, 300, 1800)
LIVE = (ExportPackage.Status.PENDING, ExportPackage.Status.BUILDING)
SYSTEM = Actor.system("export")
MINTER = "requests.export"


@dataclass(frozen=True)
class BuildResult:
    state: str  # ready | retry | failed | skipped
    retry_in: int = 0


def export_url(token: str) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("requests:export", args=[token])


def export_mint(package_id: int) -> str:
    """Link minter (privacyportal.mail): a fresh token for a live package.

    Runs when the e-mail is sent, so the token never sits in the outbox; a
    re-sent e-mail gets a new token and the older one stops working.
    """
    token = secrets.token_urlsafe(32)
    minted = ExportPackage.objects.filter(
        pk=package_id,
        status=ExportPackage.Status.READY,
        expires_at__gt=timezone.now(),
    ).update(token_hash=common.hash_token(token))
    if not minted:
        raise LinkGone(f"export {package_id} is no longer available")
    return export_url(token)


def export_approve(*, actor: Any, request: PrivacyRequest) -> ExportPackage:
    """Queue an export for a verified access request (refused otherwise)."""
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        if request.type != PrivacyRequest.Type.ACCESS:
            raise RequestError(f"{request.reference} is not an access request.")
        if request.verified_at is None or request.subject_id is None:
            raise RequestError(
                f"{request.reference} is not verified: no export is made."
            )
        if request.status not in {S.VERIFIED, S.IN_PROGRESS}:
            raise TransitionError(f"{request.reference} is not being worked on.")
        if request.exports.filter(status__in=LIVE).exists():
            raise RequestError(f"{request.reference}: an export is already queued.")
        if request.status == S.VERIFIED:
            common.transition(request, S.IN_PROGRESS, actor=actor, action="started")
        package = ExportPackage.objects.create(
            request=request,
            approved_by=common.user_or_none(actor),
            max_downloads=settings.EXPORT_MAX_DOWNLOADS,
        )
        common.record(
            "export_approved", request, actor=actor, data={"package": package.pk}
        )
        _enqueue_build(package.pk)
    return package


def export_after_verification(request: PrivacyRequest) -> ExportPackage | None:
    """Build without staff approval where EXPORT_AUTO_TYPES allows the type."""
    if request.type not in settings.EXPORT_AUTO_TYPES:
        return None
    return export_approve(actor=Actor.system("automatic export"), request=request)


def _enqueue_build(package_id: int) -> None:
    from privacyportal.tasks import enqueue
    from requests_app.tasks import export_build_task

    enqueue(export_build_task, package_id)


def export_build(*, package_id: int) -> BuildResult:
    """Write the ZIP, then issue the link and e-mail it (see module doc)."""
    name = f"exports/{secrets.token_hex(16)}.zip"
    with transaction.atomic():
        claimed = ExportPackage.objects.filter(
            pk=package_id, status=ExportPackage.Status.PENDING
        ).update(
            status=ExportPackage.Status.BUILDING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            file=name,
        )
    if not claimed:
        return BuildResult("skipped")
    package = ExportPackage.objects.select_related("request__subject").get(
        pk=package_id
    )
    request = package.request
    try:
        if request.verified_at is None or request.subject is None:
            raise RequestError("the request is not verified")
        manifest = build_export(
            subject=request.subject,
            path=_private_path(name),
            reference=request.reference,
            language=request.language,
        )
    except Exception as exc:  # a source failed: recorded, retried, then flagged
        _remove_file(name)
        return _build_failed(package, exc)
    return _deliver(package, manifest)


def _private_path(name: str) -> Path:
    """Where the package goes, in a directory only the portal's user can open."""
    path = Path(default_storage.path(name))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)  # mkdir's mode is narrowed by the umask, or ignored
    return path


def _summary(manifest: Any) -> dict:
    return {
        "files": manifest.files,
        "sources": {s.key: s.counts for s in manifest.sources},
    }


def _deliver(package: ExportPackage, manifest: Any) -> BuildResult:
    now = timezone.now()
    expires = now + timedelta(days=settings.EXPORT_LINK_TTL)
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=package.request_id)
        done = ExportPackage.objects.filter(
            pk=package.pk, status=ExportPackage.Status.BUILDING, file=package.file
        ).update(
            status=ExportPackage.Status.READY,
            ready_at=now,
            size=manifest.size,
            summary=_summary(manifest),
            expires_at=expires,
            last_error="",
        )
        if done != 1:  # reset by the dispatch job meanwhile: that build wins
            transaction.on_commit(lambda: _remove_file(package.file))
            return BuildResult("skipped")
        common.record(
            "export_ready",
            request,
            actor=SYSTEM,
            data={"package": package.pk, "bytes": manifest.size},
        )
        common.email_requester(
            request,
            "fulfilment_export_ready",
            f"export:{package.pk}",
            link=secret_link(MINTER, package.pk),
            expires=timezone.localtime(expires).date().isoformat(),
            downloads=package.max_downloads,
        )
        if request.status in {S.VERIFIED, S.IN_PROGRESS}:
            common.transition(
                request,
                S.COMPLETED,
                actor=SYSTEM,
                action="completed",
                message="Your information was e-mailed to you as a download link.",
                public=True,
                completed_at=now,
                outcome_summary="Access export delivered by e-mailed link.",
            )
    return BuildResult("ready")


def _build_failed(package: ExportPackage, exc: Exception) -> BuildResult:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    log.warning("export %s failed: %s", package.pk, error)
    # ``attempts`` already counts this one (incremented by the claim).
    final = package.attempts >= MAX_ATTEMPTS or isinstance(exc, RequestError)
    delay = 0 if final else BACKOFF[min(package.attempts, len(BACKOFF)) - 1]
    with transaction.atomic():
        ExportPackage.objects.filter(
            pk=package.pk, status=ExportPackage.Status.BUILDING
        ).update(
            status=ExportPackage.Status.FAILED
            if final
            else ExportPackage.Status.PENDING,
            file="",
            last_error=error,
            next_attempt_at=None
            if final
            else timezone.now() + timedelta(seconds=delay),
        )
        if final:
            request = package.request
            PrivacyRequest.objects.filter(pk=request.pk).update(needs_attention=True)
            common.event(
                request,
                RequestEvent.Kind.NOTE,
                actor=SYSTEM,
                message=f"The export could not be built: {error}",
            )
            common.record("export_failed", request, actor=SYSTEM, data={"error": error})
            common.alert_attention(
                request,
                f"export:{package.pk}",
                f"The export could not be built: {error}",
            )
    return BuildResult("failed") if final else BuildResult("retry", delay)


def _remove_file(name: str) -> None:
    try:
        if name and default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        log.warning("could not remove export file %s", name, exc_info=True)


def exports_retry_failed(request: PrivacyRequest) -> int:
    """Failed builds of this request go back to the queue (caller audits)."""
    ids = list(
        request.exports.filter(status=ExportPackage.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    ExportPackage.objects.filter(pk__in=ids).update(
        status=ExportPackage.Status.PENDING, attempts=0, next_attempt_at=None
    )
    for pk in ids:
        _enqueue_build(pk)
    return len(ids)


# --- the download link -------------------------------------------------------------


def export_find(token: str, *, now=None) -> ExportPackage:
    """The package behind a token; LinkInvalid (404) or LinkExpired (410)."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        raise LinkInvalid("malformed")
    package = (
        ExportPackage.objects.select_related("request")
        .filter(token_hash=common.hash_token(token))
        .first()
    )
    if package is None:
        raise LinkInvalid("unknown")
    if (
        package.status != ExportPackage.Status.READY
        or package.expires_at <= now
        or package.download_count >= package.max_downloads
    ):
        raise LinkExpired(package)
    return package


def export_download(*, token: str, ip: str = "") -> tuple[ExportPackage, IO[bytes]]:
    """Count one download (audited); the package and its open file.

    Raises like ``export_find``, or OSError when the file cannot be opened:
    then nothing is counted, so a missing file does not use up a download.
    """
    now = timezone.now()
    with transaction.atomic():
        package = export_find(token, now=now)
        counted = ExportPackage.objects.filter(
            pk=package.pk,
            status=ExportPackage.Status.READY,
            expires_at__gt=now,
            download_count__lt=F("max_downloads"),
        ).update(download_count=F("download_count") + 1, last_download_at=now)
        if counted != 1:
            raise LinkExpired(package)
        package.download_count += 1
        audit.record(
            "requests.export.downloaded",
            actor=Actor.subject(package.request.subject_id),
            target=package,
            subject_id=package.request.subject_id,
            data={
                "reference": package.request.reference,
                "download": package.download_count,
                "of": package.max_downloads,
            },
            personal={"ip": ip} if ip else None,
        )
        # Inside the transaction: if it fails, the count rolls back.
        handle = default_storage.open(package.file, "rb")
    return package, handle


# --- deletion once the link no longer works ---------------------------------------


def _gone(now: datetime) -> Q:
    """Live packages whose link expired or was used up."""
    return Q(status=ExportPackage.Status.READY) & (
        Q(expires_at__lte=now) | Q(download_count__gte=F("max_downloads"))
    )


def export_discard(*, package_id: int, now: datetime | None = None) -> bool:
    """Delete a package whose link no longer works (audited); False if none was.

    Claimed by a conditional UPDATE, so a repeat or a concurrent sweep deletes
    it once; the file is removed after commit. A legal hold on the subject wins.
    """
    now = now or timezone.now()
    with transaction.atomic():
        package = (
            ExportPackage.objects.select_related("request")
            .filter(_gone(now), pk=package_id)
            .first()
        )
        if package is None or _held(package):
            return False
        claimed = ExportPackage.objects.filter(
            _gone(now), pk=package.pk, file=package.file
        ).update(status=ExportPackage.Status.EXPIRED, deleted_at=now, file="")
        if not claimed:
            return False
        used_up = package.download_count >= package.max_downloads
        audit.record(
            "requests.export.deleted",
            actor=SYSTEM,
            target=package,
            subject_id=package.request.subject_id,
            data={
                "reference": package.request.reference,
                "why": "used up" if used_up else "link expired",
            },
        )
        transaction.on_commit(lambda: _remove_file(package.file))
    return True


def _held(package: ExportPackage) -> bool:
    holds = retention.active_holds()
    return bool(holds.covering(subject_id=package.request.subject_id))


def exports_gone(now: datetime) -> QuerySet[ExportPackage]:
    """Packages to delete now: link expired or used up, subject not on hold."""
    rows = ExportPackage.objects.filter(_gone(now))
    held = retention.active_holds().subject_ids
    return rows.exclude(request__subject_id__in=held) if held else rows


def exports_discard_gone(now: datetime | None = None) -> int:
    """Delete every package whose link expired or was used up (at most 500)."""
    now = now or timezone.now()
    ids = list(exports_gone(now).values_list("pk", flat=True)[:500])
    return sum(export_discard(package_id=pk, now=now) for pk in ids)


def exports_dispatch(now=None) -> dict[str, int]:
    """Re-send pending builds; reset builds a killed worker left half-done;
    delete packages whose link no longer works."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    reset = 0
    for package in ExportPackage.objects.filter(
        status=ExportPackage.Status.BUILDING, started_at__lt=stale
    ):
        with transaction.atomic():
            reset += ExportPackage.objects.filter(
                pk=package.pk, status=ExportPackage.Status.BUILDING, file=package.file
            ).update(status=ExportPackage.Status.PENDING, file="")
            transaction.on_commit(lambda name=package.file: _remove_file(name))
    ids = list(
        ExportPackage.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=ExportPackage.Status.PENDING,
        ).values_list("pk", flat=True)[:500]
    )
    with transaction.atomic():
        for pk in ids:
            _enqueue_build(pk)
    deleted = exports_discard_gone(now)
    return {"exports_reset": reset, "exports": len(ids), "exports_deleted": deleted}
