"""Preflight: the targets must be the planned disks, unchanged and unused; tools must be there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rescue_tui.apply.executor import storage_phase
from rescue_tui.apply.mounts import rescue_options
from rescue_tui.apply.preflight import check_system, check_targets, tools_needed
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.plan.model import CreateSubvolume, MountStep, Plan, SetIdentity
from tests.unit.plan.conftest import plan_for


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_for("raid1-lvm")


def present(plan: Plan, **changes: object) -> Inventory:
    disks = tuple(
        TargetDisk(name=d.name, path=d.path, size=d.size, serial=d.serial, by_path=d.by_path) for d in plan.disks
    )
    first = dataclasses.replace(disks[0], **changes)  # type: ignore[arg-type]
    return Inventory(disks=(first, *disks[1:]), source="test")


def test_the_planned_disks_pass(plan: Plan) -> None:
    assert check_targets(plan, present(plan)) == []


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"size": 1024**4}, "/dev/vdb: changed since planning: size 1.0 TiB, planned 1.8 TiB"),
        ({"serial": "OTHER"}, "/dev/vdb: changed since planning: serial OTHER, planned None"),
        ({"mounts": ("/mnt",)}, "/dev/vdb: in use: mounted (/mnt)"),
        ({"holders": ("md127",)}, "/dev/vdb: in use: active holders (md127)"),
        ({"rescue_medium": True}, "/dev/vdb: holds the running rescue system"),
    ],
)
def test_a_changed_or_busy_target_is_refused_with_one_line(plan: Plan, change: dict[str, object], line: str) -> None:
    if "serial" in change:
        plan = dataclasses.replace(plan, disks=(dataclasses.replace(plan.disks[0], serial="ORIG"), *plan.disks[1:]))
        line = line.replace("planned None", "planned ORIG")
    assert check_targets(plan, present(plan, **change)) == [line]


def test_a_missing_target_is_named(plan: Plan) -> None:
    inventory = Inventory(disks=present(plan).disks[1:], source="test")
    assert check_targets(plan, inventory) == ["/dev/vdb: not present (the plan maps sda onto it)"]


def test_resume_accepts_the_holders_this_apply_made(plan: Plan) -> None:
    assert check_targets(plan, present(plan, holders=("md127",)), our_holders=True) == []


def test_the_tools_follow_the_steps(plan: Plan) -> None:
    needed = tools_needed(plan)
    assert {"wipefs", "mdadm", "lvm", "mkfs.ext4", "mkfs.xfs", "mkswap", "sgdisk"} <= set(needed)
    assert "cryptsetup" not in needed


def test_a_missing_tool_is_one_line_with_its_package(
    plan: Plan, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    problems = check_system(plan)
    assert "missing tool mdadm (md RAID arrays; package mdadm)" in problems


def test_the_storage_phase_ends_with_the_last_blivet_step(plan: Plan) -> None:
    phase = storage_phase(plan)
    rest = plan.steps[len(phase) :]
    assert phase[0].kind == "wipe-disk"
    assert any(isinstance(s, SetIdentity) and s.field == "md-uuid" for s in phase)
    assert rest and all(isinstance(s, SetIdentity | CreateSubvolume | MountStep) for s in rest)
    assert not any(isinstance(s, SetIdentity) and s.field.startswith("md-") for s in rest)


def test_fstab_only_options_are_dropped_for_the_rescue_mount() -> None:
    assert rescue_options("defaults,nofail,x-systemd.device-timeout=5,noatime") == "defaults,noatime"
    assert rescue_options("noauto") == "defaults"
