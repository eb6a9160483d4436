"""``+cifs`` specs: the directory holding the backup on an SMB share, mounted read-only by us, then read as local.

``tar+cifs://nas/backups/host1.tar.zst`` names the server, the share (``backups``) and the path in it;
:func:`attach` mounts the *parent* directory of that path (:mod:`rescue_tui.remote.cifs`), as the NFS
transport does (the files beside the backup are needed too), with the user and password of the
``cifs_user`` and ``cifs_password`` fields (a credentials file mount.cifs reads, removed once mounted),
or as guest when neither is given.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from rescue_tui.remote import cifs
from rescue_tui.restore.access import SecretDir
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import BackendSpec, Credentials, Field
from rescue_tui.restore.nfs import local_spec

CIFS_FIELDS = (
    Field(name="cifs_user", label="SMB user", env="RESCUE_TUI_CIFS_USER"),
    Field(name="cifs_password", label="SMB password", secret=True, env="RESCUE_TUI_CIFS_PASSWORD"),
    Field(name="cifs_domain", label="SMB domain (workgroup)", env="RESCUE_TUI_CIFS_DOMAIN"),
)


def _server(spec: BackendSpec) -> tuple[str, int | None, str]:
    assert spec.transport == "cifs" and spec.host is not None
    return spec.host, spec.port, posixpath.dirname(spec.path.rstrip("/"))


def mount_point(spec: BackendSpec, root: Path = cifs.MOUNT_ROOT) -> Path:
    """Where the directory holding the spec's path is mounted."""
    return cifs.mount_point(*_server(spec), root)


def credentials_text(credentials: Credentials) -> str | None:
    """mount.cifs's credentials file for the fields given; None (a guest mount) when no user is given.
    A value with a line break would add a line of its own: refused."""
    user = credentials.options.get("cifs_user")
    password = credentials.secrets.get("cifs_password")
    domain = credentials.options.get("cifs_domain")
    if not user:
        if password is not None:
            raise BackendError("CIFS: a password without a user (cifs_user)")
        return None
    lines = {"username": user, "password": password.reveal() if password else "", "domain": domain or ""}
    if any("\n" in value or "\r" in value for value in lines.values()):
        raise BackendError("CIFS: the user, password or domain has a line break")
    return "".join(f"{key}={value}\n" for key, value in lines.items() if value or key != "domain")


def attach(spec: BackendSpec, credentials: Credentials, root: Path = cifs.MOUNT_ROOT) -> BackendSpec:
    """Mount the directory holding ``spec``'s path read-only (once) and return the spec as a local one.

    BackendError (one line: the server, the share and mount.cifs's reason) when it cannot be mounted.
    """
    text = credentials_text(credentials)
    with SecretDir() as secrets:
        login = secrets.write("cifs-credentials", text) if text is not None else None
        where = cifs.mount_read_only(*_server(spec), credentials=login, named=spec.text, error=BackendError, root=root)
    return local_spec(spec, where)
