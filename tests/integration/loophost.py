"""One machine the host kernel can recover: an ext4 filesystem on a whole loop disk, and a tar backup of it.

The host has loop devices but no partition scanning, md or device-mapper, so
the layout is one filesystem on a whole disk (no partition table). The disk
has an odd size, so the automatic mapping has exactly one candidate: the loop
device made here; callers still check that before anything is written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MiB = 1024 * 1024
DISK_SIZE = 136 * MiB
"""An odd size, so the automatic mapping has exactly one candidate: the loop device made here."""
UUID = "5e1f0c2a-7b3d-4c1e-9a8f-0d2c4b6a8e10"


def whole_disk_layout(path: Path) -> Path:
    layout = {
        "format_version": 1,
        "machine": {"hostname": "loophost"},
        "items": [
            {"id": "disk-vdb", "type": "disk", "name": "vdb", "size": DISK_SIZE, "path": "/dev/vdb"},
            {"id": "fs-root", "type": "filesystem", "device": "disk-vdb", "fstype": "ext4", "uuid": UUID,
             "label": "root"},
            {"id": "mnt-root", "type": "mount", "source": "fs-root", "path": "/", "passno": 1},
        ],
    }  # fmt: skip
    path.write_text(json.dumps(layout))
    return path


def tar_backup(folder: Path) -> Path:
    """A real tar archive of a small root tree (made by GNU tar)."""
    tree = folder / "src"
    (tree / "etc").mkdir(parents=True)
    (tree / "root").mkdir()
    (tree / "root" / "hello.txt").write_text("restored by the console\n")
    (tree / "etc" / "fstab").write_text(f"UUID={UUID} / ext4 defaults 0 1\n")
    archive = folder / "backup.tar"
    subprocess.run(["tar", "-C", str(tree), "-cf", str(archive), "."], check=True)
    return archive
