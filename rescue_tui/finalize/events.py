"""What finalize reports while it works: typed events through one callback, for the CLI and the TUI alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rescue_tui.finalize.model import NoteLevel


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    """'check', 'files', 'selinux', 'initramfs', 'bootloader' or 'report'."""
    summary: str
    index: int
    """1-based position among the phases."""
    total: int


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    seconds: float
    skipped: bool = False


@dataclass(frozen=True)
class PhaseFailed:
    phase: str
    message: str


@dataclass(frozen=True)
class FileRewritten:
    path: str
    """Path inside the restored system."""
    changes: int
    written: bool
    """False in ``--report-only`` mode."""


@dataclass(frozen=True)
class CommandStarted:
    command: str
    """As an operator would type it (``chroot:`` in front when it runs in the restored system)."""


@dataclass(frozen=True)
class CommandFinished:
    command: str
    seconds: float
    ok: bool
    message: str | None = None


@dataclass(frozen=True)
class Notice:
    """A note the operator should read as it happens."""

    message: str
    level: NoteLevel = "info"


FinalizeEvent = PhaseStarted | PhaseFinished | PhaseFailed | FileRewritten | CommandStarted | CommandFinished | Notice
Listener = Callable[[FinalizeEvent], None]


def ignore(event: FinalizeEvent) -> None:
    """A listener that drops every event."""
