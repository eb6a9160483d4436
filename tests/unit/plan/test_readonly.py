"""Planning is read-only by construction: nothing on its path can execute a blivet action or touch a device."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import blivet
import blivet.actionlist
import blivet.deviceaction
import blivet.devices.storage
import blivet.formats
import pytest

import rescue_tui
from tests.conftest import ROOT
from tests.unit.plan.conftest import plan_for

PLANNING = ("rescue_tui.plan", "rescue_tui.mapping", "rescue_tui.inventory", "rescue_tui.layout")
WRITERS = ("do_it", "process", "execute", "create", "destroy", "setup_disk", "commit", "commit_to_disk")


def test_planning_modules_call_nothing_that_writes() -> None:
    for path in (ROOT / "rescue_tui").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if not module.startswith(PLANNING):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in WRITERS, f"{module}:{node.lineno} calls .{node.func.attr}()"


def test_planning_never_imports_the_apply_stage() -> None:
    names = [m.name for m in pkgutil.walk_packages(rescue_tui.__path__, "rescue_tui.") if m.name.startswith(PLANNING)]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('rescue_tui.apply', 'rescue_tui.restore'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_whole_plan_runs_with_every_blivet_writer_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("planning tried to write")

    monkeypatch.setattr(blivet.Blivet, "do_it", refuse)
    monkeypatch.setattr(blivet.actionlist.ActionList, "process", refuse)
    for cls in (blivet.deviceaction.ActionCreateDevice, blivet.deviceaction.ActionCreateFormat,
                blivet.deviceaction.ActionDestroyFormat, blivet.deviceaction.ActionDestroyDevice):  # fmt: skip
        monkeypatch.setattr(cls, "execute", refuse)
    monkeypatch.setattr(blivet.devices.storage.StorageDevice, "create", refuse)
    monkeypatch.setattr(blivet.formats.DeviceFormat, "create", refuse)
    plan = plan_for("luks-lvm-thin")
    assert len(plan.steps) > 20


def test_the_stand_in_files_are_removed_after_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    from rescue_tui.plan import disk_files

    made: list[str] = []
    real = disk_files.tempfile.mkdtemp

    def spy(*args: object, **kwargs: object) -> str:
        made.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(disk_files.tempfile, "mkdtemp", spy)
    plan_for("raid1-lvm")
    assert made and not any(Path(folder).exists() for folder in made)
