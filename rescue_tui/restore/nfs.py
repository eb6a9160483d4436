"""``+nfs`` specs: the directory holding the backup, mounted read-only by us, then read as a local one.

The operator names the server and the path there (``tar+nfs://10.0.0.5/backups/host1.tar.zst``);
nobody mounts anything by hand. :func:`attach` mounts the *parent* directory of that path,
because each backend keeps files beside its backup (the tar checksum list, the restic and borg
manifests), and hands back the same spec as a local one under the mount point.

Where it mounts is not the operator's to choose: one directory per server and path under
:data:`MOUNT_ROOT`, named by a hash, so no spec can mount over anything else. The mount is
read-only, ``nosuid,nodev,noexec``, and stays for the rest of the session: the preflight and
the restore of one recovery read the same mount (found again, not mounted twice).
``mount.nfs`` negotiates the version (4.2 down to 3) as it does for an operator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import posixpath
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.inventory.live import mount_table
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import BackendSpec

MOUNT_ROOT = Path("/run/rescue-tui/nfs")
OPTIONS = "ro,nosuid,nodev,noexec,nolock,retry=1"
"""Read-only; no locks (NFSv3 would need rpc.statd for them, and a restore only reads); a server that does not
answer is tried for one minute (the default two is long for an operator at a typo, and one covers a network
still coming up at boot)."""
MOUNT_TIMEOUT = 150.0
"""Above mount.nfs's own minute of retries and its last attempt's time-outs."""


def source(spec: BackendSpec) -> str:
    """What ``mount`` is given: ``HOST:/DIR`` (``[ADDR]:/DIR`` for IPv6), DIR holding the spec's path."""
    assert spec.transport == "nfs" and spec.host is not None
    host = f"[{spec.host}]" if ":" in spec.host else spec.host
    return f"{host}:{posixpath.dirname(spec.path.rstrip('/'))}"


def mount_point(spec: BackendSpec, root: Path = MOUNT_ROOT) -> Path:
    """The one directory this server, port and path mount on: under ``root``, named by their hash."""
    key = f"{source(spec)} {spec.port or ''}".encode()
    return root / hashlib.sha256(key).hexdigest()[:16]


def local_spec(spec: BackendSpec, where: Path) -> BackendSpec:
    """The spec as a local one under ``where`` (the text stays the operator's, for messages and manifests)."""
    name = posixpath.basename(spec.path.rstrip("/"))
    path = f"{where}/{name}" + ("/" if spec.path.endswith("/") else "")
    return dataclasses.replace(spec, transport="file", path=path, host=None, port=None)


def attach(spec: BackendSpec, root: Path = MOUNT_ROOT) -> BackendSpec:
    """Mount the directory holding ``spec``'s path read-only (once) and return the spec as a local one.

    BackendError (one line: the server, the path and mount.nfs's reason) when the server cannot be mounted.
    """
    where = mount_point(spec, root)
    wanted = source(spec)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # the preflight and the TUI's worker may both attach
        mounted = mounted_source(where)
        if mounted is None:
            where.mkdir(mode=0o700, exist_ok=True)
            options = OPTIONS + (f",port={spec.port}" if spec.port else "")
            try:
                run(
                    ["mount", "-t", "nfs", "-o", options, wanted, str(where)], error=BackendError, timeout=MOUNT_TIMEOUT
                )
            except BackendError as exc:
                with contextlib.suppress(OSError):
                    where.rmdir()  # nothing is left behind by a mount that failed
                raise BackendError(
                    f"NFS: cannot mount {wanted} from {spec.text}: {exc.message.rsplit(': ', 1)[-1]}",
                    hint="check the server's address and export, and the rescue network (welcome screen)",
                ) from exc
        elif mounted != wanted:  # pragma: no cover - a hash collision, or someone mounted there by hand
            raise BackendError(f"NFS: {where} holds {mounted}, not {wanted}")
    finally:
        os.close(fd)
    return local_spec(spec, where)


def mounted_source(where: Path) -> str | None:
    """The source of the mount at ``where``, or None when nothing is mounted there."""
    try:
        table = mount_table(Path("/proc/self/mountinfo").read_text(encoding="utf-8"))
    except OSError:
        return None
    found = [source for _, point, source in table if point == str(where)]
    return found[-1] if found else None
