"""A guest's ttyS0 read as lines: what the unattended recovery and a booted system print there.

Everything the serial console says is in the machine's ``ttyS0.log`` (the channel
drains it as it comes); this reads it back as plain text, escapes and carriage
returns removed, and waits for phrases in it.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable

from rescue_tui.drill.channel import times_file
from rescue_tui.drill.machine import Machine
from rescue_tui.errors import GuestError

ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")
"""An escape sequence (CSI or a two-byte one), for the plain-text view of the output."""
POLL = 0.5


class SerialLog:
    """What ttyS0 has said since ``offset`` (by default: since now)."""

    def __init__(self, machine: Machine, offset: int | None = None) -> None:
        self.machine = machine
        self.log = machine.workdir / "ttyS0.log"
        self.start = self.log.stat().st_size if offset is None else offset

    def mark(self) -> int:
        """Where the output is now (for :meth:`wait_lines` ``since``)."""
        return self.log.stat().st_size

    def lines(self, since: int | None = None) -> str:
        """The plain text written since ``since`` (or the start), escapes and carriage returns removed."""
        with self.log.open("rb") as handle:
            handle.seek(self.start if since is None else since)
            text = handle.read().decode("utf-8", errors="replace")
        return plain(text)

    def timed_lines(self, since: int | None = None) -> list[tuple[float, str]]:
        """Each whole line written since ``since`` (or the start), as plain text, with the ``time.monotonic()``
        at which its end arrived (from the channel's times file; empty without one)."""
        start = self.start if since is None else since
        offsets: list[int] = []
        stamps: list[float] = []
        try:
            rows = times_file(self.log).read_text().split("\n")[:-1]  # a row still being written is left out
        except OSError:
            return []
        for row in rows:
            offset, _, stamp = row.partition(" ")
            offsets.append(int(offset))
            stamps.append(float(stamp))
        with self.log.open("rb") as handle:
            handle.seek(start)
            raw = handle.read()
        out = []
        position = start
        for chunk in raw.split(b"\n")[:-1]:
            end = position + len(chunk)  # the newline's offset: the read that brought it
            at = bisect.bisect_right(offsets, end) - 1
            if at >= 0:
                out.append((stamps[at], plain(chunk.decode("utf-8", errors="replace"))))
            position = end + 1
        return out

    def wait_lines(
        self, *texts: str, timeout: float = 120.0, fail: tuple[str, ...] = (), since: int | None = None
    ) -> str:
        """Wait until the plain output holds every one of ``texts``; that output. Fails at once on any of ``fail``."""
        return wait_for(lambda: self.lines(since), texts, timeout, fail)


def plain(text: str) -> str:
    """Console output without its escape sequences and carriage returns."""
    return ANSI.sub("", text).replace("\r", "")


def wait_for(view: Callable[[], str], texts: tuple[str, ...], timeout: float, fail: tuple[str, ...]) -> str:
    """Poll ``view`` until it shows every one of ``texts`` (a :class:`GuestError` on ``fail`` or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        shown = view()
        if all(text in shown for text in texts):
            return shown
        bad = [text for text in fail if text in shown]
        if bad or time.monotonic() > deadline:
            why = f"it shows {bad[0]!r}" if bad else f"no {texts!r} within {timeout:.0f} s"
            raise GuestError(f"ttyS0: {why}; what it shows:\n{shown[-4000:]}")
        time.sleep(POLL)
