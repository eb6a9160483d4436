"""authorized_keys, read strictly, and fingerprints as OpenSSH prints them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
"""Public key types sshd 9.2 takes; ssh-dss is not one (OpenSSH dropped it)."""
MAX_KEYS = 256


@dataclass(frozen=True)
class PublicKey:
    """One key: its type, its blob (base64 as written) and its comment."""

    kind: str
    blob: str
    comment: str = ""

    @property
    def line(self) -> str:
        return f"{self.kind} {self.blob}" + (f" {self.comment}" if self.comment else "")

    @property
    def fingerprint(self) -> str:
        """``SHA256:...`` as ``ssh-keygen -l`` prints it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _blob_problem(kind: str, blob: str) -> str | None:
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "its key is not base64"
    if len(raw) < 4:
        return "its key is too short"
    (length,) = struct.unpack(">I", raw[:4])
    if raw[4 : 4 + length].decode("ascii", errors="replace") != kind:
        return f"its key is not a {kind} key"
    return None


def parse_keys(text: str, *, where: str) -> tuple[list[PublicKey], list[str]]:
    """The keys of an authorized_keys text, and one problem line per line that is not a plain key (left out)."""
    keys: list[PublicKey] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        at = f"{where}:{number}"
        if not line.isprintable() or not line.isascii():
            problems.append(f"{at}: not a line of printable ASCII; left out")
            continue
        kind, _, rest = line.partition(" ")
        blob, _, comment = rest.strip().partition(" ")
        if kind not in KEY_TYPES:
            shown = kind[:40]
            problems.append(
                f"{at}: {shown!r} is not a key type ({', '.join(KEY_TYPES[:5])}, ...): options before the key "
                "are not taken; left out"
            )
            continue
        if problem := _blob_problem(kind, blob):
            problems.append(f"{at}: {problem}; left out")
            continue
        if len(keys) == MAX_KEYS:
            problems.append(f"{at}: more than {MAX_KEYS} keys; the rest left out")
            break
        keys.append(PublicKey(kind=kind, blob=blob, comment=comment.strip()))
    return keys, problems
