"""A plan whose steps name devices outside its checked disks is refused before anything is written."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rescue_tui.apply.executor import ApplyOptions, prepare
from rescue_tui.errors import BadInputError, RefusedError
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.plan.codec import plan_from_json, plan_to_json
from rescue_tui.plan.integrity import device_problems
from rescue_tui.plan.model import Plan, WipeDisk
from tests.unit.plan.conftest import plan_for

Edit = Callable[[dict[str, Any]], None]


def _step(document: dict[str, Any], kind: str, nth: int = 0) -> dict[str, Any]:
    return [s for s in document["steps"] if s["kind"] == kind][nth]


EDITS: dict[str, Edit] = {
    "wipe names the rescue medium": lambda d: _step(d, "wipe-disk").update(device="/dev/sda"),
    "wipe names a partition of a plan disk": lambda d: _step(d, "wipe-disk").update(device="/dev/vdb1"),
    "a disk is never wiped": lambda d: d["steps"].remove(_step(d, "wipe-disk", 1)),
    "disk label on another disk": lambda d: _step(d, "create-disklabel").update(device="/dev/sda"),
    "partition on another disk": lambda d: _step(d, "create-partition").update(disk="/dev/sda", device="/dev/sda1"),
    "partition node of another number": lambda d: _step(d, "create-partition").update(device="/dev/vdb7"),
    "md member from elsewhere": lambda d: _step(d, "create-md").update(members=["/dev/sda2", "/dev/vdc2"]),
    "md array over a disk": lambda d: _step(d, "create-md").update(device="/dev/vdb"),
    "mkfs on a device no step made": lambda d: _step(d, "mkfs").update(device="/dev/sda1"),
    "disk GUID set on another disk": lambda d: next(s for s in d["steps"] if s.get("field") == "disk-guid").update(
        device="/dev/sda"
    ),
}


@pytest.fixture(scope="module")
def raid_plan() -> Plan:
    return plan_for("raid1-lvm")


def test_every_example_plan_is_consistent(raid_plan: Plan) -> None:
    for name in ("raid1-lvm", "uefi-gpt-lvm", "luks-lvm-thin", "btrfs-subvolumes", "bios-mbr-single"):
        assert device_problems(plan_for(name)) == [], name


@pytest.mark.parametrize("case", sorted(EDITS))
def test_an_edited_plan_file_is_refused_naming_the_step(case: str, raid_plan: Plan, tmp_path: Path) -> None:
    document = json.loads(plan_to_json(raid_plan))
    EDITS[case](document)
    with pytest.raises(BadInputError) as caught:
        plan_from_json(json.dumps(document), where="plan.json")
    assert all(line.startswith("plan.json: $.steps") for line in caught.value.problems), caught.value.problems


def test_apply_refuses_a_wipe_of_a_disk_the_plan_does_not_list_before_writing(raid_plan: Plan, tmp_path: Path) -> None:
    # The plan's own disks pass every target check; the wipe names the rescue medium.
    steps = tuple(
        dataclasses.replace(s, device="/dev/sda") if isinstance(s, WipeDisk) and s.device == "/dev/vdb" else s
        for s in raid_plan.steps
    )
    edited = dataclasses.replace(raid_plan, steps=steps)
    disks = [TargetDisk(name=d.name, path=d.path, size=d.size) for d in raid_plan.disks]
    medium = TargetDisk(name="sda", path="/dev/sda", size=8 << 30, removable=True, rescue_medium=True)
    inventory = Inventory(disks=(medium, *disks), source="test")
    options = ApplyOptions(journal_dir=tmp_path)
    with pytest.raises(RefusedError) as caught:
        prepare(edited, options, inventory=inventory)
    assert any("wipe-disk names '/dev/sda'" in line for line in caught.value.problems), caught.value.problems
    assert list(tmp_path.iterdir()) == []  # no journal: nothing was started


def test_apply_refuses_a_plan_whose_layout_file_changed_since_planning(raid_plan: Plan, tmp_path: Path) -> None:
    layout = tmp_path / "layout.json"
    layout.write_bytes(Path(raid_plan.layout_source).read_bytes())
    planned = dataclasses.replace(raid_plan, layout_source=str(layout))
    disks = tuple(TargetDisk(name=d.name, path=d.path, size=d.size) for d in raid_plan.disks)
    inventory = Inventory(disks=disks, source="test")
    journal_dir = tmp_path / "journal"
    try:
        prepare(planned, ApplyOptions(journal_dir=journal_dir), inventory=inventory)
    except RefusedError as exc:  # this host lacks md/dm: those lines are expected, a layout line is not
        assert not any("the layout changed" in line for line in exc.problems), exc.problems
    document = json.loads(layout.read_text())
    document["machine"]["captured_by"] = "someone else"
    layout.write_text(json.dumps(document))
    for journal in journal_dir.glob("*"):
        journal.unlink()
    with pytest.raises(RefusedError) as caught:
        prepare(planned, ApplyOptions(journal_dir=journal_dir), inventory=inventory)
    assert any(f"{layout}: the layout changed since the plan was made" in line for line in caught.value.problems)
