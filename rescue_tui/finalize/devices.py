"""Every device of the recovered layout: what the original system called it, what it is called now,
and which identities (UUID, label, PARTUUID, GPT name) the restored system can find it by.

Apply preserves filesystem, swap, LUKS and md UUIDs, labels, PARTUUIDs and GPT
names; LVM UUIDs are new; LVM, LUKS mapping and md names are kept (crypttab
and mdadm.conf keep naming them). What changes are the kernel names of disks
and their partitions (``sda2`` becomes ``vdb2``), and what names hardware
(``/dev/disk/by-id``, ``by-path``). So a reference that names an identity
or a kept name is *stable*; one that names a disk or partition node that
changed is not, and is best rewritten to an identity.

:func:`DeviceMap.lookup` answers, for any device spec found in a config file
(``UUID=...``, ``/dev/sda2``, ``/dev/disk/by-id/...``), which layout device it
means and whether it still finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from rescue_tui.layout.model import (
    Disk,
    Filesystem,
    Item,
    Layout,
    Luks,
    LvmLv,
    LvmVg,
    MdArray,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.plan.model import CreateLv, CreateMd, CreatePartition, OpenLuks, Plan, PlannedDisk

ContentKind = Literal["filesystem", "swap", "luks"]
How = Literal["uuid", "label", "partuuid", "partlabel", "node", "by-id", "by-path", "other"]

_TAG = re.compile(r"^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$", re.IGNORECASE)
_BY_DIR = re.compile(r"^/dev/disk/by-(uuid|label|partuuid|partlabel|id|path)/(.+)$")
_TAG_HOW: dict[str, How] = {"uuid": "uuid", "label": "label", "partuuid": "partuuid", "partlabel": "partlabel"}
_PART_SUFFIX = re.compile(r"^(.*)-part(\d+)$")


@dataclass(frozen=True, kw_only=True)
class Content:
    """What sits on a block device, with the identities the restored system finds it by."""

    kind: ContentKind
    item: str
    uuid: str | None = None
    label: str | None = None
    fstype: str | None = None


@dataclass(frozen=True, kw_only=True)
class Device:
    """One block device of the layout."""

    id: str
    type: str
    """Layout item type: disk, partition, md_array, luks or lvm_lv."""
    names: tuple[str, ...]
    """Names on the original system; the first is its device node."""
    node: str | None
    """Its node in the rescue system now (from the plan); None when the plan does not recreate it."""
    boot_node: str | None
    """What the restored system will call it; None when the plan does not recreate it."""
    partuuid: str | None = None
    partlabel: str | None = None
    number: int | None = None
    """Partition number."""
    holder: str | None = None
    """For a partition: the layout id of the disk or md array that holds it."""
    md_uuid: str | None = None
    md_name: str | None = None
    md_metadata: str | None = None
    member_of: str | None = None
    """The layout id of the md array this device is a member (or spare) of."""
    serial: str | None = None
    """For a disk: the original serial (``/dev/disk/by-id`` names carry it)."""
    wwn: str | None = None
    by_path: str | None = None
    lvm_uuid: str | None = None
    """For an LV: its original UUID (``dm-uuid-LVM-...`` names carry it; recovery gives a new one)."""
    content: Content | None = None

    @property
    def recreated(self) -> bool:
        return self.boot_node is not None

    @property
    def renamed(self) -> bool:
        """True when the restored system will know it by another node than the original one."""
        return self.boot_node is not None and self.boot_node != self.names[0]


@dataclass(frozen=True)
class Lookup:
    """What a device spec from a config file means now."""

    spec: str
    how: How
    device: Device | None = None
    stable: bool = False
    """True when the spec still finds this device on the restored system."""
    candidates: int = 0
    """How many layout devices carry the identity (more than one is ambiguous)."""

    @property
    def is_device_spec(self) -> bool:
        """True for specs that name a block device (not ``proc``, ``tmpfs``, ``server:/x``, a file)."""
        return self.how != "other"

    @property
    def found(self) -> bool:
        return self.device is not None


def md_uuid_key(uuid: str) -> str:
    """An md (or any) UUID as 32 lower-case hex digits, whatever its separators."""
    return re.sub(r"[^0-9a-f]", "", uuid.lower())


def partition_node(holder: str, number: int) -> str:
    """``/dev/sda`` + 2 -> ``/dev/sda2``; ``/dev/nvme0n1`` + 2 -> ``/dev/nvme0n1p2``."""
    return f"{holder}p{number}" if holder[-1:].isdigit() else f"{holder}{number}"


def mapper_name(vg: str, lv: str) -> str:
    """The device-mapper name of an LV: dashes doubled, joined by one dash."""
    return f"{vg.replace('-', '--')}-{lv.replace('-', '--')}"


def unescape_udev(name: str) -> str:
    r"""udev writes blanks and slashes in labels as ``\x20``, ``\x2f``."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), name)


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


