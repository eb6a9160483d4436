"""The engine knows no screen: importing it must not load Textual or Rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import rescue_tui
from tests.conftest import ROOT

FACES = ("rescue_tui.tui", "rescue_tui.cli", "rescue_tui.__main__", "rescue_tui.drill.progress")
"""What draws for a person: the console, the command line, and the drill command's terminal progress."""


def engine_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(rescue_tui.__path__, "rescue_tui.")]
    return [n for n in names if not n.startswith(FACES)]


def test_there_are_engine_modules_to_check() -> None:
    assert "rescue_tui.layout.validate" in engine_modules()


def packages_loaded(modules: list[str], among: set[str]) -> set[str]:
    """Which of the top-level packages ``among`` a fresh interpreter has loaded after importing ``modules``."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.strip().split(",")) & among


def test_no_engine_module_imports_textual_or_rich() -> None:
    assert packages_loaded(engine_modules(), {"textual", "rich"}) == set()


def test_the_consoles_first_screen_loads_neither_blivet_nor_jsonschema() -> None:
    """Under emulation they take seconds to import (blivet also probes its tools): the
    first frame waits for the console's own imports, so they come when a layout is
    checked and when storage is applied, not before."""
    first_screen = ["rescue_tui.launch", "rescue_tui.tui.app", "rescue_tui.tui.command"]
    assert packages_loaded(first_screen, {"blivet", "jsonschema", "gi", "parted"}) == set()
