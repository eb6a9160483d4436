"""Preflight helpers shared by the backends: mounts, free space per target filesystem, target contents.

The target is a tree of mounts (``/mnt/target``, ``/mnt/target/boot``,
``/mnt/target/home`` ...). :class:`SpaceEstimate` assigns each listed entry
to the deepest mount it falls under and compares the total with that
filesystem's free blocks and inodes, so "fits" means every filesystem fits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rescue_tui.restore.model import CheckResult, CheckStatus
from rescue_tui.units import human_size

PSEUDO_FS_TYPES = frozenset(
    {
        "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "securityfs", "debugfs",
        "tracefs", "pstore", "bpf", "efivarfs", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs",
        "binfmt_misc", "nsfs", "rpc_pipefs", "nfsd", "selinuxfs", "fuse.gvfsd-fuse", "fuse.portal",
    }
)  # fmt: skip

BLOCK = 4096


@dataclass(frozen=True, kw_only=True)
class Mount:
    point: str
    fstype: str


def _unescape(field_: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    out, i = [], 0
    while i < len(field_):
        if field_[i] == "\\" and field_[i + 1 : i + 4].isdigit() and len(field_[i + 1 : i + 4]) == 3:
            out.append(chr(int(field_[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field_[i])
            i += 1
    return "".join(out)


def read_mounts(mountinfo: str | None = None) -> list[Mount]:
    """Mounts from /proc/self/mountinfo (or the given text)."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text()
        except OSError:
            return []
    mounts: list[Mount] = []
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        if len(fields) < 5:
            continue
        mounts.append(Mount(point=_unescape(fields[4]), fstype=right.split()[0]))
    return mounts


def mounts_under(root: Path, mounts: Sequence[Mount] | None = None) -> list[str]:
    """Mount points at or below ``root``, relative to it (``""`` for the root's own filesystem), deepest first."""
    root_s = os.path.realpath(root)
    found = {""}
    for m in read_mounts() if mounts is None else mounts:
        if m.point == root_s:
            continue
        if m.point.startswith(root_s.rstrip("/") + "/"):
            found.add(m.point[len(root_s.rstrip("/")) + 1 :])
    return sorted(found, key=lambda p: (-p.count("/") - (1 if p else 0), p))


def pseudo_mounts_under(root: Path, mounts: Sequence[Mount] | None = None) -> list[str]:
    """Pseudo filesystem mount points strictly below ``root``, relative to it (their contents are not backed up)."""
    root_s = os.path.realpath(root)
    out = []
    for m in read_mounts() if mounts is None else mounts:
        if m.fstype in PSEUDO_FS_TYPES and m.point.startswith(root_s.rstrip("/") + "/"):
            out.append(m.point[len(root_s.rstrip("/")) + 1 :])
    return sorted(set(out))


