"""Confirm: what a recovery destroys, on which disks; the host name typed to go on.

Applying from the TUI is not wired yet (the engine's apply landed beside this
screen): the typed confirmation leads to an honest message naming the CLI
command, never to a pretended recovery. In a dry run it is a rehearsal.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from rescue_tui.inventory.model import TargetDisk
from rescue_tui.plan.model import Plan
from rescue_tui.tui.dialogs import MessageDialog
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.units import human_size

NOT_AVAILABLE = (
    "Applying from this console is not wired yet: nothing was written to any disk.",
    "",
    "To apply this plan now: save it (s on the plan screen), open a shell",
    "(s on the welcome screen) and run:  rescue-tui apply PLAN.json",
    "It checks the disks again and asks for the host name itself.",
)


def destruction_lines(plan: Plan, present: dict[str, TargetDisk]) -> list[str]:
    """Two lines per target disk: what it is and what it replaces; where it sits and what is on it now."""
    lines: list[str] = []
    for disk in plan.disks:
        now = present.get(disk.name)
        model = f"  {now.model}" if now and now.model else ""
        ident = f"serial {disk.serial}" if disk.serial else "no serial"
        lines.append(f"{disk.path}  {human_size(disk.size)}{model}  {ident}  (replaces {disk.source_name})")
        found = (now.signatures or now.partitions) if now else ()
        holds = ", ".join(found) if found else "nothing recognised"
        lines.append(f"    {disk.by_path or '-'}: holds {holds}; ALL OF IT IS LOST")
    return lines


class ConfirmScreen(StepScreen):
    """The disks that will be wiped, and the typed host name.

    | Key | Action |
    | :- | :- |
    | (type), enter | type the host name, then Enter |
    | tab | leave the field (then ? shows help) |
    | escape | back to the plan |
    """

    STEP = "confirm"
    HELP_TITLE = "Confirm"
    HELP = """
A recovery wipes every target disk listed here: its partitions, RAID and LVM
metadata, filesystems, everything. Check each disk's size and serial against
the machine (the label on the drive, the controller's list).

To go on, type the host name of the machine being recovered, as the layout
records it, and press Enter. In a dry run this is a rehearsal: nothing is
written whatever you type.

This console stops here for now: applying from it is not wired yet, and the
screen says so rather than pretend; rescue-tui apply does it from a shell.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="confirm.back", tooltip="Back to the plan; nothing is written."),
    ]

    def compose(self) -> ComposeResult:
        plan = self.session.plan
        assert plan is not None
        inventory = self.session.inventory
        found = inventory.by_name() if inventory else {}
        rehearsal = "DRY RUN (rehearsal): nothing will be written.  " if self.session.dry_run else ""
        yield self.header()
        yield Static(
            f"{rehearsal}A recovery of {plan.hostname} WIPES these {len(plan.disks)} disks:",
            id="confirm-title", classes="note error", markup=False,
        )  # fmt: skip
        yield Static("\n".join(destruction_lines(plan, found)), id="destroy", classes="note box", markup=False)
        changes = f"{len(plan.changes)} size changes" if plan.changes else "no size changes"
        yield Static(
            f"Then {len(plan.steps)} steps ({changes}) recreate the layout of {plan.hostname} "
            f"(sha256 {plan.layout_sha256[:12]}).\n"
            f"To confirm, type the host name  {plan.hostname}  and press Enter:",
            id="confirm-text", classes="note", markup=False,
        )  # fmt: skip
        field = Input(placeholder="host name", id="hostname")
        field.cursor_blink = False
        yield field
        yield Static("", id="confirm-problem", classes="note error", markup=False)
        yield self.footer()

    def on_mount(self) -> None:
        self.query_one("#destroy", Static).border_title = "Target disks"
        self.query_one("#hostname", Input).focus()

    @on(Input.Submitted, "#hostname")
    def submitted(self, event: Input.Submitted) -> None:
        plan = self.session.plan
        assert plan is not None
        problem = self.query_one("#confirm-problem", Static)
        if event.value.strip() != plan.hostname:
            problem.update(f"That is not {plan.hostname}: nothing done. Type it exactly, or Esc to go back.")
            return
        problem.update("")
        if self.session.dry_run:
            lines = ["Dry run: confirmed, and nothing was written to any disk.", *NOT_AVAILABLE[1:]]
            self.app.push_screen(MessageDialog("Dry run complete", lines))
        else:
            self.app.push_screen(MessageDialog("Not wired in the console yet", list(NOT_AVAILABLE)))

    def action_back(self) -> None:
        self.app.pop_screen()
