"""Every reader of a file the operator gives us, fed broken and hostile bytes: a BadInputError line, never a crash.

The readers: layout (structure and meaning), plan, targets inventory, mapping file, apply journal,
the tar backend's checksum list, ReaR's disklayout.conf, the kernel command line and the boot
face's layout peek. Each starts from a valid file and is given mutations of it (truncated,
bytes flipped, random bytes, JSON values of the wrong type at every path, pathological nesting
and numbers). The property: the reader returns, or raises an error of the project's one
hierarchy meant for bad input (exit 2), naming the file; any other exception is a bug.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescue_tui.apply.journal import Journal
from rescue_tui.boot.cmdline import BootOptions, parse_cmdline
from rescue_tui.boot.entry import find_layouts
from rescue_tui.errors import ExitCode, RescueError
from rescue_tui.inventory.simulated import read_inventory
from rescue_tui.layout.rear_import import read_rear
from rescue_tui.layout.validate import load_valid_layout
from rescue_tui.mapping.propose import read_mapping_file
from rescue_tui.plan.codec import plan_to_json, read_plan
from rescue_tui.restore.manifest import read_digests
from tests.conftest import DATA, ROOT
from tests.unit.layout.test_validate_fuzz import json_paths
from tests.unit.plan.conftest import plan_for

FUZZ = settings(
    max_examples=int(os.environ.get("RESCUE_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _journal(path: Path) -> object:
    return Journal.open(path, "digest", resume=True)


def _digests(path: Path) -> object:
    return list(read_digests(path.read_text(encoding="utf-8", errors="replace").splitlines(), where=str(path)))


def _peek(path: Path) -> object:
    found = find_layouts(path.parent / "none", BootOptions(layout=str(path)))
    assert len(found) == 1  # the boot face never raises: a problem is shown on the screen
    return found


JOURNAL = "\n".join(json.dumps(e) for e in [
    {"event": "opened", "plan": "digest", "disks": [{"path": "/dev/vdb", "serial": "d1", "by_path": None, "size": 1}]},
    {"event": "started", "step": "s001"}, {"event": "done", "step": "s001", "seconds": 0.5},
]) + "\n"  # fmt: skip
DIGESTS = "\n".join(json.dumps({"path": f"etc/f{i}", "size": i, "sha256": "ab" * 32}) for i in range(3)) + "\n"

READERS: dict[str, tuple[Callable[[Path], object], Callable[[], str]]] = {
    "layout": (load_valid_layout, lambda: (ROOT / "layouts/examples/raid1-lvm.json").read_text()),
    "plan": (read_plan, lambda: plan_to_json(plan_for("uefi-gpt-lvm"))),
    "inventory": (read_inventory, lambda: (ROOT / "layouts/examples/targets/demo-rescue-vm.json").read_text()),
    "mapping": (read_mapping_file, lambda: json.dumps({"sda": "vdb", "sdb": "vdc"})),
    "journal": (_journal, lambda: JOURNAL),
    "digests": (_digests, lambda: DIGESTS),
    "rear": (read_rear, lambda: (DATA / "rear/03-modern-gpt-raid-luks-lvm.conf").read_text()),
    "boot peek": (_peek, lambda: (ROOT / "layouts/examples/raid1-lvm.json").read_text()),
}
_VALID: dict[str, str] = {}


def valid(name: str) -> str:
    if name not in _VALID:
        _VALID[name] = READERS[name][1]()
    return _VALID[name]


def read_as(name: str, data: bytes, folder: Path) -> None:
    """Run the reader on ``data``; it may return, or raise bad input naming the file; nothing else."""
    path = folder / f"{name.replace(' ', '-')}.input"
    path.write_bytes(data)
    before = sorted(os.listdir(folder))
    try:
        READERS[name][0](path)
    except RescueError as exc:
        assert exc.exit_code is ExitCode.BAD_INPUT, f"{name}: {exc.message}"
        assert str(path) in exc.message or "journal" in name, f"{name}: the message names no file: {exc.message}"
        assert "\n" not in exc.message, exc.message
    assert sorted(os.listdir(folder)) == before, f"{name}: the reader wrote beside its input"


WRONG = st.sampled_from([None, True, -1, 0, 2**70, 1.5, "", "x" * 300, "../../etc/passwd", "\x1b[2J", [], {}, [[]]])
HOSTILE = [
    b"",
    b"\x00\x01\x02binary",
    b"\xff\xfe{\x00}",
    b"[" * 100_000,
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"a": NaN}',
    b'{"a": 1e999}',
    '{"caf\u00e9": "\u202e"}'.encode(),
    b'{"a": "\xc3\x28"}',
]


@pytest.mark.parametrize("name", sorted(READERS))
@pytest.mark.parametrize("data", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_bytes(name: str, data: bytes, tmp_path: Path) -> None:
    read_as(name, data, tmp_path)


@pytest.mark.parametrize("name", sorted(READERS))
@FUZZ
@given(data=st.data())
def test_mutated_files(name: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    text = valid(name).encode()
    how = data.draw(st.sampled_from(["truncate", "flip", "random", "json"]))
    if how == "truncate":
        mutated = text[: data.draw(st.integers(0, len(text)))]
    elif how == "flip":
        buffer = bytearray(text)
        for _ in range(data.draw(st.integers(1, 8))):
            buffer[data.draw(st.integers(0, len(buffer) - 1))] = data.draw(st.integers(0, 255))
        mutated = bytes(buffer)
    elif how == "random":
        mutated = data.draw(st.binary(max_size=2000))
    else:
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if document is None:  # not a JSON format (ReaR): insert random text at a line
            lines = text.split(b"\n")
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.binary(max_size=80)))
            mutated = b"\n".join(lines)
        else:
            document = copy.deepcopy(document)
            paths = [p for p in json_paths(document) if p]
            for _ in range(data.draw(st.integers(1, 3))):
                path = data.draw(st.sampled_from(paths))
                parent: Any = document
                try:
                    for part in path[:-1]:
                        parent = parent[part]
                    # a copy: sampled_from hands out the same [] and {} each time, and a later mutation
                    # of this example (or of the next) must not write into them, or into itself
                    parent[path[-1]] = copy.deepcopy(data.draw(WRONG))
                except (KeyError, IndexError, TypeError):
                    continue
            mutated = json.dumps(document).encode()
    read_as(name, mutated, folder)


def test_the_kernel_command_line_never_raises(tmp_path: Path) -> None:
    for data in [*HOSTILE, b"rescue.layout=" + b"x" * 200_000, b"rescue.medium=../../x rescue.unattended=maybe"]:
        options = parse_cmdline(data.decode("utf-8", errors="replace"))
        assert options.unattended is False


def test_a_file_over_the_cap_is_refused_in_one_line_without_reading_it_all(tmp_path: Path) -> None:
    from rescue_tui.errors import BadInputError
    from rescue_tui.inputs import read_text

    big = tmp_path / "big.json"
    big.write_bytes(b" " * 4096)
    with pytest.raises(BadInputError, match=r"big.json: larger than 1.0 KiB: not a layout"):
        read_text(big, what="layout", max_bytes=1024)
    assert read_text(big, what="layout", max_bytes=4096) == " " * 4096
