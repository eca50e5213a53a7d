"""The Celery application; configuration comes from Django settings (CELERY_*)."""

from __future__ import annotations

import os

from celery import Celery, signals

from privacyportal.logredact import redact_every_handler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")

app = Celery("privacyportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_tokens(**kwargs: object) -> None:
    # Worker and beat replace the root logger's handlers with Celery's own,
    # which never saw settings.LOGGING's filter: link tokens stay out anyway.
    redact_every_handler()
