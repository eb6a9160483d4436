"""A plan as text for people: the mapping, size changes, then every step in order."""

from __future__ import annotations

from rescue_tui.plan.model import Plan
from rescue_tui.units import human_size


def render_plan(plan: Plan, *, commands: bool = False) -> str:
    """The plan as plain ASCII text; with ``commands`` each step's shell equivalent below it."""
    lines = [f"Recovery plan for {plan.hostname}  (layout {plan.layout_source}, sha256 {plan.layout_sha256[:12]})", ""]
    lines.append("Disks (original -> present now):")
    for disk in plan.disks:
        ident = f"serial {disk.serial}" if disk.serial else (disk.by_path or "")
        lines.append(
            f"  {disk.source_name:<10} -> {disk.path:<14} {human_size(disk.size):>10}  {ident}  [{disk.reason}]"
        )
    if plan.changes:
        lines += ["", "Size changes:"]
        for change in plan.changes:
            lines.append(
                f"  {change.what:<34} {human_size(change.old):>10} -> {human_size(change.new):<10} {change.reason}"
            )
    lines += ["", f"Steps ({len(plan.steps)}):"]
    for step in plan.steps:
        after = f"  (after {', '.join(step.after)})" if step.after else ""
        lines.append(f"  {step.id}  {step.summary()}{after}")
        if commands and step.command:
            lines.append(f"        $ {step.command}")
    if plan.notes:
        lines += ["", "Notes:"]
        lines += [f"  - {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"
