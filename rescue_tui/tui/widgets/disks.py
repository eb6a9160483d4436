"""Disks as rows: an original disk with its target, a disk present now with its state."""

from __future__ import annotations

from textual.content import Content

from rescue_tui.inventory.model import TargetDisk
from rescue_tui.layout.model import Disk
from rescue_tui.mapping.model import DiskPair
from rescue_tui.units import human_size


def _cut(text: str | None, width: int) -> str:
    text = text or "-"
    return text if len(text) <= width else text[: width - 1] + "~"


def disk_state(disk: TargetDisk, target_of: str | None) -> tuple[str, str]:
    """What a disk present is to this recovery, and the style to show it in."""
    if why := disk.refusal():
        return f"refused: {why}", "$error"
    if target_of:
        return f"target of {target_of}: will be wiped", "$warning bold"
    used = ", ".join(disk.signatures) if disk.signatures else "blank"
    return f"free ({used})", ""


def present_disk_prompt(disk: TargetDisk, target_of: str | None) -> Content:
    """Two lines: name, size, model, serial; then by-path and state."""
    state, style = disk_state(disk, target_of)
    first = f"{disk.name:<9}{human_size(disk.size):>10}  {_cut(disk.model, 26):<26} {_cut(disk.serial, 22)}"
    second = f"  {_cut(disk.by_path or disk.transport, 30):<30}  "
    return Content(first + "\n" + second) + Content.styled(_cut(state, 44), style)


def pair_prompt(disk: Disk, pair: DiskPair | None, target: TargetDisk | None) -> Content:
    """Two lines: the original disk; then the disk that replaces it and why."""
    first = f"{disk.name:<9}{human_size(disk.size):>10}  {_cut(disk.model, 26):<26} {_cut(disk.serial, 22)}"
    if pair is None or target is None:
        return Content(first + "\n") + Content.styled(f"{'':<9}-> no target", "$error")
    how = "chosen by you" if pair.reason == "operator" else pair.reason
    second = f"  -> {target.name:<9}{human_size(target.size):>10}  {_cut(target.serial, 22):<22} "
    return Content(first + "\n" + second) + Content.styled(f"({how})", "$warning" if pair.reason == "operator" else "")
