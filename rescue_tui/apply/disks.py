"""Make target disks blank: take down what sits on them, then remove every old signature.

Old metadata is dangerous: an md superblock at the end of a partition (0.90,
1.0) or an LVM label survives a new partition table and can be assembled or
activated under the new layout. So besides ``wipefs`` on every node, the
first and last MiB of each old partition, of each partition the plan will
create, and of the disk itself are zeroed. Only the plan's own target disks
are ever written.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rescue_tui.command import run
from rescue_tui.errors import ApplyError
from rescue_tui.plan.model import CreatePartition, Plan
from rescue_tui.processes import stat
from rescue_tui.udev import settle

log = logging.getLogger(__name__)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Node:
    """One block device in a disk's lsblk tree."""

    path: str
    kind: str
    """lsblk TYPE: disk, part, raid1, lvm, crypt, ..."""
    mountpoints: tuple[str, ...]
    children: tuple[Node, ...]
    size: int
    start: int
    """Offset in bytes on its disk (partitions), else 0."""


def _node(raw: dict[str, Any]) -> Node:
    start = raw.get("start")
    return Node(
        path=str(raw["path"]),
        kind=str(raw["type"]),
        mountpoints=tuple(p for p in raw.get("mountpoints") or [] if isinstance(p, str)),
        children=tuple(_node(c) for c in raw.get("children") or []),
        size=int(raw.get("size") or 0),
        start=int(start) * 512 if start is not None and str(start).isdigit() else 0,  # lsblk counts 512-byte sectors
    )


def tree(disk: str) -> Node:
    """The disk and everything on it, as the kernel sees it now."""
    text = run(["lsblk", "--json", "--bytes", "--output", "PATH,TYPE,MOUNTPOINTS,SIZE,START", disk], error=ApplyError)
    return _node(json.loads(text)["blockdevices"][0])


def _walk(node: Node) -> Iterable[Node]:
    for child in node.children:
        yield from _walk(child)
    yield node


def holders_of(disks: Iterable[str]) -> list[str]:
    """Active devices built on the disks (md, dm), top first."""
    out: list[str] = []
    for disk in disks:
        for node in _walk(tree(disk)):
            if node.kind not in ("disk", "part", "loop") and node.path not in out:
                out.append(node.path)
    return out


def _holders_of_nodes(paths: set[str]) -> dict[int, str]:
    """Processes with one of the device nodes open: pid -> node (from /proc/*/fd)."""
    wanted = {os.path.realpath(p) for p in paths}
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target in wanted:
                    found[int(entry)] = target
                    break
        except OSError:
            continue  # gone, or not ours to read
    return found


UDEV_NAMES = frozenset({"systemd-udevd", "(udev-worker)"})


def udev_owned(pid: int) -> bool:
    """True for udevd, its workers and what they run (blkid, ``mdadm --incremental``).

    They open a device for a moment after every change on it; killing one loses the event and
    leaves udev's database behind the disk, so they are waited for, never stopped.
    """
    for _ in range(64):  # up the parents; a loop in a racing /proc cannot hold us
        found = stat(pid) if pid > 1 else None
        if found is None:
            return False
        if found.name in UDEV_NAMES:
            return True
        pid = found.ppid
    return False