def allocated(size: int) -> int:
    """Bytes of whole blocks a file of ``size`` data bytes takes (0 for directories, links, devices)."""
    return -(-size // BLOCK) * BLOCK if size > 0 else 0


@dataclass
class SpaceEstimate:
    """Accumulates the size of listed entries per target filesystem."""

    target: Path
    mount_points: list[str] = field(default_factory=list)
    bytes_by_mount: dict[str, int] = field(default_factory=dict)
    files_by_mount: dict[str, int] = field(default_factory=dict)
    total_bytes: int = 0
    total_files: int = 0

    def __post_init__(self) -> None:
        if not self.mount_points:
            self.mount_points = mounts_under(self.target)
        for m in self.mount_points:
            self.bytes_by_mount.setdefault(m, 0)
            self.files_by_mount.setdefault(m, 0)

    def mount_of(self, rel: str) -> str:
        rel = rel.strip("/")
        for m in self.mount_points:  # deepest first
            if m == "" or rel == m or rel.startswith(m + "/"):
                return m
        return ""

    def add(self, rel: str, size: int) -> None:
        """One entry of ``size`` data bytes (0 for directories, links, devices)."""
        self._count(self.mount_of(rel), 1, allocated(size), size)

    def add_in(self, directory: str, entries: int, blocks: int, data: int) -> None:
        """``entries`` entries in ``directory`` (relative), taking ``blocks`` bytes of blocks for ``data`` bytes."""
        self._count(self.mount_of(directory), entries, blocks, data)

    def _count(self, mount: str, entries: int, blocks: int, data: int) -> None:
        self.bytes_by_mount[mount] = self.bytes_by_mount.get(mount, 0) + blocks
        self.files_by_mount[mount] = self.files_by_mount.get(mount, 0) + entries
        self.total_bytes += max(data, 0)
        self.total_files += entries

    def check(self, *, margin: float = 1.02) -> CheckResult:
        """``fits``: every filesystem under the target has room for its part (bytes and inodes)."""
        problems, lines = [], []
        for m in sorted(self.bytes_by_mount):
            path = self.target / m if m else self.target
            need = int(self.bytes_by_mount[m] * margin)
            files = self.files_by_mount[m]
            try:
                st = os.statvfs(path)
            except OSError as exc:
                problems.append(f"{path}: {exc.strerror}")
                continue
            free = st.f_bavail * st.f_frsize
            where = str(path)
            lines.append(f"{where} needs {human_size(need)} of {human_size(free)} free")
            if need > free:
                problems.append(f"{where} needs {human_size(need)} but has {human_size(free)} free")
            if st.f_files > 0 and files > st.f_favail:
                problems.append(f"{where} needs {files} inodes but has {st.f_favail} free")
        if problems:
            return CheckResult(name="fits", status=CheckStatus.FAIL, detail="; ".join(problems))
        return CheckResult(name="fits", status=CheckStatus.OK, detail="; ".join(lines))


def escaping_symlinks(target: Path) -> dict[str, str]:
    """Symlinks already in ``target`` that lead to a directory outside it, or to nothing: relative path -> link.

    GNU tar (and borg, restic) write *through* a directory symlink that is already on the target when
    the backup has no directory of that name to replace it: such a link would send the restore
    anywhere on the rescue system. Links to files outside are harmless (a restored file replaces the
    link itself), like ``etc/localtime`` in a half-restored tree.
    """
    root = os.path.realpath(target)
    found = {}
    for folder, dirs, files in os.walk(target):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            resolved = os.path.realpath(path)
            inside = resolved == root or resolved.startswith(root.rstrip("/") + "/")
            if not inside and (os.path.isdir(resolved) or not os.path.exists(resolved)):
                found[os.path.relpath(path, target)] = os.readlink(path)
    return found


def _links_problem(target: Path, links: dict[str, str]) -> CheckResult:
    first = sorted(links)[0]
    return CheckResult(
        name="target",
        status=CheckStatus.FAIL,
        detail=f"{first} -> {links[first]}: a restore through it would land outside {target}; remove it first",
    )


def target_check(target: Path, *, members_checked_later: bool = False) -> CheckResult:
    """``target``: an existing directory, not ``/``, with no symlink leading out; a warning when it holds data.

    With ``members_checked_later`` a symlink leading out is refused only when a member goes through it
    (``MemberCheck.on_target``, for backends that list every member in preflight).
    """
    if not target.is_dir():
        return CheckResult(name="target", status=CheckStatus.FAIL, detail=f"{target} is not a directory")
    if os.path.realpath(target) == "/":
        return CheckResult(name="target", status=CheckStatus.FAIL, detail="the target must not be /")
    mounts = set(mounts_under(target))
    present = [e.name for e in os.scandir(target) if e.name != "lost+found" and e.name not in mounts]
    if not members_checked_later and (links := escaping_symlinks(target)):
        return _links_problem(target, links)
    if present:
        shown = ", ".join(sorted(present)[:5])
        return CheckResult(
            name="target",
            status=CheckStatus.WARN,
            detail=f"{target} is not empty ({len(present)} entries: {shown}); existing files may be replaced",
        )
    return CheckResult(name="target", status=CheckStatus.OK, detail=f"{target} is empty")


def free_space(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def entries_fit(target: Path, entries: Iterable[tuple[str, int]]) -> CheckResult:
    estimate = SpaceEstimate(target)
    for rel, size in entries:
        estimate.add(rel, size)
    return estimate.check()
