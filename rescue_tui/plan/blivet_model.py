"""Build the target layout in a blivet device tree: the actions a recovery needs, scheduled, not run.

The same builder serves the plan (over sparse DiskFiles) and, later, apply
(over the real disks), so what is planned is what is done. It only
schedules actions in memory; executing them is ``rescue_tui.apply``'s job.
Each scheduled blivet device is tagged with the layout item it realises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import blivet
import blivet.util
import parted
from blivet import partitioning
from blivet.devicelibs import crypto
from blivet.devices import LUKSDevice, LVMLogicalVolumeDevice
from blivet.errors import StorageError
from blivet.formats import get_format
from blivet.formats.luks import LUKS2PBKDFArgs
from blivet.size import KiB, Size

from rescue_tui.errors import RefusedError
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    Disk,
    Filesystem,
    Item,
    Luks,
    LvmLv,
    LvmPv,
    LvmVg,
    MdArray,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.units import human_size

log = logging.getLogger(__name__)

_MODEL_LOCK = threading.Lock()
PLANNING_PASSPHRASE = "rescue-tui-planning-only"
"""blivet wants a LUKS passphrase even to model a container; the real one is asked for at apply."""
PART_TYPES = {
    "primary": parted.PARTITION_NORMAL,
    "extended": parted.PARTITION_EXTENDED,
    "logical": parted.PARTITION_LOGICAL,
}
SUPPORTED_LV_TYPES = ("linear", "thin-pool", "thin")


@dataclass
class BlivetModel:
    """A blivet tree with the recovery scheduled, and which blivet device realises which layout item."""

    storage: blivet.Blivet
    devices: dict[str, Any] = field(default_factory=dict)
    """Layout id -> blivet device (disks, partitions, md, LUKS, LVs, VGs)."""
    items_of: dict[int, str] = field(default_factory=dict)
    """blivet device id -> layout id."""
    scheduled: list[Any] = field(default_factory=list)
    """The actions as scheduled, in blivet's order (apply removes each from blivet's list once done)."""

    def tag(self, item_id: str, device: Any) -> Any:
        self.devices[item_id] = device
        self.items_of[device.id] = item_id
        return device


class _Builder:
    def __init__(
        self,
        graph: LayoutGraph,
        disks: dict[str, Any],
        passphrase: str,
        storage: blivet.Blivet | None,
        only: frozenset[str] | None,
    ) -> None:
        self.layout = graph.layout
        self.graph = graph
        self.populated = storage is not None
        self.model = BlivetModel(storage=storage or blivet.Blivet())
        self.disks = disks
        self.passphrase = passphrase
        self.only = only

    # -- formats ------------------------------------------------------------------------------------

    def content(self, item_id: str) -> Item | None:
        return self.graph.consumer(item_id)

    def format_for(self, item: Item) -> tuple[str | None, dict[str, Any]]:
        """blivet format type and arguments for what sits directly on ``item``."""
        content = self.content(item.id)
        flags = set(item.flags) if isinstance(item, Partition) else set()
        if isinstance(content, Filesystem):
            identity = {k: v for k, v in (("uuid", content.uuid), ("label", content.label)) if v}
            kind = "efi" if content.fstype == "vfat" and "esp" in flags else content.fstype
            return kind, identity
        if isinstance(content, Swap):
            return "swap", {k: v for k, v in (("uuid", content.uuid), ("label", content.label)) if v}
        if isinstance(content, MdArray):
            return "mdmember", {}
        if isinstance(content, LvmPv):
            return "lvmpv", {}
        if isinstance(content, Luks):
            args: dict[str, Any] = {"passphrase": self.passphrase, "luks_version": f"luks{content.version}"}
            if content.cipher:
                args["cipher"] = content.cipher
            if content.key_size:
                args["key_size"] = content.key_size
            if content.version == 2 and content.pbkdf:
                args["pbkdf_args"] = _pbkdf_args(content.pbkdf)
            if content.version == 2 and content.sector_size:
                args["luks_sector_size"] = content.sector_size
            return "luks", args
        if isinstance(content, PartitionTable):
            return None, {}
        if "bios_grub" in flags:
            return "biosboot", {}
        if "prep" in flags:
            return "prepboot", {}
        return None, {}

    # -- devices ------------------------------------------------------------------------------------

    def build(self) -> BlivetModel:
        storage = self.model.storage
        for item_id, device in self.disks.items():
            if not self.populated:  # stand-ins join the tree; real disks are in it since populate
                storage.devicetree._add_device(device)
            self.model.tag(item_id, device)
        ordered, _ = self.graph.order()
        items = [self.graph.items[i] for i in ordered if self.only is None or i in self.only]
        for item in items:  # partition tables and partitions first: md and LVM sizes follow from them
            if isinstance(item, PartitionTable):
                self._table(item)
            elif isinstance(item, Partition):
                self._partition(item)
            elif isinstance(item, Disk):
                self._whole_disk_format(item)
        self._allocate()
        with _bulk_lvs(self.model.storage):
            for item in items:
                if isinstance(item, MdArray):
                    self._md(item)
                elif isinstance(item, Luks):
                    self._luks(item)
                elif isinstance(item, LvmVg):
                    self._vg(item)
                elif isinstance(item, LvmLv):
                    self._lv(item)
        self._check_vgs_fit()
        self.model.scheduled = list(storage.devicetree.actions._actions)
        return self.model

    def _check_vgs_fit(self) -> None:
        """The free-space check blivet would do per LV, once per VG (see ``_vg``)."""
        for vg in self.layout.of_type(LvmVg):
            if vg.id not in self.model.devices:
                continue  # built in another stage
            device = self.model.devices[vg.id]
            device.req_grow = False
            if device.free_space < 0:
                short = human_size(-int(device.free_space))
                raise RefusedError(f"VG {vg.name}: its LVs need {short} more than the VG holds on the targets")

    def _whole_disk_format(self, disk: Disk) -> None:
        kind, args = self.format_for(disk)
        if kind is not None:
            device = self.model.devices[disk.id]
            self.model.storage.format_device(device, get_format(kind, device=device.path, **args))

    def _table(self, table: PartitionTable) -> None:
        device = self.model.devices[table.device]
        label = get_format("disklabel", device=device.path, label_type=table.label)
        self.model.storage.format_device(device, label)

    def _partition(self, part: Partition) -> None:
        table = self.graph.items[part.table]
        assert isinstance(table, PartitionTable)
        parent = self.model.devices[table.device]
        kind, args = self.format_for(part)
        device = self.model.storage.new_partition(
            start=part.start,
            end=part.start + part.size - 1,
            parents=[parent],
            part_type=PART_TYPES[part.kind],
            fmt_type=kind,
            fmt_args=args,
        )
        self.model.storage.create_device(device)
        self.model.tag(part.id, device)

    def _allocate(self) -> None:
        try:
            partitioning.do_partitioning(self.model.storage)
        except (StorageError, parted.PartitionException, parted.IOException) as exc:
            raise RefusedError(f"the partitions do not fit the target disks: {exc}") from exc

    def _md(self, md: MdArray) -> None:
        members = [self.model.devices[m] for m in (*md.members, *md.spares)]
        kind, args = self.format_for(md)
        name = md.name  # the kernel name ('md0') cannot clash with a VG's; the superblock name is fixed up after
        extra: dict[str, Any] = {}
        if md.chunk_kib and md.level not in ("raid1", "linear"):
            extra["chunk_size"] = Size(f"{md.chunk_kib} KiB")
        device = self.model.storage.new_mdarray(
            name=name,
            level=md.level,
            parents=members,
            total_devices=len(members),
            member_devices=len(md.members),
            metadata_version=md.metadata,
            fmt_type=kind,
            fmt_args=args,
            **extra,
        )
        self.model.storage.create_device(device)
        self.model.tag(md.id, device)

    def _luks(self, luks: Luks) -> None:
        parent = self.model.devices[luks.device]
        device = LUKSDevice(luks.name, parents=[parent])
        self.model.storage.create_device(device)
        self.model.tag(luks.id, device)
        kind, args = self.format_for(luks)
        if kind is not None:
            self.model.storage.format_device(device, get_format(kind, device=device.path, **args))

    def _vg(self, vg: LvmVg) -> None:
        pvs = []
        for pv_id in vg.pvs:
            pv = self.graph.items[pv_id]
            assert isinstance(pv, LvmPv)
            pvs.append(self.model.devices[pv.device])
        device = self.model.storage.new_vg(parents=pvs, name=vg.name, pe_size=Size(vg.pe_size))
        self.model.storage.create_device(device)
        # blivet re-sums every LV of the VG when adding one (quadratic); a growable VG skips
        # that check, and _check_vgs_fit does it once when all LVs are in.
        device.req_grow = True
        self.model.tag(vg.id, device)

    def _lv(self, lv: LvmLv) -> None:
        if lv.segment_type not in SUPPORTED_LV_TYPES:
            supported = ", ".join(SUPPORTED_LV_TYPES)
            raise RefusedError(f"LV {lv.name}: {lv.segment_type} LVs are not recreated yet (supported: {supported})")
        kind, args = self.format_for(lv)
        options: dict[str, Any] = {"size": Size(lv.size), "seg_type": lv.segment_type}
        if kind is not None:
            options["fmt"] = get_format(kind, **args)
        if lv.segment_type == "thin-pool":
            if lv.metadata_size:
                options["metadata_size"] = Size(lv.metadata_size)
            if lv.chunk_size:
                options["chunk_size"] = Size(lv.chunk_size)
            parents = [self.model.devices[lv.vg]]
        elif lv.segment_type == "thin":
            parents = [self.model.devices[lv.pool or ""]]
        else:
            parents = [self.model.devices[lv.vg]]
        try:
            # Not Blivet.new_lv: it lists every device name per call (quadratic); validation already
            # guarantees LV names are unique in their VG.
            device = LVMLogicalVolumeDevice(lv.name, parents=parents, **options)
            self.model.storage.create_device(device)
        except (StorageError, ValueError) as exc:
            raise RefusedError(f"LV {lv.name}: blivet cannot create it on the targets: {exc}") from exc
        self.model.tag(lv.id, device)


def _pbkdf_args(kind: str) -> LUKS2PBKDFArgs:
    """The original's key derivation function, its memory cost capped to what this machine has.

    An argon2 cost chosen on a 256 GiB server cannot run in a rescue system with 1 GiB:
    blivet's own cap (a share of the RAM) applies, as it would with no pbkdf given.
    """
    if kind == "pbkdf2":
        return LUKS2PBKDFArgs(type=kind)
    cap = crypto.calculate_luks2_max_memory()
    return LUKS2PBKDFArgs(type=kind, max_memory_kb=int(cap.convert_to(KiB)) if cap else 0)


@contextmanager
def _bulk_lvs(storage: blivet.Blivet) -> Iterator[None]:
    """Cache blivet's device sort keys while md, LUKS and LVM devices are added.

    For every new device blivet re-sorts each parent's children by a key that asks
    each child its name, which is slow through blivet's LV dispatch: quadratic and
    about 90 s for 1,000 LVs. Names no longer change once partitions are allocated,
    so the keys can be cached; the model blivet builds is the same.
    """
    original_key = blivet.util.natural_sort_key
    keys: dict[int, tuple[Any, Any]] = {}

    def cached_key(device: Any) -> Any:
        entry = keys.get(id(device))
        if entry is None:
            entry = keys[id(device)] = (device, original_key(device))  # holding the device keeps its id unique
        return entry[1]

    blivet.util.natural_sort_key = cached_key
    try:
        yield
    finally:
        blivet.util.natural_sort_key = original_key


def build_blivet_model(
    graph: LayoutGraph,
    disks: dict[str, Any],
    *,
    passphrase: str = PLANNING_PASSPHRASE,
    storage: blivet.Blivet | None = None,
    only: frozenset[str] | None = None,
) -> BlivetModel:
    """Schedule every action that recreates the graph's layout on ``disks`` (layout id -> blivet disk device).

    Planning passes stand-in disks and gets a fresh tree; apply passes the real disks of a
    tree it populated (``storage``). ``only`` limits the model to one stage's items (see
    ``plan.stages``): its ``disks`` are then what that stage builds on.
    """
    with _MODEL_LOCK:  # blivet is not thread-safe, and _bulk_lvs swaps a module-level function
        try:
            return _Builder(graph, disks, passphrase, storage, only).build()
        except RefusedError:
            raise
        except (StorageError, ValueError) as exc:
            log.debug("blivet refused the model", exc_info=True)
            raise RefusedError(f"blivet cannot model this recovery: {exc}") from exc
