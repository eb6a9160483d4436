"""What kind of console rescue-tui runs on, and making it usable.

A serial line (ttyS0, an IPMI SOL, a hypervisor's console) differs from the
Linux VT: it reports a size of 0x0, its far end is often a vt100-class client
at 115200 baud, an arrow key can arrive in pieces, and console fonts at the
other end are unknown. So on serial: the size is set to 24x80 when the tty
reports 0x0, glyphs are ASCII (unless ``rescue.console=unicode``), the escape
delay is raised, and colours stay within the 16 standard ones.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import termios
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Final, Literal

from rescue_tui.boot.cmdline import ConsoleMode

ConsoleKind = Literal["serial", "vt", "pty", "other"]
GlyphMode = Literal["ascii", "unicode"]

DEFAULT_ROWS: Final = 24
DEFAULT_COLS: Final = 80
SERIAL_ESCDELAY_MS: Final = 300
"""Escape delay on serial: an arrow key split across packets still parses (ncurses and Textual read ESCDELAY)."""

_SERIAL = re.compile(r"^(ttyS|ttyAMA|ttyUSB|ttyACM|ttymxc|ttysclp|hvc|xvc)\d*$")
_VT = re.compile(r"^tty\d+$")
_PTY = re.compile(r"^pts/\d+$")


@dataclass(frozen=True, kw_only=True)
class ConsoleInfo:
    """The console as rescue-tui found it and set it up."""

    name: str
    """Device name under /dev (``ttyS0``, ``tty1``, ``pts/3``), or ``?``."""
    kind: ConsoleKind
    rows: int
    cols: int
    size_fixed: bool
    """The tty reported 0x0 and rescue-tui set DEFAULT_ROWS x DEFAULT_COLS."""
    glyphs: GlyphMode
    term: str
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables rescue-tui set for itself and the screens it starts."""

    def describe(self) -> str:
        """One line: ``ttyS0 (serial, 80x24 set by rescue-tui, ascii, TERM=vt100)``."""
        size = f"{self.cols}x{self.rows}" + (" set by rescue-tui" if self.size_fixed else "")
        return f"{self.name} ({self.kind}, {size}, {self.glyphs}, TERM={self.term})"


def console_kind(name: str) -> ConsoleKind:
    """Classify a console by its device name."""
    if _SERIAL.match(name):
        return "serial"
    if _VT.match(name):
        return "vt"
    if _PTY.match(name):
        return "pty"
    return "other"


def tty_name(fd: int) -> str:
    """The device name of the tty on ``fd`` (``ttyS0``), or ``?`` when it is no tty."""
    try:
        path = os.ttyname(fd)
    except OSError:
        return "?"
    return path.removeprefix("/dev/")


def get_size(fd: int) -> tuple[int, int]:
    """(rows, cols) as the tty reports them; (0, 0) when it cannot say."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return (0, 0)
    rows, cols, _, _ = struct.unpack("HHHH", packed)
    return (rows, cols)


def set_size(fd: int, rows: int, cols: int) -> None:
    """Tell the tty its size (what ``stty rows R cols C`` does)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def choose_glyphs(kind: ConsoleKind, requested: ConsoleMode) -> GlyphMode:
    """ASCII on serial unless Unicode was asked for; Unicode elsewhere unless ASCII was."""
    if requested != "auto":
        return requested
    return "ascii" if kind == "serial" else "unicode"


def prepare_console(
    fd: int,
    *,
    name: str | None = None,
    requested: ConsoleMode = "auto",
    environ: MutableMapping[str, str] | None = None,
) -> ConsoleInfo:
    """Detect the console on ``fd``, fix a 0x0 size, and set the environment for it.

    ``name`` overrides detection (systemd passes ``--console ttyS0``);
    ``environ`` (default ``os.environ``) receives TERM when it is missing or
    ``dumb``, LINES/COLUMNS, ESCDELAY on serial, and TEXTUAL_COLOR_SYSTEM.
    """
    env = os.environ if environ is None else environ
    name = name or tty_name(fd)
    kind = console_kind(name)
    rows, cols = get_size(fd)
    size_fixed = False
    if (rows == 0 or cols == 0) and os.isatty(fd):
        try:
            set_size(fd, DEFAULT_ROWS, DEFAULT_COLS)
        except OSError:
            pass
        else:
            rows, cols, size_fixed = DEFAULT_ROWS, DEFAULT_COLS, True
    if rows == 0 or cols == 0:
        rows, cols = DEFAULT_ROWS, DEFAULT_COLS

    changes: dict[str, str] = {"LINES": str(rows), "COLUMNS": str(cols)}
    term = env.get("TERM", "")
    if term in ("", "dumb", "unknown"):
        term = {"serial": "vt100", "vt": "linux"}.get(kind, "vt100")
        changes["TERM"] = term
    if kind in ("serial", "vt"):
        # TERM=dumb or an unknown terminal would make Textual emit 24-bit colour.
        changes["TEXTUAL_COLOR_SYSTEM"] = "standard"
    if kind == "serial":
        changes["ESCDELAY"] = str(SERIAL_ESCDELAY_MS)
    env.update(changes)
    return ConsoleInfo(
        name=name,
        kind=kind,
        rows=rows,
        cols=cols,
        size_fixed=size_fixed,
        glyphs=choose_glyphs(kind, requested),
        term=term,
        env=changes,
    )
