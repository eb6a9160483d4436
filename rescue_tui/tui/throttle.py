"""How often progress reaches the screen: at most once per interval, the last event never lost.

No Textual here: the worker thread asks :meth:`Throttle.due` before handing an
event to the UI thread, so a restore reporting every 0.5 s redraws the bar at
most once a second (a 115200 baud serial line has about 11 KB/s for everything).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rescue_tui.restore.model import Phase, ProgressEvent


class Throttle:
    """``due()`` says yes at most once per ``interval`` seconds; ``force`` always passes (first and final events)."""

    def __init__(self, interval: float = 1.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self, *, force: bool = False) -> bool:
        with self._lock:
            now = self.clock()
            if force or self._last is None or now - self._last >= self.interval:
                self._last = now
                return True
            return False


class ProgressRelay:
    """A restore progress callback for a worker thread: hands ``deliver`` what the screen should draw.

    An event goes through when the throttle is due, or always when it is final or opens a new phase
    (preflight, restore, verify), so the operator never waits a second to see a step end.
    """

    def __init__(self, deliver: Callable[[ProgressEvent], None], throttle: Throttle | None = None) -> None:
        self.deliver = deliver
        self.throttle = throttle or Throttle()
        self._phase: Phase | None = None

    def __call__(self, event: ProgressEvent) -> None:
        force = event.final or event.phase is not self._phase
        self._phase = event.phase
        if self.throttle.due(force=force):
            self.deliver(event)
