"""Messages the workers and widgets post, named for what happened (past tense).

Workers only post these; the ``@on`` handlers on screens store the answers
in the session and update widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

from rescue_tui.events import Event
from rescue_tui.finalize.model import Outcome
from rescue_tui.inventory.model import Inventory
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.recover.events import RecoveryEvent
from rescue_tui.restore.flow import RestoreOutcome
from rescue_tui.restore.model import PreflightReport, ProgressEvent
from rescue_tui.tui.session import LayoutChoice

Step = Literal["welcome", "layout", "mapping", "plan", "backend", "confirm", "recovery", "finish"]
"""The step screens, by the name their header shows."""


@dataclass
class StepDone(Message):
    """A step screen is done: the app decides what comes next (``tui/flow.py``); screens never name each other."""

    step: Step


@dataclass
class LayoutsChecked(Message):
    """Every layout file found was read and validated."""

    layouts: list[LayoutChoice]


@dataclass
class TargetsRead(Message):
    """The disks present now were read (udev or a simulated file)."""

    inventory: Inventory


@dataclass
class MappingProposed(Message):
    """The engine mapped every original disk, with the operator's choices in ``overrides``."""

    mapping: Mapping
    overrides: dict[str, str]


@dataclass
class MappingRefused(Message):
    """The engine refused: the automatic proposal (``override`` None) or the operator's choice."""

    problems: tuple[str, ...]
    override: tuple[str, str] | None
    """(original, target) the operator asked for, when the refusal is about that choice."""


@dataclass
class DisksChanged(Message):
    """udev reported a disk added, removed or changed (live targets only)."""

    action: str
    name: str


@dataclass
class PlanComputed(Message):
    """The plan for the current mapping is ready."""

    plan: Plan


@dataclass
class PreflightChecked(Message):
    """The backend's preflight ran (on the backend screen); every check with its result."""

    report: PreflightReport


@dataclass
class HostKeyOffered(Message):
    """The preflight met an ssh server nothing here knows: its keys, for the operator to accept one."""

    server: str
    offered: tuple[tuple[str, str], ...]


@dataclass
class ApplyReported(Message):
    """Apply reported a step started, finished or failed, or a notice (handed over from the worker thread)."""

    event: Event


@dataclass
class StageChanged(Message):
    """The recovery moved on: 'apply', 'mount', 'restore' or 'done'; ``detail`` is one line for the log."""

    stage: str
    detail: str = ""


@dataclass
class RestoreProgressed(Message):
    """Where the restore stands (at most about once a second, and its final event)."""

    event: ProgressEvent


@dataclass
class RestoreFinished(Message):
    """The restore and its verify are done."""

    outcome: RestoreOutcome


@dataclass
class FinalizeReported(Message):
    """Finalize reported a phase, a command, a rewritten file or a note."""

    event: RecoveryEvent


@dataclass
class FinalizeFinished(Message):
    """Finalize ended (``failed``: with an error, shown by the app); its outcome and report files."""

    outcome: Outcome
    failed: bool = False
