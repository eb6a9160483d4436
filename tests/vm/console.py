"""The operator console on the guest's ttyS0, read as an operator sees it: the screen, not the bytes.

Textual redraws only the cells that change, so a phrase is not always written
whole on the line; the console's output (from the moment it took the screen) is
replayed into the test terminal of ``tests/tui/vt.py`` and the tests wait for
text on that screen. Keys go in on the same serial line, as an operator's do.
"""

from __future__ import annotations

import functools
import time

from rescue_tui.drill.machine import Machine
from rescue_tui.drill.serial import SerialLog, wait_for
from tests.tui.vt import Screen

ENTER = "\r"
ESC = "\x1b"
DOWN = "\x1b[B"
CTRL_N = "\x0e"


class SerialConsole(SerialLog):
    """What ttyS0 shows from now on (start it before the console draws its first frame): lines, a screen, keys."""

    def screen(self) -> str:
        """The screen now: everything written since the start, replayed (an escape split by a read is no matter)."""
        screen = Screen()
        with self.log.open("rb") as handle:
            handle.seek(self.start)
            screen.feed(handle.read())
        return screen.text()

    def wait(self, *texts: str, timeout: float = 120.0, fail: tuple[str, ...] = ()) -> str:
        """Wait until the screen shows every one of ``texts``; the screen. Fails at once on any of ``fail``."""
        return wait_for(self.screen, texts, timeout, fail)

    def press(self, keys: str, *, pause: float = 0.3) -> None:
        """Type keys (an escape sequence is one key: sent whole), as an operator would."""
        self.machine.serial.send(keys)
        time.sleep(pause)

    def type(self, text: str) -> None:
        """Type text one character at a time (a serial line at 115200 loses nothing, but Textual reads keys)."""
        for char in text:
            self.machine.serial.send(char)
            time.sleep(0.02)


class VirtualConsole:
    """A text console of the guest's own screen (tty1): read from ``/dev/vcsN``, keys from its keyboard.

    The machine has no display to capture, but the kernel keeps every virtual console's text, and QEMU's
    ``send-key`` types on the keyboard that the foreground console reads, as an operator at the machine would.
    """

    def __init__(self, machine: Machine, number: int = 1) -> None:
        self.machine = machine
        self.number = number

    @functools.cached_property
    def size(self) -> tuple[int, int]:
        """Rows and columns of the console (fixed: the machine has no display to resize)."""
        rows, cols = (int(n) for n in self.machine.check(f"stty -F /dev/tty{self.number} size").split())
        return rows, cols

    def screen(self) -> str:
        """The console's text now, one line per row (trailing blanks dropped)."""
        rows, cols = self.size
        # glyph codes outside printable ASCII (box drawing, even a newline's code) become "?": one cell each
        raw = self.machine.check(f"tr -c ' -~' '?' < /dev/vcs{self.number}", timeout=30)
        cells = raw.ljust(rows * cols)
        return "\n".join(cells[row * cols : (row + 1) * cols].rstrip() for row in range(rows))

    def wait(self, *texts: str, timeout: float = 60.0, fail: tuple[str, ...] = ()) -> str:
        """Wait until the console shows every one of ``texts``; the screen."""
        return wait_for(self.screen, texts, timeout, fail)

    def press(self, *qcodes: str, pause: float = 0.5) -> None:
        """Press keys by QEMU key code (``f``, ``esc``, ``ret``) on the machine's keyboard."""
        self.machine.qmp.execute("send-key", {"keys": [{"type": "qcode", "data": code} for code in qcodes]})
        time.sleep(pause)
