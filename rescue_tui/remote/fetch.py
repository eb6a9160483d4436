"""A file named by URL, copied to a local file: a layout on a web server, an NFS server or in a bucket.

``http://`` and ``https://`` go through curl: the certificate verified against the system's CAs,
or the operator's ``ca_file``; redirects only to http(s); at most :data:`MAX_BYTES`.
``nfs://HOST[:PORT]/PATH`` mounts the directory holding PATH read-only (:mod:`rescue_tui.remote.nfs`)
and copies the file. ``s3://BUCKET/KEY`` is a GET signed with the ``AWS_*`` keys of the environment
the caller gives (:mod:`rescue_tui.remote.s3`): a layout in a private bucket. The copy is written
whole or not at all, in the directory the caller gives, under a name made of the URL's hash and its
last part: no URL chooses where it is written. Credentials never go in a URL (they would show in
process lists and logs): refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import secrets
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from rescue_tui.command import run
from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.files import write_atomic

SCHEMES = ("http", "https", "nfs", "s3")
MAX_BYTES = 16 << 20
"""A layout of a large server is a few hundred KiB; anything this big is not one."""
TIMEOUT = 180.0
STALL_BYTES = 1024
STALL_SECONDS = 120
"""A transfer slower than STALL_BYTES a second for STALL_SECONDS is given up (curl: (28)): a dead link would
otherwise hold a restore until TCP itself gives up, many minutes later."""
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*|[0-9A-Fa-f:.]+")
_NAME = re.compile(r"[^A-Za-z0-9._-]")
_CURL_PREFIX = re.compile(r"^curl: \(\d+\) ")


class FetchError(RescueError):
    """A file named by URL could not be fetched (server unreachable, missing file, certificate refused)."""


@dataclass(frozen=True)
class RemoteFile:
    """A parsed URL of a file to fetch."""

    url: str
    scheme: str
    host: str
    port: int | None
    path: str

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


def is_url(text: str) -> bool:
    """Whether ``text`` names a file to fetch rather than a local path."""
    return text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def parse_url(text: str) -> RemoteFile:
    """The URL's parts; BadInputError (one line naming what is wrong) for one that cannot be fetched."""

    def bad(what: str) -> BadInputError:
        return BadInputError(f"URL {text!r}: {what}")

    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise bad("contains control characters")
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError:
        raise bad("the host or port is not valid") from None
    if url.scheme not in SCHEMES:
        raise bad(f"only {', '.join(s + '://' for s in SCHEMES)} can be fetched")
    if url.username is not None or url.password is not None:
        raise bad("credentials in a URL would show in process lists; the server must allow reading without them")
    if url.scheme == "s3":
        return _s3_location(text, url, bad)
    host = url.hostname or ""
    if not host:
        raise bad("the URL names no host")
    if not _HOST.fullmatch(host):
        raise bad(f"host {host!r} is not valid")
    if port == 0:
        raise bad("port 0 is not valid")
    if not url.path or url.path.endswith("/"):
        raise bad("the URL must name a file")
    if url.scheme == "nfs":
        if url.query or url.fragment:
            raise bad("unexpected '?' or '#' in an NFS location")
        if any(part in ("", ".", "..") for part in url.path[1:].split("/")):
            raise bad("the path on the server has an empty, '.' or '..' part")
    return RemoteFile(url=url.geturl(), scheme=url.scheme, host=host, port=port, path=url.path)


