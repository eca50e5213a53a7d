"""`.ci/run` installs what the tests need on a fresh machine, or says why it cannot.

A heuristic once decided whether Chromium was needed (grep for "playwright" in test
files), missed the import in conftest.py, and CI on a fresh machine failed. These
tests run the Chromium block of the real `.ci/run` with a stand-in `apt-get` on PATH.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"


def install_block() -> str:
    """The lines of .ci/run between its chromium markers, as a script of its own."""
    text = CI_RUN.read_text()
    start = text.index("# --- chromium: begin ---")
    end = text.index("# --- chromium: end ---")
    return "set -uo pipefail\n" + text[start:end]


def fake_apt(tmp_path: Path, *, creates: Path | None, fails: bool = False) -> dict:
    """A PATH whose apt-get logs its calls and 'installs' by creating `creates`."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "apt.log"
    body = f'echo "$@" >> {log}\n'
    if fails:
        body += '[ "$1" = install ] && exit 100\n'
    if creates is not None:
        body += f'if [ "$1" = install ]; then printf "#!/bin/sh\\n" > {creates}; '
        body += f"chmod +x {creates}; fi\n"
    apt = bindir / "apt-get"
    apt.write_text("#!/bin/sh\n" + body + "exit 0\n")
    apt.chmod(apt.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def run(env: dict, chromium: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", install_block()],
        env={**env, "CHROMIUM": str(chromium)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_missing_chromium_is_installed_with_apt(tmp_path):
    chromium = tmp_path / "chromium"
    done = run(fake_apt(tmp_path, creates=chromium), chromium)
    assert done.returncode == 0, done.stderr
    assert chromium.exists()
    assert "install -y -qq chromium" in (tmp_path / "apt.log").read_text()


def test_present_chromium_installs_nothing(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    done = run(fake_apt(tmp_path, creates=None), chromium)
    assert done.returncode == 0
    assert not (tmp_path / "apt.log").exists()


def test_failed_install_fails_ci_with_a_message(tmp_path):
    chromium = tmp_path / "chromium"
    done = run(fake_apt(tmp_path, creates=None, fails=True), chromium)
    assert done.returncode != 0
    assert "FAILED to install Debian's chromium" in done.stderr


def test_install_that_leaves_no_browser_fails(tmp_path):
    chromium = tmp_path / "chromium"
    done = run(fake_apt(tmp_path, creates=None), chromium)
    assert done.returncode != 0
    assert "FAILED" in done.stderr


def test_ci_run_installs_chromium_unconditionally_before_the_tests():
    text = CI_RUN.read_text()
    block = install_block()
    assert "apt-get install -y -qq chromium" in block
    assert text.index("# --- chromium: end ---") < text.rindex("\nmake test")
    # Not guarded by any test of which tests exist.
    assert "grep" not in block


def test_every_test_folder_is_collected_by_make_test():
    """A new app's tests count only if pytest's testpaths reach them."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    paths = config["tool"]["pytest"]["ini_options"]["testpaths"]
    folders = {
        p.parent.relative_to(ROOT).parts[0]
        for p in ROOT.glob("*/**/test_*.py")
        if ".venv" not in p.parts and "var" not in p.parts
    }
    assert folders <= set(paths), folders - set(paths)


def npm_block() -> str:
    """The lines of .ci/run between its npm markers, as a script of its own."""
    text = CI_RUN.read_text()
    start = text.index("# --- npm: begin ---")
    end = text.index("# --- npm: end ---")
    return "set -uo pipefail\n" + text[start:end]


def run_npm_block(env: dict, npm: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", npm_block()],
        env={**env, "NPM": str(npm)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_missing_npm_is_installed_with_apt(tmp_path):
    npm = tmp_path / "npm"
    done = run_npm_block(fake_apt(tmp_path, creates=npm), npm)
    assert done.returncode == 0, done.stderr
    assert "install -y -qq nodejs npm" in (tmp_path / "apt.log").read_text()


def test_present_npm_installs_nothing(tmp_path):
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\n")
    npm.chmod(0o755)
    done = run_npm_block(fake_apt(tmp_path, creates=None), npm)
    assert done.returncode == 0
    assert not (tmp_path / "apt.log").exists()


def test_npm_install_that_fails_stops_ci_with_a_message(tmp_path):
    npm = tmp_path / "npm"
    done = run_npm_block(fake_apt(tmp_path, creates=None, fails=True), npm)
    assert done.returncode != 0
    assert "FAILED to install Debian's nodejs and npm" in done.stderr


def test_make_test_installs_node_packages_from_the_lock_file():
    makefile = (ROOT / "Makefile").read_text()
    assert "node_modules/.installed: package-lock.json" in makefile
    assert "npm ci" in makefile
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "node_modules/.installed" in test_rule
    assert CI_RUN.read_text().index("# --- npm: end ---") < CI_RUN.read_text().rindex(
        "\nmake test"
    )
