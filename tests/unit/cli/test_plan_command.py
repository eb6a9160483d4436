"""``rescue-tui plan`` on an example: the plan on stdout and nothing else on stderr."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def plan(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", *(["--debug"] if debug else []), "plan", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_blivet_chatter_stays_off_the_operators_screen() -> None:
    # blivet sets its loggers to DEBUG when imported and logs every sysfs read it makes
    result = plan(
        "--layout", "layouts/examples/raid1-lvm.json", "--targets", "layouts/examples/targets/demo-rescue-vm.json"
    )
    assert result.returncode == 0, result.stderr
    assert "create raid1 array" in result.stdout
    assert result.stderr == ""


def test_with_debug_the_library_logs_are_shown() -> None:
    result = plan(
        "--layout", "layouts/examples/raid1-lvm.json", "--targets", "layouts/examples/targets/demo-rescue-vm.json",
        debug=True,
    )  # fmt: skip
    assert result.returncode == 0
    assert "DEBUG blivet:" in result.stderr
