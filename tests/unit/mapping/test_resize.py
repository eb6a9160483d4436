"""The resize policy, on the examples: what stays, what grows and shrinks, and what cannot."""

from __future__ import annotations

import dataclasses

import pytest

from rescue_tui.errors import RefusedError
from rescue_tui.inventory.model import TargetDisk
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Disk, Filesystem, Layout, LvmLv, Partition
from rescue_tui.layout.validate import validate_layout
from rescue_tui.mapping.model import DiskPair, Mapping
from rescue_tui.mapping.resize import ALIGN, Resized, ResizeOptions, disk_needs, resize_for_targets
from tests.unit.plan.conftest import example

MIB = 1024 * 1024


def resize(layout: Layout, scale: float, **options: object) -> Resized:
    targets, pairs = {}, []
    for i, disk in enumerate(layout.of_type(Disk)):
        name = f"t{i}"
        size = disk.size if scale == 1.0 else int(disk.size * scale) // MIB * MIB
        targets[name] = TargetDisk(name=name, path=f"/dev/{name}", size=size)
        pairs.append(DiskPair(source=disk.id, source_name=disk.name, target=name, reason="test"))
    return resize_for_targets(layout, Mapping(pairs=tuple(pairs)), targets, ResizeOptions(**options))  # type: ignore[arg-type]


def parts(layout: Layout) -> dict[str, Partition]:
    return {p.id: p for p in layout.of_type(Partition)}


def test_same_size_targets_change_nothing() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    result = resize(layout, 1.0)
    assert result.changes == ()
    assert parts(result.layout) == parts(layout)


def test_a_bigger_disk_grows_the_lvm_partition_and_keeps_esp_and_boot() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    result = resize(layout, 2.0)
    before, after = parts(layout), parts(result.layout)
    assert after["nvme0n1p1"] == before["nvme0n1p1"]
    assert after["nvme0n1p2"].size == before["nvme0n1p2"].size
    assert after["nvme0n1p3"].size > 1.9 * before["nvme0n1p3"].size
    assert all(p.start * 512 % ALIGN == 0 and p.size * 512 % ALIGN == 0 for p in after.values())
    assert validate_layout(result.layout) == []


def test_no_grow_leaves_the_extra_space_free() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    result = resize(layout, 2.0, grow=False)
    assert [c.what for c in result.changes] == ["disk nvme0n1 -> t0"]


def test_a_smaller_disk_shrinks_partitions_and_lvs_but_never_below_their_use() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    result = resize(layout, 0.45)
    assert validate_layout(result.layout) == []
    used = {fs.device: fs.used for fs in layout.of_type(Filesystem)}
    for lv in result.layout.of_type(LvmLv):
        if used.get(lv.id):
            assert lv.size >= used[lv.id]
    assert any(c.what.startswith("LV ") and c.new < c.old for c in result.changes)


def test_a_target_below_the_floor_is_refused_with_sizes() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    need = disk_needs(layout)["nvme0n1"]
    with pytest.raises(RefusedError, match=r"t0: too small for nvme0n1: needs .* GiB, has .* GiB"):
        resize(layout, (need - 64 * MIB) / layout.of_type(Disk)[0].size)


def test_without_recorded_use_nothing_shrinks_below_its_size() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    unknown = dataclasses.replace(
        layout, items=tuple(dataclasses.replace(i, used=None) if isinstance(i, Filesystem) else i for i in layout.items)
    )
    assert disk_needs(unknown)["nvme0n1"] > 0.9 * layout.of_type(Disk)[0].size


def test_md_members_follow_the_smallest_and_the_array_fits() -> None:
    layout = read_layout(example("raid1-lvm"))
    result = resize(layout, 0.7)
    assert validate_layout(result.layout) == []
    members = [p for p in result.layout.of_type(Partition) if "raid" in p.flags]
    assert len({p.size for p in members}) == 1


def test_swap_keeps_its_size_unless_asked() -> None:
    layout = read_layout(example("btrfs-subvolumes"))
    fixed = resize(layout, 0.6)
    free = resize(layout, 0.6, resize_swap=True)
    swap_part = next(p.id for p in layout.of_type(Partition) if "swap" in p.flags)
    assert parts(fixed.layout)[swap_part].size == parts(layout)[swap_part].size
    assert parts(free.layout)[swap_part].size < parts(layout)[swap_part].size
