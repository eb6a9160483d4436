"""Bytes a serial console must carry: rescue-tui's screens beside ``dialog --menu``, on an 80x24 pty.

    python -m bench.serial [--term linux --term vt100] [--raw]

Runs ``rescue-tui tui --dry-run`` (the demo: raid1-lvm onto the simulated
rescue VM's disks) on a pseudo-terminal of 80x24, walks every screen by keys
alone, and counts the bytes the app writes: the first frame, one arrow key
on each screen, and each screen change. Beside it, ``dialog --menu`` with 6
items on the same pty: its first frame and one arrow key. ``--raw`` adds a
column for Textual's own output (the lean output stage off), to show what
it saves. Goals (issue 7): first frame <= 5,000 bytes, arrow key <= 250.

At 115200 baud a byte takes about 87 us: 5,000 bytes are 0.43 s.
``PtySession`` is also what tests/tui/test_serial_session.py drives.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_LAYOUT = REPO / "layouts" / "examples" / "raid1-lvm.json"
DEMO_TARGETS = REPO / "layouts" / "examples" / "targets" / "demo-rescue-vm.json"
FIRST_FRAME_GOAL = 5000
ARROW_GOAL = 250
DOWN = b"\x1b[B"
UP = b"\x1b[A"
ESC = b"\x1b"
ENTER = b"\r"


class PtySession:
    """A program on a pseudo-terminal of a given size and TERM; what it writes, read until it goes quiet."""

    def __init__(
        self, argv: Sequence[str], *, term: str, rows: int = 24, cols: int = 80, env: dict[str, str] | None = None
    ) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "LINES", "COLUMNS"))}
        environ.update({"TERM": term, "LANG": "C.UTF-8"}, **(env or {}))
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the pty is its stdin, stdout and stderr
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.chdir(REPO)
            os.execvpe(argv[0], list(argv), environ)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.transcript = bytearray()

    def read_until_quiet(self, quiet: float = 0.6, limit: float = 30.0) -> bytes:
        """Everything written until nothing came for ``quiet`` seconds after the first byte (or ``limit``)."""
        out = bytearray()
        start = time.monotonic()
        last: float | None = None
        while True:
            now = time.monotonic()
            if now - start > limit or (last is not None and now - last > quiet):
                break
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
                last = time.monotonic()
        self.transcript += out
        return bytes(out)

    def read_for(self, seconds: float) -> bytes:
        """Everything written during ``seconds`` (to measure idle traffic)."""
        out = bytearray()
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
        self.transcript += out
        return bytes(out)

    def press(self, keys: bytes, quiet: float = 0.6) -> bytes:
        """Send keys; what the program wrote in answer."""
        os.write(self.fd, keys)
        return self.read_until_quiet(quiet=quiet, limit=15.0)

    def close(self) -> int | None:
        """End the program (SIGTERM, then SIGKILL); its exit status if it had one."""
        status = None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    break
                os.kill(self.pid, sig)
                time.sleep(0.3)
            except ChildProcessError:
                break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        return status

    def __enter__(self) -> PtySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rescue_tui_argv(*extra: str) -> list[str]:
    """The demo command line, with the venv's Python."""
    return [
        sys.executable, "-m", "rescue_tui", "tui", "--dry-run",
        "--layout", str(DEMO_LAYOUT.relative_to(REPO)), "--targets", str(DEMO_TARGETS.relative_to(REPO)), *extra,
    ]  # fmt: skip


@dataclass
class Column:
    """One column of the table: a program on one TERM, bytes per measurement."""

    title: str
    figures: dict[str, int] = field(default_factory=dict)
    non_ascii: int = 0


WALK: list[tuple[str, bytes, str, bytes]] = [
    # (screen, arrow key, screen change name, keys for it)
    ("welcome", DOWN, "welcome -> layout (d)", b"d"),
    ("layout", DOWN, "layout -> mapping (Enter)", ENTER),
    ("mapping", DOWN, "mapping -> plan (n)", b"n"),
    ("plan", DOWN, "plan -> confirm (a)", b"a"),
    ("confirm", DOWN, "confirm -> plan (Esc)", ESC),
]


