"""The restored system's tree, seen from the rescue system: paths, files, and what is installed.

Paths inside the target are resolved as the restored system would resolve
them: an absolute symlink (``/etc/mdadm.conf -> /etc/mdadm/mdadm.conf``) is
followed inside the target root, never into the rescue system, and ``..``
never climbs above the root. Files are replaced atomically, keeping owner
and mode; the first original of each file finalize changes is kept under
``/var/lib/rescue-tui/originals/`` in the target (a re-run keeps the first).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
from pathlib import Path, PurePosixPath

from rescue_tui.errors import BadInputError

ORIGINALS = "/var/lib/rescue-tui/originals"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""The PATH programs run with in the chroot (:mod:`rescue_tui.finalize.chroot` uses it too)."""
MAX_LINKS = 40


class TargetRoot:
    """A directory holding a restored root filesystem (and what is mounted below it)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"TargetRoot({str(self.root)!r})"

    def host_path(self, path: str) -> Path:
        """Where ``path`` of the restored system is in the rescue system, symlinks followed inside the root."""
        parts = list(PurePosixPath("/", path).parts[1:])
        resolved: list[str] = []
        links = 0
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.root.joinpath(*resolved, part)
            if candidate.is_symlink():
                links += 1
                if links > MAX_LINKS:
                    raise BadInputError(f"{self.root}: too many symbolic links under {path}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in PurePosixPath(target).parts if p != "/"] + parts
                continue
            resolved.append(part)
        return self.root.joinpath(*resolved)

    def exists(self, path: str) -> bool:
        return self.host_path(path).exists()

    def is_file(self, path: str) -> bool:
        return self.host_path(path).is_file()

    def read(self, path: str) -> str | None:
        """The text of a file of the restored system, or None when there is none."""
        where = self.host_path(path)
        try:
            return where.read_text(encoding="utf-8", errors="surrogateescape")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def glob(self, directory: str, pattern: str) -> list[str]:
        """Paths (inside the target) of the files in ``directory`` matching ``pattern``, sorted."""
        where = self.host_path(directory)
        if not where.is_dir():
            return []
        return sorted(str(PurePosixPath(directory, p.name)) for p in where.glob(pattern) if p.is_file())

    def write(self, path: str, text: str, *, keep_original: bool = True) -> None:
        """Replace a file of the restored system atomically, with the old one's owner and mode."""
        where = self.host_path(path)
        try:
            old = where.stat()
        except FileNotFoundError:
            old = None
        if old is not None and keep_original:
            self._keep_original(path, where)
        where.parent.mkdir(parents=True, exist_ok=True)
        tmp = where.with_name(f".{where.name}.rescue-tui.tmp")
        # The restored tree is someone else's data: whatever stands at the temporary name (a leftover,
        # or a planted symlink to a file of the rescue system) is removed, never followed.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if old is not None:
            os.chown(tmp, old.st_uid, old.st_gid)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, where)

    def touch(self, path: str) -> bool:
        """Create an empty file; False when it existed already."""
        where = self.host_path(path)
        if where.exists():
            return False
        where.parent.mkdir(parents=True, exist_ok=True)
        where.touch(mode=0o644)
        return True

    def _keep_original(self, path: str, where: Path) -> None:
        keep = self.host_path(ORIGINALS + "/" + path.lstrip("/"))
        if keep.exists():
            return  # the first run's original is the one worth keeping
        keep.parent.mkdir(parents=True, exist_ok=True)
        self.host_path(ORIGINALS).chmod(0o700)
        data = where.read_bytes()
        keep.write_bytes(data)
        os.chmod(keep, stat.S_IMODE(where.stat().st_mode))

    def original_of(self, path: str) -> str:
        """Where finalize keeps the original of ``path`` (inside the target)."""
        return ORIGINALS + "/" + path.lstrip("/")

    # -- what the restored system is ---------------------------------------------------------------

    def os_release(self) -> dict[str, str]:
        """/etc/os-release (or /usr/lib/os-release) as a dict; {} when there is none."""
        text = self.read("/etc/os-release") or self.read("/usr/lib/os-release") or ""
        return parse_os_release(text)

    def program(self, name: str) -> str | None:
        """Path (inside the target) of a program the restored system has, looked up in the chroot's PATH order."""
        for directory in PATH.split(":"):
            path = f"{directory}/{name}"
            where = self.host_path(path)
            if where.is_file() and os.access(where, os.X_OK):
                return path
        return None


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines, shell quoting removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value.strip("\"'")]
        out[key.strip()] = words[0] if words else ""
    return out