def _s3_location(text: str, url: SplitResult, bad: Callable[[str], BadInputError]) -> RemoteFile:
    """``s3://BUCKET/KEY``: a bucket name, and a key of plain parts (a server or curl would collapse '..')."""
    from rescue_tui.remote.s3 import BUCKET

    if not BUCKET.fullmatch(url.netloc) or ".." in url.netloc:
        raise bad(f"bucket {url.netloc!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
    if url.query or url.fragment or "?" in text or "#" in text:
        raise bad("unexpected '?' or '#' in an S3 key")
    if not url.path or url.path.endswith("/"):
        raise bad("the URL must name a file")
    if any(part in ("", ".", "..") for part in url.path[1:].split("/")):
        raise bad("the key has an empty, '.' or '..' part")
    return RemoteFile(url=text, scheme="s3", host=url.netloc, port=None, path=url.path)


def local_copy(remote: RemoteFile, directory: Path) -> Path:
    """Where the copy of ``remote`` goes in ``directory``: the URL's hash, then its last part made plain."""
    digest = hashlib.sha256(remote.url.encode()).hexdigest()[:16]
    return directory / f"{digest}-{_NAME.sub('_', remote.name)[-64:] or 'file'}"


def fetch(text: str, directory: Path, *, ca_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Copy the file the URL names into ``directory``; the local copy's path. ``environ``: where an ``s3://``
    URL's keys, endpoint and region are read (by default the process's environment).

    BadInputError for a URL that cannot be fetched (exit 2), FetchError when the server does not give it.
    """
    remote = parse_url(text)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{directory}: cannot make the directory for fetched files: {exc.strerror}") from None
    destination = local_copy(remote, directory)
    if remote.scheme == "nfs":
        from rescue_tui.remote import nfs  # the mount table's reader imports the boot options, which import us

        where = nfs.mount_read_only(
            remote.host, remote.port, posixpath.dirname(remote.path), named=remote.url, error=FetchError
        )
        write_atomic(destination, _read_bounded(where / remote.name, remote.url), mode=0o600)
    elif remote.scheme == "s3":
        _s3_get(remote, destination, ca_file, environ)
    else:
        _curl(remote, destination, ca_file)
    return destination


def _s3_get(remote: RemoteFile, destination: Path, ca_file: Path | None, environ: Mapping[str, str] | None) -> None:
    from rescue_tui.remote.s3 import S3Error, client_from_environment

    client = client_from_environment(environ, ca_file=ca_file)
    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}.part")
    try:
        client.get(remote.host, remote.path[1:], partial, max_bytes=MAX_BYTES)
        os.replace(partial, destination)
    except S3Error as exc:
        raise FetchError(f"{remote.url}: cannot fetch: {exc.message}") from None
    except OSError as exc:
        raise FetchError(f"{remote.url}: cannot keep the copy in {destination.parent}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def fetch_waiting(
    text: str,
    directory: Path,
    *,
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    wait: float,
    retry: float = 5.0,
    say: Callable[[str], None] | None = None,
) -> Path:
    """:func:`fetch`, tried again for ``wait`` seconds while it fails (at boot the network comes up beside us);
    then the last FetchError. A URL that cannot be fetched at all (BadInputError) fails at once."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return fetch(text, directory, ca_file=ca_file, environ=environ)
        except FetchError as exc:
            if time.monotonic() + retry > deadline:
                raise
            if say is not None:
                say(f"{exc.message}; trying again (the network may still be coming up)")
            time.sleep(retry)


def _read_bounded(path: Path, url: str) -> bytes:
    """The file's bytes: a regular file only (a symlink on the server is not followed into our own files, a FIFO
    is not waited on), at most :data:`MAX_BYTES` + 1."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise FetchError(f"{url}: not a regular file")
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FetchError(f"{url}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: larger than {MAX_BYTES >> 20} MiB: not a layout")
    return data


def curl_settings(url: str) -> list[tuple[str, str | None]]:
    """What every HTTP(S) read of ours tells curl, as (long option, value or None): one policy for a layout
    fetched here and a tar archive streamed by the tar backend (which writes them to a config file).

    An https URL is never redirected to http; ``globoff``: braces and brackets in the URL are characters, not a
    list of URLs; a stalled transfer ends (:data:`STALL_SECONDS`). Not among them: ``-q`` (no ~/.curlrc, where
    an ``insecure`` would end the certificate check), which must come first on the command line.
    """
    redirect = "=https" if url.startswith("https:") else "=http,https"
    return [("fail", None), ("silent", None), ("show-error", None), ("location", None), ("globoff", None),
            ("proto", "=http,https"), ("proto-redir", redirect), ("connect-timeout", "20"),
            ("speed-limit", str(STALL_BYTES)), ("speed-time", str(STALL_SECONDS))]  # fmt: skip


def _curl(remote: RemoteFile, destination: Path, ca_file: Path | None) -> None:
    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}.part")  # one per fetch
    argv = ["curl", "-q"]
    for name, value in curl_settings(remote.url):
        argv += [f"--{name}"] if value is None else [f"--{name}", value]
    argv += ["--max-time", str(int(TIMEOUT - 10)), "--max-filesize", str(MAX_BYTES), "--output", str(partial)]
    if ca_file is not None:
        argv += ["--cacert", str(ca_file)]
    try:
        run([*argv, "--url", remote.url], error=FetchError, timeout=TIMEOUT)
        try:
            if partial.stat().st_size > MAX_BYTES:
                raise FetchError(f"{remote.url}: larger than {MAX_BYTES >> 20} MiB: not a layout")
            os.chmod(partial, 0o600)
            os.replace(partial, destination)
        except OSError as exc:
            raise FetchError(f"{remote.url}: cannot keep the copy in {destination.parent}: {exc.strerror}") from None
    except FetchError as exc:
        said = exc.message.split(" failed with exit code ", 1)[-1].split(": ", 1)[-1]
        raise FetchError(f"{remote.url}: cannot fetch: {_CURL_PREFIX.sub('', said)}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
