"""Messages the workers and widgets post, named for what happened (past tense).

Workers only post these; the ``@on`` handlers on screens store the answers
in the session and update widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from rescue_tui.inventory.model import Inventory
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.tui.session import LayoutChoice


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
