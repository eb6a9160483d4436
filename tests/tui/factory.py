"""The app as the TUI tests and snapshots see it: example layouts, the simulated rescue VM, a fixed machine.

Paths are relative to the repository root (the tests chdir there), so
snapshots do not depend on where the checkout lives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rescue_tui.console import ConsoleInfo
from rescue_tui.recover.recovery import Stages
from rescue_tui.tui.app import RescueApp
from rescue_tui.tui.session import TuiOptions

EXAMPLES = Path("layouts/examples")
DEMO_LAYOUT = EXAMPLES / "raid1-lvm.json"
SHRINK_LAYOUT = EXAMPLES / "uefi-gpt-lvm.json"
"""Maps onto a smaller disk: the plan has size changes."""
REFUSED_LAYOUT = EXAMPLES / "large-server.json"
"""26 disks: the demo VM cannot hold it, every disk refused with reasons."""
BROKEN_LAYOUT = Path("tests/tui/data/broken-layout.json")
"""Not a usable layout: its problems are shown, one per line."""
DEMO_TARGETS = str(EXAMPLES / "targets" / "demo-rescue-vm.json")
FAKE_ROOT = Path("tests/tui/data/root")
SERIAL = ConsoleInfo(name="ttyS0", kind="serial", term="vt100", cols=80, rows=24, size_fixed=True, glyphs="ascii")


def demo_app(
    layout: Path | None = DEMO_LAYOUT,
    *,
    targets: str = DEMO_TARGETS,
    dry_run: bool = True,
    ascii_mode: bool = True,
    stages: Stages | None = None,
    **options: Any,
) -> RescueApp:
    """The demo (``make demo``) with everything machine-specific pinned."""
    settings: dict[str, Any] = {
        "examples_dir": EXAMPLES,
        "embedded_dir": Path("tests/tui/data/no-embedded-layouts"),
        "root": FAKE_ROOT,
        "console": SERIAL,
        "watch_disks": False,
    }
    settings.update(options)
    options_ = TuiOptions(layout=layout, targets=targets, dry_run=dry_run, **settings)
    return RescueApp(options_, ascii_mode=ascii_mode, stages=stages)
