"""Confirm: what a recovery destroys, on which disks; the host name typed to go on.

The typed confirmation starts the recovery (the progress screen). In a dry
run it is a rehearsal: an honest message that nothing was written, and how
to apply the plan for real.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from rescue_tui.inventory.model import TargetDisk
from rescue_tui.plan.model import Plan
from rescue_tui.restore.model import Secret
from rescue_tui.text import hostname_problem, printable
from rescue_tui.tui.dialogs import MessageDialog, PassphraseDialog
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.units import human_size

DRY_RUN_DONE = (
    "Dry run: confirmed, and nothing was written to any disk.",
    "",
    "To recover for real: Recover on the welcome screen walks the same steps,",
    "or save the plan (s on the plan screen) and, from a shell, run:",
    "  rescue-tui apply PLAN.json",
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
records it, and press Enter: the recovery starts at once (apply, then the
restore chosen on the backend screen, then finalize). In a dry run this is
a rehearsal: nothing is written whatever you type.
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
        stopped = self.session.takeover
        taking_over = ""
        if stopped is not None:
            taking_over = f"Taking over the {printable(stopped.describe())}: steps done before are skipped.\n"
        yield Static(
            f"{taking_over}{rehearsal}A recovery of {plan.hostname} WIPES these {len(plan.disks)} disks:",
            id="confirm-title", classes="note error", markup=False,
        )  # fmt: skip
        yield Static("\n".join(destruction_lines(plan, found)), id="destroy", classes="note box", markup=False)
        changes = f"{len(plan.changes)} size changes" if plan.changes else "no size changes"
        restore = self.session.restore
        restore_line = f"Restore: {restore.label}.\n" if restore is not None and not self.session.dry_run else ""
        yield Static(
            f"Then {len(plan.steps)} steps ({changes}) recreate the layout of {plan.hostname} "
            f"(sha256 {plan.layout_sha256[:12]}).\n{restore_line}"
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
        if hostname_problem(plan.hostname):  # an empty or odd name must never be confirmed by a bare Enter
            problem.update("This plan's host name cannot be typed to confirm: nothing done. Esc to go back.")
            return
        if event.value.strip() != plan.hostname:
            problem.update(f"That is not {plan.hostname}: nothing done. Type it exactly, or Esc to go back.")
            return
        problem.update("")
        if self.session.dry_run:
            self.app.push_screen(MessageDialog("Dry run complete", list(DRY_RUN_DONE)))
        else:
            self._start(plan)

    def _start(self, plan: Plan) -> None:
        """The recovery; first the LUKS passphrase when the plan creates containers (Esc there: nothing done)."""
        containers = len(plan.luks_containers)
        if not containers or self.session.passphrase is not None:
            self.done()
            return

        def given(passphrase: Secret | None) -> None:
            if passphrase is not None:
                self.session.passphrase = passphrase
                self.done()

        self.app.push_screen(PassphraseDialog(containers), given)

    def action_back(self) -> None:
        self.app.pop_screen()
