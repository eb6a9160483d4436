"""Plans for every example layout onto identical, bigger and smaller-but-sufficient disks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rescue_tui.errors import RefusedError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Partition, PartitionTable
from rescue_tui.mapping.resize import ResizeOptions
from rescue_tui.plan.build import PlanRequest, make_plan
from rescue_tui.plan.model import (
    CreateDisklabel,
    CreatePartition,
    MakeFilesystem,
    MountStep,
    Plan,
    SetIdentity,
    Step,
    WipeDisk,
)
from tests.unit.plan.conftest import example, plan_for, targets_like

NAMES = ["bios-mbr-single", "uefi-gpt-lvm", "raid1-lvm", "luks-lvm-thin", "btrfs-subvolumes", "large-server"]


def index(plan: Plan) -> dict[str, int]:
    return {s.id: i for i, s in enumerate(plan.steps)}


def assert_ordered(plan: Plan) -> None:
    where = index(plan)
    for step in plan.steps:
        for dep in step.after:
            assert where[dep] < where[step.id], f"{step.id} comes before {dep}"


def creation_steps(plan: Plan, kind: type[Step]) -> list[Step]:
    return [s for s in plan.steps if isinstance(s, kind)]


@pytest.mark.parametrize("name", NAMES)
def test_identical_disks_get_the_original_geometry_sector_for_sector(name: str) -> None:
    plan = plan_for(name)
    layout = read_layout(example(name))
    tables = {t.id: t for t in layout.of_type(PartitionTable)}
    planned = {s.item: s for s in creation_steps(plan, CreatePartition)}
    for part in layout.of_type(Partition):
        if tables[part.table].device not in {d.source for d in plan.disks}:
            continue
        step = planned[part.id]
        assert isinstance(step, CreatePartition)
        assert (step.start, step.end) == (part.start, part.start + part.size - 1), part.id
    assert plan.changes == ()
    assert_ordered(plan)


@pytest.mark.parametrize("name", NAMES)
def test_bigger_disks_grow_flexible_partitions_and_keep_fixed_ones(name: str) -> None:
    plan = plan_for(name, scale=1.5)
    assert_ordered(plan)
    grown = [c for c in plan.changes if c.what.startswith("partition")]
    assert grown and all(c.new > c.old for c in grown)
    layout = read_layout(example(name))
    esps = {p.id for p in layout.of_type(Partition) if "esp" in p.flags or "bios_grub" in p.flags}
    assert not esps & {c.item for c in plan.changes}


@pytest.mark.parametrize("name", ["bios-mbr-single", "uefi-gpt-lvm", "raid1-lvm", "btrfs-subvolumes", "large-server"])
def test_smaller_but_sufficient_disks_shrink_within_what_is_used(name: str) -> None:
    plan = plan_for(name, scale=0.6)
    assert_ordered(plan)
    shrunk = [c for c in plan.changes if c.what.startswith("partition")]
    assert shrunk and all(c.new < c.old for c in shrunk)
    assert all(c.new <= c.old for c in plan.changes)


def test_a_layout_whose_thin_pool_cannot_shrink_is_refused_on_smaller_disks() -> None:
    with pytest.raises(RefusedError) as info:
        plan_for("luks-lvm-thin", scale=0.6)
    assert info.value.problems == [
        "nvme0n1 (953.9 GiB): no target disk fits (needs 932.5 GiB): vdb: too small: needs 932.5 GiB, has 572.3 GiB"
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_plan_starts_with_the_wipes_and_mounts_last(name: str) -> None:
    plan = plan_for(name)
    kinds = [type(s) for s in plan.steps]
    wipes = kinds.count(WipeDisk)
    assert wipes == len(plan.disks)
    assert all(k is WipeDisk for k in kinds[:wipes])
    mounts = [i for i, k in enumerate(kinds) if k is MountStep]
    assert mounts == list(range(len(kinds) - len(mounts), len(kinds)))


def test_the_uefi_plan_in_detail() -> None:
    plan = plan_for("uefi-gpt-lvm")
    summaries = [s.summary() for s in plan.steps]
    assert summaries[:3] == [
        "wipe all signatures on /dev/vdb",
        "create gpt partition table on /dev/vdb",
        "create primary partition /dev/vdb1 sectors 2048-1050623 for efi",
    ]
    mkfs = {s.device: s for s in creation_steps(plan, MakeFilesystem)}
    esp = mkfs["/dev/vdb1"]
    assert isinstance(esp, MakeFilesystem)
    assert (esp.fstype, esp.uuid) == ("vfat", read_layout(example("uefi-gpt-lvm")).by_id()["fs-nvme0n1p1"].uuid)  # type: ignore[attr-defined]
    mounts = [s.mountpoint for s in creation_steps(plan, MountStep)]  # type: ignore[attr-defined]
    assert mounts[0] == "/" and mounts.index("/boot") < mounts.index("/boot/efi")
    assert isinstance(plan.steps[1], CreateDisklabel)


def test_btrfs_subvolumes_are_created_then_mounted_with_their_subvol_option() -> None:
    plan = plan_for("btrfs-subvolumes")
    where = index(plan)
    subvols = [s for s in plan.steps if s.kind == "create-subvolume"]
    assert sorted(s.path for s in subvols) == ["@", "@home", "@snapshots"]  # type: ignore[attr-defined]
    home = next(s for s in creation_steps(plan, MountStep) if s.mountpoint == "/home")  # type: ignore[attr-defined]
    assert isinstance(home, MountStep)
    assert home.options.startswith("subvol=@home")
    assert all(where[s.id] < where[home.id] for s in subvols if s.path == "@home")  # type: ignore[attr-defined]


def test_identity_fixups_follow_what_they_fix() -> None:
    plan = plan_for("raid1-lvm")
    where = index(plan)
    fixups = [s for s in plan.steps if s.kind == "set-identity"]
    fields = {s.field for s in fixups}  # type: ignore[attr-defined]
    assert {"gpt-name", "partuuid", "disk-guid", "md-uuid", "md-name"} <= fields
    for fix in fixups:
        assert all(where[dep] < where[fix.id] for dep in fix.after)


def test_msdos_logical_partitions_are_planned_inside_their_extended_partition() -> None:
    plan = plan_for("bios-mbr-single", scale=1.5)
    parts = {s.number: s for s in creation_steps(plan, CreatePartition)}  # type: ignore[attr-defined]
    extended = next(p for p in parts.values() if p.part_kind == "extended")  # type: ignore[attr-defined]
    logical = [p for p in parts.values() if p.part_kind == "logical"]  # type: ignore[attr-defined]
    assert logical and all(extended.start < p.start and p.end <= extended.end for p in logical)  # type: ignore[attr-defined]


def test_an_empty_esp_gets_its_type_back_by_a_fixup_and_one_blivet_formats_needs_none(tmp_path: Path) -> None:
    data = json.loads(example("uefi-gpt-lvm").read_text())
    data["items"] = [i for i in data["items"] if i["id"] not in ("fs-nvme0n1p1", "mount-nvme0n1p1")]
    emptied = tmp_path / "empty-esp.json"
    emptied.write_text(json.dumps(data))
    layout = read_layout(emptied)
    plan = make_plan(PlanRequest(layout_path=emptied, inventory=targets_like(layout), resize=ResizeOptions()))
    fixups = [s for s in plan.steps if isinstance(s, SetIdentity) and s.field == "part-type"]
    assert [(s.item, s.value) for s in fixups] == [("nvme0n1p1", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")]
    assert fixups[0].command == "sgdisk --typecode=1:c12a7328-f81f-11d2-ba4b-00a0c93ec93b /dev/vdb"
    assert_ordered(plan)
    formatted = plan_for("uefi-gpt-lvm")  # vfat on it: blivet types it as an ESP, and Linux data needs nothing
    assert not [s for s in formatted.steps if isinstance(s, SetIdentity) and s.field == "part-type"]
