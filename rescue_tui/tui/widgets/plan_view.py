"""The plan as one scrolling list: disks, size changes (highlighted), steps, notes."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rescue_tui.plan.model import Plan, Step
from rescue_tui.units import human_size


def step_size_change(plan: Plan) -> dict[str, str]:
    """Step id -> '50.0 GiB -> 40.0 GiB' for each step that recreates an item whose size changed."""
    changes = {c.item: f"{human_size(c.old)} -> {human_size(c.new)}" for c in plan.changes}
    out: dict[str, str] = {}
    seen: set[str] = set()
    for step in plan.steps:
        if step.item is not None and step.item in changes and step.item not in seen:
            seen.add(step.item)
            out[step.id] = changes[step.item]
    return out


class PlanView(OptionList):
    """Every part of a plan, in the order an operator reads it; step options have the step's id.

    Steps that recreate a device whose size changed carry the change, in the
    warning colour; ``show_commands`` puts each step's shell command under it.
    """

    DEFAULT_CSS = """
    PlanView {
        height: 1fr;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self.plan: Plan | None = None
        self.commands = False

    def show_plan(self, plan: Plan, *, commands: bool | None = None) -> None:
        """Fill the list from a plan (keeping the highlighted step when it is still there)."""
        if commands is not None:
            self.commands = commands
        current = self.highlighted_option.id if self.highlighted_option is not None else None
        self.plan = plan
        self.set_options(self._plan_options(plan))
        index = next((i for i, o in enumerate(self.options) if current and o.id == current), None)
        first_step = next((i for i, o in enumerate(self.options) if o.id), 0)
        self.highlighted = index if index is not None else first_step

    def step(self) -> Step | None:
        """The highlighted step, if a step is highlighted."""
        option = self.highlighted_option
        if self.plan is None or option is None or option.id is None:
            return None
        return next((s for s in self.plan.steps if s.id == option.id), None)

    def _plan_options(self, plan: Plan) -> list[Option]:
        heading = "bold"
        options = [
            Option(Content.styled(f"Disks ({len(plan.disks)}): original -> present now", heading), disabled=True)
        ]
        for disk in plan.disks:
            ident = f"serial {disk.serial}" if disk.serial else (disk.by_path or "")
            options.append(
                Option(
                    f"  {disk.source_name:<8} -> {disk.path:<13} {human_size(disk.size):>10}  {ident}  ({disk.reason})",
                    disabled=True,
                )
            )
        if plan.changes:
            options.append(Option(Content.styled(f"Size changes ({len(plan.changes)})", heading), disabled=True))
            for change in plan.changes:
                line = (
                    f"  {change.what:<30} {human_size(change.old):>10} -> {human_size(change.new):<10} {change.reason}"
                )
                options.append(Option(Content.styled(line, "$warning"), disabled=True))
        else:
            options.append(Option(Content.styled("Size changes: none", heading), disabled=True))
        options.append(Option(Content.styled(f"Steps ({len(plan.steps)})", heading), disabled=True))
        sizes = step_size_change(plan)
        for step in plan.steps:
            text = Content(f"  {step.id} {step.summary()}")
            if step.id in sizes:
                text = text + Content.styled(f"  [{sizes[step.id]}]", "$warning bold")
            if self.commands and step.command:
                text = text + Content.styled(f"\n       $ {step.command}", "dim")
            options.append(Option(text, id=step.id))
        if plan.notes:
            options.append(Option(Content.styled("Notes", heading), disabled=True))
            options += [Option(f"  - {note}", disabled=True) for note in plan.notes]
        return options
