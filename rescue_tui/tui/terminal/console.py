"""What console the TUI runs on, and setting it up before Textual is imported.

A serial line (ttyS0, IPMI SOL, a hypervisor console) reports 0x0, is often
a vt100-class client at 115200 baud, can split an arrow key in two, and its
far end's font is unknown; the Linux VT has no bright backgrounds and its
console fonts lack half and eighth blocks. So: ASCII glyphs on serial and on
TERM=linux/vt100-class terminals (``--ascii``/``--unicode`` override), the 16
ANSI colours there, the size set to 80x24 when the tty reports none, and a
longer escape delay on serial. Textual reads these variables when it is
imported: ``prepare_console`` must run first. No Textual import here.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import sys
import termios
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Final, Literal

ConsoleKind = Literal["serial", "vt", "pty", "other"]
Glyphs = Literal["ascii", "unicode"]
GlyphRequest = Literal["auto", "ascii", "unicode"]

MIN_COLS: Final = 80
MIN_ROWS: Final = 24
SERIAL_ESCDELAY_MS: Final = 300
"""On serial an arrow key can arrive split across packets; Textual waits this long for the rest."""
ASCII_TERMS: Final = ("linux", "vt100", "vt102", "vt220", "vt52", "ansi", "dumb", "unknown", "")
"""Terminal types whose fonts or capabilities call for ASCII glyphs and 16 colours."""

_SERIAL = re.compile(r"^(ttyS|ttyAMA|ttyUSB|ttyACM|ttymxc|ttysclp|hvc|xvc)\d*$")
_VT = re.compile(r"^tty\d+$")
_PTY = re.compile(r"^pts/\d+$")


@dataclass(frozen=True, kw_only=True)
class ConsoleInfo:
    """The console as the TUI found it and set it up."""

    name: str = "?"
    """Device name under /dev (``ttyS0``, ``tty1``, ``pts/3``), or ``?``."""
    kind: ConsoleKind = "other"
    term: str = ""
    cols: int = MIN_COLS
    rows: int = MIN_ROWS
    size_fixed: bool = False
    """The tty reported 0x0 and the TUI set it to 80x24."""
    glyphs: Glyphs = "unicode"
    """The glyph mode the TUI starts in."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables set for Textual."""

    @property
    def slow(self) -> bool:
        """A serial line: throttle redraws (progress about once a second)."""
        return self.kind == "serial"

    def describe(self) -> str:
        """``ttyS0 (serial, 80x24 set by rescue-tui, TERM=vt100)``."""
        size = f"{self.cols}x{self.rows}" + (" set by rescue-tui" if self.size_fixed else "")
        return f"{self.name} ({self.kind}, {size}, TERM={self.term or '?'})"


def console_kind(name: str) -> ConsoleKind:
    """Classify a console by its device name."""
    if _SERIAL.match(name):
        return "serial"
    if _VT.match(name):
        return "vt"
    if _PTY.match(name):
        return "pty"
    return "other"


def choose_glyphs(kind: ConsoleKind, term: str, requested: GlyphRequest) -> Glyphs:
    """ASCII on serial and on linux/vt100-class terminals, Unicode elsewhere; an explicit request wins."""
    if requested != "auto":
        return requested
    if kind == "serial" or term.split("-")[0] in ASCII_TERMS:
        return "ascii"
    return "unicode"


def _tty_name(fd: int) -> str:
    try:
        return os.ttyname(fd).removeprefix("/dev/")
    except OSError:
        return "?"


def _get_size(fd: int) -> tuple[int, int]:
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return (0, 0)
    return (rows, cols)


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def prepare_console(
    requested: GlyphRequest = "auto",
    *,
    fd: int | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> ConsoleInfo:
    """Detect the console on ``fd`` (stderr, where Textual draws), fix a 0x0 size, set Textual's environment."""
    env = os.environ if environ is None else environ
    fd = sys.__stderr__.fileno() if fd is None and sys.__stderr__ is not None else (fd if fd is not None else 2)
    name = _tty_name(fd)
    kind = console_kind(name)
    rows, cols = _get_size(fd)
    size_fixed = False
    if rows == 0 or cols == 0:
        rows, cols = MIN_ROWS, MIN_COLS
        try:
            _set_size(fd, rows, cols)
            size_fixed = True
        except OSError:
            pass
        # shutil reads these first; only set them when the tty itself cannot say (else resizes are missed).
        env["LINES"], env["COLUMNS"] = str(rows), str(cols)
    changes: dict[str, str] = {}
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown"):
        # TERM=dumb would make Textual emit 24-bit colour.
        term = "linux" if kind == "vt" else "vt100"
        changes["TERM"] = term
    glyphs = choose_glyphs(kind, term, requested)
    if kind in ("serial", "vt") or glyphs == "ascii":
        changes["TEXTUAL_COLOR_SYSTEM"] = "standard"
        changes["TEXTUAL_DISABLE_KITTY_KEY"] = "1"
    if kind == "serial" and "ESCDELAY" not in env:
        changes["ESCDELAY"] = str(SERIAL_ESCDELAY_MS)
    changes.setdefault("TEXTUAL_ANIMATIONS", env.get("TEXTUAL_ANIMATIONS", "none"))
    env.update(changes)
    return ConsoleInfo(
        name=name, kind=kind, term=term, cols=cols, rows=rows, size_fixed=size_fixed, glyphs=glyphs, env=changes
    )
