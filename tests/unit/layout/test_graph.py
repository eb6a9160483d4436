"""LayoutGraph.disks_below: the one walk from an item down to its disks (boot loader, capture, ReaR import)."""

from __future__ import annotations

from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import Disk, Item, Layout, Machine, MdArray, Mount
from tests.conftest import ROOT


def _layout(items: list[Item]) -> Layout:
    return Layout(format_version=1, machine=Machine(hostname="h"), items=tuple(items))


def test_from_a_mount_through_lvm_and_md_to_the_members_disks_in_slot_order() -> None:
    layout = read_layout(ROOT / "layouts" / "examples" / "raid1-lvm.json")
    root = next(m for m in layout.of_type(Mount) if m.path == "/")
    assert LayoutGraph(layout).disks_below(root.id) == ["sda", "sdb"]


def test_each_disk_once_spares_included_and_a_disk_is_its_own() -> None:
    disks = [Disk(id=n, name=n, size=1 << 30) for n in ("a", "b", "c")]
    md = MdArray(id="md0", name="md0", level="raid1", members=("b", "a"), spares=("c",))
    graph = LayoutGraph(_layout([*disks, md]))
    assert graph.disks_below("md0", "a") == ["b", "a", "c"]
    assert graph.disks_below("c") == ["c"]
    assert graph.disks_below("nothing") == []


def test_a_chain_of_ten_thousand_arrays_is_walked_without_recursion() -> None:
    items: list[Item] = [Disk(id="d", name="d", size=1 << 30)]
    for n in range(10_000):
        items.append(MdArray(id=f"md{n}", name=f"md{n}", level="linear", members=(items[-1].id,)))
    assert LayoutGraph(_layout(items)).disks_below("md9999") == ["d"]


def test_a_cycle_is_walked_once() -> None:
    a = MdArray(id="x", name="x", level="raid1", members=("y",))
    b = MdArray(id="y", name="y", level="raid1", members=("x",))
    assert LayoutGraph(_layout([a, b])).disks_below("x") == []
