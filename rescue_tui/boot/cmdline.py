"""The rescue system's kernel command line: the ``rescue.*`` options, parsed once.

Options (each optional; the last one given wins, as for any kernel option):

``rescue.layout=PATH|URL``
    The saved layout to recover: an absolute path in the rescue system, or an
    ``http://``/``https://`` URL. Without it the embedded layout is used.
``rescue.backend=NAME``
    The restore backend: one of :data:`BACKENDS`.
``rescue.unattended[=yes|no]``
    Recover without asking. A bad value means *no*: a typo never starts an
    unattended recovery.
``rescue.dryrun[=yes|no]``
    Plan and show, write nothing. A bad value means *yes*: a typo never writes.
``rescue.console=ascii|unicode|auto``
    Glyphs on the consoles; *auto* is ASCII on a serial line, Unicode on a VT.
``rescue.face=tui|plain``
    What the consoles run: the recovery console (Textual, the default), or the
    plain screen that is otherwise only its fallback (keys: validate, shell, reboot).
``rescue.medium=UUID``
    The volume UUID of the medium the rescue system booted from, as GRUB found it
    (``grub/grub.cfg`` sets it): that disk is never offered as a target, even when
    it is no longer mounted (the ``toram`` entry).

Parsing never raises: a bad value becomes one line in ``BootOptions.problems``
(naming the option, what was wrong and what is used instead) and the option
keeps its safe default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

ConsoleMode = Literal["auto", "ascii", "unicode"]
Face = Literal["tui", "plain"]

BACKENDS: Final = ("restic", "borg", "rsync", "tar")
"""Restore backends the command line may name (the restore stage owns the list)."""

CONSOLE_MODES: Final[tuple[ConsoleMode, ...]] = ("auto", "ascii", "unicode")
PREFIX: Final = "rescue."
MAX_CMDLINE: Final = 64 << 10
FACES: Final[tuple[Face, ...]] = ("tui", "plain")
OPTIONS: Final = ("layout", "backend", "unattended", "dryrun", "console", "face", "medium")
_MEDIUM: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
_YES: Final = frozenset({"", "1", "y", "yes", "true", "on"})
_NO: Final = frozenset({"0", "n", "no", "false", "off"})


@dataclass(frozen=True, kw_only=True)
class BootOptions:
    """What the kernel command line asked of rescue-tui."""

    layout: str | None = None
    """Absolute path or http(s) URL of the layout to recover; None: use the embedded one."""
    backend: str | None = None
    """Restore backend name (one of BACKENDS); None: the layout's or the operator's choice."""
    unattended: bool = False
    """Recover without asking any question."""
    dryrun: bool = False
    """Plan and show only; write nothing."""
    console: ConsoleMode = "auto"
    """Glyph mode for the consoles."""
    face: Face = "tui"
    """What the consoles run: the recovery console, or the plain screen."""
    medium: str | None = None
    """Volume UUID of the boot medium (GRUB's probe), or None (network boot, or an older image)."""
    problems: tuple[str, ...] = ()
    """One line per option that could not be used, saying what is used instead."""

    @property
    def layout_is_url(self) -> bool:
        """The layout is to be fetched over the network."""
        return self.layout is not None and self.layout.startswith(("http://", "https://"))

    def summary(self) -> str:
        """The options on one line, for the welcome screen and logs."""
        yes_no = {True: "yes", False: "no"}
        return (
            f"layout={self.layout or '-'} backend={self.backend or '-'} "
            f"unattended={yes_no[self.unattended]} dryrun={yes_no[self.dryrun]} console={self.console} face={self.face}"
        )


def split_cmdline(text: str) -> list[str]:
    """Split a kernel command line into parameters, as the kernel does.

    Spaces separate parameters except inside double quotes, which are removed:
    ``rescue.layout="/media/my disk/l.json"`` is one parameter. An unclosed
    quote runs to the end of the line (the kernel does the same).
    """
    params: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in text:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                params.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        params.append("".join(current))
    return params


def parse_cmdline(text: str) -> BootOptions:
    """The ``rescue.*`` options of a kernel command line; other parameters are ignored."""
    values: dict[str, str | None] = {}
    problems: list[str] = []
    for param in split_cmdline(text):
        if not param.startswith(PREFIX):
            continue
        name, sep, value = param.partition("=")
        key = name[len(PREFIX) :]
        if key not in OPTIONS:
            problems.append(f"{name}: unknown option (known: {', '.join(PREFIX + o for o in OPTIONS)}); ignored")
            continue
        values[key] = value if sep else None

    layout = _layout(values, problems) if "layout" in values else None
    backend = _backend(values, problems) if "backend" in values else None
    unattended = _flag("unattended", values, problems, safe=False) if "unattended" in values else False
    dryrun = _flag("dryrun", values, problems, safe=True) if "dryrun" in values else False
    console = _console(values, problems) if "console" in values else "auto"
    face = _face(values, problems) if "face" in values else "tui"
    medium = values.get("medium") or None
    if medium is not None and not _MEDIUM.fullmatch(medium):
        problems.append(f"rescue.medium={medium}: not a volume UUID; ignored")
        medium = None
    return BootOptions(
        layout=layout,
        backend=backend,
        unattended=unattended,
        dryrun=dryrun,
        console=console,
        face=face,
        medium=medium,
        problems=tuple(problems),
    )


def read_cmdline(path: Path = Path("/proc/cmdline")) -> BootOptions:
    """Parse the running kernel's command line (or a file holding one)."""
    try:
        with open(path, "rb") as handle:  # the kernel's is at most a few KiB: a larger file is cut, never refused
            text = handle.read(MAX_CMDLINE).decode("utf-8", errors="replace")
    except OSError as exc:
        return BootOptions(problems=(f"{path}: cannot read the kernel command line ({exc.strerror}); no options",))
    return parse_cmdline(text)


def _layout(values: dict[str, str | None], problems: list[str]) -> str | None:
    value = values["layout"]
    if not value:
        problems.append("rescue.layout: needs an absolute path or an http(s) URL; ignored")
        return None
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https"):
            problems.append(f"rescue.layout={value}: only http:// and https:// URLs can be fetched; ignored")
            return None
        if not parts.hostname:
            problems.append(f"rescue.layout={value}: the URL names no host; ignored")
            return None
        return value
    if not value.startswith("/"):
        problems.append(f"rescue.layout={value}: not an absolute path nor an http(s) URL; ignored")
        return None
    return value


def _backend(values: dict[str, str | None], problems: list[str]) -> str | None:
    value = values["backend"]
    name = (value or "").lower()
    if name in BACKENDS:
        return name
    shown = f"rescue.backend={value}" if value else "rescue.backend"
    problems.append(f"{shown}: expected one of {', '.join(BACKENDS)}; ignored")
    return None


def _flag(key: str, values: dict[str, str | None], problems: list[str], *, safe: bool) -> bool:
    value = values[key]
    word = "" if value is None else value.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    fallback = "yes" if safe else "no"
    problems.append(f"rescue.{key}={value}: expected no value, yes or no; using {fallback}")
    return safe


def _console(values: dict[str, str | None], problems: list[str]) -> ConsoleMode:
    value = values["console"]
    for mode in CONSOLE_MODES:
        if (value or "").lower() == mode:
            return mode
    shown = f"rescue.console={value}" if value else "rescue.console"
    problems.append(f"{shown}: expected ascii, unicode or auto; using auto")
    return "auto"


def _face(values: dict[str, str | None], problems: list[str]) -> Face:
    value = (values["face"] or "").lower()
    for face in FACES:
        if value == face:
            return face
    shown = f"rescue.face={values['face']}" if values["face"] else "rescue.face"
    problems.append(f"{shown}: expected tui or plain; using tui")
    return "tui"
