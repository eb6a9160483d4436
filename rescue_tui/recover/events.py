"""What a whole recovery reports: the stages' own events (:mod:`rescue_tui.events`) and where it stands.

apply and finalize speak :data:`rescue_tui.events.Event`; a recovery adds
the stage it moved on to and the restore's samples of bytes and files
(every sample: a slow console throttles them itself), so a face listens to
one callback for the whole recovery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rescue_tui.events import Event, event_line
from rescue_tui.restore.flow import RestoreOutcome
from rescue_tui.restore.model import ProgressEvent

RecoveryStage = Literal["apply", "mount", "restore", "done"]
"""Where a recovery is: ``done`` once apply, mount and restore are (finalize follows, on its own call)."""


@dataclass(frozen=True)
class StageStarted:
    """The recovery moved on to its next stage."""

    stage: RecoveryStage
    summary: str


@dataclass(frozen=True)
class RestoreSampled:
    """Where the restore stands: bytes, files, rate."""

    sample: ProgressEvent


@dataclass(frozen=True)
class RestoreDone:
    """The restore and its verify finished; every report."""

    outcome: RestoreOutcome


RecoveryEvent = Event | StageStarted | RestoreSampled | RestoreDone
RecoveryListener = Callable[[RecoveryEvent], None]


def ignore(event: RecoveryEvent) -> None:
    """A listener that drops every event."""


def recovery_line(event: RecoveryEvent) -> str | None:
    """One line for an event worth a line (the CLI's stderr, a console's log); None for the rest."""
    if isinstance(event, StageStarted):
        return f"== {event.stage}: {event.summary}"
    if isinstance(event, RestoreDone):
        restore, verify = event.outcome.restore, event.outcome.verify
        files = f", {restore.files} entries" if restore.files is not None else ""
        verified = f"; verified ({verify.method}): {verify.detail}" if verify is not None else ""
        return f"        restored {restore.bytes} bytes{files} in {restore.seconds:.1f} s{verified}"
    if isinstance(event, RestoreSampled):
        return None
    return event_line(event)
