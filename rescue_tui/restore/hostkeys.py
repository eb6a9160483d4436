"""SSH host keys pinned by fingerprint: the operator gives ``SHA256:...`` (read to them by the server's
administrator, or from the server's own ``ssh-keygen -l``), and the backup is reached only if the server
offers that key.

:func:`pin` asks the server for its keys (``ssh-keyscan``), keeps the one with that fingerprint in a
known_hosts file of its own, and hands back credentials that use it with ``StrictHostKeyChecking=yes``:
a server that shows another key (a machine in its place) is refused before any login, and the refusal
names the fingerprints it did offer, for the operator to compare.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.files import write_atomic
from rescue_tui.restore.errors import BackendError, CredentialsError
from rescue_tui.restore.model import BackendSpec, Credentials
from rescue_tui.ssh.keys import PublicKey, parse_keys

PIN_DIR = Path("/run/rescue-tui/known-hosts")
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


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
    where = f"{spec.host}:{spec.port or 22}"
    matching = [key for key in offered if key.fingerprint == wanted]
    if not matching:
        shown = ", ".join(f"{key.fingerprint} ({key.kind})" for key in offered)
        raise CredentialsError(
            f"ssh host key of {where}: the server offers {shown}, not {wanted}",
            hint="compare with the server's own ssh-keygen -l; another machine may stand at that address",
        )
    name = f"[{spec.host}]:{spec.port}" if spec.port not in (None, 22) else spec.host
    digest = hashlib.sha256(f"{name} {wanted}".encode()).hexdigest()[:16]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendError(f"{directory}: cannot keep the pinned host key: {exc.strerror}") from None
    known = write_atomic(directory / digest, f"{name} {matching[0].kind} {matching[0].blob}\n", mode=0o644)
    return dataclasses.replace(credentials, known_hosts=known, accept_new_host_key=False)


def scan(host: str, port: int | None) -> list[PublicKey]:
    """The host keys the server offers (``ssh-keyscan``); BackendError when it offers none (unreachable)."""
    out = run(["ssh-keyscan", "-T", "10", "-p", str(port or 22), "--", host], error=BackendError, timeout=60)
    lines = [" ".join(line.split()[1:3]) for line in out.splitlines() if line.strip() and not line.startswith("#")]
    keys, _ = parse_keys("\n".join(lines), where="ssh-keyscan")
    if not keys:
        raise BackendError(f"ssh host key of {host}:{port or 22}: the server offered none (is it reachable?)")
    return keys
