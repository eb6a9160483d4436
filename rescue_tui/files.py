"""Files the operator names: written whole or not at all and never elsewhere; their digest.

The text goes to a new temporary file beside the target, opened with
``O_EXCL | O_NOFOLLOW`` (a symlink planted at that name is refused, never
followed), is flushed to disk, then renamed over the target: a crash leaves
the old file or the new one. A failure is one RescueError naming the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from rescue_tui.errors import RescueError


def write_atomic(path: str | Path, text: str | bytes, *, mode: int = 0o644) -> Path:
    """Write ``text`` (UTF-8) or bytes to ``path`` atomically; the path written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # two threads never share it
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        raise RescueError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have taken bits off
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise RescueError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
