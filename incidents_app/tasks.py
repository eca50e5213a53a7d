"""Thin tasks: one service call each."""

from __future__ import annotations

from celery import shared_task

from incidents_app.services import compromise_reports_purge, incidents_scan


@shared_task
def incidents_scan_task() -> dict[str, int]:
    return incidents_scan()


@shared_task
def compromise_reports_purge_task() -> int:
    return compromise_reports_purge()
