"""Every periodic job, declared in one place.

``manage.py setup_portal`` writes these into django-celery-beat, where staff
can change their timing in the admin; an entry already present is left as the
admin made it. Each job is also a management command for operators and cron.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    every_minutes: int
    description: str
    # Names this job had before: setup_portal renames an installed portal's
    # entry instead of adding a second one beside it (staff's timing is kept).
    former_names: tuple[str, ...] = ()


JOBS: list[Job] = [
    Job(
        "Heartbeat",
        "privacyportal.tasks.heartbeat_task",
        5,
        "Lets /healthz report when the worker last ran a scheduled job.",
    ),
    Job(
        "Re-dispatch unsent e-mails",
        "privacyportal.tasks.redispatch_email_task",
        5,
        "Sends e-mails recorded in the outbox but never picked up (broker was down).",
    ),
    Job(
        "Re-dispatch kept tasks",
        "privacyportal.tasks.pending_tasks_redispatch_task",
        5,
        "Sends public link requests the broker refused (kept in the database).",
    ),
    Job(
        "Purge old sent e-mails",
        "privacyportal.tasks.purge_sent_email_task",
        24 * 60,
        "Deletes outbox rows sent or failed more than 90 days ago.",
    ),
    Job(
        "Audit trail: checkpoint",
        "privacyportal.audit.tasks.audit_checkpoint_task",
        60,
        "Writes the newest audit entry's number and fingerprint to a signed file "
        "outside the database, so deleting the newest entries is detected.",
    ),
    Job(
        "Audit trail: e-mail checkpoint",
        "privacyportal.audit.tasks.audit_checkpoint_mail_task",
        24 * 60,
        "E-mails the audit trail's checkpoint to the Privacy Officers once a day, "
        "out of reach of anyone who controls only the database.",
    ),
    Job(
        "Audit trail check",
        "privacyportal.audit.tasks.audit_chain_check_task",
        24 * 60,
        "Walks the audit chain each night; the dashboard shows the result and a "
        "break is e-mailed to the Privacy Officers once.",
    ),
    Job(
        "Count daily figures",
        "privacyportal.tasks.figures_rollup_task",
        24 * 60,
        "Counts yesterday's requests, consent choices and deletions for the "
        "dashboard's charts (and any day not counted yet).",
    ),
    Job(
        "Incidents: authority notice reminders",
        "incidents_app.tasks.incidents_scan_task",
        5,
        "Reminds the Privacy Officers a third and two thirds into the period for "
        "notifying the supervisory authority and 6 hours before its end (24, 48 "
        "and 66 hours of 72) after a breach became known, and alerts them once "
        "when it ends, until the authority is notified or the incident is "
        "decided not notifiable.",
        # The period became an editable rule; the old name said 72 hours.
        former_names=("Incidents: 72-hour reminders",),
    ),
    Job(
        "Incidents: delete unconfirmed compromise reports",
        "incidents_app.tasks.compromise_reports_purge_task",
        24 * 60,
        "Deletes reports of a compromised account that the reporter never "
        "confirmed by e-mail within 7 days.",
    ),
    Job(
        "Incidents: resume breach notices",
        "incidents_app.tasks.notice_runs_resume_task",
        10,
        "Restarts the sending of a breach notice to the people affected when its "
        "worker stopped; no one is e-mailed twice.",
    ),
]


def register(job: Job) -> None:
    """Apps add their jobs from AppConfig.ready(); names must be unique."""
    if any(existing.name == job.name for existing in JOBS):
        return
    JOBS.append(job)
