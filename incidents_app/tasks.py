"""Thin tasks: one service call each."""

from __future__ import annotations

from celery import shared_task

from incidents_app.services import incidents_scan


@shared_task
def incidents_scan_task() -> dict[str, int]:
    return incidents_scan()
