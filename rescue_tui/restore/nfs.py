"""``+nfs`` specs: the directory holding the backup, mounted read-only by us, then read as a local one.

The operator names the server and the path there (``tar+nfs://10.0.0.5/backups/host1.tar.zst``);
nobody mounts anything by hand. :func:`attach` mounts the *parent* directory of that path
(:mod:`rescue_tui.remote.nfs`), because each backend keeps files beside its backup (the tar
checksum list, the restic and borg manifests), and hands back the same spec as a local one under
the mount point.
"""

from __future__ import annotations

import dataclasses
import posixpath
from pathlib import Path

from rescue_tui.remote import nfs
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import BackendSpec


def _server(spec: BackendSpec) -> tuple[str, int | None, str]:
    assert spec.transport == "nfs" and spec.host is not None
    return spec.host, spec.port, posixpath.dirname(spec.path.rstrip("/"))


def source(spec: BackendSpec) -> str:
    """What ``mount`` is given: ``HOST:/DIR``, DIR holding the spec's path."""
    host, _, directory = _server(spec)
    return nfs.source(host, directory)


def mount_point(spec: BackendSpec, root: Path = nfs.MOUNT_ROOT) -> Path:
    """Where the directory holding the spec's path is mounted."""
    return nfs.mount_point(*_server(spec), root)


def local_spec(spec: BackendSpec, where: Path) -> BackendSpec:
    """The spec as a local one under ``where`` (the text stays the operator's, for messages and manifests)."""
    name = posixpath.basename(spec.path.rstrip("/"))
    path = f"{where}/{name}" + ("/" if spec.path.endswith("/") else "")
    return dataclasses.replace(spec, transport="file", path=path, host=None, port=None)


def attach(spec: BackendSpec, root: Path = nfs.MOUNT_ROOT) -> BackendSpec:
    """Mount the directory holding ``spec``'s path read-only (once) and return the spec as a local one.

    BackendError (one line: the server, the path and mount.nfs's reason) when the server cannot be mounted.
    """
    where = nfs.mount_read_only(*_server(spec), named=spec.text, error=BackendError, root=root)
    return local_spec(spec, where)
