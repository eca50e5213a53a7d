from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def checkpoint_path(settings, tmp_path):
    """Each test has its own checkpoint file, never the one under var/."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints" / "audit.log"
    return settings.AUDIT_CHECKPOINT_FILE
