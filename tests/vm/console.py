"""The operator console on the guest's ttyS0, read as an operator sees it: the screen, not the bytes.

Textual redraws only the cells that change, so a phrase is not always written
whole on the line; the console's output (from the moment it took the screen) is
replayed into the test terminal of ``tests/tui/vt.py`` and the tests wait for
text on that screen. Keys go in on the same serial line, as an operator's do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from tests.tui.vt import Screen
from tests.vm.machine import GuestError, Machine

ENTER = "\r"
ESC = "\x1b"
DOWN = "\x1b[B"
CTRL_N = "\x0e"
ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")
"""An escape sequence (CSI or a two-byte one), for the plain-text view of the output."""


class SerialConsole:
    """What ttyS0 shows from now on (start it before the console draws its first frame)."""

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
        return ANSI.sub("", text).replace("\r", "")

    def wait_lines(
        self, *texts: str, timeout: float = 120.0, fail: tuple[str, ...] = (), since: int | None = None
    ) -> str:
        """Wait until the plain output (not a screen: lines that scroll) holds every one of ``texts``; that output."""
        return self._wait(lambda: self.lines(since), texts, timeout, fail)

    def screen(self) -> str:
        """The screen now: everything written since the start, replayed (an escape split by a read is no matter)."""
        screen = Screen()
        with self.log.open("rb") as handle:
            handle.seek(self.start)
            screen.feed(handle.read())
        return screen.text()

    def wait(self, *texts: str, timeout: float = 120.0, fail: tuple[str, ...] = ()) -> str:
        """Wait until the screen shows every one of ``texts``; the screen. Fails at once on any of ``fail``."""
        return self._wait(self.screen, texts, timeout, fail)

    @staticmethod
    def _wait(view: Callable[[], str], texts: tuple[str, ...], timeout: float, fail: tuple[str, ...]) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = view()
            if all(text in shown for text in texts):
                return shown
            bad = [text for text in fail if text in shown]
            if bad or time.monotonic() > deadline:
                why = f"it shows {bad[0]!r}" if bad else f"no {texts!r} within {timeout:.0f} s"
                raise GuestError(f"ttyS0: {why}; what it shows:\n{shown[-4000:]}")
            time.sleep(0.5)

    def press(self, keys: str, *, pause: float = 0.3) -> None:
        """Type keys (an escape sequence is one key: sent whole), as an operator would."""
        self.machine.serial.send(keys)
        time.sleep(pause)

    def type(self, text: str) -> None:
        """Type text one character at a time (a serial line at 115200 loses nothing, but Textual reads keys)."""
        for char in text:
            self.machine.serial.send(char)
            time.sleep(0.02)
