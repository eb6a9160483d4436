"""The recovery's log: a line per event in ``/run/rescue-tui/recovery.log``, whoever drives the recovery.

A console other than the one running the recovery follows it by reading this
file (the TUI's follow screen); so does an operator with ``tail -f`` on the
tty2 shell. Restore samples arrive many times a second: one line every
``SAMPLE_EVERY`` seconds is enough to follow, and the last one always comes.
A log that cannot be written never stops the recovery: the faces still show
every event.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from rescue_tui.recover.events import RecoveryEvent, RestoreSampled, recovery_line
from rescue_tui.restore.progress import format_event

LOG_FILE: Final = "recovery.log"
SAMPLE_EVERY: Final = 5.0
"""Seconds between two restore progress lines in the log."""


class RecoveryLog:
    """Appends one timestamped line per event worth one."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._sampled: float | None = None

    def start(self, header: str) -> None:
        """A recovery starts (a resume too): its header line, after what earlier runs wrote."""
        self._sampled = None
        self._append(f"== {header}")

    def write(self, event: RecoveryEvent) -> None:
        if isinstance(event, RestoreSampled):
            now = self._clock()
            if not event.sample.final and self._sampled is not None and now - self._sampled < SAMPLE_EVERY:
                return
            self._sampled = now
            self._append(f"   {format_event(event.sample)}")
            return
        line = recovery_line(event)
        if line is not None:
            self._append(line)

    def _append(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(f"{time.strftime('%H:%M:%S')} {line}\n")
