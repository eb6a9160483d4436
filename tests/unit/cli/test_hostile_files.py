"""Every command that reads a file answers a hostile one with one line and exit 2, and touches nothing.

Deeply nested JSON used to end in RecursionError, a 5,000-digit integer in "Exceeds the limit
(4300 digits)", and bytes that are not UTF-8 in UnicodeDecodeError, each with a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYOUT = str(ROOT / "layouts/examples/raid1-lvm.json")
TARGETS = str(ROOT / "layouts/examples/targets/demo-rescue-vm.json")

HOSTILE = {
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "a 5000-digit number": b'{"format_version": ' + b"7" * 5000 + b"}",
    "not UTF-8": b'{"format_version": 1, "machine": {"hostname": "caf\xe9"}}',
    "binary": bytes(range(256)) * 8,
    "empty": b"",
}
COMMANDS = {
    "layout validate": lambda f, out: ["layout", "validate", f],
    "layout show": lambda f, out: ["layout", "show", f],
    "layout import-rear": lambda f, out: ["layout", "import-rear", f, "-o", out],
    "plan --layout": lambda f, out: ["plan", "--layout", f, "--targets", TARGETS, "-o", out],
    "plan --targets": lambda f, out: ["plan", "--layout", LAYOUT, "--targets", f, "-o", out],
    "plan --mapping": lambda f, out: ["plan", "--layout", LAYOUT, "--targets", TARGETS, "--mapping", f, "-o", out],
    "apply": lambda f, out: ["apply", f, "--yes", "--journal-dir", str(Path(out).parent / "journal")],
    "drill --layout": lambda f, out: [
        *("drill", "--layout", f, "--backend", "tar:/srv/none.tar", "--report", str(Path(out).parent / "report"))
    ],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_one_line_exit_2_and_nothing_written(command: str, kind: str, tmp_path: Path) -> None:
    bad = tmp_path / "input.json"
    bad.write_bytes(HOSTILE[kind])
    out = tmp_path / "out.json"
    before = sorted(os.listdir(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", *COMMANDS[command](str(bad), str(out))],
        capture_output=True, text=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if not line.startswith("rescue-tui: hint:")]
    assert len(lines) == 1 and lines[0].startswith(f"rescue-tui: {bad}"), result.stderr[-2000:]
    assert sorted(os.listdir(tmp_path)) == before
