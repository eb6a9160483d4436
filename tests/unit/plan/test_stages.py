"""Partitioned md arrays (ReaR's whole-disk RAID1): planned in two blivet stages, or refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rescue_tui.errors import RefusedError
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.layout.codec import parse_layout, read_layout
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.plan.build import PlanRequest, make_plan
from rescue_tui.plan.codec import PlanFileError, plan_from_json, plan_to_json
from rescue_tui.plan.integrity import device_problems
from rescue_tui.plan.md_geometry import raid1_size
from rescue_tui.plan.model import CreateDisklabel, CreatePartition, Rescan
from rescue_tui.plan.stages import plan_stages
from tests.conftest import DATA

LAYOUT = DATA / "layouts" / "vm" / "md-whole-disk-partitioned.json"
SIZE = 1536 << 20


def _targets(size: int = SIZE) -> Inventory:
    disks = tuple(TargetDisk(name=n, path=f"/dev/{n}", size=size) for n in ("vdb", "vdc"))
    return Inventory(disks=disks, source="test")


def _edited(tmp_path: Path, edit: Any) -> Path:
    document = json.loads(LAYOUT.read_text())
    edit(document["items"])
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    return path


def test_what_stands_on_the_array_is_the_second_stage() -> None:
    first, second = plan_stages(LayoutGraph(read_layout(LAYOUT))).items
    assert {"sda", "sdb", "md127"} <= first
    assert {"md127-gpt", "md127p1", "md127p3", "pv", "vg", "lv-root", "fs-boot"} <= second
    assert not first & second


def test_a_layout_without_partitioned_arrays_is_one_stage() -> None:
    layout = read_layout(DATA / "layouts" / "vm" / "raid1-lvm.json")
    assert plan_stages(LayoutGraph(layout)).items == (frozenset(i.id for i in layout.items),)


def test_the_plan_reads_the_array_back_then_partitions_it_to_the_last_sector_mdadm_leaves() -> None:
    plan = make_plan(PlanRequest(layout_path=LAYOUT, inventory=_targets()))
    [rescan] = [s for s in plan.steps if isinstance(s, Rescan)]
    position = plan.steps.index(rescan)
    assert rescan.arrays == ("/dev/md/md127",)
    assert all(s.kind in ("wipe-disk", "create-md", "set-identity") for s in plan.steps[:position])
    label = plan.steps[position + 1]
    assert isinstance(label, CreateDisklabel) and label.device == "/dev/md/md127"
    last = [s for s in plan.steps if isinstance(s, CreatePartition)][-1]
    assert (last.device, last.start, last.end) == ("/dev/md127p3", 528384, 3143679)
    assert (last.end + 1 + 33) * 512 <= raid1_size([SIZE, SIZE], "1.0")  # and the backup GPT after it
    assert device_problems(plan) == []


def test_disks_too_small_for_the_arrays_partitions_are_refused_when_planning() -> None:
    with pytest.raises(RefusedError, match="too small"):
        make_plan(PlanRequest(layout_path=LAYOUT, inventory=_targets(SIZE - (4 << 20))))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda items: items[2].update(level="raid0"), "md array md127: partitioned raid0 arrays are not planned"),
        (
            lambda items: items.insert(
                2, {"id": "sda-gpt", "type": "partition_table", "device": "sda", "label": "gpt"}
            ) or items.insert(3, {"id": "sda1", "type": "partition", "table": "sda-gpt", "number": 1,
                                  "start": 2048, "size": 3000000}) or items[4].update(members=["sda1", "sdb"]),
            "md array md127: it is partitioned but its members are partitions",
        ),
    ],
    ids=["raid0", "members are partitions"],
)  # fmt: skip
def test_what_blivet_cannot_partition_is_refused_in_one_line(tmp_path: Path, edit: Any, message: str) -> None:
    path = _edited(tmp_path, edit)
    with pytest.raises(RefusedError, match=message) as caught:
        plan_stages(LayoutGraph(parse_layout(path.read_text(), where=str(path))))
    assert "\n" not in caught.value.message


def test_a_plan_whose_label_names_an_array_no_step_makes_is_refused() -> None:
    plan = make_plan(PlanRequest(layout_path=LAYOUT, inventory=_targets()))
    document = json.loads(plan_to_json(plan))
    for step in document["steps"]:
        if step["kind"] == "create-disklabel":
            step["device"] = "/dev/md/md9"
    with pytest.raises(PlanFileError, match=r"create-disklabel names '/dev/md/md9', not one of the plan's disks"):
        plan_from_json(json.dumps(document), where="edited.json")
