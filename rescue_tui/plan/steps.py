"""Turn the ordered blivet actions into plan steps, and add what blivet does not do.

Each storage step comes from one blivet action (geometry, sizes and names as
blivet computed them). Around them: a wipe of every target first; identity
fix-ups blivet cannot set at creation (GPT names, PARTUUIDs, disk GUID, md
UUID and name, LUKS UUID and label, btrfs UUID); btrfs subvolumes; and the
mounts of the target tree in mount order. Every step carries the shell
command an operator would type for the same effect.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from blivet.devices import LUKSDevice, LVMLogicalVolumeDevice, LVMVolumeGroupDevice, MDRaidArrayDevice, PartitionDevice

from rescue_tui.inventory.model import TargetDisk
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    BtrfsSubvolume,
    Filesystem,
    Item,
    Luks,
    MdArray,
    Mount,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.layout.partition_types import LINUX_DATA
from rescue_tui.plan.blivet_model import BlivetModel
from rescue_tui.plan.model import (
    CreateDisklabel,
    CreateLv,
    CreateMd,
    CreatePartition,
    CreatePv,
    CreateSubvolume,
    CreateVg,
    IdentityField,
    LuksFormat,
    MakeFilesystem,
    MakeSwap,
    MountStep,
    OpenLuks,
    Rescan,
    SetIdentity,
    Step,
    WipeDisk,
)
from rescue_tui.plan.order import action_edges, order_actions, order_steps

SKIPPED_FORMATS = ("mdmember", "biosboot", "prepboot")
"""Formats that are only a partition type: the create-partition step says them (part_format)."""


def q(*words: object) -> str:
    """A shell command line, quoted."""
    return " ".join(shlex.quote(str(w)) for w in words)


@dataclass
class _Collector:
    """Accumulates steps with fresh ids and remembers which step finished each layout item."""

    steps: list[Step] = field(default_factory=list)
    last_for_item: dict[str, str] = field(default_factory=dict)

    def next_id(self) -> str:
        return f"s{len(self.steps) + 1:03d}"

    def add(self, step_cls: type[Step], **fields: Any) -> Step:
        step = step_cls(id=self.next_id(), **fields)
        self.steps.append(step)
        if step.item is not None:
            self.last_for_item[step.item] = step.id
        return step


class StepBuilder:
    """Builds the plan's steps for one target layout and its blivet models (one per stage, see ``plan.stages``)."""

    def __init__(
        self, graph: LayoutGraph, models: list[BlivetModel], targets: dict[str, TargetDisk], target_root: str
    ) -> None:
        self.layout = graph.layout
        self.graph = graph
        self.models = models
        self.devices: dict[str, Any] = {}
        """Layout id -> the blivet device that makes it (an array's stand-in in a later stage is not one)."""
        self.items_of: dict[int, str] = {}
        for model in models:
            for item_id, device in model.devices.items():
                self.devices.setdefault(item_id, device)
            self.items_of.update(model.items_of)  # blivet device ids are unique across trees
        self.targets = targets
        self.target_root = target_root.rstrip("/") or "/"
        self.out = _Collector()
        self.actions_of: dict[str, list[Any]] = {}
        """Step id -> the blivet actions apply executes for it; actions with no step of their own
        (a format that is only a partition flag, destroying nothing) ride with the step before them."""
        self.disk_target = {
            item_id: targets[device.name]  # the sparse files are named like their targets
            for item_id, device in models[0].devices.items()
            if self.graph.items[item_id].type == "disk"
        }

    # -- names -----------------------------------------------------------------------------------

    def node(self, device: Any) -> str:
        """The device node the real target will have."""
        if isinstance(device, PartitionDevice):
            return f"/dev/{device.name}"
        item_id = self.items_of.get(device.id)
        if item_id in self.disk_target:
            return self.disk_target[item_id].path
        made_by = self.devices.get(item_id or "")
        if made_by is not None and made_by is not device:
            return self.node(made_by)  # a later stage's base: the array the first stage makes
        return str(device.path)

    def content(self, item_id: str) -> Item | None:
        return self.graph.consumer(item_id)

    # -- steps -----------------------------------------------------------------------------------

    def build(self) -> list[Step]:
        wipes = [self._wipe(disk_id) for disk_id in self.disk_target]
        built: list[Step] = []
        on_bases: list[tuple[Any, tuple[str, ...]]] = []
        """A later stage's bases (the arrays) and the rescan step what stands on them waits for."""
        for stage, model in enumerate(self.models):
            if stage:
                bases = [d for i, d in model.devices.items() if isinstance(self.graph.items[i], MdArray)]
                arrays = tuple(self.node(d) for d in bases)
                rescan = self.out.add(
                    Rescan,
                    item=None,
                    device=arrays[0],
                    after=tuple(s.id for s in self.out.steps),
                    arrays=arrays,
                    command=q("udevadm", "settle") + " && " + q("mdadm", "--detail", *arrays),
                )
                on_bases = [(d, (rescan.id,)) for d in bases]
            built += self._stage(model, wipes, on_bases)
        # Identities are fixed once blivet is done: parted rewrites a GPT from its own copy whenever
        # blivet touches a partition. md arrays are the exception: one can only be renamed while
        # nothing sits on it, so its fix-ups follow its creation (apply runs them in between).
        barrier = self.out.steps[-1].id
        for step in built:
            self._fixups_after(step, barrier)
        self._subvolumes()
        self._mounts()
        return self._ordered()

    def _stage(self, model: BlivetModel, wipes: list[Step], on_bases: list[tuple[Any, tuple[str, ...]]]) -> list[Step]:
        """Steps of one stage's blivet actions (md fix-ups right after each array); returns the others built."""
        actions = list(model.scheduled)
        ordered = order_actions(actions)
        index = {id(a): i for i, a in enumerate(actions)}
        edges = action_edges(actions)
        step_of_action: dict[int, list[str]] = {}
        built: list[Step] = []
        riders: list[Any] = []
        carrier = ""
        for action in ordered:
            i = index[id(action)]
            inherited = sorted({s for j in edges[i] for s in step_of_action.get(j, [])})
            after = (
                tuple(inherited)
                or tuple(w.id for w in wipes if _stands_on(action.device, self.devices.get(w.item or "")))
                or next((a for base, a in on_bases if _stands_on(action.device, base)), ())
            )
            step = self._from_action(action, after)
            step_of_action[i] = [step.id] if step is not None else list(after)
            if step is None and not carrier:
                riders.append(action)
            elif step is None:
                self.actions_of.setdefault(carrier, []).append(action)
            else:
                carrier = step.id
                self.actions_of[step.id] = [*riders, action]
                riders = []
            if isinstance(step, CreateMd):
                self._fixups_after(step, step.id)  # what is built on the array waits for its identity
                step_of_action[i] = [self.out.last_for_item[step.item or ""]]
            elif step is not None:
                built.append(step)
        return built

    def _wipe(self, disk_id: str) -> Step:
        target = self.disk_target[disk_id]
        return self.out.add(
            WipeDisk,
            item=None,
            device=target.path,
            found=target.signatures,
            command=q("wipefs", "--all", "--force", target.path)
            + "  # and every partition, md superblock and LVM label on it",
        )

    def _from_action(self, action: Any, after: tuple[str, ...]) -> Step | None:
        device = action.device
        item_id = self.items_of.get(device.id)
        node = self.node(device)
        if action.is_destroy:
            return None  # the wipe step does it: the targets are wiped whole first
        if action.is_format:
            return self._format_step(action, item_id, node, after)
        if isinstance(device, PartitionDevice):
            return self._partition_step(device, item_id, node, after)
        if isinstance(device, MDRaidArrayDevice):
            md = self.graph.items[item_id or ""]
            assert isinstance(md, MdArray)
            members = tuple(self.node(p) for p in device.parents)
            chunk = md.chunk_kib if md.level not in ("raid1", "linear") else None
            cmd: list[object] = ["mdadm", "--create", node, "--run", f"--level={md.level}"]
            cmd += [f"--raid-devices={len(md.members)}"]
            cmd += [f"--metadata={md.metadata}"] + ([f"--chunk={chunk}"] if chunk else [])
            cmd += [f"--spare-devices={len(md.spares)}"] if md.spares else []
            return self.out.add(
                CreateMd,
                item=item_id,
                device=node,
                after=after,
                level=md.level,
                members=members,
                spares=len(md.spares),
                metadata=md.metadata,
                chunk_kib=chunk,
                size=int(device.size),
                command=q(*cmd, *members),
            )
        if isinstance(device, LUKSDevice):
            luks = self.graph.items[item_id or ""]
            assert isinstance(luks, Luks)
            source = self.node(device.parents[0])
            return self.out.add(
                OpenLuks,
                item=item_id,
                device=f"/dev/mapper/{luks.name}",
                after=after,
                name=luks.name,
                source=source,
                command=q("cryptsetup", "open", source, luks.name),
            )
        if isinstance(device, LVMVolumeGroupDevice):
            pvs = tuple(self.node(p) for p in device.parents)
            pe = int(device.pe_size)
            return self.out.add(
                CreateVg,
                item=item_id,
                device=f"/dev/{device.name}",
                after=after,
                name=device.name,
                pvs=pvs,
                pe_size=pe,
                size=int(device.size),
                command=q("vgcreate", "-s", f"{pe // 1024}k", device.name, *pvs),
            )
        if isinstance(device, LVMLogicalVolumeDevice):
            return self._lv_step(device, item_id, after)
        return None

    def _partition_step(self, device: Any, item_id: str | None, node: str, after: tuple[str, ...]) -> Step:
        part = self.graph.items[item_id or ""]
        assert isinstance(part, Partition)
        geometry = device.parted_partition.geometry
        disk_node = self.node(device.disk)
        fmt = device.format.type
        kind = part.kind
        # parted's mkpart takes the msdos partition kind, or on GPT the partition name, first
        first = part.name or "" if self._table_of(part).label == "gpt" else kind
        cmd = q("parted", "-s", disk_node, "unit", "s", "mkpart", first, geometry.start, geometry.end)
        for flag in part.flags:
            cmd += " && " + q("parted", "-s", disk_node, "set", device.parted_partition.number, flag, "on")
        return self.out.add(
            CreatePartition,
            item=item_id,
            device=node,
            after=after,
            disk=disk_node,
            number=int(device.parted_partition.number),
            start=int(geometry.start),
            end=int(geometry.end),
            sector_size=int(device.disk.format.parted_device.sectorSize),
            part_kind=kind,
            part_format=fmt,
            command=cmd,
        )

    def _table_of(self, part: Partition) -> PartitionTable:
        table = self.graph.items[part.table]
        assert isinstance(table, PartitionTable)
        return table

    def _format_step(self, action: Any, item_id: str | None, node: str, after: tuple[str, ...]) -> Step | None:
        fmt = action.format
        kind = fmt.type
        content = self.content(item_id) if item_id else None
        content_id = content.id if content else item_id
        if kind == "disklabel":
            return self.out.add(
                CreateDisklabel,
                item=content_id,
                device=node,
                after=after,
                label=fmt.label_type,
                command=q("parted", "-s", node, "mklabel", fmt.label_type),
            )
        if kind in SKIPPED_FORMATS or kind is None:
            return None
        if kind == "luks":
            assert isinstance(content, Luks)
            cmd: list[object] = ["cryptsetup", "luksFormat", "--type", f"luks{content.version}"]
            cmd += ["--cipher", content.cipher] if content.cipher else []
            cmd += ["--key-size", content.key_size] if content.key_size else []
            cmd += ["--pbkdf", content.pbkdf] if content.pbkdf else []
            return self.out.add(
                LuksFormat,
                item=content_id,
                device=node,
                after=after,
                version=content.version,
                cipher=content.cipher,
                key_size=content.key_size,
                pbkdf=content.pbkdf,
                command=q(*cmd, node),
            )
        if kind == "lvmpv":
            return self.out.add(CreatePv, item=content_id, device=node, after=after, command=q("pvcreate", node))
        if kind == "swap":
            assert isinstance(content, Swap)
            swap_opts = (["-U", content.uuid] if content.uuid else []) + (
                ["-L", content.label] if content.label else []
            )
            return self.out.add(
                MakeSwap,
                item=content_id,
                device=node,
                after=after,
                uuid=content.uuid,
                label=content.label,
                command=q("mkswap", *swap_opts, node),
            )
        assert isinstance(content, Filesystem)
        return self.out.add(
            MakeFilesystem,
            item=content_id,
            device=node,
            after=after,
            fstype=content.fstype,
            uuid=content.uuid,
            label=content.label,
            command=_mkfs_command(content, node),
        )

    def _lv_step(self, device: Any, item_id: str | None, after: tuple[str, ...]) -> Step:
        vg = device.vg.name
        name = device.lvname
        size = int(device.size)
        pool: str | None = None
        if device.is_thin_pool:
            segment = "thin-pool"
            meta = int(device.metadata_size) if device.metadata_size else None
            cmd = ["lvcreate", "--type", "thin-pool", "-L", f"{size}b"]
            cmd += ["--poolmetadatasize", f"{meta}b"] if meta else []
        elif device.is_thin_lv:
            segment, pool = "thin", device.pool.lvname
            cmd = ["lvcreate", "--type", "thin", "-V", f"{size}b", "--thinpool", pool]
        else:
            segment = "linear"
            cmd = ["lvcreate", "-L", f"{size}b"]
        return self.out.add(
            CreateLv,
            item=item_id,
            device=f"/dev/{vg}/{name}",
            after=after,
            vg=vg,
            name=name,
            size=size,
            segment_type=segment,
            pool=pool,
            command=q(*cmd, "-n", name, vg),
        )

    # -- what blivet does not do -------------------------------------------------------------------

    def _fixups_after(self, step: Step, barrier: str) -> None:
        item = self.graph.items.get(step.item or "")

        def fix(step: Step, field: IdentityField, value: str, command: str) -> None:
            self._fixup(step, field, value, command, barrier)

        if isinstance(step, CreatePartition) and isinstance(item, Partition):
            table = self._table_of(item)
            if table.label == "gpt" and item.name:
                fix(step, "gpt-name", item.name, q("sgdisk", f"--change-name={step.number}:{item.name}", step.disk))
            if table.label == "gpt" and item.partuuid:
                fix(
                    step,
                    "partuuid",
                    item.partuuid,
                    q("sgdisk", f"--partition-guid={step.number}:{item.partuuid}", step.disk),
                )
            # Nothing on it for blivet to type it by: an ESP or a reserved partition left empty (the second disk's
            # ESP of a RAID pair, found by the drill of a real machine) would come back as Linux data.
            untyped = item.gpt_type if table.label == "gpt" and step.part_format is None else None
            if untyped and untyped.upper() != LINUX_DATA[1]:
                fix(step, "part-type", untyped, q("sgdisk", f"--typecode={step.number}:{untyped}", step.disk))
            if self._last_partition_of(item):
                self._table_fixups(table, step, barrier)
        elif isinstance(step, CreateMd) and isinstance(item, MdArray):
            if item.uuid:
                fix(
                    step,
                    "md-uuid",
                    item.uuid,
                    q("mdadm", "--stop", step.device)
                    + " && "
                    + q("mdadm", "--assemble", step.device, "--update=uuid", f"--uuid={item.uuid}", *step.members),
                )
            if item.array_name:
                fix(
                    step,
                    "md-name",
                    item.array_name,
                    q("mdadm", "--stop", step.device)
                    + " && "
                    + q(
                        "mdadm", "--assemble", step.device, "--update=name", f"--name={item.array_name}", *step.members
                    ),
                )
        elif isinstance(step, LuksFormat) and isinstance(item, Luks):
            if item.uuid:
                fix(
                    step,
                    "luks-uuid",
                    item.uuid,
                    q("cryptsetup", "luksUUID", "--batch-mode", "--uuid", item.uuid, step.device),
                )
            if item.label:
                fix(step, "luks-label", item.label, q("cryptsetup", "config", "--label", item.label, step.device))
        elif isinstance(step, MakeFilesystem) and isinstance(item, Filesystem) and item.fstype == "btrfs" and item.uuid:
            label = ["-L", item.label] if item.label else []
            fix(step, "btrfs-uuid", item.uuid, q("mkfs.btrfs", "--force", "--uuid", item.uuid, *label, step.device))

    def _fixup(self, step: Step, field: IdentityField, value: str, command: str, barrier: str) -> None:
        previous = self.out.last_for_item.get(step.item or "", step.id)
        self.out.add(
            SetIdentity,
            item=step.item,
            device=step.device,
            after=tuple(sorted({previous, barrier})),
            field=field,
            value=value,
            command=command,
        )

    def _last_partition_of(self, part: Partition) -> bool:
        siblings = [p for p in self.layout.of_type(Partition) if p.table == part.table]
        numbers = [p.number for p in siblings]
        return part.number == max(numbers)

    def _table_fixups(self, table: PartitionTable, last: CreatePartition, barrier: str) -> None:
        if not table.disk_guid:
            return
        after = tuple(
            sorted(
                {
                    barrier,
                    *(self.out.last_for_item[p.id] for p in self.layout.of_type(Partition) if p.table == table.id),
                }
            )
        )
        field: IdentityField
        if table.label == "gpt":
            cmd = q("sgdisk", f"--disk-guid={table.disk_guid}", last.disk)
            field = "disk-guid"
        else:
            cmd = q("sfdisk", "--disk-id", last.disk, table.disk_guid)
            field = "disk-id"
        self.out.add(
            SetIdentity, item=table.id, device=last.disk, after=after, field=field, value=table.disk_guid, command=cmd
        )

    def _device_of_filesystem(self, fs_id: str) -> str:
        fs = self.graph.items[fs_id]
        assert isinstance(fs, Filesystem)
        return self.node(self.devices[fs.device])

    def _subvolumes(self) -> None:
        for sub in self.layout.of_type(BtrfsSubvolume):
            device = self._device_of_filesystem(sub.filesystem)
            after = (self.out.last_for_item[sub.filesystem],)
            cmd = q("btrfs", "subvolume", "create", f"<top-level of {device}>/{sub.path}")
            if sub.default:
                cmd += " && " + q("btrfs", "subvolume", "set-default", f"<top-level of {device}>/{sub.path}")
            self.out.add(
                CreateSubvolume,
                item=sub.id,
                device=device,
                after=after,
                path=sub.path,
                default=sub.default,
                command=cmd,
            )

    def _mounts(self) -> None:
        mounts = sorted(self.layout.of_type(Mount), key=lambda m: (m.path.count("/") - (m.path == "/"), m.path))
        placed: dict[str, str] = {}
        for mount in mounts:
            source = self.graph.items[mount.source]
            if isinstance(source, BtrfsSubvolume):
                fs_id, options = source.filesystem, _with_subvol(mount.options, source.path)
            else:
                fs_id, options = source.id, mount.options
            fs = self.graph.items[fs_id]
            assert isinstance(fs, Filesystem)
            device = self._device_of_filesystem(fs_id)
            parent = max(
                (p for p in placed if mount.path.startswith(p.rstrip("/") + "/") or p == "/"), key=len, default=None
            )
            after = [self.out.last_for_item[mount.source]]
            if parent is not None and parent != mount.path:
                after.append(placed[parent])
            where = self.target_root + ("" if mount.path == "/" else mount.path)
            step = self.out.add(
                MountStep,
                item=mount.id,
                device=device,
                after=tuple(after),
                mountpoint=mount.path,
                fstype=fs.fstype,
                options=options,
                command=q("mkdir", "-p", where) + " && " + q("mount", "-t", fs.fstype, "-o", options, device, where),
            )
            placed[mount.path] = step.id

    def _ordered(self) -> list[Step]:
        by_id = {s.id: s for s in self.out.steps}
        ids = order_steps([s.id for s in self.out.steps], {s.id: s.after for s in self.out.steps})
        return [by_id[i] for i in ids]


