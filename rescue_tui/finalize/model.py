"""What finalize finds and does, as frozen data: file rewrites, notes, commands.

A rewrite is computed by a pure function (text in, text out, every change
and note listed), so it can be shown by ``--report-only``, tested line by
line and written later. Notes never stop finalize: a ``warning`` is
something the operator should look at, an ``error`` something that will
probably keep the restored system from booting (finalize then exits 1,
after writing its report).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Literal

from rescue_tui.command import command_line
from rescue_tui.events import NoteLevel


@dataclass(frozen=True, kw_only=True)
class Change:
    """One line of a file that finalize changed, added or removed."""

    path: str
    """Path inside the restored system, such as ``/etc/fstab``."""
    line: int
    """1-based line number in the original text; 0 for a line added at the end."""
    before: str
    """The line as it was ('' when added)."""
    after: str
    """The line as it is now ('' when removed)."""
    why: str
    """One sentence for the operator."""


@dataclass(frozen=True, kw_only=True)
class Note:
    """Something the operator should know; never an exception."""

    message: str
    level: NoteLevel = "info"
    path: str | None = None
    """The file the note is about, if any."""
    line: int | None = None

    def text(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else (f"{self.path}: " if self.path else "")
        return f"{where}{self.message}"


@dataclass(frozen=True, kw_only=True)
class Rewrite:
    """A file of the restored system before and after finalize."""

    path: str
    before: str
    after: str
    changes: tuple[Change, ...] = ()
    notes: tuple[Note, ...] = ()
    created: bool = False
    """True when the file did not exist and finalize creates it."""

    @property
    def changed(self) -> bool:
        return self.created or self.before != self.after


@dataclass(frozen=True, kw_only=True)
class Command:
    """A program finalize runs, in the restored system (chroot) or in the rescue system (host)."""

    argv: tuple[str, ...]
    where: Literal["chroot", "host"]
    why: str
    timeout: float = 600.0
    stdin: str | None = None
    """Sent to the program's standard input."""

    def text(self) -> str:
        prefix = "chroot: " if self.where == "chroot" else ""
        given = f" <<< {shlex.quote(self.stdin.rstrip())}" if self.stdin else ""
        return prefix + command_line(self.argv) + given


@dataclass(frozen=True, kw_only=True)
class CommandRecord:
    """A command that ran (or failed) and how long it took."""

    command: Command
    seconds: float
    ok: bool
    output: str = ""
    """The last lines it printed (stdout), for the report."""
    error: str | None = None


@dataclass(kw_only=True)
class Outcome:
    """Everything one finalize did (or, with ``--report-only``, would do)."""

    rewrites: list[Rewrite] = field(default_factory=list)
    commands: list[CommandRecord] = field(default_factory=list)
    planned: list[Command] = field(default_factory=list)
    """Commands that would run (``--report-only``) or were planned."""
    actions: list[str] = field(default_factory=list)
    """Other things done to the target, one line each (relabel flag, fallback boot loader copied, ...)."""
    notes: list[Note] = field(default_factory=list)
    phases: list[tuple[str, str, float]] = field(default_factory=list)
    """(phase, 'done' | 'skipped' | 'failed', seconds)."""
    report_paths: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Note]:
        return [n for n in self.notes if n.level == "error"]
