"""A directory on an SMB/CIFS server (Windows, Samba, a NAS), mounted read-only by us (:mod:`.mounts`).

The kernel's client mounts ``//HOST/SHARE/DIR`` with the user and password from a credentials file
(``mount.cifs`` reads it; they never reach a command line), or as guest without one. The SMB dialect is
what the server and ``mount.cifs`` agree on (SMB 2.1 and up; SMB1 is off in the kernel's default).
"""

from __future__ import annotations

from pathlib import Path

from rescue_tui.errors import RescueError
from rescue_tui.remote import mounts

MOUNT_ROOT = Path("/run/rescue-tui/cifs")
OPTIONS = ("noperm", "uid=0", "gid=0", "echo_interval=10")
"""Files read as root whatever the server says their owner is; a dead server is noticed within about 30 s."""


def source(host: str, directory: str) -> str:
    """What ``mount`` is given: ``//HOST/SHARE/DIR``."""
    return f"//{host}{directory}"


def mount_point(host: str, port: int | None, directory: str, root: Path = MOUNT_ROOT) -> Path:
    """The one directory this server, port and path mount on: under ``root``, named by their hash."""
    return mounts.mount_point(source(host, directory), port, root)


def mount_read_only(
    host: str,
    port: int | None,
    directory: str,
    *,
    credentials: Path | None,
    named: str,
    error: type[RescueError] = RescueError,
    root: Path = MOUNT_ROOT,
) -> Path:
    """Mount ``//host/directory`` read-only (once) with the ``credentials`` file (``username=``, ``password=``,
    ``domain=`` lines), or as guest; ``error`` (one line with mount.cifs's reason) when it cannot, leaving nothing."""
    login = [f"credentials={credentials}"] if credentials is not None else ["guest"]
    return mounts.mount_once(
        what="CIFS",
        fstype="cifs",
        source=source(host, directory),
        options=[*OPTIONS, *login, *([f"port={port}"] if port else [])],
        where=mount_point(host, port, directory, root),
        named=named,
        error=error,
        hint="check the server, the share and the user (cifs_user, cifs_password), and the rescue network",
    )
