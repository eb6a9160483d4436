"""Propose which disk present now replaces each original disk, and check the operator's choices.

Order of preference for the automatic proposal, each with its reason:
the same WWN or serial (the very disk); then a disk of exactly the same size;
then the smallest disk that fits; removable disks (USB sticks) last in each.
Never proposed, never accepted: the rescue medium, the running system's disk,
a disk with mounted filesystems or active holders, a read-only disk, a disk
already chosen for another original, or a disk too small for what must fit.
"""

from __future__ import annotations

from pathlib import Path

from rescue_tui.errors import BadInputError, RefusedError
from rescue_tui.inputs import parse_json, read_text
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.mapping.model import DiskPair, Mapping
from rescue_tui.units import human_size


def parse_map_options(values: list[str]) -> dict[str, str]:
    """``["sda=vdb", ...]`` from ``--map`` into ``{"sda": "vdb"}``; bad syntax is one line."""
    out: dict[str, str] = {}
    for value in values:
        source, sep, target = value.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise BadInputError(f"--map {value!r}: expected ORIGINAL=TARGET, such as sda=vdb")
        if source in out:
            raise BadInputError(f"--map {value!r}: {source} is mapped twice")
        out[source.strip()] = target.strip()
    return out


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """A mapping file: a JSON object ``{"sda": "vdb"}`` or ReaR's ``disk_mappings`` lines ``/dev/sda /dev/vdb``."""
    path = Path(path)
    text = read_text(path, what="mapping file")
    if text.lstrip().startswith("{"):
        document = parse_json(text, where=str(path))
        if not isinstance(document, dict):
            raise BadInputError(f'{path}: $: a mapping is a JSON object such as {{"sda": "vdb"}}')
        for key, value in document.items():
            if not isinstance(value, str):
                raise BadInputError(f"{path}: $.{key}: expected a target disk name")
        return dict(document)
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            raise BadInputError(f"{path}:{number}: expected 'ORIGINAL TARGET', such as '/dev/sda /dev/vdb'")
        if fields[0] in out:
            raise BadInputError(f"{path}:{number}: {fields[0]} is mapped twice")
        out[fields[0]] = fields[1]
    if not out:
        raise BadInputError(f"{path}: maps no disk: expected '/dev/sda /dev/vdb' lines or a JSON object")
    return out


def _source_disk(layout: Layout, name: str) -> Disk | None:
    bare = name.removeprefix("/dev/")
    return next((d for d in layout.of_type(Disk) if bare in (d.name, d.id) or name == d.path), None)


def _same_identity(disk: Disk, target: TargetDisk) -> bool:
    if disk.wwn and target.wwn and disk.wwn.lower() == target.wwn.lower():
        return True
    return bool(disk.serial and target.serial and disk.serial == target.serial)


def propose_mapping(
    layout: Layout,
    inventory: Inventory,
    needs: dict[str, int],
    overrides: dict[str, str] | None = None,
) -> Mapping:
    """Map every original disk onto a disk present now, or refuse with one line per reason."""
    overrides = overrides or {}
    problems: list[str] = []
    refused = tuple(f"{d.name}: {why}" for d in inventory.disks if (why := d.refusal()))
    taken: dict[str, str] = {}
    pairs: dict[str, DiskPair] = {}

    for source_name, target_name in overrides.items():
        disk = _source_disk(layout, source_name)
        target = inventory.find(target_name)
        if disk is None:
            known = ", ".join(d.name for d in layout.of_type(Disk))
            problems.append(
                f"--map {source_name}={target_name}: {source_name} is not a disk of the layout (it has {known})"
            )
            continue
        if target is None:
            problems.append(f"--map {source_name}={target_name}: no disk {target_name} here")
            continue
        if why := _unfit(target, needs[disk.id]):
            problems.append(f"--map {source_name}={target_name}: {why}")
            continue
        if target.name in taken:
            problems.append(
                f"--map {source_name}={target_name}: {target.name} is already the target of {taken[target.name]}"
            )
            continue
        taken[target.name] = disk.name
        pairs[disk.id] = DiskPair(source=disk.id, source_name=disk.name, target=target.name, reason="operator")

    free = [d for d in inventory.disks if d.refusal() is None and d.name not in taken]
    for rule, reason in (
        (_by_identity, "same serial/WWN"),
        (_by_size, "same size"),
        (_smallest_fit, "smallest disk that fits"),
    ):
        for disk in layout.of_type(Disk):
            if disk.id in pairs:
                continue
            target = rule(disk, free, needs[disk.id])
            if target is not None:
                free.remove(target)
                taken[target.name] = disk.name
                pairs[disk.id] = DiskPair(source=disk.id, source_name=disk.name, target=target.name, reason=reason)

    for disk in layout.of_type(Disk):
        if disk.id not in pairs and not any(p.startswith(f"--map {disk.name}=") for p in problems):
            problems.append(_no_target_line(disk, needs[disk.id], inventory, taken))
    if problems:
        raise RefusedError.of(problems)
    ordered = tuple(pairs[d.id] for d in layout.of_type(Disk))
    return Mapping(pairs=ordered, refused=refused)


def _unfit(target: TargetDisk, need: int) -> str | None:
    if why := target.refusal():
        return f"{target.name}: {why}"
    if target.size < need:
        return f"{target.name}: too small: needs {human_size(need)}, has {human_size(target.size)}"
    return None


def _by_identity(disk: Disk, free: list[TargetDisk], need: int) -> TargetDisk | None:
    return next((t for t in free if _same_identity(disk, t) and t.size >= need), None)


def _by_size(disk: Disk, free: list[TargetDisk], need: int) -> TargetDisk | None:
    same = [t for t in free if t.size == disk.size and t.size >= need]
    same.sort(key=lambda t: (t.removable, t.by_path != disk.by_path, t.name))
    return same[0] if same else None


def _smallest_fit(disk: Disk, free: list[TargetDisk], need: int) -> TargetDisk | None:
    fits = sorted((t for t in free if t.size >= need), key=lambda t: (t.removable, t.size, t.name))
    return fits[0] if fits else None


def _no_target_line(disk: Disk, need: int, inventory: Inventory, taken: dict[str, str]) -> str:
    reasons = []
    for target in inventory.disks:
        if target.name in taken:
            reasons.append(f"{target.name} is the target of {taken[target.name]}")
        elif why := _unfit(target, need):
            reasons.append(why)
    detail = "; ".join(reasons) if reasons else "no disks present"
    return f"{disk.name} ({human_size(disk.size)}): no target disk fits (needs {human_size(need)}): {detail}"