class DeviceMap:
    """The layout's block devices, indexed by every name and identity a config file may use."""

    def __init__(self, devices: Iterable[Device], *, same_disk: Mapping[str, tuple[bool, bool]] | None = None) -> None:
        self.devices: dict[str, Device] = {d.id: d for d in devices}
        self.same_disk = dict(same_disk or {})
        """Disk id -> (same serial, same by-path) as the target disk: then by-id / by-path names still hold."""
        self._names: dict[str, Device] = {}
        self._tags: dict[tuple[str, str], list[Device]] = {}
        for device in self.devices.values():
            for name in device.names:
                self._names.setdefault(name, device)
            content = device.content
            if content and content.uuid:
                self._tag("uuid", content.uuid, device)
            if content and content.label:
                self._tag("label", content.label, device)
            if device.partuuid:
                self._tag("partuuid", device.partuuid, device)
            if device.partlabel:
                self._tag("partlabel", device.partlabel, device)

    def _tag(self, kind: str, value: str, device: Device) -> None:
        key = value if kind in ("label", "partlabel") else value.lower()
        self._tags.setdefault((kind, key), []).append(device)

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_plan(cls, plan: Plan) -> DeviceMap:
        """The map for a plan: nodes come from its steps, target disks from its mapping."""
        nodes: dict[str, str] = {}
        for step in plan.steps:
            if isinstance(step, CreatePartition | CreateMd | OpenLuks | CreateLv) and step.item:
                nodes.setdefault(step.item, step.device)
        for disk in plan.disks:
            nodes[disk.source] = disk.path
        return cls.build(plan.layout, nodes, {d.source: d for d in plan.disks})

    @classmethod
    def build(
        cls, layout: Layout, nodes: Mapping[str, str], targets: Mapping[str, PlannedDisk] | None = None
    ) -> DeviceMap:
        """The map for a layout whose devices have these ``nodes`` now (layout id -> node)."""
        targets = targets or {}
        by_id = layout.by_id()
        contents = _contents(layout)
        member_of = {m: md.id for md in layout.of_type(MdArray) for m in (*md.members, *md.spares)}
        devices: list[Device] = []
        same_disk: dict[str, tuple[bool, bool]] = {}
        for item in layout.items:
            content = contents.get(item.id)
            if isinstance(item, Disk):
                name = item.path or f"/dev/{item.name}"
                node = nodes.get(item.id)
                devices.append(
                    Device(
                        id=item.id,
                        type=item.type,
                        names=_unique(name, f"/dev/{item.name}"),
                        node=node,
                        boot_node=node,
                        serial=item.serial,
                        wwn=item.wwn,
                        by_path=item.by_path,
                        member_of=member_of.get(item.id),
                        content=content,
                    )
                )
                target = targets.get(item.id)
                if target is not None:
                    same_disk[item.id] = (
                        bool(item.serial) and item.serial == target.serial,
                        bool(item.by_path) and item.by_path == target.by_path,
                    )
            elif isinstance(item, Partition):
                devices.append(_partition(item, by_id, nodes, content, member_of.get(item.id)))
            elif isinstance(item, MdArray):
                devices.append(_md(item, nodes, content))
            elif isinstance(item, Luks):
                name = item.path or f"/dev/mapper/{item.name}"
                recreated = item.id in nodes
                devices.append(
                    Device(
                        id=item.id,
                        type=item.type,
                        names=_unique(name, f"/dev/mapper/{item.name}"),
                        node=nodes.get(item.id),
                        boot_node=name if recreated else None,
                        content=content,
                    )
                )
            elif isinstance(item, LvmLv):
                vg = by_id.get(item.vg)
                vg_name = vg.name if isinstance(vg, LvmVg) else item.vg
                plain = f"/dev/{vg_name}/{item.name}"
                mapper = f"/dev/mapper/{mapper_name(vg_name, item.name)}"
                recreated = item.id in nodes
                devices.append(
                    Device(
                        id=item.id,
                        type=item.type,
                        names=_unique(item.path or plain, plain, mapper),
                        node=nodes.get(item.id),
                        boot_node=(item.path or plain) if recreated else None,
                        lvm_uuid=item.uuid,
                        content=content,
                    )
                )
        return cls(devices, same_disk=same_disk)

    # -- questions -----------------------------------------------------------------------------

    def lookup(self, spec: str) -> Lookup:
        """Which layout device ``spec`` names, and whether the restored system still finds it by it."""
        value = unquote(spec.strip())
        tag = _TAG.match(value)
        if tag:
            return self._by_tag(spec, tag.group(1).lower(), unquote(tag.group(2)))
        by_dir = _BY_DIR.match(value)
        if by_dir:
            kind, name = by_dir.group(1), unescape_udev(by_dir.group(2))
            if kind == "id":
                return self._by_id(spec, name)
            if kind == "path":
                return self._by_path(spec, name)
            return self._by_tag(spec, kind, name)
        if value.startswith("/dev/"):
            device = self._names.get(value)
            if device is None:
                return Lookup(spec, "node")
            stable = device.recreated and not device.renamed
            return Lookup(spec, "node", device, stable, 1)
        return Lookup(spec, "other")

    def _by_tag(self, spec: str, kind: str, value: str) -> Lookup:
        key = value if kind in ("label", "partlabel") else value.lower()
        found = self._tags.get((kind, key), [])
        how = _TAG_HOW[kind]
        if not found:
            return Lookup(spec, how)
        device = found[0]
        return Lookup(spec, how, device, device.recreated and len(found) == 1, len(found))

    def _by_id(self, spec: str, name: str) -> Lookup:
        base, number = _split_part(name)
        if base.startswith("dm-name-"):
            mapped = base[len("dm-name-") :]
            device = self._names.get(f"/dev/mapper/{mapped}")
            return Lookup(spec, "by-id", device, device is not None and device.recreated, int(device is not None))
        if base.startswith("dm-uuid-LVM-"):
            device = self._lv_by_dm_uuid(base[len("dm-uuid-LVM-") :])
            return Lookup(spec, "by-id", device, False, int(device is not None))  # LVM UUIDs are new
        if base.startswith("md-uuid-"):
            key = md_uuid_key(base[len("md-uuid-") :])
            device = next((d for d in self.devices.values() if d.md_uuid and md_uuid_key(d.md_uuid) == key), None)
            return Lookup(spec, "by-id", device, device is not None and device.recreated, int(device is not None))
        if base.startswith("md-name-"):
            md_name = base[len("md-name-") :]
            device = next((d for d in self.devices.values() if d.md_name == md_name), None)
            return Lookup(spec, "by-id", device, device is not None and device.recreated, int(device is not None))
        disk = self._disk_by_hardware_id(base)
        if disk is None:
            return Lookup(spec, "by-id")
        device = self._partition_of(disk, number) if number else disk
        same_serial = self.same_disk.get(disk.id, (False, False))[0]
        return Lookup(spec, "by-id", device, device is not None and device.recreated and same_serial, 1)

    def _by_path(self, spec: str, name: str) -> Lookup:
        base, number = _split_part(name)
        disk = next((d for d in self.devices.values() if d.type == "disk" and d.by_path == base), None)
        if disk is None:
            return Lookup(spec, "by-path")
        device = self._partition_of(disk, number) if number else disk
        same_path = self.same_disk.get(disk.id, (False, False))[1]
        return Lookup(spec, "by-path", device, device is not None and device.recreated and same_path, 1)

    def _partition_of(self, holder: Device, number: int) -> Device | None:
        return next((d for d in self.devices.values() if d.holder == holder.id and d.number == number), None)

    def _disk_by_hardware_id(self, base: str) -> Device | None:
        for device in self.devices.values():
            if device.type != "disk":
                continue
            serial, wwn = device.serial, device.wwn
            if serial and (base.endswith("_" + serial) or base.endswith("-" + serial)):
                return device
            if wwn:
                bare = wwn.lower().removeprefix("0x").removeprefix("eui.")
                if base.lower() in (f"wwn-{wwn.lower()}", f"wwn-0x{bare}", f"nvme-eui.{bare}") or (
                    base.lower().endswith(bare) and len(bare) >= 12
                ):
                    return device
        return None

    def _lv_by_dm_uuid(self, dm_uuid: str) -> Device | None:
        for device in self.devices.values():
            lv_uuid = device.lvm_uuid
            if lv_uuid and dm_uuid.endswith(lv_uuid.replace("-", "")):
                return device
        return None

    def of_type(self, kind: str) -> list[Device]:
        return [d for d in self.devices.values() if d.type == kind]

    def by_content_uuid(self, uuid: str, kind: ContentKind | None = None) -> Device | None:
        for device in self._tags.get(("uuid", uuid.lower()), []):
            if kind is None or (device.content and device.content.kind == kind):
                return device
        return None

    def md_by_uuid(self, uuid: str) -> Device | None:
        key = md_uuid_key(uuid)
        return next((d for d in self.of_type("md_array") if d.md_uuid and md_uuid_key(d.md_uuid) == key), None)


