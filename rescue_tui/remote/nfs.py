"""A directory on an NFS server, mounted read-only by us at a place no input chooses.

Where it mounts: one directory per server, port and path under :data:`MOUNT_ROOT`, named by a
hash, so nothing typed can mount over anything else. The mount is read-only,
``nosuid,nodev,noexec``, and stays for the rest of the session: a second reader (the restore after
its preflight, a console that took a recovery over) finds it mounted rather than mounting twice.
``mount.nfs`` negotiates the version (4.2 down to 3) as it does for an operator.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.errors import RescueError
from rescue_tui.inventory.live import mount_table

MOUNT_ROOT = Path("/run/rescue-tui/nfs")
OPTIONS = "ro,nosuid,nodev,noexec,nolock,retry=1"
"""Read-only; no locks (NFSv3 would need rpc.statd for them, and we only read); a server that does not answer
is tried for one minute (the default two is long for an operator at a typo, and one covers a network still
coming up at boot)."""
MOUNT_TIMEOUT = 150.0
"""Above mount.nfs's own minute of retries and its last attempt's time-outs."""


def source(host: str, directory: str) -> str:
    """What ``mount`` is given: ``HOST:/DIR`` (``[ADDR]:/DIR`` for IPv6)."""
    return f"[{host}]:{directory}" if ":" in host else f"{host}:{directory}"


def mount_point(host: str, port: int | None, directory: str, root: Path = MOUNT_ROOT) -> Path:
    """The one directory this server, port and path mount on: under ``root``, named by their hash."""
    key = f"{source(host, directory)} {port or ''}".encode()
    return root / hashlib.sha256(key).hexdigest()[:16]


def mount_read_only(
    host: str,
    port: int | None,
    directory: str,
    *,
    named: str,
    error: type[RescueError] = RescueError,
    root: Path = MOUNT_ROOT,
) -> Path:
    """Mount ``host:directory`` read-only (once) and return where; ``error`` (one line: the server, the path,
    ``named`` (what the operator typed) and mount.nfs's reason) when it cannot be mounted, leaving nothing."""
    where = mount_point(host, port, directory, root)
    wanted = source(host, directory)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise error(f"NFS: cannot prepare {root} to mount {wanted} from {named}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the preflight and the console's worker may both ask
        mounted = mounted_source(where)
        if mounted is None:
            try:
                where.mkdir(mode=0o700, exist_ok=True)
            except OSError as exc:
                raise error(f"NFS: cannot make the mount point {where} for {named}: {exc.strerror}") from None
            options = OPTIONS + (f",port={port}" if port else "")
            try:
                run(["mount", "-t", "nfs", "-o", options, wanted, str(where)], error=error, timeout=MOUNT_TIMEOUT)
            except RescueError as exc:
                with contextlib.suppress(OSError):
                    where.rmdir()  # nothing is left behind by a mount that failed
                raise error(
                    f"NFS: cannot mount {wanted} from {named}: {exc.message.rsplit(': ', 1)[-1]}",
                    hint="check the server's address and export, and the rescue network (welcome screen)",
                ) from exc
        elif mounted != wanted:  # pragma: no cover - a hash collision, or someone mounted there by hand
            raise error(f"NFS: {where} holds {mounted}, not {wanted}")
    finally:
        os.close(fd)
    return where


def mounted_source(where: Path) -> str | None:
    """The source of the mount at ``where``, or None when nothing is mounted there."""
    try:
        table = mount_table(Path("/proc/self/mountinfo").read_text(encoding="utf-8"))
    except OSError:
        return None
    found = [source for _, point, source in table if point == str(where)]
    return found[-1] if found else None
