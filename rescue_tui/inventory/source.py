"""Where the disks present now come from: ``live`` (udev) or a simulated inventory file (demo, tests, rehearsals)."""

from __future__ import annotations

from rescue_tui.inventory.model import Inventory


def read_targets(spec: str) -> Inventory:
    """The disks present now: udev for ``live``, else the simulated inventory in the file ``spec``."""
    if spec == "live":
        from rescue_tui.inventory.live import live_inventory

        return live_inventory()
    from rescue_tui.inventory.simulated import read_inventory

    return read_inventory(spec)
