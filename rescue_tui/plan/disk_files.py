"""Stand-ins for the target disks: sparse files of the same size, wrapped as blivet DiskFiles.

blivet then computes partition geometry, md and LVM sizes exactly as it
would on the real disks, while the real disks are never opened. The files
take no space (they stay sparse: nothing is ever written to them) and are
removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import blivet.devices.partition
import blivet.partitioning
from blivet.devices import DiskFile

from rescue_tui.errors import BadInputError
from rescue_tui.inventory.model import TargetDisk, device_name_problem

_PREFIX = "rescue-tui-plan-"
_SHM = "/dev/shm"
"""tmpfs holds sparse files of any size (ext4 stops at 16 TiB), and nothing is written to them."""
_lock = threading.Lock()
_original_path_to_name = blivet.partitioning.device_path_to_name


def _path_to_name(path: str | None) -> str | None:
    """Device-style names ('vdb2') for partitions of our files, whatever folder holds them.

    blivet derives partition names from parted's paths: '/dev/shm/<dir>/vdb2' would
    become 'shm/<dir>/vdb2', and an extended partition's '<dir>/vdb2' (parted drops
    the first 5 characters) is no valid name at all.
    """
    if path and _PREFIX in path:
        return path.rsplit("/", 1)[-1]
    name: str | None = _original_path_to_name(path)
    return name


# Both modules imported the function by name; only paths of our plan files are affected.
blivet.partitioning.device_path_to_name = _path_to_name
blivet.devices.partition.device_path_to_name = _path_to_name


def _stand_in(folder: str, name: str, size: int, what: str) -> str:
    """A new sparse file named like the device, inside ``folder`` and nowhere else (never an existing file)."""
    if problem := device_name_problem(name):
        raise BadInputError(f"{what} {problem}")
    path = os.path.join(folder, name)
    if os.path.dirname(path) != folder:  # pragma: no cover - the name syntax already excludes it
        raise BadInputError(f"{what} {name!r}: not a plain name")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.ftruncate(fd, size)
    finally:
        os.close(fd)
    return path


@contextmanager
def stand_ins(sizes: dict[str, int], what: str = "device") -> Iterator[dict[str, Any]]:
    """DiskFile devices named as given (device-name syntax), backed by sparse files; removed afterwards."""
    with _lock:
        base = _SHM if os.access(_SHM, os.W_OK) else None
        folder = tempfile.mkdtemp(prefix=_PREFIX, dir=base)
    try:
        yield {name: DiskFile(_stand_in(folder, name, size, what)) for name, size in sizes.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def disk_files(targets: list[TargetDisk]) -> contextlib.AbstractContextManager[dict[str, Any]]:
    """DiskFile devices named like the targets, backed by sparse files; removed afterwards."""
    return stand_ins({t.name: t.size for t in targets}, "target disk")
