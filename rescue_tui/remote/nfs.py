"""A directory on an NFS server, mounted read-only by us at a place no input chooses (:mod:`.mounts`).

``mount.nfs`` negotiates the version (4.2 down to 3) as it does for an operator.
"""

from __future__ import annotations

from pathlib import Path

from rescue_tui.errors import RescueError
from rescue_tui.remote import mounts

MOUNT_ROOT = Path("/run/rescue-tui/nfs")
OPTIONS = ("nolock", "retry=1")
"""No locks (NFSv3 would need rpc.statd for them, and we only read); a server that does not answer is tried for
one minute (the default two is long for an operator at a typo, and one covers a network still coming up at boot)."""


def source(host: str, directory: str) -> str:
    """What ``mount`` is given: ``HOST:/DIR`` (``[ADDR]:/DIR`` for IPv6)."""
    return f"[{host}]:{directory}" if ":" in host else f"{host}:{directory}"


def mount_point(host: str, port: int | None, directory: str, root: Path = MOUNT_ROOT) -> Path:
    """The one directory this server, port and path mount on: under ``root``, named by their hash."""
    return mounts.mount_point(source(host, directory), port, root)


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
    return mounts.mount_once(
        what="NFS",
        fstype="nfs",
        source=source(host, directory),
        options=[*OPTIONS, *([f"port={port}"] if port else [])],
        where=mount_point(host, port, directory, root),
        named=named,
        error=error,
        hint="check the server's address and export, and the rescue network (welcome screen)",
    )
