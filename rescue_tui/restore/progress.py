"""Turn raw counters (bytes, files) into ProgressEvents with a smoothed rate and an ETA."""

from __future__ import annotations

import time
from collections.abc import Callable

from rescue_tui.restore.model import Phase, ProgressCallback, ProgressEvent


def no_progress(event: ProgressEvent) -> None:
    """A progress callback that ignores everything."""


class Tracker:
    """Feeds ``callback`` at most every ``min_interval`` seconds (always for the first and the final event)."""

    def __init__(
        self,
        phase: Phase,
        callback: ProgressCallback,
        *,
        bytes_total: int | None = None,
        files_total: int | None = None,
        min_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.phase = phase
        self.callback = callback
        self.bytes_total = bytes_total
        self.files_total = files_total
        self.min_interval = min_interval
        self.clock = clock
        self.start = clock()
        self.bytes_done = 0
        self.files_done: int | None = None
        self.rate = 0.0
        self._last_emit: float | None = None
        self._last_sample: tuple[float, int] = (self.start, 0)

    def update(
        self, bytes_done: int | None = None, files_done: int | None = None, *, message: str = "", force: bool = False
    ) -> None:
        now = self.clock()
        if bytes_done is not None:
            t0, b0 = self._last_sample
            if now - t0 >= 0.2 and bytes_done >= b0:
                sample = (bytes_done - b0) / (now - t0)
                self.rate = sample if self.rate == 0.0 else 0.7 * self.rate + 0.3 * sample
                self._last_sample = (now, bytes_done)
            self.bytes_done = max(self.bytes_done, bytes_done)
        if files_done is not None:
            self.files_done = files_done
        if force or self._last_emit is None or now - self._last_emit >= self.min_interval:
            self._last_emit = now
            self.callback(self.event(message=message))

    def event(self, *, message: str = "", final: bool = False) -> ProgressEvent:
        now = self.clock()
        elapsed = now - self.start
        eta: float | None = None
        if final:
            eta = 0.0
        elif self.bytes_total and self.rate > 0:
            eta = max(0.0, (self.bytes_total - self.bytes_done) / self.rate)
        rate = self.rate
        if final and elapsed > 0:
            rate = self.bytes_done / elapsed
        return ProgressEvent(
            phase=self.phase,
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            files_done=self.files_done,
            files_total=self.files_total,
            rate=rate,
            eta=eta,
            elapsed=elapsed,
            message=message,
            final=final,
        )

    def finish(self, *, bytes_done: int | None = None, files_done: int | None = None, message: str = "") -> None:
        if bytes_done is not None:
            self.bytes_done = bytes_done
        if files_done is not None:
            self.files_done = files_done
        self.callback(self.event(message=message, final=True))

    @property
    def elapsed(self) -> float:
        return self.clock() - self.start


def format_event(event: ProgressEvent) -> str:
    """One line for a terminal: ``restore  1.2 GiB / 2.0 GiB  60%  1234/5000 files  180 MiB/s  ETA 0:05``."""
    from rescue_tui.units import human_size

    parts = [f"{event.phase.value:<8}"]
    done = human_size(event.bytes_done)
    if event.bytes_total:
        pct = min(100.0, 100.0 * event.bytes_done / event.bytes_total)
        parts.append(f"{done} / {human_size(event.bytes_total)} {pct:3.0f}%")
    else:
        parts.append(done)
    if event.files_done is not None:
        parts.append(
            f"{event.files_done}/{event.files_total} files" if event.files_total else f"{event.files_done} files"
        )
    parts.append(f"{human_size(int(event.rate))}/s")
    if event.final:
        parts.append(f"in {_clock(event.elapsed)}")
    elif event.eta is not None:
        parts.append(f"ETA {_clock(event.eta)}")
    if event.message:
        parts.append(event.message)
    return "  ".join(parts)


def _clock(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
