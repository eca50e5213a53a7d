"""setup_portal writes every job into beat once, and renames an old entry."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from privacyportal import schedule

pytestmark = pytest.mark.django_db

NEW = "Incidents: authority notice reminders"
OLD = "Incidents: 72-hour reminders"


def _old_entry(every: int = 15, enabled: bool = False) -> PeriodicTask:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=every, period=IntervalSchedule.MINUTES
    )
    return PeriodicTask.objects.create(
        name=OLD,
        task="incidents_app.tasks.incidents_scan_task",
        interval=interval,
        enabled=enabled,
        description="the old words",
    )


def test_every_job_is_written_once():
    call_command("setup_portal", "--no-superuser")
    call_command("setup_portal", "--no-superuser")
    names = list(PeriodicTask.objects.values_list("name", flat=True))
    for job in schedule.JOBS:
        assert names.count(job.name) == 1, job.name


def test_an_entry_under_the_former_name_is_renamed_with_staffs_timing_kept():
    old = _old_entry(every=15, enabled=False)
    call_command("setup_portal", "--no-superuser")
    renamed = PeriodicTask.objects.get(pk=old.pk)
    job = next(j for j in schedule.JOBS if j.name == NEW)
    assert renamed.name == NEW and renamed.description == job.description
    # What staff changed in the admin stays as they set it.
    assert (renamed.interval.every, renamed.enabled) == (15, False)
    assert not PeriodicTask.objects.filter(name=OLD).exists()
    assert PeriodicTask.objects.filter(task=job.task).count() == 1


def test_where_both_names_exist_neither_is_deleted():
    old = _old_entry()
    call_command("setup_portal", "--no-superuser")  # renames old to NEW
    PeriodicTask.objects.filter(pk=old.pk).update(name=OLD)
    interval = IntervalSchedule.objects.get(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name=NEW, task="incidents_app.tasks.incidents_scan_task", interval=interval
    )
    call_command("setup_portal", "--no-superuser")
    assert set(
        PeriodicTask.objects.filter(name__in=[OLD, NEW]).values_list("name", flat=True)
    ) == {OLD, NEW}


def test_former_names_never_collide_with_a_current_job():
    current = {job.name for job in schedule.JOBS}
    former = [name for job in schedule.JOBS for name in job.former_names]
    assert former and not current & set(former)
