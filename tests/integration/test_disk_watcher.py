"""The live inventory notices a disk that appears or leaves (what the TUI's mapping screen follows)."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from rescue_tui.inventory.live import DiskWatcher, live_inventory
from rescue_tui.udev import udevd_running
from tests.integration.conftest import Loops

pytestmark = pytest.mark.root


def test_an_attached_and_detached_loop_disk_is_reported_and_inventoried(loops: Loops) -> None:
    if not udevd_running():
        pytest.skip("needs systemd-udevd (make test starts it)")
    events: queue.Queue[tuple[str, str]] = queue.Queue()
    watcher = DiskWatcher(lambda action, name: events.put((action, name)))
    watcher.start()
    try:
        device = loops.disk("hotplug", 16 * 1024 * 1024)
        name = Path(device).name
        seen = set()
        while ("add", name) not in seen and ("change", name) not in seen:
            seen.add(events.get(timeout=30))
        assert name in {d.name for d in live_inventory().disks}
        loops.cleanup()
        while not any(action in ("remove", "change") and n == name for action, n in seen - {("add", name)}):
            seen.add(events.get(timeout=30))
    finally:
        watcher.stop()
