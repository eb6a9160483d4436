"""Backend specs: one URL-like string says where the backup is.

=================  =================================================  ==============================================
scheme             syntax                                             example
=================  =================================================  ==============================================
``tar``            ``tar:/ABS/PATH/NAME.tar[.gz|.zst|.xz|.bz2]``      ``tar:/mnt/usb/host1.tar.zst``
``tar+http``       ``tar+http://HOST[:PORT]/PATH``                    ``tar+http://10.0.0.5:8000/host1.tar.gz``
``tar+https``      ``tar+https://HOST[:PORT]/PATH``                   ``tar+https://backup.example/host1.tar.zst``
``tar+nfs``        ``tar+nfs://HOST[:PORT]/PATH/NAME.tar[.zst|..]``   ``tar+nfs://10.0.0.5/backups/host1.tar.zst``
``tar+cifs``       ``tar+cifs://HOST[:PORT]/SHARE/PATH/NAME.tar[..]``  ``tar+cifs://nas/backups/host1.tar.zst``
``rsync``          ``rsync:/ABS/DIR/``                                ``rsync:/mnt/nfs/host1/``
``rsync+ssh``      ``rsync+ssh://[USER@]HOST[:PORT]/ABS/DIR``         ``rsync+ssh://backup@10.0.0.5:2222/srv/host1``
``rsync+nfs``      ``rsync+nfs://HOST[:PORT]/DIR/``                   ``rsync+nfs://10.0.0.5/backups/host1/``
``rsync+cifs``     ``rsync+cifs://HOST[:PORT]/SHARE/DIR/``            ``rsync+cifs://nas/backups/host1/``
``restic``         ``restic:/ABS/REPO[#SNAPSHOT]``                    ``restic:/mnt/usb/restic#latest``
``restic+sftp``    ``restic+sftp://[USER@]HOST[:PORT]/ABS/REPO[#S]``  ``restic+sftp://backup@10.0.0.5/srv/restic#4f2a9c01``
``restic+rest``    ``restic+rest:http[s]://HOST[:PORT]/PATH[#S]``     ``restic+rest:http://10.0.0.5:8000/host1``
``restic+s3``      ``restic+s3:http[s]://HOST[:PORT]/BUCKET[/P][#S]`` ``restic+s3:https://s3.example/bk/host1``
``restic+nfs``     ``restic+nfs://HOST[:PORT]/REPO[#SNAPSHOT]``       ``restic+nfs://10.0.0.5/backups/restic``
``restic+cifs``    ``restic+cifs://HOST[:PORT]/SHARE/REPO[#S]``       ``restic+cifs://nas/backups/restic``
``borg``           ``borg:/ABS/REPO[::ARCHIVE]``                      ``borg:/mnt/usb/borg::host1-2024-05-01``
``borg+ssh``       ``borg+ssh://[USER@]HOST[:PORT]/ABS/REPO[::A]``    ``borg+ssh://backup@10.0.0.5/srv/borg::host1``
``borg+nfs``       ``borg+nfs://HOST[:PORT]/REPO[::ARCHIVE]``         ``borg+nfs://10.0.0.5/backups/borg::host1``
``borg+cifs``      ``borg+cifs://HOST[:PORT]/SHARE/REPO[::A]``        ``borg+cifs://nas/backups/borg::host1``
=================  =================================================  ==============================================

The snapshot defaults to ``latest``, the borg archive to the newest one. A
``tar:`` path may sit on any mounted medium (USB, NFS, CIFS). An ``+nfs``
spec names the server and the path there; rescue-tui mounts the directory
holding it read-only itself (:mod:`rescue_tui.restore.nfs`); a ``+cifs`` spec names the
server, the SMB share and the path in it, mounted the same way with the ``cifs_user`` and
``cifs_password`` fields (:mod:`rescue_tui.restore.cifs`). Credentials
never go in a spec: a ``user:password@`` part is refused (it would show in
process lists and logs); repository passwords come from ``--password-file``
or an environment variable named with ``--password-env``, ssh keys from
``--ssh-key``. A spec that does not parse raises :class:`SpecError` (exit 2)
with one line naming the part that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from rescue_tui.restore.errors import SpecError
from rescue_tui.restore.model import BackendSpec


@dataclass(frozen=True, kw_only=True)
class SpecSyntax:
    scheme: str
    syntax: str
    example: str
    summary: str


SYNTAX: tuple[SpecSyntax, ...] = (
    SpecSyntax(
        scheme="tar",
        syntax="tar:/ABS/PATH/NAME.tar[.gz|.zst|.xz|.bz2]",
        example="tar:/mnt/usb/host1.tar.zst",
        summary="GNU tar archive on a mounted medium (disk, USB, NFS, CIFS)",
    ),
    SpecSyntax(
        scheme="tar+http",
        syntax="tar+http://HOST[:PORT]/PATH",
        example="tar+http://10.0.0.5:8000/host1.tar.gz",
        summary="tar archive streamed over HTTP (curl)",
    ),
    SpecSyntax(
        scheme="tar+https",
        syntax="tar+https://HOST[:PORT]/PATH",
        example="tar+https://backup.example/host1.tar.zst",
        summary="tar archive streamed over HTTPS (curl)",
    ),
    SpecSyntax(
        scheme="tar+nfs",
        syntax="tar+nfs://HOST[:PORT]/PATH/NAME.tar[.gz|.zst|.xz|.bz2]",
        example="tar+nfs://10.0.0.5/backups/host1.tar.zst",
        summary="tar archive on an NFS server (mounted read-only)",
    ),
    SpecSyntax(
        scheme="tar+cifs",
        syntax="tar+cifs://HOST[:PORT]/SHARE/PATH/NAME.tar[.gz|.zst|.xz|.bz2]",
        example="tar+cifs://nas/backups/host1.tar.zst",
        summary="tar archive on an SMB share (mounted read-only; user in cifs_user)",
    ),
    SpecSyntax(
        scheme="rsync",
        syntax="rsync:/ABS/DIR/",
        example="rsync:/mnt/nfs/host1/",
        summary="a copy of the tree in a local or mounted directory",
    ),
    SpecSyntax(
        scheme="rsync+ssh",
        syntax="rsync+ssh://[USER@]HOST[:PORT]/ABS/DIR",
        example="rsync+ssh://backup@10.0.0.5:2222/srv/host1",
        summary="a copy of the tree on an ssh host",
    ),
    SpecSyntax(
        scheme="rsync+nfs",
        syntax="rsync+nfs://HOST[:PORT]/DIR/",
        example="rsync+nfs://10.0.0.5/backups/host1/",
        summary="a copy of the tree on an NFS server",
    ),
    SpecSyntax(
        scheme="rsync+cifs",
        syntax="rsync+cifs://HOST[:PORT]/SHARE/DIR/",
        example="rsync+cifs://nas/backups/host1/",
        summary="a copy of the tree on an SMB share",
    ),
    SpecSyntax(
        scheme="restic",
        syntax="restic:/ABS/REPO[#SNAPSHOT]",
        example="restic:/mnt/usb/restic#latest",
        summary="local restic repository; snapshot id or latest (default)",
    ),
    SpecSyntax(
        scheme="restic+sftp",
        syntax="restic+sftp://[USER@]HOST[:PORT]/ABS/REPO[#SNAPSHOT]",
        example="restic+sftp://backup@10.0.0.5/srv/restic#4f2a9c01",
        summary="restic repository over sftp",
    ),
    SpecSyntax(
        scheme="restic+rest",
        syntax="restic+rest:http[s]://HOST[:PORT]/PATH[#SNAPSHOT]",
        example="restic+rest:http://10.0.0.5:8000/host1",
        summary="restic rest-server",
    ),
    SpecSyntax(
        scheme="restic+s3",
        syntax="restic+s3:http[s]://HOST[:PORT]/BUCKET[/PATH][#SNAPSHOT]",
        example="restic+s3:https://s3.example/backups/host1",
        summary="restic repository in S3-compatible storage",
    ),
    SpecSyntax(
        scheme="restic+nfs",
        syntax="restic+nfs://HOST[:PORT]/REPO[#SNAPSHOT]",
        example="restic+nfs://10.0.0.5/backups/restic",
        summary="restic repository on an NFS server",
    ),
    SpecSyntax(
        scheme="restic+cifs",
        syntax="restic+cifs://HOST[:PORT]/SHARE/REPO[#SNAPSHOT]",
        example="restic+cifs://nas/backups/restic",
        summary="restic repository on an SMB share",
    ),
    SpecSyntax(
        scheme="borg",
        syntax="borg:/ABS/REPO[::ARCHIVE]",
        example="borg:/mnt/usb/borg::host1-2024-05-01",
        summary="local borg repository; archive name or the newest (default)",
    ),
    SpecSyntax(
        scheme="borg+ssh",
        syntax="borg+ssh://[USER@]HOST[:PORT]/ABS/REPO[::ARCHIVE]",
        example="borg+ssh://backup@10.0.0.5/srv/borg::host1",
        summary="borg repository on an ssh host",
    ),
    SpecSyntax(
        scheme="borg+nfs",
        syntax="borg+nfs://HOST[:PORT]/REPO[::ARCHIVE]",
        example="borg+nfs://10.0.0.5/backups/borg::host1",
        summary="borg repository on an NFS server",
    ),
    SpecSyntax(
        scheme="borg+cifs",
        syntax="borg+cifs://HOST[:PORT]/SHARE/REPO[::ARCHIVE]",
        example="borg+cifs://nas/backups/borg::host1",
        summary="borg repository on an SMB share",
    ),
)

SCHEMES: tuple[str, ...] = tuple(s.scheme for s in SYNTAX)

_SCHEME_RE = re.compile(r"^[a-z0-9]+(\+[a-z0-9]+)?$")
_SNAPSHOT_RE = re.compile(r"^(latest|[0-9a-f]{8,64})$")
_ARCHIVE_RE = re.compile(r"^[^/\s:][^/\s]*$")
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$|^[0-9A-Fa-f:.]+$")
"""A host name or address; never starting with '-' (ssh would read it as an option)."""
_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")
"""A login name (POSIX portable characters); never starting with '-' (``-oProxyCommand=...``)."""


_USERINFO_RE = re.compile(r"(//[^/@:]*):[^/@]*@")


def redact(text: str) -> str:
    """The spec with any ``user:password@`` password replaced by ``***`` (for messages)."""
    return _USERINFO_RE.sub(r"\1:***@", text)


def _fail(text: str, what: str) -> SpecError:
    return SpecError(f"backend spec {redact(text)!r}: {what} (see `rescue-tui backends`)")


def parse_spec(text: str) -> BackendSpec:
    """Parse a backend spec; raise SpecError (one line, exit 2) naming what is wrong."""
    if not text or not text.strip():
        raise SpecError("backend spec is empty (see `rescue-tui backends`)")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise _fail(text, "contains control characters")
    if ":" not in text:
        raise _fail(text, "missing a scheme such as tar: or restic:")
    scheme, rest = text.split(":", 1)
    if not _SCHEME_RE.match(scheme) or scheme not in SCHEMES:
        raise _fail(text, f"unknown backend {scheme!r} (known: {', '.join(SCHEMES)})")
    kind, _, transport = scheme.partition("+")
    if not rest:
        raise _fail(text, "nothing after the scheme")

    if transport in ("nfs", "cifs"):
        return _mounted_spec(text, kind, rest, transport)
    if kind == "tar" and transport in ("http", "https"):
        url = _url(text, f"{transport}:{rest}", need_scheme=transport)
        if url.path in ("", "/") or url.path.endswith("/"):
            raise _fail(text, "the URL must name an archive file")
        return BackendSpec(
            text=text,
            kind=kind,
            transport=transport,
            path=url.path,
            host=url.hostname,
            port=url.port,
            url=url.geturl(),
        )
    if kind == "tar":
        path = _local_path(text, rest)
        if path.endswith("/"):
            raise _fail(text, "a tar spec names an archive file, not a directory")
        return BackendSpec(text=text, kind=kind, transport="file", path=path)
    if kind == "rsync" and transport == "ssh":
        user, host, port, path = _ssh_location(text, rest)
        return BackendSpec(text=text, kind=kind, transport="ssh", path=path, host=host, user=user, port=port)
    if kind == "rsync":
        return BackendSpec(text=text, kind=kind, transport="file", path=_local_path(text, rest))
    if kind == "restic":
        location, selector = _split_selector(text, rest, "#")
        if selector is not None and not _SNAPSHOT_RE.match(selector):
            raise _fail(text, f"snapshot {selector!r} is neither 'latest' nor a hex id")
        if transport == "":
            return BackendSpec(
                text=text, kind=kind, transport="file", path=_local_path(text, location), selector=selector
            )
        if transport == "sftp":
            user, host, port, path = _ssh_location(text, location)
            return BackendSpec(
                text=text, kind=kind, transport="sftp", path=path, host=host, user=user, port=port, selector=selector
            )
        url = _url(text, location, need_scheme=None)
        if transport == "s3" and url.path.strip("/") == "":
            raise _fail(text, "the S3 URL must name a bucket")
        return BackendSpec(
            text=text,
            kind=kind,
            transport=transport,
            path=url.path or "/",
            host=url.hostname,
            port=url.port,
            url=url.geturl(),
            selector=selector,
        )
    if kind == "borg":
        location, selector = _split_selector(text, rest, "::")
        if selector is not None and not _ARCHIVE_RE.match(selector):
            raise _fail(text, f"archive name {selector!r} is not valid")
        if transport == "ssh":
            user, host, port, path = _ssh_location(text, location)
            return BackendSpec(
                text=text, kind=kind, transport="ssh", path=path, host=host, user=user, port=port, selector=selector
            )
        return BackendSpec(text=text, kind=kind, transport="file", path=_local_path(text, location), selector=selector)
    raise _fail(text, f"unknown backend {scheme!r}")  # pragma: no cover - SCHEMES and the branches agree


def _mounted_spec(text: str, kind: str, rest: str, transport: str) -> BackendSpec:
    """``KIND+nfs://HOST[:PORT]/PATH[selector]``, ``KIND+cifs://HOST[:PORT]/SHARE/PATH[selector]``: the path on the
    server, checked so that the mount is predictable."""
    location, selector = rest, None
    if kind == "restic":
        location, selector = _split_selector(text, rest, "#")
        if selector is not None and not _SNAPSHOT_RE.match(selector):
            raise _fail(text, f"snapshot {selector!r} is neither 'latest' nor a hex id")
    elif kind == "borg":
        location, selector = _split_selector(text, rest, "::")
        if selector is not None and not _ARCHIVE_RE.match(selector):
            raise _fail(text, f"archive name {selector!r} is not valid")
    if not location.startswith("//"):
        raise _fail(text, "expected //HOST[:PORT]/PATH after the scheme")
    url = _split(text, f"{transport}:" + location)
    user, host, port = _authority(text, url)
    name = transport.upper()
    if user is not None:
        why = "the server maps users itself" if transport == "nfs" else "the user goes in cifs_user"
        raise _fail(text, f"an {name} location has no user ({why})")
    if url.query or url.fragment:
        raise _fail(text, f"unexpected '?' or '#' in an {name} location")
    path = url.path
    parts = path[1:].rstrip("/").split("/")  # a leading or inner "//" is an empty part
    if not path.startswith("/") or parts == [""]:
        raise _fail(text, "missing the path on the server after the host")
    if any(part in ("", ".", "..") for part in parts):
        raise _fail(text, "the path on the server has an empty, '.' or '..' part")
    if transport == "cifs" and len(parts) < 2:
        raise _fail(text, "name the share, then the backup in it (//HOST/SHARE/NAME)")
    if kind == "tar" and path.endswith("/"):
        raise _fail(text, "a tar spec names an archive file, not a directory")
    return BackendSpec(text=text, kind=kind, transport=transport, path=path, host=host, port=port, selector=selector)


def _split_selector(text: str, rest: str, sep: str) -> tuple[str, str | None]:
    if sep not in rest:
        return rest, None
    location, selector = rest.rsplit(sep, 1)
    if not selector:
        raise _fail(text, f"empty {'snapshot' if sep == '#' else 'archive'} after {sep!r}")
    return location, selector


def _local_path(text: str, rest: str) -> str:
    if rest.startswith("//"):
        raise _fail(text, "a local path is written with one slash (tar:/path, not tar://path)")
    if not rest.startswith("/"):
        raise _fail(text, f"path {rest!r} must be absolute")
    if "\0" in rest:
        raise _fail(text, "path contains NUL")
    return rest


def _split(text: str, value: str) -> SplitResult:
    """``urlsplit``, whose ValueError on a bracket without its pair becomes the spec's one line."""
    try:
        return urlsplit(value)
    except ValueError:
        raise _fail(text, "the host is not valid (an IPv6 address goes in [brackets])") from None


