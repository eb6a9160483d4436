"""The block-device tree as ``lsblk --json`` reports it, and which disks to capture.

lsblk prints a device once under each of its parents (an md array under
every member, an LV under every PV); this module folds that into one node
per kernel name with the set of its parents, which is what the rest of
capture walks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rescue_tui.errors import CaptureError

LSBLK_COLUMNS = (
    "NAME,KNAME,PATH,MAJ:MIN,TYPE,SIZE,LOG-SEC,PHY-SEC,RM,RO,ROTA,TRAN,MODEL,SERIAL,WWN,"
    "FSTYPE,UUID,LABEL,PTTYPE,PTUUID,PARTTYPE,PARTLABEL,PARTUUID,FSUSED,MOUNTPOINTS"
)
"""The columns capture asks lsblk for."""

LIVE_MEDIUM_MOUNTS = ("/run/live/medium", "/lib/live/mount/medium", "/run/initramfs/live", "/cdrom")
"""Where live systems (ours included) mount the medium they booted from."""


@dataclass
class Node:
    """One block device, however many times lsblk printed it."""

    kname: str
    info: dict[str, Any]
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """lsblk's NAME: the device-mapper name for dm devices, else the kernel name."""
        return str(self.info.get("name") or self.kname)

    @property
    def path(self) -> str:
        return str(self.info.get("path") or f"/dev/{self.kname}")

    @property
    def type(self) -> str:
        return str(self.info.get("type") or "")

    def get(self, key: str) -> Any:
        """A column, with lsblk's empty strings read as missing."""
        value = self.info.get(key)
        return None if value == "" else value


def nodes_from_lsblk(document: dict[str, Any]) -> dict[str, Node]:
    """Every device in an lsblk JSON tree, keyed by kernel name, parents and children linked."""
    nodes: dict[str, Node] = {}

    def visit(entry: dict[str, Any], parent: str | None) -> None:
        kname = str(entry.get("kname") or entry.get("name"))
        node = nodes.get(kname)
        if node is None:
            node = nodes[kname] = Node(kname, {k: v for k, v in entry.items() if k != "children"})
        if parent is not None:
            if parent not in node.parents:
                node.parents.append(parent)
            if kname not in nodes[parent].children:
                nodes[parent].children.append(kname)
        for child in entry.get("children") or ():
            visit(child, kname)

    for top in document.get("blockdevices") or ():
        visit(top, None)
    return nodes


def descendants(nodes: dict[str, Node], roots: Iterable[str]) -> list[str]:
    """The roots and everything below them, each once, parents before children."""
    seen: list[str] = []
    stack = list(reversed(list(roots)))
    while stack:
        kname = stack.pop()
        if kname in seen or kname not in nodes:
            continue
        seen.append(kname)
        stack.extend(reversed(nodes[kname].children))
    return seen


def mountpoints(node: Node) -> list[str]:
    """Where a device is mounted now."""
    found = node.get("mountpoints") or [node.get("mountpoint")]  # lsblk < 2.37 has only MOUNTPOINT
    return [m for m in found if m]


def exclusion_reason(nodes: dict[str, Node], node: Node) -> str | None:
    """Why a top-level device is not part of the machine's storage, or None when it is."""
    if node.type == "rom" or node.kname.startswith("sr"):
        return "optical drive"
    if node.kname.startswith("zram"):
        return "compressed RAM disk"
    if node.kname.startswith("ram"):
        return "RAM disk"
    if node.type == "loop":
        return "loop device (name it explicitly to capture it)"
    if node.type != "disk":
        return f"not a disk ({node.type})"
    if not node.get("size"):
        return "no medium (size 0)"
    for kname in descendants(nodes, [node.kname]):
        below = nodes[kname]
        if below.get("fstype") == "iso9660" or any(m.startswith(LIVE_MEDIUM_MOUNTS) for m in mountpoints(below)):
            return "the rescue medium"
    return None


def select_disks(
    nodes: dict[str, Node], devices: Sequence[str] | None, backup_mounts: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """The disks to capture and, one line each, the top-level devices left out.

    With ``devices`` given, exactly those are captured, whatever their type
    (loop devices stand in for disks in tests); each must be a top-level
    block device. Without it, every real disk except the rescue medium and a
    disk with a filesystem mounted at one of ``backup_mounts``: the disk the
    backup is being written to is not the machine's storage, and a recovery
    must not recreate it.
    """
    tops = [n for n in nodes.values() if not n.parents]
    if devices is not None:
        wanted: list[str] = []
        for device in devices:
            kname = device.removeprefix("/dev/")
            node = nodes.get(kname) or next((n for n in tops if n.path == device), None)
            if node is None:
                raise CaptureError(f"cannot capture {device}: lsblk does not list it")
            if node.parents:
                raise CaptureError(f"cannot capture {device}: it is not a whole disk (it sits on {node.parents[0]})")
            if node.kname not in wanted:
                wanted.append(node.kname)
        excluded = [f"{n.kname}: not among the devices asked for" for n in tops if n.kname not in wanted]
        return wanted, excluded
    chosen: list[str] = []
    excluded = []
    for node in tops:
        reason = exclusion_reason(nodes, node)
        if reason is None:
            holding = sorted(
                m for kname in descendants(nodes, [node.kname]) for m in mountpoints(nodes[kname]) if m in backup_mounts
            )
            reason = f"holds the backup being made (mounted at {holding[0]})" if holding else None
        if reason is None:
            chosen.append(node.kname)
        elif node.type != "loop":
            excluded.append(f"{node.kname}: {reason}")
    return chosen, excluded
