"""Compile the translation catalogues (``locale/*/LC_MESSAGES/*.po``) to ``.mo``.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``, which a fresh
machine or a slim image may lack; polib does the same in Python. Run by
``setup_portal`` (so ``make run`` and the Docker image have them) and by the
test suite's start (so ``make test`` on a fresh clone has them). A ``.mo`` is
rewritten only when its ``.po`` is newer, so the call costs nothing after the
first.
"""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "locale"


def po_files(root: Path = ROOT) -> list[Path]:
    return sorted(root.glob("*/LC_MESSAGES/*.po"))


def compile_all(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Compile every stale catalogue; returns the ``.mo`` files written."""
    written = []
    for po_path in po_files(root):
        mo_path = po_path.with_suffix(".mo")
        if (
            not force
            and mo_path.exists()
            and mo_path.stat().st_mtime >= po_path.stat().st_mtime
        ):
            continue
        catalogue = polib.pofile(str(po_path))
        # Fuzzy entries are guesses: gettext leaves them out, and so do we.
        catalogue.save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written
