"""SSH host keys pinned by fingerprint: the operator gives ``SHA256:...`` (read to them by the server's
administrator, or from the server's own ``ssh-keygen -l``), and the backup is reached only if the server
offers that key.

:func:`pin` asks the server for its keys (``ssh-keyscan``), keeps the one with that fingerprint in a
known_hosts file of its own, and hands back credentials that use it with ``StrictHostKeyChecking=yes``:
a server that shows another key (a machine in its place) is refused before any login, and the refusal
names the fingerprints it did offer, for the operator to compare.

:func:`resolve` decides how ssh will know the server. With no fingerprint, no known_hosts file and no
``accept-new``, a server the system's known_hosts files do not list is refused before any login with
:class:`UnknownHostKeyError`, which carries the fingerprints the server offers: the CLI prints them, the
console asks the operator to accept one (then pins it). Nothing is trusted on first use without that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pwd
import re
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.files import write_atomic
from rescue_tui.restore.errors import BackendError, CredentialsError, UnknownHostKeyError
from rescue_tui.restore.model import BackendSpec, Credentials
from rescue_tui.ssh.keys import PublicKey, parse_keys

PIN_DIR = Path("/run/rescue-tui/known-hosts")
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
SYSTEM_FILES = ("/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2")
"""The global known_hosts files ssh reads by default (the user's own are ~/.ssh/known_hosts and known_hosts2)."""


def resolve(spec: BackendSpec, credentials: Credentials, directory: Path = PIN_DIR) -> Credentials:
    """The credentials ssh will check the server with (see the module docstring); UnknownHostKeyError (exit 2)
    when nothing says which key the server should have."""
    if credentials.options.get("host_key", "").strip():
        return pin(spec, credentials, directory)
    if credentials.known_hosts is not None or credentials.accept_new_host_key:
        return credentials
    assert spec.host is not None
    if known_by_default(spec.host, spec.port):
        return credentials
    where = _where(spec.host, spec.port)
    offered = scan(spec.host, spec.port)
    shown = ", ".join(f"{key.fingerprint} ({key.kind})" for key in offered)
    raise UnknownHostKeyError(
        f"ssh host key of {where}: not known here; the server offers {shown}",
        hint="if the server's administrator confirms one (ssh-keygen -l on the server), give it:"
        " --set host_key=SHA256:...; or --known-hosts FILE",
        server=where,
        offered=tuple((key.kind, key.fingerprint) for key in offered),
    )


def default_files() -> list[Path]:
    """The known_hosts files ssh reads when told none: the user's (from the password database, as ssh finds the
    home directory, not $HOME) and the system's."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh"
    return [home / "known_hosts", home / "known_hosts2", *map(Path, SYSTEM_FILES)]


def known_by_default(host: str, port: int | None, files: list[Path] | None = None) -> bool:
    """Whether one of ``files`` (ssh's default ones) lists ``host`` at ``port``, hashed names included."""
    name = _known_hosts_name(host, port)
    for path in default_files() if files is None else files:
        # exit 1: not listed (quietly); a file ssh-keygen cannot read is an error, as it would be for ssh
        if path.is_file() and run(["ssh-keygen", "-F", name, "-f", str(path)], error=BackendError, ok=(0, 1)).strip():
            return True
    return False


def pin(spec: BackendSpec, credentials: Credentials, directory: Path = PIN_DIR) -> Credentials:
    """``credentials`` with a known_hosts file holding the server's key of the fingerprint the ``host_key`` field names
    (unchanged without one). CredentialsError (exit 2) when the server offers no key of that fingerprint."""
    wanted = credentials.options.get("host_key", "").strip()
    if not wanted:
        return credentials
    if not FINGERPRINT.fullmatch(wanted):
        raise CredentialsError(
            f"host_key {wanted!r}: not a fingerprint as ssh-keygen -l prints it (SHA256: and 43 characters)"
        )
    assert spec.host is not None
    offered = scan(spec.host, spec.port)
    where = _where(spec.host, spec.port)
    matching = [key for key in offered if key.fingerprint == wanted]
    if not matching:
        shown = ", ".join(f"{key.fingerprint} ({key.kind})" for key in offered)
        raise CredentialsError(
            f"ssh host key of {where}: the server offers {shown}, not {wanted}",
            hint="compare with the server's own ssh-keygen -l; another machine may stand at that address",
        )
    name = _known_hosts_name(spec.host, spec.port)
    digest = hashlib.sha256(f"{name} {wanted}".encode()).hexdigest()[:16]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendError(f"{directory}: cannot keep the pinned host key: {exc.strerror}") from None
    known = write_atomic(directory / digest, f"{name} {matching[0].kind} {matching[0].blob}\n", mode=0o644)
    return dataclasses.replace(credentials, known_hosts=known, accept_new_host_key=False)


def scan(host: str, port: int | None) -> list[PublicKey]:
    """The host keys the server offers (``ssh-keyscan``); BackendError when it offers none (unreachable)."""
    where = _where(host, port)
    try:  # exit 1 with no key: nothing answered (or not ssh); the keys found are what counts
        out = run(
            ["ssh-keyscan", "-T", "10", "-p", str(port or 22), "--", host], error=BackendError, ok=(0, 1), timeout=60
        )
    except BackendError as exc:
        raise BackendError(f"ssh host key of {where}: cannot ask the server ({exc.message})") from None
    lines = [" ".join(line.split()[1:3]) for line in out.splitlines() if line.strip() and not line.startswith("#")]
    keys, _ = parse_keys("\n".join(lines), where="ssh-keyscan")
    if not keys:
        raise BackendError(f"ssh host key of {where}: the server offered none (is it reachable, and ssh?)")
    return keys


def _where(host: str, port: int | None) -> str:
    """The server as messages name it: ``HOST:PORT``, 22 when no port was given."""
    return f"{host}:{port or 22}"


def _known_hosts_name(host: str, port: int | None) -> str:
    """The server as a known_hosts line names it: ``HOST`` on port 22, else ``[HOST]:PORT``."""
    return f"[{host}]:{port}" if port not in (None, 22) else host
