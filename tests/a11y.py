"""Accessibility checks with axe-core, for pages opened in Playwright.

axe-core comes from the repository's own ``node_modules`` (``npm ci``, which
``make test`` runs from package-lock.json): nothing is fetched from a CDN, and
the version is the one the lock file pins.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0/2.1 A and AA, and 2.2 AA (its target-size rule: 2.5.8).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_OPTIONS = {
    "runOnly": {"type": "tag", "values": TAGS},
    "resultTypes": ["violations"],
}
BLOCKING = ("serious", "critical")
SNIPPET = 160


@cache
def axe_source() -> str:
    """axe.min.js, or a skip (a fail under REQUIRE_SERVICES=1) when not installed."""
    if not AXE_JS.exists():
        why = f"{AXE_JS.relative_to(ROOT)} is missing: run `npm ci` (make test does)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {why}")
        pytest.skip(why)
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe's violations for the page as it is now (every impact)."""
    # The context must bypass the site's CSP: the page itself allows no inline
    # script, and this is the test's script, not the page's.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate("options => axe.run(document, options)", RUN_OPTIONS)
    return result["violations"]


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable list: rule, impact, what it asks, and where on the page."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            html = " ".join(node["html"].split())
            if len(html) > SNIPPET:
                html = html[:SNIPPET] + "…"
            lines.append(f"    at {target}: {html}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary}")
        lines.append(f"    see {v['helpUrl']}")
    return "\n".join(lines)


# Elements wider than the viewport, to say what scrolls sideways.
_WIDE = """
() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.className && typeof e.className === 'string'
         ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
}
"""


def horizontal_overflow(page: Any, width: int) -> str:
    """Empty when nothing scrolls sideways at ``width``, else what is too wide."""
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll <= width:
        return ""
    return f"page is {scroll}px wide at {width}px; too wide: {page.evaluate(_WIDE)}"
