"""Plan: every step the recovery will take, size changes highlighted, commands on demand, save to a file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static

from rescue_tui.errors import RescueError
from rescue_tui.inventory.model import Inventory
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.tui.dialogs import PathDialog
from rescue_tui.tui.engine import compute_plan, save_plan
from rescue_tui.tui.messages import PlanComputed
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.widgets import PlanView


def default_plan_path(plan: Plan) -> Path:
    return Path.cwd() / f"plan-{plan.hostname}.json"


class PlanScreen(StepScreen):
    """The plan for the mapping chosen: disks, size changes, ordered steps, notes.

    | Key | Action |
    | :- | :- |
    | up/down, pgup/pgdn | move through the steps |
    | enter | show the highlighted step's command |
    | c | show every step's command in the list (again: hide) |
    | s | save the plan as JSON |
    | a | go on to confirm the recovery |
    | escape | back |
    """

    STEP = "plan"
    HELP_TITLE = "Plan"
    HELP = """
The plan is everything the recovery will do, in order: wipe the target
disks, create partition tables, partitions, RAID arrays, LUKS containers,
LVM, filesystems and swap with the original identities, then mount them.
It is computed in memory: nothing has been written to any disk.

Size changes (a smaller or larger target disk) are listed first and marked
on the steps they affect, in yellow. Enter shows the shell command that does
the same as the highlighted step; c shows them all. s saves the plan as
JSON (for review, for rescue-tui plan on another console, or for a report).
a goes on: to the restore backend (what the files come back from), then to
the confirmation of the recovery; in a dry run straight to the confirmation.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "commands", "Commands", id="plan.commands",
                tooltip="Show (or hide) the shell command under every step."),
        Binding("s", "save", "Save", id="plan.save", tooltip="Save the plan as a JSON file."),
        Binding("a", "apply", "Apply...", id="plan.apply", tooltip="Go on to confirm the recovery."),
        Binding("escape", "back", "Back", id="plan.back", tooltip="Back to the mapping."),
    ]  # fmt: skip

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("Computing the plan (in memory, nothing is written)...", id="plan-status", classes="line",
                     markup=False)  # fmt: skip
        yield PlanView(id="plan", classes="box")
        yield Static("Enter: the highlighted step's command", id="command", classes="note dim", markup=False)
        yield self.footer()

    def on_mount(self) -> None:
        view = self.query_one("#plan", PlanView)
        view.border_title = "Plan"
        view.focus()
        session = self.session
        if session.plan is not None:
            self._show(session.plan)
            return
        assert session.layout is not None and session.layout.layout is not None
        assert session.inventory is not None and session.mapping is not None
        root = str(session.options.target_root)
        self.make_plan(session.layout.path, session.layout.layout, session.inventory, session.mapping, root)

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def make_plan(self, path: Path, layout: Layout, inventory: Inventory, mapping: Mapping, root: str) -> None:
        """blivet over sparse stand-ins, in memory: 0.1-1.5 s."""
        self.post_message(PlanComputed(compute_plan(path, layout, inventory, mapping, root)))

    @on(PlanComputed)
    def plan_computed(self, message: PlanComputed) -> None:
        self.session.plan = message.plan
        self._show(message.plan)

    def _show(self, plan: Plan) -> None:
        self.query_one("#plan", PlanView).show_plan(plan)
        changes = f", {len(plan.changes)} size changes" if plan.changes else ", no size changes"
        targets = ", ".join(d.name for d in plan.disks)
        self._status(f"{plan.hostname}: {len(plan.steps)} steps onto {targets}{changes}")

    def _status(self, text: str) -> None:
        self.query_one("#plan-status", Static).update(text)

    @on(OptionList.OptionSelected, "#plan")
    def step_selected(self, event: OptionList.OptionSelected) -> None:
        step = self.query_one("#plan", PlanView).step()
        if step is not None:
            command = step.command or "(no shell command: done by rescue-tui itself)"
            self.query_one("#command", Static).update(f"{step.id}: $ {command}")

    def action_commands(self) -> None:
        view = self.query_one("#plan", PlanView)
        if view.plan is not None:
            view.show_plan(view.plan, commands=not view.commands)

    def action_save(self) -> None:
        plan = self.session.plan
        if plan is None:
            self.app.bell()
            return

        def chosen(path: Path | str | None) -> None:
            if not isinstance(path, Path):  # cancelled (a URL is only taken when asked for)
                return
            try:
                saved = save_plan(plan, path)
            except RescueError as exc:
                self.rescue.show_error("Not saved", exc.lines())
                return
            self.session.saved_to = saved
            self._status(f"Plan saved to {saved}")

        default = self.session.saved_to or default_plan_path(plan)
        self.app.push_screen(PathDialog("Save the plan", "Save the plan as JSON to:", default), chosen)

    def action_apply(self) -> None:
        if self.session.plan is None:
            self.app.bell()
            return
        self.done()  # the app's flow: the confirmation in a dry run, else the backend

    def action_back(self) -> None:
        self.app.pop_screen()
