"""What one full read of a tar archive found, kept so that a recovery reads its archive once before restore.

A recovery checks the backup before apply (the archive must be whole and safe before a disk
is wiped), and the restore checks it again on the mounted target. For a local archive that
has not changed, the second read finds the same bytes: on a 100 GB backup it would add the
time of a whole read to the recovery. So the results that do not depend on the target (digest,
members, member safety on an empty target, completeness against the checksum list, sizes by
directory) are kept per file, keyed by the file's identity (device, inode, size, modification
and change times), and reused while that identity and the checksum list are the same. The
target's own checks (empty, fits) always run again. Nothing is kept when the target holds
symlinks that lead out of it (the member check depends on them).

Over HTTP nothing is kept: preflight does not read the whole archive there, the restore reads it once
and checks it on its way (:mod:`rescue_tui.restore.tar_gate`). A HEAD's length and validator
(:class:`RemoteStamp`) make the restore's request conditional, so a server that honours ``If-Match``
refuses an archive changed since preflight before its first byte.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rescue_tui.restore.checks import SpaceEstimate, allocated
from rescue_tui.restore.model import CheckResult
from rescue_tui.restore.safety import normalise

KEPT = 4
"""Archives remembered at once (a recovery needs one; the oldest goes first)."""


@dataclass(frozen=True)
class SourceStamp:
    """A local file's identity: any write, truncation, rename over it or metadata change gives another."""

    path: str
    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, path: str) -> SourceStamp | None:
        """The file's stamp now; None when it cannot be read or is not a regular file (a pipe is read once).

        Taken on an open file: on NFS an open checks the attributes with the server (close-to-open),
        where a plain stat may answer from the client's attribute cache. O_NONBLOCK: opening a FIFO
        does not wait for a writer."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        return cls(path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class RemoteStamp:
    """An archive over HTTP as its server describes it: length and validator of the final response."""

    url: str
    size: int | None
    etag: str | None
    last_modified: str | None

    @classmethod
    def from_head(cls, url: str, response: str) -> RemoteStamp:
        """From ``curl --head --include`` output; after redirects, the last response's headers count."""
        headers: dict[str, str] = {}
        for line in response.splitlines():
            if line.startswith("HTTP/"):
                headers = {}
                continue
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        length = headers.get("content-length", "")
        return cls(
            url=url,
            size=int(length) if length.isdigit() else None,
            etag=headers.get("etag") or None,
            last_modified=headers.get("last-modified") or None,
        )

    def preconditions(self) -> list[str]:
        """Request headers that make a server that honours them refuse a changed archive (HTTP 412)."""
        if self.etag is not None and not self.etag.startswith("W/"):
            return [f"If-Match: {self.etag}"]
        if self.last_modified is not None:
            return [f"If-Unmodified-Since: {self.last_modified}"]
        return []


@dataclass
class SizeTally:
    """Entries and their data, summed per parent directory: enough to say later what each target filesystem needs."""

    by_directory: dict[str, list[int]] = field(default_factory=dict)
    """Relative directory -> [entries, bytes of blocks, data bytes]."""

    def add(self, rel: str, size: int) -> None:
        """One entry (``rel`` normalised, relative) of ``size`` data bytes (0 for directories, links, devices).

        It counts on the filesystem of its directory: a directory that is a mount point counts on the one
        above it (one inode, no data)."""
        tally = self.by_directory.setdefault(rel.rpartition("/")[0], [0, 0, 0])
        tally[0] += 1
        tally[1] += allocated(size)
        tally[2] += max(size, 0)

    @classmethod
    def of_files(cls, files: Iterable[tuple[str, int]]) -> SizeTally:
        """From a checksum list's regular files (path, size) and the directories that hold them; symlinks and
        other entries the list does not name are missing, a few inodes and no data."""
        tally = cls()
        directories: set[str] = set()
        for path, size in files:
            rel = normalise(path)
            tally.add(rel, size)
            parent = rel.rpartition("/")[0]
            while parent and parent not in directories:
                directories.add(parent)
                tally.add(parent, 0)
                parent = parent.rpartition("/")[0]
        return tally

    def estimate(self, target: Path, mount_points: list[str] | None = None) -> SpaceEstimate:
        """What each filesystem under ``target`` receives (``mount_points``: those mounted there now)."""
        estimate = SpaceEstimate(target, mount_points=mount_points or [])
        for directory, (entries, blocks, data) in self.by_directory.items():
            estimate.add_in(directory, entries, blocks, data)
        return estimate


@dataclass(frozen=True)
class ArchiveScan:
    """The target-free results of one full read of an archive (see the module docstring)."""

    digest: str
    members: int
    disagreement: str | None
    """Where GNU tar's listing and Python's disagree (None: they agree)."""
    member_problems: tuple[str, ...]
    """Members that would land outside an empty target."""
    complete: CheckResult | None
    """Completeness against the checksum list; None when there was no list."""
    listing_digest: str | None
    sizes: SizeTally


def listing_digest(listing: str | None) -> str | None:
    return None if listing is None else hashlib.sha256(listing.encode()).hexdigest()


_kept: dict[SourceStamp, ArchiveScan] = {}


def remember(stamp: SourceStamp, scan: ArchiveScan) -> None:
    _kept.pop(stamp, None)
    _kept[stamp] = scan
    while len(_kept) > KEPT:
        del _kept[next(iter(_kept))]


def recall(stamp: SourceStamp, listing: str | None) -> ArchiveScan | None:
    """The scan of this very archive made with this checksum list; None when there is none (or either changed)."""
    scan = _kept.get(stamp)
    if scan is None or scan.listing_digest != listing_digest(listing):
        return None
    return scan


def forget() -> None:
    """Drop every kept scan (tests)."""
    _kept.clear()