def stop_users(disks: Iterable[str]) -> list[str]:
    """Kill processes still writing to devices on the targets: an interrupted apply leaves its tools running.

    Only the nodes of the plan's own target disks (and what sits on them) are looked at. udev's own
    probes are let finish first and never killed (see ``udev_owned``).
    """
    nodes = {n.path for disk in disks for n in _walk(tree(disk))}
    settle(30, ApplyError)
    done, killed = [], set()
    for pid, node in _holders_of_nodes(nodes).items():
        if udev_owned(pid):
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        killed.add(pid)
        done.append(f"stopped process {pid} still using {node}")
    deadline = time.monotonic() + 30
    while killed & set(_holders_of_nodes(nodes)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return done


def teardown(disks: Iterable[str]) -> list[str]:
    """Unmount, swapoff, deactivate and stop whatever sits on the disks; what was done, one line each."""
    disks = list(disks)
    done: list[str] = stop_users(disks)
    for disk in disks:
        for node in _walk(tree(disk)):  # leaves first
            for point in node.mountpoints:
                if point == "[SWAP]":
                    run(["swapoff", node.path], error=ApplyError)
                else:
                    run(["umount", "--lazy", point], error=ApplyError)
                done.append(f"unmounted {point} ({node.path})")
            if node.kind == "lvm":
                run(["dmsetup", "remove", "--retry", node.path], error=ApplyError)
                done.append(f"deactivated {node.path}")
            elif node.kind == "crypt":
                run(["cryptsetup", "close", node.path], error=ApplyError)
                done.append(f"closed {node.path}")
            elif node.kind.startswith("raid") or node.kind == "md":
                _stop_md(node.path)
                done.append(f"stopped {node.path}")
    return done


def kernel_holders(path: str) -> list[str]:
    """Names of the block devices the kernel says sit on ``path`` (dm-3 shown as its mapper name)."""
    name = os.path.basename(os.path.realpath(path))
    try:
        entries = sorted(os.listdir(f"/sys/class/block/{name}/holders"))
    except OSError:
        return []
    named = []
    for entry in entries:
        try:
            with open(f"/sys/class/block/{entry}/dm/name") as handle:
                named.append(f"/dev/mapper/{handle.read().strip()}")
        except OSError:
            named.append(f"/dev/{entry}")
    return named


def running_array(member: str) -> tuple[str, str] | None:
    """(node, canonical UUID) of the md array the kernel runs on ``member`` now, asked of mdadm, not of udev."""
    arrays = [h for h in kernel_holders(member) if os.path.basename(h).startswith("md")]
    if not arrays:
        return None
    text = run(["mdadm", "--detail", "--export", arrays[0]], error=ApplyError, ok=(0, 1))
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    raw = fields.get("MD_UUID", "").replace(":", "")
    return arrays[0], str(uuid.UUID(raw)) if len(raw) == 32 else ""


def _busy_reason(path: str) -> str:
    """Who keeps a device busy: devices on it, processes with it open, or that nobody visible does."""
    holders = kernel_holders(path)
    users = _holders_of_nodes({path})
    parts = []
    if holders:
        parts.append("devices on it: " + ", ".join(holders))
    if users:
        parts.append("open by processes " + ", ".join(str(pid) for pid in sorted(users)))
    return "; ".join(parts) or "no device or process visibly holds it"


def _stop_md(path: str, attempts: int = 5) -> None:
    """Stop an array; udev may still be probing it right after what sat on it went away, so settle and retry.

    Device-mapper devices that reappeared on it (a PV scan by udev) are removed again before each retry.
    """
    for attempt in range(attempts):
        settle(30, error=ApplyError)
        for holder in kernel_holders(path):
            if holder.startswith("/dev/mapper/"):
                run(["dmsetup", "remove", "--retry", holder], error=ApplyError, ok=(0, 1))
        try:
            run(["mdadm", "--stop", path], error=ApplyError)
            return
        except ApplyError as exc:
            if attempt == attempts - 1:
                raise ApplyError(f"{path}: cannot stop the array ({_busy_reason(path)})", hint=str(exc)) from exc
            time.sleep(1)


def _zero(device: str, offset: int, length: int) -> None:
    """Write zeros over ``length`` bytes at ``offset`` (clipped to the device)."""
    with open(device, "r+b", buffering=0) as handle:
        end = handle.seek(0, os.SEEK_END)
        offset = max(0, min(offset, end))
        length = max(0, min(length, end - offset))
        handle.seek(offset)
        handle.write(b"\0" * length)
        os.fsync(handle.fileno())


def wipe(disk: str, planned: Iterable[tuple[int, int]]) -> list[str]:
    """Remove every signature from a disk and its partitions; ``planned`` are (offset, length) of new partitions."""
    node = tree(disk)
    done = []
    for part in [n for n in node.children if n.kind == "part"]:
        run(["wipefs", "--all", "--force", part.path], error=ApplyError)
        run(["mdadm", "--zero-superblock", "--force", part.path], error=ApplyError, ok=(0, 1, 2))
        done.append(f"wiped {part.path}")
    regions = [(0, node.size)] + [(p.start, p.size) for p in node.children if p.kind == "part"] + list(planned)
    run(["wipefs", "--all", "--force", disk], error=ApplyError)
    for offset, length in regions:
        _zero(disk, offset, min(MIB, length))
        _zero(disk, offset + max(0, length - MIB), min(MIB, length))
    run(["blockdev", "--rereadpt", disk], error=ApplyError, ok=(0, 1))
    settle(60, error=ApplyError)
    done.append(f"wiped {disk} (signatures, first and last MiB of old and new partitions)")
    return done


def planned_regions(plan: Plan, disk_path: str) -> list[tuple[int, int]]:
    """(offset, length) in bytes of each partition the plan creates on a disk."""
    return [
        (s.start * s.sector_size, (s.end - s.start + 1) * s.sector_size)
        for s in plan.steps
        if isinstance(s, CreatePartition) and s.disk == disk_path
    ]
