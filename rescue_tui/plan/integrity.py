"""Every device a plan's steps touch is one of its checked disks, or made by an earlier step on them.

Preflight checks the disks a plan lists (present, unchanged, unused, not the
rescue medium); the steps then name their own devices. A plan file is data an
operator may have edited, so before anything is written the two must agree:
a wipe that names another disk than the plan's, a partition on a disk the plan
does not list, or a filesystem on a device no step made is refused, with the
JSON path of the step. (apply compares the steps with blivet's again once the
disks are wiped; the wipes themselves come before that comparison, so they
are held here.)
"""

from __future__ import annotations

from rescue_tui.plan.model import (
    CreateDisklabel,
    CreateLv,
    CreateMd,
    CreatePartition,
    CreateVg,
    OpenLuks,
    Plan,
    Rescan,
    SetIdentity,
    Step,
    WipeDisk,
)

DISK_FIELDS = ("disk-guid", "disk-id")
"""Identity fix-ups that act on a whole disk."""


def _partition_nodes(disk: str, number: int) -> tuple[str, ...]:
    """'/dev/sdb' 2 -> '/dev/sdb2'; '/dev/nvme0n1' 2 -> '/dev/nvme0n1p2' (either spelling is accepted).

    A partitioned array '/dev/md/md127' has the kernel's '/dev/md127p2' too.
    """
    kernel = (f"/dev/{disk.removeprefix('/dev/md/')}p{number}",) if disk.startswith("/dev/md/") else ()
    return f"{disk}{number}", f"{disk}p{number}", *kernel


def _dm_name(vg: str, lv: str) -> str:
    """The device-mapper node of an LV: hyphens in either name are doubled."""
    return f"/dev/mapper/{vg.replace('-', '--')}-{lv.replace('-', '--')}"


def _made(step: Step) -> list[str]:
    """Device nodes a step brings into being (with their other names)."""
    if isinstance(step, CreateLv):
        return [step.device, _dm_name(step.vg, step.name)]
    if isinstance(step, CreateMd | OpenLuks | CreateVg | CreatePartition):
        return [step.device]
    return []


def _inputs(step: Step) -> list[tuple[str, str]]:
    """(field, device) pairs a step builds on besides its own device."""
    if isinstance(step, CreateMd):
        return [(f"members[{i}]", m) for i, m in enumerate(step.members)]
    if isinstance(step, CreateVg):
        return [(f"pvs[{i}]", p) for i, p in enumerate(step.pvs)]
    if isinstance(step, OpenLuks):
        return [("source", step.source)]
    if isinstance(step, Rescan):
        return [(f"arrays[{i}]", a) for i, a in enumerate(step.arrays)]
    return []


def device_problems(plan: Plan) -> list[str]:
    """One line per step that names a device outside the plan's disks and what its steps make on them."""
    disks = [d.path for d in plan.disks]
    problems: list[str] = []
    owned = set(disks)
    arrays: set[str] = set()
    """md arrays made by earlier steps: a partitioned array holds a table like a disk."""
    wiped: list[str] = []
    for index, step in enumerate(plan.steps):
        at = f"$.steps[{index}]"
        on_disk = isinstance(step, WipeDisk | CreateDisklabel) or (
            isinstance(step, SetIdentity) and step.field in DISK_FIELDS
        )
        if on_disk:
            if step.device not in disks and (isinstance(step, WipeDisk) or step.device not in arrays):
                problems.append(f"{at}.device: {step.kind} names {step.device!r}, not one of the plan's disks")
            elif isinstance(step, WipeDisk):
                wiped.append(step.device)
            continue
        if isinstance(step, CreateMd) and step.device not in owned:
            arrays.add(step.device)
        if isinstance(step, CreatePartition):
            if step.disk not in disks and step.disk not in arrays:
                problems.append(f"{at}.disk: {step.disk!r} is not one of the plan's disks")
            elif step.device not in _partition_nodes(step.disk, step.number):
                problems.append(f"{at}.device: {step.device!r} is not partition {step.number} of {step.disk}")
        for field, device in _inputs(step):
            if device not in owned:
                problems.append(f"{at}.{field}: {device!r} is made by no earlier step on the plan's disks")
        made = _made(step)
        if made:
            clash = [d for d in made if d in owned]
            if clash:
                problems.append(f"{at}.device: {clash[0]!r} exists already (a disk or an earlier step's device)")
            owned.update(made)
        elif step.device not in owned:
            problems.append(f"{at}.device: {step.device!r} is made by no earlier step on the plan's disks")
    for disk in disks:
        if wiped.count(disk) != 1:
            times = "never" if disk not in wiped else f"{wiped.count(disk)} times"
            problems.append(f"$.steps: the plan's disk {disk} is wiped {times} (each is wiped once, first)")
    return problems
