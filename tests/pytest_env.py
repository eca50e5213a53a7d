"""Loaded with ``-p tests.pytest_env`` so it runs before pytest-django reads settings.

Tests never touch var/'s broker, and each run gets its own Celery queue, so two
runs sharing one Redis cannot take each other's tasks.
"""

from __future__ import annotations

import os
import uuid

if not os.environ.get("REDIS_URL"):
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault(
    "CELERY_TASK_DEFAULT_QUEUE", f"portal-test-{uuid.uuid4().hex[:8]}"
)
os.environ.setdefault("DEBUG", "1")
