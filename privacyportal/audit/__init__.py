"""Append-only, hash-chained evidence of every decision.

Use :func:`privacyportal.audit.services.record` (re-exported here as ``record``
lazily, so importing this package never touches the app registry).
"""

from __future__ import annotations


def record(*args, **kwargs):
    from privacyportal.audit.services import record as _record

    return _record(*args, **kwargs)
