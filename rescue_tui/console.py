"""What kind of console rescue-tui runs on, and making it usable: one helper for every face.

A serial line (ttyS0, an IPMI SOL, a hypervisor's console) differs from the
Linux VT: it reports a size of 0x0, its far end is often a vt100-class client
at 115200 baud, an arrow key can arrive in pieces, and the far end's font is
unknown. So: the size is set to 80x24 when the tty reports none; glyphs are
ASCII on serial and on vt100-class terminals, Unicode on the VT and elsewhere
(``rescue.console=`` or ``--ascii``/``--unicode`` decide instead); the escape
delay is raised on serial; colours stay within the 16 standard ones on
serial, the VT and ASCII terminals. Textual reads these variables once, when
it is imported: :func:`prepare_console` runs first. No Textual import here.
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

ConsoleKind = Literal["serial", "vt", "pty", "other"]
Glyphs = Literal["ascii", "unicode"]
GlyphRequest = Literal["auto", "ascii", "unicode"]

MIN_COLS: Final = 80
MIN_ROWS: Final = 24
SERIAL_ESCDELAY_MS: Final = 300
"""On serial an arrow key can arrive split across packets: ncurses and Textual wait this long for the rest."""
ASCII_TERMS: Final = ("linux", "vt100", "vt102", "vt220", "vt52", "ansi", "dumb", "unknown", "")
"""Terminal types whose fonts or capabilities call for ASCII glyphs (away from the VT: a Linux console over ssh)."""

_SERIAL = re.compile(r"^(ttyS|ttyAMA|ttyUSB|ttyACM|ttymxc|ttysclp|hvc|xvc)\d*$")
_VT = re.compile(r"^tty\d+$")
_PTY = re.compile(r"^pts/\d+$")


@dataclass(frozen=True, kw_only=True)
class ConsoleInfo:
    """The console as rescue-tui found it and set it up."""

    name: str = "?"
    """Device name under /dev (``ttyS0``, ``tty1``, ``pts/3``), or ``?``."""
    kind: ConsoleKind = "other"
    term: str = ""
    cols: int = MIN_COLS
    rows: int = MIN_ROWS
    size_fixed: bool = False
    """The tty reported 0x0 and rescue-tui set it to 80x24."""
    glyphs: Glyphs = "unicode"
    """The glyph mode the console starts in."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables set for this process and what it starts (Textual reads them)."""

    @property
    def slow(self) -> bool:
        """A serial line: throttle redraws (progress about once a second)."""
        return self.kind == "serial"

    def describe(self) -> str:
        """One line: ``ttyS0 (serial, 80x24 set by rescue-tui, ascii, TERM=vt100)``."""
        size = f"{self.cols}x{self.rows}" + (" set by rescue-tui" if self.size_fixed else "")
        return f"{self.name} ({self.kind}, {size}, {self.glyphs}, TERM={self.term or '?'})"


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
    """ASCII on serial and vt100-class terminals, Unicode on the VT and elsewhere; an explicit request wins."""
    if requested != "auto":
        return requested
    if kind == "serial":
        return "ascii"
    if kind == "vt":
        return "unicode"
    return "ascii" if term.split("-")[0] in ASCII_TERMS else "unicode"


def tty_name(fd: int) -> str:
    """The device name of the tty on ``fd`` (``ttyS0``), or ``?`` when it is no tty."""
    try:
        return os.ttyname(fd).removeprefix("/dev/")
    except OSError:
        return "?"


def get_size(fd: int) -> tuple[int, int]:
    """(rows, cols) as the tty reports them; (0, 0) when it cannot say."""
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return (0, 0)
    return (rows, cols)


def set_size(fd: int, rows: int, cols: int) -> None:
    """Tell the tty its size (what ``stty rows R cols C`` does)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def prepare_console(
    requested: GlyphRequest = "auto",
    *,
    fd: int = 2,
    name: str | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> ConsoleInfo:
    """Detect the console on ``fd``, fix a 0x0 size, and set the environment for it.

    ``fd`` is where the face draws (stderr for Textual, stdin's tty for the plain face);
    ``name`` overrides detection (systemd passes ``--console ttyS0``); ``environ`` (default
    ``os.environ``) receives TERM when it is missing or ``dumb``, LINES/COLUMNS when the tty
    cannot say its size, ESCDELAY on serial, and Textual's colour and key settings.
    """
    env = os.environ if environ is None else environ
    name = name or tty_name(fd)
    kind = console_kind(name)
    rows, cols = get_size(fd)
    size_fixed = False
    if rows == 0 or cols == 0:
        rows, cols = MIN_ROWS, MIN_COLS
        if os.isatty(fd):
            try:
                set_size(fd, rows, cols)
                size_fixed = True
            except OSError:
                pass
        # shutil reads these first; set only when the tty cannot say (else resizes would be missed)
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
