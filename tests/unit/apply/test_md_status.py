"""blivet's view of whether an md array runs, as apply uses it (the VM round trips prove it on real arrays)."""

from __future__ import annotations

from blivet.devices import MDRaidArrayDevice

import rescue_tui.apply.storage  # noqa: F401  (installs the running-state fix)


def test_an_array_with_a_pending_superblock_write_counts_as_running() -> None:
    # 'write-pending' right after pvcreate made blivet assemble a running array again: "member busy"
    array = object.__new__(MDRaidArrayDevice)  # no members needed: the property reads no state
    states = array._true_status_strings
    assert "write-pending" in states
    assert {"clean", "active", "active-idle", "readonly", "read-auto"} <= set(states)
    assert "inactive" not in states and "clear" not in states
