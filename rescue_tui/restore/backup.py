"""The live-system side: make a complete recovery set (layout, backup, manifest).

``run_backup`` captures the storage layout (when asked; the capture stage
may be absent, then the layout is skipped with a message), computes what to
leave out, runs the backend's backup and writes a
:class:`~rescue_tui.restore.model.BackupManifest` beside the backup.

Left out of a backup of ``/``: the contents (never the directories) of
``/proc``, ``/sys``, ``/dev``, ``/run``, ``/tmp`` and ``/var/tmp``; every
pseudo filesystem mounted under the source; caches (``CACHEDIR.TAG``
directories, ``~/.cache``, apt's package cache); and the backup destination
itself when it lies inside the source.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rescue_tui import tools
from rescue_tui.errors import BadInputError
from rescue_tui.restore.backend import Backend, BackupResult
from rescue_tui.restore.checks import Mount, pseudo_mounts_under, read_mounts
from rescue_tui.restore.manifest import MANIFEST_SUFFIX
from rescue_tui.restore.model import Artifact, BackupManifest, ProgressCallback

log = logging.getLogger("rescue_tui.restore.backup")

SYSTEM_EXCLUDES: tuple[str, ...] = (
    "proc/*", "sys/*", "dev/*", "run/*", "tmp/*", "var/tmp/*",
    "var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_Packages*",
    "root/.cache/*", "home/*/.cache/*", "swapfile",
)  # fmt: skip
"""Relative to ``/``: contents only, so the mount point directories themselves are kept."""


@dataclass(frozen=True, kw_only=True)
class BackupOutcome:
    manifest: BackupManifest
    manifest_path: Path
    messages: tuple[str, ...]
    result: BackupResult


def destination_path(backend: Backend) -> Path | None:
    """The local path the backup writes to, when it has one."""
    return Path(backend.spec.path) if backend.spec.is_local else None


def compute_excludes(source: Path, destination: Path | None, extra: Sequence[str] = ()) -> list[str]:
    """Patterns relative to ``source`` (``proc/*``), for every backend to translate into its own syntax."""
    source_real = os.path.realpath(source)
    patterns: list[str] = list(SYSTEM_EXCLUDES) if source_real == "/" else []
    patterns += [f"{rel}/*" for rel in pseudo_mounts_under(source)]
    if destination is not None:
        dest = os.path.realpath(destination)
        if dest == source_real:
            raise BadInputError(f"the backup destination {destination} is the source itself")
        if dest.startswith(source_real.rstrip("/") + "/"):
            rel = dest[len(source_real.rstrip("/")) + 1 :]
            patterns.append(rel)
            patterns.append(f"{rel}.*")
    for pattern in extra:
        cleaned = pattern.lstrip("/")
        if not cleaned:
            raise BadInputError(f"exclude pattern {pattern!r} would exclude everything")
        patterns.append(cleaned)
    seen: set[str] = set()
    return [p for p in patterns if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


def _artifact(path: Path) -> Artifact:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return Artifact(path=str(path), size=path.stat().st_size, sha256=h.hexdigest())


def backup_mount(destination: Path, mounts: Sequence[Mount], fstab_points: Sequence[str]) -> str | None:
    """The mount point of a filesystem that holds ``destination`` and is not the machine's own storage.

    A backup written to a disk attached for it (a USB disk, a disk mounted by
    hand) leaves that disk out of the layout: a recovery must not recreate it.
    A destination on ``/`` or on a filesystem the machine's fstab mounts is on
    the machine's storage, which the layout keeps (None).
    """
    where = os.path.realpath(destination)
    points = [m.point for m in mounts if where == m.point or where.startswith(m.point.rstrip("/") + "/")]
    if not points:
        return None
    point = max(points, key=len)
    return None if point == "/" or point in fstab_points else point


def capture_layout(path: Path, destinations: Sequence[Path] = ()) -> tuple[Artifact | None, list[str]]:
    """Capture the running system's layout into ``path``, if the capture stage is installed; leaves out the disks
    of ``destinations`` that are not the machine's own storage (``backup_mount``)."""
    try:
        from rescue_tui.layout.capture import capture_system  # type: ignore[attr-defined,unused-ignore]
        from rescue_tui.layout.capture.parse import fstab
        from rescue_tui.layout.codec import write_layout
    except ImportError as exc:
        return None, [f"layout capture skipped: rescue_tui.layout.capture.capture_system is not available ({exc})"]
    try:
        fstab_points = [entry.path for entry in fstab(Path("/etc/fstab").read_text())]
    except OSError:
        fstab_points = []
    mounts = read_mounts()
    found = (backup_mount(d, mounts, fstab_points) for d in destinations)
    left_out = sorted({point for point in found if point is not None})
    layout = capture_system(hostname=None, devices=None, backup_mounts=left_out)
    write_layout(layout, path)
    messages = [f"{path}: layout captured ({len(layout.items)} items)"]
    messages += [f"layout: the disk holding {point} (where the backup goes) is left out" for point in left_out]
    return _artifact(path), messages


def run_backup(
    backend: Backend,
    *,
    source: Path,
    progress: ProgressCallback,
    cancel: threading.Event,
    layout_out: Path | None = None,
    manifest_out: Path | None = None,
    extra_excludes: Sequence[str] = (),
    init: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BackupOutcome:
    """Layout (optional), backup, manifest. Raises RescueError subclasses; prints nothing."""
    if not source.is_dir():
        raise BadInputError(f"source {source} is not a directory")
    tools.require(backend.required_tools(), why=f"{backend.spec.scheme} backup")
    messages: list[str] = []
    layout: Artifact | None = None
    destination = destination_path(backend)
    if layout_out is not None:
        layout, captured = capture_layout(layout_out, [d for d in (destination, layout_out) if d is not None])
        messages += captured
    excludes = compute_excludes(source, destination, extra_excludes)
    if layout_out is not None:
        dest_rel = compute_excludes(source, layout_out)
        excludes += [p for p in dest_rel if p not in excludes]
    if init:
        init_repo = getattr(backend, "init", None)
        if init_repo is None:
            raise BadInputError(f"--init applies to restic and borg, not {backend.spec.scheme}")
        init_repo(cancel)
    created = clock()
    start = time.monotonic()
    result = backend.backup(source, excludes, progress, cancel)
    seconds = time.monotonic() - start
    manifest = BackupManifest(
        created=created.isoformat(timespec="seconds"),
        seconds=round(seconds, 3),
        hostname=socket.gethostname(),
        backend=backend.spec.text,
        source=str(source),
        excludes=tuple(excludes),
        tools={name: tools.version(name) or "?" for name in backend.tool_names()},
        files=result.files,
        bytes=result.bytes,
        archive=result.archive,
        file_checksums=result.file_checksums,
        snapshot=result.snapshot,
        layout=layout,
    )
    path = manifest_out or result.manifest_path
    if path is None:
        stamp = created.strftime("%Y%m%dT%H%M%SZ")
        path = Path.cwd() / f"rescue-tui-backup-{backend.spec.kind}-{stamp}{MANIFEST_SUFFIX}"
    path.write_text(manifest.to_json())
    messages.extend(result.warnings)
    return BackupOutcome(manifest=manifest, manifest_path=path, messages=tuple(messages), result=result)
