"""What the stages of a recovery report while they work: one vocabulary, through one callback.

apply (its plan steps) and finalize (its phases) are sequences of steps: each
step starts, finishes (or was done before: ``skipped``) or fails, and notices
come in between. Finalize adds what it rewrote and which commands it ran.
The CLI prints them (:func:`event_line`), the TUI draws them; neither needs
to know which stage spoke. (Restore's byte-and-file progress is a stream of
samples, ``restore.model.ProgressEvent``, throttled for slow consoles.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TextIO

Stage = Literal["apply", "finalize"]
NoteLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class StepStarted:
    step: str
    """A plan step's id (``s007``) or a finalize phase (``initramfs``)."""
    summary: str
    index: int
    """1-based position among the stage's steps."""
    total: int
    stage: Stage = "apply"


@dataclass(frozen=True)
class StepFinished:
    step: str
    seconds: float
    skipped: bool = False
    """True when the step was done before (apply's journal) or had nothing to do (a finalize phase)."""
    stage: Stage = "apply"


@dataclass(frozen=True)
class StepFailed:
    step: str
    message: str
    stage: Stage = "apply"


@dataclass(frozen=True)
class Notice:
    """Something the operator should read as it happens (a resume decision, a teardown, a finalize note)."""

    message: str
    level: NoteLevel = "info"


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


Event = StepStarted | StepFinished | StepFailed | Notice | FileRewritten | CommandStarted | CommandFinished
Listener = Callable[[Event], None]


def ignore(event: Event) -> None:
    """A listener that drops every event."""


def event_line(event: Event) -> str | None:
    """One line for an event worth showing (the CLI's stderr, the TUI's log); None for the rest."""
    if isinstance(event, StepStarted):
        step = f"{event.step} " if event.stage == "apply" else ""  # finalize's summaries name their phase
        return f"[{event.index}/{event.total}] {step}{event.summary}"
    if isinstance(event, StepFinished) and event.skipped:
        if event.stage == "apply":
            return f"        {event.step} done before (journal)"
        return f"        {event.step}: skipped"
    if isinstance(event, StepFailed):
        return f"        {event.step} FAILED: {event.message}"
    if isinstance(event, CommandStarted):
        return f"        {event.command}"
    if isinstance(event, CommandFinished) and not event.ok:
        return f"        FAILED: {event.message}"
    if isinstance(event, FileRewritten) and event.changes:
        return f"        {event.path}: {event.changes} change(s){'' if event.written else ' (not written)'}"
    if isinstance(event, Notice):
        return f"        {event.message}" if event.level == "info" else f"        {event.level}: {event.message}"
    return None


class LinePrinter:
    """A listener printing :func:`event_line` lines (the CLI's progress on stderr)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, event: Event) -> None:
        line = event_line(event)
        if line is not None:
            print(line, file=self.stream, flush=True)
