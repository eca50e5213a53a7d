from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from privacyportal import roles, schedule


class Command(BaseCommand):
    help = (
        "Idempotent setup after migrate: static files collected into STATIC_ROOT, "
        "staff roles and their permissions, the periodic jobs in "
        "django-celery-beat, and on first run a superuser 'admin' "
        "(password from DJANGO_SUPERUSER_PASSWORD, else random and printed once)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-superuser",
            action="store_true",
            help="Do not create the 'admin' superuser.",
        )

    def handle(self, *args, **options) -> None:
        # With DEBUG off WhiteNoise serves only STATIC_ROOT, read when web starts:
        # without this the admin loses its styles and the honeypot shows.
        call_command("collectstatic", interactive=False, verbosity=0)
        # Public pages and e-mails in the visitor's language need these.
        call_command("compile_catalogues", verbosity=0)
        counts = roles.sync_roles()
        created_jobs = self.sync_jobs()
        self.stdout.write(
            f"roles: {', '.join(f'{k} ({v} permissions)' for k, v in counts.items())}; "
            f"periodic jobs added: {created_jobs}"
        )
        if not options["no_superuser"]:
            self.ensure_superuser()

    @transaction.atomic
    def sync_jobs(self) -> int:
        created = 0
        for job in schedule.JOBS:
            self.rename_former(job)
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=job.every_minutes, period=IntervalSchedule.MINUTES
            )
            _, was_created = PeriodicTask.objects.get_or_create(
                name=job.name,
                defaults={
                    "task": job.task,
                    "interval": interval,
                    "description": job.description,
                },
            )
            created += was_created
        return created

    @staticmethod
    def rename_former(job: schedule.Job) -> None:
        """An entry under a job's old name takes the new name and description.

        Its timing and whether it is enabled stay as staff set them. Where an
        entry with the new name exists already, the old one is left alone: two
        entries then show in the admin, which is better than deleting one.
        """
        if not job.former_names or PeriodicTask.objects.filter(name=job.name).exists():
            return
        # save(), not update(): beat notices a change only through its signal.
        for task in PeriodicTask.objects.filter(name__in=job.former_names)[:1]:
            task.name, task.description = job.name, job.description
            task.save(update_fields=["name", "description"])

    def ensure_superuser(self) -> None:
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(
            12
        )
        User.objects.create_superuser("admin", "admin@example.com", password)
        if os.environ.get("DJANGO_SUPERUSER_PASSWORD"):
            self.stdout.write(
                "Created superuser 'admin' (password from DJANGO_SUPERUSER_PASSWORD)."
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Created superuser 'admin' with password: {password}\n"
                    "This is shown once; change it in the admin or with "
                    "`manage.py changepassword admin`."
                )
            )
