"""Telling the people affected by a breach (GDPR Art. 34, US state laws).

Invariants kept here:
- the people affected are rows (``AffectedPerson``) written in SQL by
  INSERT ... SELECT, unique per (incident, address): adding the same people
  twice adds nothing, and a CSV list with a bad line adds no one;
- a notice is sent only once the incident records the decision to tell them,
  and only one run per incident sends at a time;
- a run is the shared outbox-campaign runner's (``privacyportal.campaigns``),
  as the policy campaign is: a batch claims the run row
  (``select_for_update(skip_locked)``), queues its e-mails in the outbox and
  advances the cursor in one transaction, so a task delivered twice sends
  nothing twice and a batch killed half-way leaves nothing behind;
- each person's outbox key is ``breach-notice-<incident>-<person>``: one
  notice per person, ever, whatever happens to the runs;
- every change is audited once per action or run (not per person).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, Lower, Trim
from django.utils import timezone

from incidents_app.models import AffectedPerson, Incident, NoticeRun
from privacyportal import audit, campaigns
from privacyportal.subjects.models import normalize_email

TEMPLATE = "breach_notice"


class NoticeRefused(ValueError):
    """The notice cannot be sent now; the message says why, in plain words."""


class ListRejected(ValueError):
    """An uploaded list has bad lines; nothing from it was added."""

    def __init__(self, errors: list[tuple[int, str]], rows: int) -> None:
        self.errors = errors
        super().__init__(
            f"{len(errors)} of {rows} lines have errors; no one from the list "
            "was added."
        )


@dataclass(frozen=True)
class NoticeText:
    """What the notice tells people (Art. 34(2)), written by staff."""

    what_happened: str
    consequences: str
    measures: str
    advice: str = ""

    @classmethod
    def drafted_from(cls, incident: Incident) -> NoticeText:
        return cls(incident.description, incident.consequences, incident.measures)


def system_actor() -> Any:
    from privacyportal.audit.services import Actor

    return Actor.system("breach notice")


# --- choosing the people affected ---------------------------------------------


def _added(actor: Any, incident: Incident, source: str, added: int, **data: Any) -> int:
    audit.record(
        "incidents.affected.added",
        actor=actor,
        target=incident,
        data={"reference": incident.reference, "how": source, "added": added, **data},
    )
    return added


# Portable SQL (PostgreSQL and the SQLite of `make run`); the SELECT keeps a
# WHERE clause so SQLite parses the ON CONFLICT as the INSERT's.
_INSERT_SUBJECTS = (
    "INSERT INTO incidents_app_affectedperson "
    "(incident_id, subject_id, email, language, source, added_at, notified_at, "
    "outbox_key) "
    "SELECT %s, s.id, lower(trim(s.email)), s.language, %s, %s, NULL, '' "
    "FROM subjects_datasubject s "
    # On file and writable: an address, not anonymised.
    "WHERE s.email IS NOT NULL AND s.anonymised_at IS NULL {chosen} "
    "ORDER BY s.id ON CONFLICT (incident_id, email) DO NOTHING"
)


def _insert_subjects(incident: Incident, source: str, chosen: Any = None) -> int:
    """INSERT ... SELECT the subjects on file (those in ``chosen``, if given).

    ``chosen`` is a queryset of subject ids; Django compiles it, and its values
    stay query parameters.
    """
    sql, params = chosen.query.sql_with_params() if chosen is not None else ("", ())
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SUBJECTS.format(chosen=f"AND s.id IN ({sql})" if sql else ""),
            [incident.pk, source, timezone.now(), *params],
        )
        return cursor.rowcount


def affected_add_everyone(*, actor: Any, incident: Incident) -> int:
    """Every subject on file with an address; returns how many were added."""
    with transaction.atomic():
        added = _insert_subjects(incident, AffectedPerson.Source.EVERYONE)
        return _added(actor, incident, "everyone", added)


def affected_add_by_consent(
    *, actor: Any, incident: Incident, purpose_codes: list[str]
) -> int:
    """Subjects with a consent answer (given or refused) for any of the purposes.

    An answer means the portal holds data about them for that purpose.
    """
    from consent_app.models import ConsentState

    if not purpose_codes:
        raise NoticeRefused("Choose at least one purpose.")
    answered = ConsentState.objects.filter(
        purpose__code__in=list(purpose_codes)
    ).values("subject_id")
    with transaction.atomic():
        added = _insert_subjects(incident, AffectedPerson.Source.CONSENT, answered)
        return _added(actor, incident, "consent", added, purposes=sorted(purpose_codes))


def read_address_list(text: str) -> tuple[list[str], list[tuple[int, str]], int]:
    """Addresses from a CSV list (first column; an 'email' header is skipped).

    Returns (unique addresses, [(line, error)], lines read).
    """
    addresses: dict[str, None] = {}
    errors: list[tuple[int, str]] = []
    lines = 0
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = row[0].strip() if row else ""
        if not cell or (number == 1 and cell.lower() in ("email", "e-mail")):
            continue
        lines += 1
        try:
            validate_email(cell)
        except ValidationError:
            errors.append((number, f"{cell[:80]!r} is not an e-mail address"))
            continue
        addresses[normalize_email(cell)] = None
    if not lines and not errors:
        errors.append((1, "the list has no addresses"))
    return list(addresses), errors, lines


def affected_add_list(*, actor: Any, incident: Incident, text: str) -> int:
    """Add the addresses of an uploaded list, all or none.

    An address that belongs to a subject on file is linked to them (and their
    language); others get the notice in the portal's default language.
    """
    addresses, errors, lines = read_address_list(text)
    if errors:
        raise ListRejected(errors, lines)
    with transaction.atomic():
        before = incident.affected.count()
        AffectedPerson.objects.bulk_create(
            (
                AffectedPerson(
                    incident=incident,
                    email=address,
                    source=AffectedPerson.Source.CSV,
                    added_at=timezone.now(),
                )
                for address in addresses
            ),
            batch_size=5_000,
            ignore_conflicts=True,
        )
        _link_known_subjects(incident)
        added = incident.affected.count() - before
        return _added(actor, incident, "list", added, lines=lines)


def _link_known_subjects(incident: Incident) -> None:
    """Listed addresses of subjects on file: their record and their language."""
    from privacyportal.subjects.models import DataSubject

    known = DataSubject.objects.alias(email_ci=Lower(Trim("email"))).filter(
        email_ci=OuterRef("email"), email__isnull=False
    )
    incident.affected.filter(
        source=AffectedPerson.Source.CSV, subject__isnull=True
    ).filter(Exists(known)).update(
        subject_id=Subquery(known.values("pk")[:1]),
        language=Subquery(known.values("language")[:1]),
    )


def affected_counts(incident: Incident) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(notified_at) FROM incidents_app_affectedperson "
            "WHERE incident_id = %s",
            [incident.pk],
        )
        total, notified = cursor.fetchone()
    return {"total": total, "notified": notified, "waiting": total - notified}


# --- the notice ---------------------------------------------------------------


def notice_context(incident: Incident, text: NoticeText) -> dict[str, Any]:
    return {
        "reference": incident.reference,
        "what_happened": text.what_happened,
        "consequences": text.consequences,
        "measures": text.measures,
        "advice": text.advice,
        "aware_on": timezone.localdate(incident.became_aware_at).isoformat(),
    }


def person_language(language: str) -> str:
    return language or settings.LANGUAGE_CODE


def notice_preview(
    incident: Incident, text: NoticeText, person: AffectedPerson | None = None
) -> dict[str, Any]:
    """The e-mail as one person would read it (by default the first not yet told)."""
    from privacyportal import languages
    from privacyportal.mail import render

    person = person or (
        incident.affected.filter(notified_at__isnull=True).order_by("pk").first()
        or incident.affected.order_by("pk").first()
    )
    language = languages.supported(person_language(person.language if person else ""))
    subject, body, _html = render(TEMPLATE, notice_context(incident, text), language)
    return {
        "person": person,
        "language": languages.name(language),
        "subject": subject,
        "body": body,
    }


# --- the run ------------------------------------------------------------------


def notice_run_start(*, actor: Any, incident: Incident, text: NoticeText) -> NoticeRun:
    """Start e-mailing everyone affected not yet told; refused without a decision."""
    if not (text.what_happened.strip() and text.measures.strip()):
        raise NoticeRefused(
            "Say what happened and what is being done: the notice needs both."
        )
    with transaction.atomic():
        # The incident row, locked: two officers pressing Send start one run.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.notify_people is not True:
            raise NoticeRefused(
                f"{incident.reference}: record the decision to tell the people "
                "affected first (Assessment and decision)."
            )
        if incident.notice_runs.filter(status=NoticeRun.Status.RUNNING).exists():
            raise NoticeRefused(f"{incident.reference}: a notice is already sending.")
        waiting = incident.affected.filter(notified_at__isnull=True).count()
        if not waiting:
            raise NoticeRefused(f"{incident.reference}: no one is waiting to be told.")
        run = NoticeRun.objects.create(
            incident=incident,
            what_happened=text.what_happened.strip(),
            consequences=text.consequences.strip(),
            measures=text.measures.strip(),
            advice=text.advice.strip(),
            total=waiting,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            "incidents.notice.started",
            actor=actor,
            target=incident,
            data={"reference": incident.reference, "run": run.pk, "people": waiting},
        )
        campaigns.schedule(CAMPAIGN, run.pk, countdown=0)
    return run


def _text(run: NoticeRun) -> NoticeText:
    return NoticeText(run.what_happened, run.consequences, run.measures, run.advice)


def notice_run_batch(*, run_id: int, batch_size: int | None = None) -> int:
    """Queue the next batch of notices; returns how many people were handled.

    A call that finds the run locked by another worker, or finished, does nothing.
    """
    return campaigns.run_batch(CAMPAIGN, run_id=run_id, batch_size=batch_size)


def _key_prefix(run: NoticeRun) -> str:
    return f"breach-notice-{run.incident_id}-"


def _mark_told(run: NoticeRun, rows: list, now: Any) -> None:
    # One UPDATE records every person of the batch as told, with their key.
    AffectedPerson.objects.filter(pk__in=[row[0] for row in rows]).update(
        notified_at=now,
        outbox_key=Concat(Value(_key_prefix(run)), Cast("id", models.CharField())),
    )


def _run_finished(run: NoticeRun) -> None:
    audit.record(
        "incidents.notice.finished",
        actor=system_actor(),
        target=run.incident,
        data={"reference": run.incident.reference, "run": run.pk, "sent": run.sent},
    )


def notice_runs_resume(*, stalled_after: timedelta | None = None) -> int:
    """Re-enqueue running notices whose last batch is old (worker or broker lost)."""
    return campaigns.resume(CAMPAIGN, stalled_after=stalled_after)


CAMPAIGN = campaigns.Campaign(
    name="breach notice",
    model=NoticeRun,
    task="incidents_app.tasks.notice_batch_task",
    template=TEMPLATE,
    key_prefix=_key_prefix,
    recipients=lambda run: AffectedPerson.objects.filter(
        incident_id=run.incident_id, notified_at__isnull=True
    ),
    context=lambda run: notice_context(run.incident, _text(run)),
    finished=_run_finished,
    related=("incident",),
    after_batch=_mark_told,
    size_setting="BREACH_NOTICE_BATCH_SIZE",
    interval_setting="BREACH_NOTICE_BATCH_INTERVAL",
)


# --- the subject's story --------------------------------------------------------


def notice_sections(subject: Any) -> list:
    from privacyportal.subjects.story import ROW_LIMIT, Section, when

    rows = list(
        AffectedPerson.objects.filter(subject_id=subject.pk)
        .select_related("incident")
        .order_by("-added_at")[: ROW_LIMIT + 1]
    )
    lines = [
        (
            p.incident.reference,
            p.incident.title,
            p.get_source_display(),
            when(p.added_at),
            when(p.notified_at) or "Not told yet",
        )
        for p in rows
    ]
    if not lines:
        return []
    return [
        Section(
            "breach_notices",
            "Breach notices",
            ("Incident", "Title", "Chosen as", "Added", "Notice sent"),
            lines[:ROW_LIMIT],
            truncated=len(lines) > ROW_LIMIT,
        )
    ]


SENTENCES = {
    "incidents.affected.added": "People affected by a breach added to its notice list",
    "incidents.notice.started": "Sending of the breach notice to the people "
    "affected started",
    "incidents.notice.finished": "Breach notice sent to everyone on its list",
}


def ready() -> None:
    """Called from IncidentsConfig.ready(): titles, sentences, story section."""
    from privacyportal import emailtitles
    from privacyportal.audit import describe
    from privacyportal.subjects import story

    emailtitles.register(TEMPLATE, "Notice to a person affected by a breach")
    for code, sentence in SENTENCES.items():
        describe.register(code, sentence)
    story.register("breach_notices", notice_sections, order=60)
