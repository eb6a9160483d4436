"""Our linear ordering of blivet actions satisfies every constraint blivet's own sort enforces."""

from __future__ import annotations

from typing import Any

import pytest

from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Disk
from rescue_tui.mapping.model import DiskPair, Mapping
from rescue_tui.mapping.resize import ResizeOptions, resize_for_targets
from rescue_tui.plan.blivet_model import build_blivet_model
from rescue_tui.plan.disk_files import disk_files
from rescue_tui.plan.order import order_actions, order_steps
from tests.unit.plan.conftest import example, targets_like


def scheduled_actions(name: str) -> list[Any]:
    layout = read_layout(example(name))
    inventory = targets_like(layout)
    disks = layout.of_type(Disk)
    mapping = Mapping(
        pairs=tuple(
            DiskPair(source=d.id, source_name=d.name, target=t.name, reason="test")
            for d, t in zip(disks, inventory.disks, strict=True)
        )
    )
    targets = {t.name: t for t in inventory.disks}
    resized = resize_for_targets(layout, mapping, targets, ResizeOptions())
    with disk_files(list(inventory.disks)) as files:
        model = build_blivet_model(LayoutGraph(resized.layout), {p.source: files[p.target] for p in mapping.pairs})
        return list(model.storage.devicetree.actions._actions)


@pytest.mark.parametrize("name", ["bios-mbr-single", "uefi-gpt-lvm", "raid1-lvm", "luks-lvm-thin", "btrfs-subvolumes"])
def test_no_action_comes_before_one_it_requires(name: str) -> None:
    actions = scheduled_actions(name)
    ordered = order_actions(actions)
    assert sorted(a.id for a in ordered) == sorted(a.id for a in actions)
    position = {a.id: i for i, a in enumerate(ordered)}
    for a in ordered:
        for b in ordered:
            if a is not b and b.requires(a):
                assert position[a.id] < position[b.id], f"{b} requires {a}"


def test_the_large_server_order_is_valid_too() -> None:
    actions = scheduled_actions("large-server")
    assert len(actions) > 300
    ordered = order_actions(actions)
    position = {a.id: i for i, a in enumerate(ordered)}
    violations = [
        (a, b) for a in ordered for b in ordered if a is not b and b.requires(a) and position[a.id] > position[b.id]
    ]
    assert violations == []


def test_steps_are_ordered_by_their_dependencies_keeping_the_given_order_otherwise() -> None:
    after = {"c": ["a"], "b": ["c"]}
    assert order_steps(["a", "b", "c", "d"], after) == ["a", "c", "b", "d"]


def test_a_step_cycle_is_an_error_naming_the_steps() -> None:
    with pytest.raises(ValueError, match="steps in a cycle: a, b"):
        order_steps(["a", "b"], {"a": ["b"], "b": ["a"]})
