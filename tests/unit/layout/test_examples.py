"""The example layouts in layouts/examples/: valid, stable, and as described."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from rescue_tui.layout.codec import dump_layout, read_layout
from rescue_tui.layout.model import Disk, LvmLv, MdArray
from rescue_tui.layout.validate import validate_layout
from tests.conftest import ROOT

EXAMPLES = ROOT / "layouts" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
LARGE_SERVER = EXAMPLES / "large-server.json"
GENERATOR = ROOT / "tools" / "make_large_server.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_large_server", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_promised_examples_are_all_there() -> None:
    names = {path.name for path in EXAMPLE_FILES}
    assert names >= {
        "bios-mbr-single.json",
        "uefi-gpt-lvm.json",
        "raid1-lvm.json",
        "luks-lvm-thin.json",
        "btrfs-subvolumes.json",
        "large-server.json",
    }


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_loads_and_validates_without_problems(path: Path) -> None:
    problems = validate_layout(read_layout(path))
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_saves_back_to_the_same_bytes(path: Path) -> None:
    assert dump_layout(read_layout(path)) == path.read_text(encoding="utf-8")


def test_the_large_server_has_many_disks_a_raid6_a_raid10_and_over_a_hundred_lvs() -> None:
    layout = read_layout(LARGE_SERVER)
    levels = {md.level for md in layout.of_type(MdArray)}
    assert len(layout.of_type(Disk)) >= 24
    assert {"raid6", "raid10"} <= levels
    assert len(layout.of_type(LvmLv)) >= 100


def test_the_generator_reproduces_the_committed_large_server_byte_for_byte() -> None:
    generator = load_generator()
    assert dump_layout(generator.build()) == LARGE_SERVER.read_text(encoding="utf-8")


def test_the_generator_makes_a_valid_layout_of_any_size_asked_for() -> None:
    layout = load_generator().build(300)
    assert len(layout.of_type(LvmLv)) == 300
    assert validate_layout(layout) == []


def test_the_vm_round_trip_layouts_are_valid_and_reproducible(tmp_path: Path) -> None:
    import subprocess
    import sys

    vm_dir = ROOT / "tests" / "data" / "layouts" / "vm"
    before = {p.name: p.read_text() for p in sorted(vm_dir.glob("*.json"))}
    assert len(before) == 6
    for name in before:
        assert validate_layout(read_layout(vm_dir / name)) == [], name
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_vm_layouts.py")], check=True, cwd=ROOT)
    assert {p.name: p.read_text() for p in sorted(vm_dir.glob("*.json"))} == before