def measure_rescue_tui(term: str, *, raw: bool = False) -> Column:
    column = Column(f"rescue-tui{' raw' if raw else ''} {term}")
    env = {"RESCUE_TUI_RAW_OUTPUT": "1"} if raw else {}
    with PtySession(rescue_tui_argv(), term=term, env=env) as session:
        column.figures["first frame"] = len(session.read_until_quiet(quiet=1.5))
        for screen, arrow, change, keys in WALK:
            column.figures[f"arrow key: {screen}"] = len(session.press(arrow))
            if screen == "layout":
                session.press(UP)  # back to the layout the demo uses
            # Screen changes that run the engine (mapping, plan) wait longer: blivet's first import is slow.
            column.figures[change] = len(session.press(keys, quiet=2.5 if screen in ("layout", "mapping") else 1.0))
        column.figures["idle 3 s"] = len(session.read_for(3.0))
        column.non_ascii = sum(1 for b in session.transcript if b > 127)
    return column


def measure_dialog(term: str) -> Column:
    column = Column(f"dialog {term}")
    items = [x for i in range(1, 7) for x in (str(i), f"Item number {i}")]
    argv = ["dialog", "--menu", "Choose one", "15", "50", "6", *items]
    with PtySession(argv, term=term) as session:
        column.figures["first frame"] = len(session.read_until_quiet(quiet=1.0))
        column.figures["arrow key: menu"] = len(session.press(DOWN))
        column.figures["idle 3 s"] = len(session.read_for(3.0))
        column.non_ascii = sum(1 for b in session.transcript if b > 127)
    return column


def table(columns: Sequence[Column]) -> str:
    rows: list[str] = []
    for column in columns:
        rows += [r for r in column.figures if r not in rows]
    width = max(len(r) for r in rows)
    head = f"{'bytes at 80x24':<{width}}" + "".join(f"  {c.title:>20}" for c in columns)
    lines = [head, "-" * len(head)]
    for row in rows:
        cells = "".join(f"  {c.figures[row]:>20,}" if row in c.figures else f"  {'':>20}" for c in columns)
        lines.append(f"{row:<{width}}{cells}")
    lines.append(f"{'non-ASCII bytes (whole run)':<{width}}" + "".join(f"  {c.non_ascii:>20,}" for c in columns))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serial", description=__doc__.split("\n\n")[0])
    parser.add_argument("--term", action="append", help="TERM values to run under (default: linux and vt100)")
    parser.add_argument("--raw", action="store_true", help="add Textual's own output (lean output stage off)")
    args = parser.parse_args(argv)
    terms = args.term or ["linux", "vt100"]
    columns = [measure_rescue_tui(term) for term in terms]
    if args.raw:
        columns.append(measure_rescue_tui(terms[0], raw=True))
    if shutil.which("dialog"):
        columns += [measure_dialog(term) for term in terms]
    else:
        print("dialog is not installed: no comparison column", file=sys.stderr)
    print(table(columns))
    ours = [c for c in columns if c.title.startswith("rescue-tui ") and "raw" not in c.title]
    first_ok = all(c.figures["first frame"] <= FIRST_FRAME_GOAL for c in ours)
    arrows = [v for c in ours for k, v in c.figures.items() if k.startswith("arrow key")]
    print(
        f"\ngoals: first frame <= {FIRST_FRAME_GOAL:,} B: {'met' if first_ok else 'NOT met'}; "
        f"arrow key <= {ARROW_GOAL} B: {'met' if max(arrows) <= ARROW_GOAL else 'NOT met'} "
        f"(worst {max(arrows)} B); at 115200 baud the first frame takes "
        f"{max(c.figures['first frame'] for c in ours) * 10 / 115200:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
