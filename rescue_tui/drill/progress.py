"""The drill's progress on the operator's terminal: a line per step, and on a terminal a live last line.

A drill runs for minutes with long silent stretches (a restore under emulation). On a terminal, every
step is printed as a line and the last line keeps turning and counting the seconds of the step that
runs, so a drill that works is told from one that hangs. Anywhere else (a CI log, a pipe) only the
lines are written, one per step, with nothing redrawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class DrillProgress:
    """Callable with one line per step (``progress(line)``); a context manager around the drill."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self._now = clock
        self.started = self._now()
        self._step = "starting"
        self._step_started = self.started
        self._spinner = Spinner("line")
        self._live: Live | None = None

    def __call__(self, line: str) -> None:
        now = self._now()
        stamp = f"[{now - self.started:6.0f} s] "
        self.console.print(Text(stamp + line), soft_wrap=True, highlight=False)
        self._step, self._step_started = line, now

    def _status(self) -> RenderableType:
        """The live line: what runs now, and for how long."""
        self._spinner.update(text=Text(f"{self._step} ({self._now() - self._step_started:.0f} s)", style="dim"))
        return self._spinner

    def __enter__(self) -> DrillProgress:
        if self.console.is_terminal:
            self._live = Live(console=self.console, get_renderable=self._status, refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
