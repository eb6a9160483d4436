"""``rescue.backupdisk=``: the disk holding the backup (and perhaps the layout), mounted read-only once.

Two readers may want it at boot at the same time: the unattended recovery
and the rescue network (which reads the layout's network from it). A lock
makes the check-then-mount one step, so the second finds it mounted rather
than failing on a mount that is already there.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from rescue_tui.boot.cmdline import BACKUP_MOUNT, BootOptions
from rescue_tui.command import run
from rescue_tui.errors import RescueError

LOCK = Path("/run/rescue-tui/backupdisk.lock")


def mount_if_on_backup_disk(path: Path, options: BootOptions) -> str | None:
    """Mount ``rescue.backupdisk=`` when ``path`` (a layout, a keys file) lies on it and is not there yet.

    The line saying what happened (a failure too: the caller goes on without the file), or None when nothing
    needed mounting.
    """
    if not options.backupdisk or not path.is_relative_to(BACKUP_MOUNT) or path.exists():
        return None
    try:
        return mount_backup_disk(options.backupdisk)
    except RescueError as exc:
        return f"backup disk: {exc.message}"


def mount_backup_disk(source: str, where: Path = BACKUP_MOUNT, lock: Path = LOCK) -> str:
    """Mount ``rescue.backupdisk=`` read-only at ``where`` (once: already mounted is fine); a line saying so."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        where.mkdir(parents=True, exist_ok=True)
        if os.path.ismount(where):
            return f"backup disk: {where} is mounted already"
        run(["mount", "-o", "ro", source, str(where)], timeout=120)
        return f"backup disk: {source} mounted read-only at {where}"
    finally:
        os.close(fd)
