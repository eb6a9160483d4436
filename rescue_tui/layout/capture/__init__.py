"""Capture: read the running system's storage into a ``Layout``.

``probes`` runs the read-only tools (and, to cross-check, blivet's read-only
populate), ``build`` turns what they said into layout items. The split lets unit tests
replay recorded probe output without root or devices.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rescue_tui import __version__
from rescue_tui.errors import RefusedError
from rescue_tui.layout.capture.build import build_layout
from rescue_tui.layout.capture.probes import ProbeSet, collect_probes
from rescue_tui.layout.model import Layout

__all__ = ["ProbeSet", "build_layout", "capture_system", "collect_probes"]


def capture_system(
    *,
    hostname: str | None = None,
    devices: Sequence[str] | None = None,
    fstab: Path = Path("/etc/fstab"),
    crypttab: Path = Path("/etc/crypttab"),
    cross_check: bool = False,
    backup_mounts: Sequence[str] = (),
) -> Layout:
    """The layout of this machine's disks, read without writing anything.

    ``devices`` limits capture to those whole devices (``/dev/sdb``, or loop
    devices in tests); by default every disk except the rescue medium,
    optical drives and RAM disks. ``fstab``/``crypttab`` are the files whose
    mount points and container names the layout records. ``cross_check``
    also populates blivet and notes where it sees a device otherwise than
    blkid (the partition flags come from sfdisk either way: the tests prove
    them equal to what blivet reads through parted); under emulation that
    populate is most of a capture's time. ``backup_mounts``: mount points of
    filesystems a backup is being written to, whose disks are left out.
    """
    if os.geteuid() != 0:
        raise RefusedError(
            "layout capture needs root (it reads partition tables, LUKS headers and LVM metadata)",
            hint="run it with sudo",
        )
    probes = collect_probes(
        devices=devices,
        hostname=hostname,
        fstab_path=fstab,
        crypttab_path=crypttab,
        use_blivet=cross_check,
        backup_mounts=backup_mounts,
    )
    return build_layout(
        probes,
        captured_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        captured_by=f"rescue-tui {__version__}",
    )