def _authority(text: str, url: SplitResult) -> tuple[str | None, str, int | None]:
    if url.password is not None:
        raise _fail(text, "a password in the spec would show in process lists; use --password-file or an env var")
    host = url.hostname
    netloc_host = url.netloc.rsplit("@", 1)[-1]
    if not host or not _HOST_RE.match(host):
        raise _fail(text, f"host {netloc_host!r} is not valid")
    try:
        port = url.port
    except ValueError:
        raise _fail(text, f"port in {netloc_host!r} is not a number from 1 to 65535") from None
    if port == 0:
        raise _fail(text, "port 0 is not valid")
    if url.username is not None and not _USER_RE.match(url.username):
        raise _fail(text, f"user {url.username!r} is not valid (letters, digits, '_', '.', '-'; not first '-')")
    return url.username, host, port


def _ssh_location(text: str, rest: str) -> tuple[str | None, str, int | None, str]:
    if not rest.startswith("//"):
        raise _fail(text, "expected //[USER@]HOST[:PORT]/ABS/PATH after the scheme")
    url = _split(text, "ssh:" + rest)
    user, host, port = _authority(text, url)
    if url.query or url.fragment:
        raise _fail(text, "unexpected '?' or '#' in an ssh location")
    if not url.path or url.path == "/":
        raise _fail(text, "missing the path after the host")
    return user, host, port, url.path


def _url(text: str, value: str, *, need_scheme: str | None) -> SplitResult:
    url = _split(text, value)
    if url.scheme not in ("http", "https") or (need_scheme is not None and url.scheme != need_scheme):
        raise _fail(text, "expected an http:// or https:// URL")
    if not url.netloc:
        raise _fail(text, "the URL has no host")
    if url.username is not None:
        raise _fail(
            text,
            "credentials in the URL would show in process lists; use the backend's user/password "
            "fields (env vars) instead",
        )
    _authority(text, url)
    if url.fragment:
        raise _fail(text, f"unexpected fragment {url.fragment!r}")
    return url
