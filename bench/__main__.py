from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.common import setup_django

SKIP = {"common", "__main__", "apiserver"}


def names() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP
    )


def main(argv: list[str]) -> int:
    setup_django()
    chosen = argv or names()
    unknown = set(chosen) - set(names())
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {names()}")
        return 2
    failed = []
    for name in chosen:
        result = importlib.import_module(f"bench.{name}").run()
        path = result.save()
        verdict = "MET" if result.met else "NOT MET"
        print(f"[{name}] ratio {result.ratio:.3f} (goal {result.goal}): {verdict}")
        for key, value in result.figures.items():
            print(
                f"    {key}: {value:.4f}"
                if isinstance(value, float)
                else f"    {key}: {value}"
            )
        print(f"    -> {path}")
        if not result.met:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
