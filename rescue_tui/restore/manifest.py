"""Checksums beside a backup, and verifying a restored tree against them.

Files ``rescue-tui backup`` writes beside a tar archive ``NAME``:

``NAME.sha256``
    ``sha256sum``-compatible line for the archive itself (preflight checks it).
``NAME.files.jsonl``
    one JSON object per regular file in the archive:
    ``{"path": "etc/passwd", "size": 1234, "sha256": "..."}``, computed from
    the archive (not the live disk), so it matches what a restore writes.
``NAME.manifest.json``
    :class:`rescue_tui.restore.model.BackupManifest`: sizes, checksums, tool
    versions, time, source, excludes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from rescue_tui.errors import BadInputError, CancelledError
from rescue_tui.inputs import parse_json
from rescue_tui.restore.model import CheckResult, CheckStatus, Phase, ProgressCallback, VerifyReport
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.safety import normalise

SHA256_SUFFIX = ".sha256"
FILES_SUFFIX = ".files.jsonl"
MANIFEST_SUFFIX = ".manifest.json"
CHUNK = 1 << 20
MAX_MISMATCHES = 200


def sha256_line(digest: str, name: str) -> str:
    return f"{digest}  {name}\n"


def parse_sha256_line(text: str) -> str | None:
    """The hex digest from a ``sha256sum`` line, or None when it is not one."""
    first = text.strip().split()
    if first and len(first[0]) == 64 and all(c in "0123456789abcdef" for c in first[0].lower()):
        return first[0].lower()
    return None


class HashingReader:
    """A read-only file object that hashes and counts what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.hash = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.hash.update(data)
        self.count += len(data)
        return data


def member_data_size(member: tarfile.TarInfo) -> int:
    """Bytes the member occupies once extracted (sparse members: their data segments only)."""
    if not member.isreg():
        return 0
    sparse = getattr(member, "sparse", None)
    if sparse:
        return sum(size for _offset, size in sparse)
    return member.size


def stream_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Every member of a tar opened in stream mode, each forgotten once the next is read.

    tarfile keeps every member it has read (about 375 bytes each): five million files would hold
    nearly 2 GB in a rescue system that runs from RAM. A stream cannot go back to them anyway.
    """
    while (member := tar.next()) is not None:
        tar.members.clear()  # type: ignore[attr-defined]  # tarfile's own list, not in its stubs
        yield member


def file_digests(tar: tarfile.TarFile) -> Iterator[dict[str, object]]:
    """``{"path", "size", "sha256"}`` for every regular file of a tar opened in stream mode."""
    for member in stream_members(tar):
        if not member.isreg():
            continue
        handle = tar.extractfile(member)
        h = hashlib.sha256()
        if handle is not None:
            for chunk in iter(lambda: handle.read(CHUNK), b""):  # noqa: B023 - consumed before the next member
                h.update(chunk)
        yield {"path": normalise(member.name), "size": member.size, "sha256": h.hexdigest()}


def _open_inside(root: Path, rel: str) -> int:
    """Open ``root/rel`` for reading without following any symlink on the way (O_NOFOLLOW per component)."""
    parts = [p for p in rel.split("/") if p]
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)


def verify_file_digests(
    target: Path,
    entries: Iterable[dict[str, object]],
    *,
    progress: ProgressCallback,
    cancel: threading.Event | None,
    bytes_total: int | None = None,
    files_total: int | None = None,
) -> VerifyReport:
    """Hash every listed file under ``target`` (never following symlinks) and report differences."""
    tracker = Tracker(Phase.VERIFY, progress, bytes_total=bytes_total, files_total=files_total)
    mismatches: list[str] = []
    checked = 0
    done_bytes = 0
    for entry in entries:
        if cancel is not None and cancel.is_set():
            raise CancelledError("verify: cancelled")
        rel = str(entry["path"])
        want = str(entry["sha256"])
        checked += 1
        try:
            fd = _open_inside(target, rel)
        except OSError as exc:
            mismatches.append(f"{rel}: {exc.strerror}")
            continue
        h = hashlib.sha256()
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                mismatches.append(f"{rel}: not a regular file")
                continue
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
                done_bytes += len(chunk)
                tracker.update(done_bytes, checked)
        if h.hexdigest() != want:
            mismatches.append(f"{rel}: content differs (sha256)")
        if len(mismatches) >= MAX_MISMATCHES:
            mismatches.append("... (stopped after too many differences)")
            break
        tracker.update(done_bytes, checked)
    tracker.finish(bytes_done=done_bytes, files_done=checked)
    return VerifyReport(
        method="checksum manifest",
        checked=checked,
        mismatches=tuple(mismatches),
        detail=f"{checked} files hashed, {len(mismatches)} differences",
    )


def text_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, one at a time: a list of millions of them (``splitlines``) or a ``StringIO`` (four
    bytes a character) would hold several times the text itself."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def read_digests(lines: Iterable[str], *, where: str = "checksum list") -> Iterator[dict[str, object]]:
    """The per-file digests of a ``.files.jsonl`` list; a damaged line is one BadInputError naming it."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        entry = parse_json(line, where=f"{where}:{number}")
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("size"), int)):  # fmt: skip
            raise BadInputError(f"{where}:{number}: not a file digest (path, size, sha256)")
        yield entry


def completeness_check(listing: str, regular_files: set[str], *, where: str) -> CheckResult:
    """Preflight's ``complete``: every file the checksum list names is a regular file in the archive.

    The list is made from the archive, so the two agree; an archive without a file its list names lost
    it (a damaged copy, an edited archive), and the restore would only find out in verify, after the
    disks were wiped. A file the list lacks is only a warning: verify cannot check it.
    """
    unlisted = set(regular_files)  # the names are shared: only the table is new
    missing: set[str] = set()
    for entry in read_digests(text_lines(listing), where=where):
        name = normalise(str(entry["path"]))
        if name in regular_files:
            unlisted.discard(name)
        else:
            missing.add(name)
    if missing:
        return CheckResult(
            name="complete",
            status=CheckStatus.FAIL,
            detail=f"{len(missing)} file(s) named in {where} are not in the archive, first {min(missing)}",
        )
    if unlisted:
        return CheckResult(
            name="complete",
            status=CheckStatus.WARN,
            detail=f"{len(unlisted)} file(s) in the archive are not in {where}: verify cannot check them",
        )
    return CheckResult(
        name="complete", status=CheckStatus.OK, detail=f"all {len(regular_files)} listed files are in it"
    )
