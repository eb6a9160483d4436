"""The automatic mapping, operator overrides and every refusal, with the line an operator reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.errors import BadInputError, RefusedError
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.propose import parse_map_options, propose_mapping, read_mapping_file
from rescue_tui.mapping.resize import disk_needs
from tests.unit.plan.conftest import example

GiB = 1024**3
TB2 = 2000398934016


@pytest.fixture
def raid1() -> Layout:
    return read_layout(example("raid1-lvm"))


def disk(name: str, size: int, **extra: object) -> TargetDisk:
    return TargetDisk(name=name, path=f"/dev/{name}", size=size, **extra)  # type: ignore[arg-type]


def propose(layout: Layout, *disks: TargetDisk, overrides: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return propose_mapping(layout, Inventory(disks=disks, source="test"), disk_needs(layout), overrides)


def test_the_same_serial_wins_over_the_same_size(raid1: Layout) -> None:
    original = raid1.of_type(type(raid1.items[0]))[1]
    mapping = propose(raid1, disk("vdb", TB2), disk("vdc", TB2), disk("vdd", TB2 * 2, serial=original.serial))
    pair = next(p for p in mapping.pairs if p.source == original.id)
    assert (pair.target, pair.reason) == ("vdd", "same serial/WWN")


def test_same_size_disks_come_next_then_the_smallest_that_fits(raid1: Layout) -> None:
    mapping = propose(raid1, disk("vdb", 4 * TB2), disk("vdc", TB2), disk("vdd", 3 * TB2))
    assert [(p.source_name, p.target, p.reason) for p in mapping.pairs] == [
        ("sda", "vdc", "same size"),
        ("sdb", "vdd", "smallest disk that fits"),
    ]


def test_the_rescue_medium_and_busy_disks_are_never_proposed(raid1: Layout) -> None:
    mapping = propose(
        raid1,
        disk("sda", TB2, rescue_medium=True),
        disk("sdb", TB2, mounts=("/srv",)),
        disk("sdc", TB2, holders=("md127",)),
        disk("vdb", TB2),
        disk("vdc", TB2),
    )
    assert [p.target for p in mapping.pairs] == ["vdb", "vdc"]
    assert mapping.refused == (
        "sda: holds the running rescue system",
        "sdb: in use: mounted (/srv)",
        "sdc: in use: active holders (md127)",
    )


def test_a_missing_target_is_one_line_saying_why_each_disk_was_refused(raid1: Layout) -> None:
    with pytest.raises(RefusedError) as info:
        propose(raid1, disk("vdb", TB2), disk("vdc", 100 * GiB), disk("sda", TB2, rescue_medium=True))
    (line,) = info.value.problems
    assert line.startswith("sdb (1.8 TiB): no target disk fits (needs ")
    assert "vdb is the target of sda" in line
    assert "vdc: too small: needs " in line and "has 100.0 GiB" in line
    assert "sda: holds the running rescue system" in line


def test_an_override_is_honoured_and_named_the_operators(raid1: Layout) -> None:
    mapping = propose(raid1, disk("vdb", TB2), disk("vdc", TB2), overrides={"sda": "vdc"})
    assert [(p.target, p.reason) for p in mapping.pairs] == [("vdc", "operator"), ("vdb", "same size")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sdq": "vdb"}, "--map sdq=vdb: sdq is not a disk of the layout (it has sda, sdb)"),
        ({"sda": "vdz"}, "--map sda=vdz: no disk vdz here"),
        ({"sda": "usb"}, "--map sda=usb: usb: holds the running rescue system"),
        ({"sda": "vdb", "sdb": "vdb"}, "--map sdb=vdb: vdb is already the target of sda"),
        ({"sda": "small"}, "--map sda=small: small: too small: needs "),
    ],
)
def test_overrides_that_break_a_safety_rule_are_refused(raid1: Layout, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(RefusedError) as info:
        propose(
            raid1,
            disk("vdb", TB2),
            disk("vdc", TB2),
            disk("usb", TB2, rescue_medium=True),
            disk("small", GiB),
            overrides=overrides,
        )
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems


def test_map_options_parse_and_reject_bad_syntax() -> None:
    assert parse_map_options(["sda=vdb", "/dev/sdb=/dev/vdc"]) == {"sda": "vdb", "/dev/sdb": "/dev/vdc"}
    with pytest.raises(BadInputError, match="--map 'sda': expected ORIGINAL=TARGET, such as sda=vdb"):
        parse_map_options(["sda"])


def test_mapping_files_take_json_or_rear_lines(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"sda": "vdb"}')
    (tmp_path / "disk_mappings").write_text("# ReaR style\n/dev/sda /dev/vdb\n\n/dev/sdb /dev/vdc  # second\n")
    assert read_mapping_file(tmp_path / "m.json") == {"sda": "vdb"}
    assert read_mapping_file(tmp_path / "disk_mappings") == {"/dev/sda": "/dev/vdb", "/dev/sdb": "/dev/vdc"}
    (tmp_path / "bad").write_text("/dev/sda /dev/vdb\n/dev/sdb\n")
    with pytest.raises(BadInputError, match=r"bad:2: expected 'ORIGINAL TARGET'"):
        read_mapping_file(tmp_path / "bad")


def test_a_removable_disk_comes_last_whatever_its_name_or_size(raid1: Layout) -> None:
    # A USB stick that is not the medium (an old rescue stick left in) must not win a tie: 'sda' sorts first.
    mapping = propose(raid1, disk("sda", TB2, removable=True), disk("sdb", TB2), disk("sdc", TB2))
    assert sorted(p.target for p in mapping.pairs) == ["sdb", "sdc"]
    mapping = propose(raid1, disk("sda", TB2 + GiB, removable=True), disk("sdb", TB2 * 2), disk("sdc", TB2 * 2))
    assert sorted(p.target for p in mapping.pairs) == ["sdb", "sdc"]