def _stands_on(device: Any, base: Any) -> bool:
    """``device`` is ``base`` or is built on it (a blivet device and one of its ancestors)."""
    return base is not None and (device is base or base in device.ancestors)


def _with_subvol(options: str, path: str) -> str:
    parts = [o for o in options.split(",") if o and o != "defaults" and not o.startswith(("subvol=", "subvolid="))]
    return ",".join([f"subvol={path}", *parts])


def _mkfs_command(fs: Filesystem, node: str) -> str:
    uuid, label = fs.uuid, fs.label
    label_opt = ["-n", label] if fs.fstype == "vfat" and label else (["-L", label] if label else [])
    if fs.fstype == "vfat":
        cmd = ["mkfs.vfat", *(["-i", uuid.replace("-", "")] if uuid else [])]
    elif fs.fstype == "xfs":
        cmd = ["mkfs.xfs", "-f", *(["-m", f"uuid={uuid}"] if uuid else [])]
    elif fs.fstype == "btrfs":
        cmd = ["mkfs.btrfs", "-f", *(["-U", uuid] if uuid else [])]
    else:
        cmd = [f"mkfs.{fs.fstype}", "-F", *(["-U", uuid] if uuid else [])]
    return q(*cmd, *label_opt, *fs.mkfs_options, node)


def build_steps(
    graph: LayoutGraph, models: list[BlivetModel], targets: dict[str, TargetDisk], *, target_root: str
) -> list[Step]:
    """Every step of the recovery, in order."""
    return StepBuilder(graph, models, targets, target_root).build()
