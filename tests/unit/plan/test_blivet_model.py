"""The blivet model: what the cached sort keys change (nothing) and what blivet still refuses."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import pytest

from rescue_tui.errors import RefusedError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Disk, Layout, LvmLv
from rescue_tui.plan import blivet_model
from rescue_tui.plan.blivet_model import build_blivet_model
from rescue_tui.plan.disk_files import disk_files
from tests.unit.plan.conftest import example, targets_like


def actions_of(layout: Layout) -> list[str]:
    inventory = targets_like(layout)
    with disk_files(list(inventory.disks)) as files:
        disks = {d.id: files[t.name] for d, t in zip(layout.of_type(Disk), inventory.disks, strict=True)}
        model = build_blivet_model(LayoutGraph(layout), disks)
        return [
            f"{a.type_desc_str} {a.object_type_string} {a.device.name} {a.format.type}"
            for a in model.storage.devicetree.actions._actions
        ]


def test_the_cached_sort_keys_give_the_same_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    layout = read_layout(example("large-server"))
    fast = actions_of(layout)

    def plain(storage: Any) -> Any:
        return contextlib.nullcontext()

    monkeypatch.setattr(blivet_model, "_bulk_lvs", plain)
    assert actions_of(layout) == fast
    assert len(fast) > 300


def test_lvs_that_overfill_their_vg_are_still_refused() -> None:
    layout = read_layout(example("uefi-gpt-lvm"))
    home = next(lv for lv in layout.of_type(LvmLv) if lv.name == "home")
    bigger = dataclasses.replace(layout, items=tuple(
        dataclasses.replace(i, size=i.size + 300 * 1024**3) if i.id == home.id else i for i in layout.items
    ))  # fmt: skip
    with pytest.raises(RefusedError, match=r"^VG nova-vg: its LVs need .* more than the VG holds on the targets$"):
        actions_of(bigger)


def test_plans_made_at_once_in_threads_equal_plans_made_one_by_one() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.unit.plan.conftest import plan_for

    names = ["raid1-lvm", "uefi-gpt-lvm", "luks-lvm-thin", "raid1-lvm"]
    alone = {name: [s.summary() for s in plan_for(name).steps] for name in set(names)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda n: [s.summary() for s in plan_for(n).steps], names))
    assert together == [alone[n] for n in names]
