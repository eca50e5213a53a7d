"""Benchmarks: `make bench` (all) or `make bench BENCH=name` (one).

Each module ``bench/<name>.py`` defines ``run() -> Result``. Figures are measured in
one run and compared as ratios; ``met`` is computed from them, never written by hand.
"""
