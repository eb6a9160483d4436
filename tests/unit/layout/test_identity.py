"""The identity fields a recovery must keep, and the lines that say which one it did not."""

from __future__ import annotations

import dataclasses

from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.identity import identity_differences, identity_fields
from rescue_tui.layout.model import Disk, Filesystem, Layout, Partition

LAYOUT = read_layout("layouts/examples/raid1-lvm.json")


def replaced(layout: Layout, item_id: str, **changes: object) -> Layout:
    items = tuple(dataclasses.replace(i, **changes) if i.id == item_id else i for i in layout.items)  # type: ignore[arg-type]
    return dataclasses.replace(layout, items=items)


def renamed_disks(layout: Layout, names: dict[str, str]) -> Layout:
    """The same storage as a capture on other disks sees it: other ids and kernel names."""
    items = tuple(
        dataclasses.replace(i, name=names[i.id]) if isinstance(i, Disk) and i.id in names else i for i in layout.items
    )
    return dataclasses.replace(layout, items=items)


def test_the_same_storage_on_disks_with_other_names_has_no_difference() -> None:
    disks = [d.id for d in LAYOUT.of_type(Disk)]
    target_of = {d: f"vd{chr(ord('a') + n)}" for n, d in enumerate(disks)}
    captured = renamed_disks(LAYOUT, target_of)
    assert identity_differences(LAYOUT, captured, target_of) == []
    assert identity_differences(LAYOUT, captured) != []  # without the disk names the partitions are elsewhere


def test_a_changed_uuid_is_one_line_naming_the_object_and_both_values() -> None:
    fs = LAYOUT.of_type(Filesystem)[0]
    lines = identity_differences(LAYOUT, replaced(LAYOUT, fs.id, uuid="11111111-2222-4333-8444-555555555555"))
    assert lines == [
        f"fs {fs.uuid}: missing on the targets (want {identity_fields(LAYOUT)[f'fs {fs.uuid}']!r})",
        f"fs 11111111-2222-4333-8444-555555555555: on the targets but not in the layout ({(fs.fstype, fs.label)!r})",
    ]


def test_a_changed_label_or_partuuid_is_a_difference() -> None:
    fs = LAYOUT.of_type(Filesystem)[0]
    assert identity_differences(LAYOUT, replaced(LAYOUT, fs.id, label="other")) == [
        f"fs {fs.uuid}: want {(fs.fstype, fs.label)!r}, got {(fs.fstype, 'other')!r}"
    ]
    part = next(p for p in LAYOUT.of_type(Partition) if p.partuuid)
    (line,) = identity_differences(LAYOUT, replaced(LAYOUT, part.id, partuuid="0" * 8 + "-0000-4000-8000-" + "0" * 12))
    assert line.startswith(f"partition {LAYOUT.by_id()[LAYOUT.by_id()[part.table].device].name}#{part.number}: want")


def test_a_field_the_layout_does_not_record_is_whatever_the_targets_got() -> None:
    part = next(p for p in LAYOUT.of_type(Partition) if p.partuuid)
    unrecorded = replaced(LAYOUT, part.id, partuuid=None)
    assert identity_differences(unrecorded, LAYOUT) == []
