"""The disks present now, read from udev and sysfs. Read-only: nothing here opens a disk for writing.

A disk is refused as a target when it holds the running rescue system, the
running system's root, anything mounted or active swap, or an active holder
(md, device-mapper): ``TargetDisk.refusal`` says which.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyudev

from rescue_tui.boot.cmdline import parse_cmdline
from rescue_tui.inventory.model import Inventory, TargetDisk

SKIP_PREFIXES = ("ram", "zram", "sr", "fd", "md", "dm-", "nbd", "zd")
"""Block devices that are never disks to recover onto (md and dm are built, not bought)."""
RESCUE_MEDIUM_MOUNTS = ("/run/live/medium", "/lib/live/mount/medium", "/run/initramfs/live")
"""Where live-boot and dracut mount the medium the rescue system booted from."""
MEDIUM_LABEL = "RESCUE_TUI"
"""The volume label of our ISO (``iso/lib/pack.sh``): any such medium is a rescue stick, never a target."""


def mount_table(mountinfo: str) -> list[tuple[str, str, str]]:
    """(major:minor, mount point, source) for every mount in a mountinfo text."""
    table = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 2:
            table.append((fields[2], fields[4].replace("\\040", " "), tail[1]))
    return table


def _swaps(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines()[1:] if line.strip()]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


class _Usage:
    """Mounts, swaps and holders of every block device, indexed once per inventory."""

    def __init__(self, mountinfo: str, swaps: str) -> None:
        self.by_devno: dict[str, list[str]] = {}
        self.by_node: dict[str, list[str]] = {}
        table = mount_table(mountinfo)
        for devno, point, source in table:
            self.by_devno.setdefault(devno, []).append(point)
            if source.startswith("/dev/"):
                self.by_node.setdefault(os.path.realpath(source), []).append(point)
        for node in _swaps(swaps):
            self.by_node.setdefault(os.path.realpath(node), []).append("[SWAP]")
        self.root_devno = next((devno for devno, point, _ in table if point == "/"), None)

    def mounts_of(self, device: Any) -> list[str]:
        devno = f"{os.major(device.device_number)}:{os.minor(device.device_number)}"
        return self.by_devno.get(devno, []) + self.by_node.get(device.device_node or "", [])


def _attr(device: Any, name: str) -> str | None:
    try:
        value = device.attributes.asstring(name).strip()
    except (KeyError, UnicodeDecodeError, OSError):
        return None
    return value or None


def _holders(sys_path: str) -> list[str]:
    try:
        return sorted(os.listdir(os.path.join(sys_path, "holders")))
    except OSError:
        return []


def _is_candidate(device: Any) -> bool:
    name = device.sys_name
    if name.startswith(SKIP_PREFIXES):
        return False
    if name.startswith("loop"):
        return _attr(device, "loop/backing_file") is not None  # unattached loops are not disks
    return int(_attr(device, "size") or 0) > 0


def _rescue_medium_nodes(usage_mountinfo: str) -> set[str]:
    nodes = set()
    for _, point, source in mount_table(usage_mountinfo):
        if point in RESCUE_MEDIUM_MOUNTS and source.startswith("/dev/"):
            nodes.add(os.path.realpath(source))
    return nodes


def _is_medium(members: list[Any], medium_uuid: str | None) -> bool:
    """The disk carries our boot medium: the volume GRUB booted from, or any rescue-tui ISO."""
    for member in members:
        props = member.properties
        if medium_uuid and props.get("ID_FS_UUID") == medium_uuid:
            return True
        if props.get("ID_FS_TYPE") == "iso9660" and props.get("ID_FS_LABEL") == MEDIUM_LABEL:
            return True
    return False


def _disk(device: Any, usage: _Usage, medium_nodes: set[str], medium_uuid: str | None = None) -> TargetDisk:
    props = device.properties
    parts = [c for c in device.children if c.device_type == "partition"]
    members = [device, *parts]
    mounts = sorted({m for d in members for m in usage.mounts_of(d)})
    holders = sorted({h for d in members for h in _holders(d.sys_path)})
    nodes = {d.device_node for d in members}
    root_devnos = {usage.root_devno} if usage.root_devno else set()
    devnos = {f"{os.major(d.device_number)}:{os.minor(d.device_number)}" for d in members}
    signatures = [props.get("ID_PART_TABLE_TYPE")] + [d.properties.get("ID_FS_TYPE") for d in members]
    rotational = _attr(device, "queue/rotational")
    return TargetDisk(
        name=device.sys_name,
        path=device.device_node,
        size=int(_attr(device, "size") or 0) * 512,  # sysfs counts 512-byte units whatever the sector size
        logical_sector_size=int(_attr(device, "queue/logical_block_size") or 512),
        physical_sector_size=int(_attr(device, "queue/physical_block_size") or 512),
        model=props.get("ID_MODEL") or _attr(device, "device/model"),
        serial=props.get("ID_SERIAL_SHORT") or props.get("ID_SERIAL"),
        wwn=props.get("ID_WWN"),
        by_path=props.get("ID_PATH"),
        transport=props.get("ID_BUS"),
        rotational=None if rotational is None else rotational == "1",
        removable=_attr(device, "removable") == "1",
        read_only=_attr(device, "ro") == "1",
        partitions=tuple(sorted(p.sys_name for p in parts)),
        holders=tuple(holders),
        mounts=tuple(mounts),
        rescue_medium=bool(nodes & medium_nodes) or _is_medium(members, medium_uuid),
        system_disk=bool(devnos & root_devnos),
        signatures=tuple(s for s in signatures if s),
    )


def live_inventory(*, context: pyudev.Context | None = None, cmdline: str | None = None) -> Inventory:
    """Every disk udev knows now, with what makes each unsafe to overwrite.

    The boot medium is recognised while mounted, and by its identity recorded at boot
    (``rescue.medium=`` on the kernel command line, ``cmdline`` when given) once it is not.
    """
    context = context or pyudev.Context()
    mountinfo = _read("/proc/self/mountinfo")
    usage = _Usage(mountinfo, _read("/proc/swaps"))
    medium = _rescue_medium_nodes(mountinfo)
    medium_uuid = parse_cmdline(_read("/proc/cmdline") if cmdline is None else cmdline).medium
    disks = [
        _disk(device, usage, medium, medium_uuid)
        for device in context.list_devices(subsystem="block", DEVTYPE="disk")
        if _is_candidate(device)
    ]
    return Inventory(disks=tuple(sorted(disks, key=lambda d: d.name)), source="live")


class DiskWatcher:
    """Calls back (from a background thread) when a disk appears or leaves; for the TUI's live update."""

    def __init__(self, on_change: Callable[[str, str], None], *, context: pyudev.Context | None = None) -> None:
        self._context = context or pyudev.Context()
        monitor = pyudev.Monitor.from_netlink(self._context)
        monitor.filter_by(subsystem="block", device_type="disk")
        self._observer = pyudev.MonitorObserver(monitor, callback=lambda d: self._event(d, on_change))

    @staticmethod
    def _event(device: Any, on_change: Callable[[str, str], None]) -> None:
        if device.action in ("add", "remove", "change"):
            on_change(device.action, device.sys_name)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.send_stop()
