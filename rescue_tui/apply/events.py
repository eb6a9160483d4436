"""What apply reports while it works: typed events through one callback, for the CLI and the TUI alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepStarted:
    step: str
    summary: str
    index: int
    """1-based position among the plan's steps."""
    total: int


@dataclass(frozen=True)
class StepFinished:
    step: str
    seconds: float
    skipped: bool = False
    """True when the journal says the step was done before (``--resume``)."""


@dataclass(frozen=True)
class StepFailed:
    step: str
    message: str


@dataclass(frozen=True)
class Notice:
    """Something the operator should read (a resume decision, a teardown)."""

    message: str


ApplyEvent = StepStarted | StepFinished | StepFailed | Notice
Listener = Callable[[ApplyEvent], None]


def ignore(event: ApplyEvent) -> None:
    """A listener that drops every event."""