def _split_part(name: str) -> tuple[str, int | None]:
    m = _PART_SUFFIX.match(name)
    return (m.group(1), int(m.group(2))) if m else (name, None)


def _unique(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def _contents(layout: Layout) -> dict[str, Content]:
    out: dict[str, Content] = {}
    for item in layout.items:
        if isinstance(item, Filesystem):
            out[item.device] = Content(
                kind="filesystem", item=item.id, uuid=item.uuid, label=item.label, fstype=item.fstype
            )
        elif isinstance(item, Swap):
            out[item.device] = Content(kind="swap", item=item.id, uuid=item.uuid, label=item.label, fstype="swap")
        elif isinstance(item, Luks):
            out[item.device] = Content(
                kind="luks", item=item.id, uuid=item.uuid, label=item.label, fstype="crypto_LUKS"
            )
    return out


def _partition(
    item: Partition, by_id: dict[str, Item], nodes: Mapping[str, str], content: Content | None, member_of: str | None
) -> Device:
    table = by_id.get(item.table)
    holder_id = table.device if isinstance(table, PartitionTable) else None
    holder = by_id.get(holder_id or "")
    holder_path = (holder.path or f"/dev/{holder.name}") if isinstance(holder, Disk | MdArray) else None
    derived = partition_node(holder_path, item.number) if holder_path else None
    original = item.path or derived or f"<partition {item.id}>"
    node = nodes.get(item.id)
    # on an md array the array keeps its name, so the partition keeps its own
    boot_node = (original if node is not None else None) if isinstance(holder, MdArray) else node
    return Device(
        id=item.id,
        type=item.type,
        names=_unique(original, derived or ""),
        node=node,
        boot_node=boot_node,
        partuuid=item.partuuid,
        partlabel=item.name,
        number=item.number,
        holder=holder_id,
        member_of=member_of,
        content=content,
    )


def _md(item: MdArray, nodes: Mapping[str, str], content: Content | None) -> Device:
    name = item.path or f"/dev/{item.name}"
    aliases = [name, f"/dev/{item.name}", f"/dev/md/{item.name}"]
    if re.fullmatch(r"md\d+", item.name):
        aliases.append(f"/dev/md/{item.name[2:]}")
    if item.array_name:
        aliases += [f"/dev/md/{item.array_name}", f"/dev/md/{item.array_name.split(':')[-1]}"]
    recreated = item.id in nodes
    return Device(
        id=item.id,
        type=item.type,
        names=_unique(*aliases),
        node=nodes.get(item.id),
        boot_node=name if recreated else None,
        md_uuid=item.uuid,
        md_name=item.array_name,
        md_metadata=item.metadata,
        content=content,
    )
