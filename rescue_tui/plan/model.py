"""Plan steps (one dataclass per kind) and the plan itself: pure, JSON-serialisable data.

A step says what will be done to which device, which steps must come
before it, and the shell command an operator would type to do the same by
hand. Kinds register themselves by name; an unknown kind in a plan file is
an error, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeVar

from rescue_tui.layout.model import FsType, Layout, LvSegmentType, MdLevel, PartitionKind, PartitionTableLabel
from rescue_tui.mapping.model import SizeChange

PLAN_FORMAT_VERSION = 1

STEP_KINDS: dict[str, type[Step]] = {}
IdentityField = Literal[
    "gpt-name",
    "partuuid",
    "part-type",
    "disk-guid",
    "disk-id",
    "md-uuid",
    "md-name",
    "luks-uuid",
    "luks-label",
    "btrfs-uuid",
]
"""What a set-identity step fixes up (plan files are checked against it like layouts are)."""
S = TypeVar("S", bound="type[Step]")


def step_kind(name: str) -> Callable[[S], S]:
    """Register a step class under its kind name."""

    def register(cls: S) -> S:
        cls.kind = name
        STEP_KINDS[name] = cls
        return cls

    return register


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing a recovery does, in order."""

    kind: ClassVar[str] = ""
    id: str
    """Step id, such as 's007'; other steps name it in ``after``."""
    device: str
    """The target device node the step acts on, such as '/dev/vdb2'."""
    item: str | None = None
    """The layout item this step recreates (None for wipes)."""
    after: tuple[str, ...] = ()
    """Steps that must be done before this one."""
    command: str = ""
    """What an operator would type to do the same by hand."""

    def summary(self) -> str:
        """One line for people."""
        return f"{self.kind} {self.device}"


@step_kind("wipe-disk")
@dataclass(frozen=True, kw_only=True)
class WipeDisk(Step):
    """Remove every old signature (partition tables, md superblocks at both ends, LVM, LUKS, filesystems)."""

    found: tuple[str, ...] = ()
    """Signatures seen on the disk and its partitions when planned."""

    def summary(self) -> str:
        seen = f" (found: {', '.join(self.found)})" if self.found else ""
        return f"wipe all signatures on {self.device}{seen}"


@step_kind("create-disklabel")
@dataclass(frozen=True, kw_only=True)
class CreateDisklabel(Step):
    label: PartitionTableLabel

    def summary(self) -> str:
        return f"create {self.label} partition table on {self.device}"


@step_kind("create-partition")
@dataclass(frozen=True, kw_only=True)
class CreatePartition(Step):
    disk: str
    number: int
    start: int
    """First sector."""
    end: int
    """Last sector (inclusive)."""
    sector_size: int
    part_kind: PartitionKind = "primary"
    part_format: str | None = None
    """What blivet marks the partition as: efi, biosboot, mdmember, lvmpv, luks, swap or a filesystem."""

    @property
    def size_bytes(self) -> int:
        return (self.end - self.start + 1) * self.sector_size

    def summary(self) -> str:
        what = f" for {self.part_format}" if self.part_format else ""
        return f"create {self.part_kind} partition {self.device} sectors {self.start}-{self.end}{what}"


@step_kind("create-md")
@dataclass(frozen=True, kw_only=True)
class CreateMd(Step):
    level: MdLevel
    members: tuple[str, ...]
    spares: int = 0
    metadata: str = "1.2"
    chunk_kib: int | None = None
    size: int = 0
    """Array size in bytes as modelled."""

    def summary(self) -> str:
        return f"create {self.level} array {self.device} on {', '.join(self.members)}"


@step_kind("rescan")
@dataclass(frozen=True, kw_only=True)
class Rescan(Step):
    """Read the new md arrays back from the disks before partitioning them (blivet partitions only what exists)."""

    arrays: tuple[str, ...]

    def summary(self) -> str:
        return f"read back {', '.join(self.arrays)} before partitioning"


@step_kind("luks-format")
@dataclass(frozen=True, kw_only=True)
class LuksFormat(Step):
    version: Literal[1, 2]
    cipher: str | None = None
    key_size: int | None = None
    pbkdf: str | None = None

    def summary(self) -> str:
        return f"format {self.device} as LUKS{self.version}"


@step_kind("open-luks")
@dataclass(frozen=True, kw_only=True)
class OpenLuks(Step):
    name: str
    source: str

    def summary(self) -> str:
        return f"open LUKS {self.source} as {self.device}"


@step_kind("create-pv")
@dataclass(frozen=True, kw_only=True)
class CreatePv(Step):
    def summary(self) -> str:
        return f"create LVM PV on {self.device}"


@step_kind("create-vg")
@dataclass(frozen=True, kw_only=True)
class CreateVg(Step):
    name: str
    pvs: tuple[str, ...]
    pe_size: int
    size: int = 0

    def summary(self) -> str:
        return f"create VG {self.name} on {', '.join(self.pvs)}"


@step_kind("create-lv")
@dataclass(frozen=True, kw_only=True)
class CreateLv(Step):
    vg: str
    name: str
    size: int
    segment_type: LvSegmentType = "linear"
    pool: str | None = None

    def summary(self) -> str:
        kind = "" if self.segment_type == "linear" else f" {self.segment_type}"
        return f"create{kind} LV {self.vg}/{self.name}"


@step_kind("mkfs")
@dataclass(frozen=True, kw_only=True)
class MakeFilesystem(Step):
    fstype: FsType
    uuid: str | None = None
    label: str | None = None

    def summary(self) -> str:
        return f"make {self.fstype} on {self.device}" + (f" label {self.label}" if self.label else "")


@step_kind("mkswap")
@dataclass(frozen=True, kw_only=True)
class MakeSwap(Step):
    uuid: str | None = None
    label: str | None = None

    def summary(self) -> str:
        return f"make swap on {self.device}"


@step_kind("set-identity")
@dataclass(frozen=True, kw_only=True)
class SetIdentity(Step):
    """An identity blivet cannot set at creation: fixed up right after."""

    field: IdentityField
    value: str

    def summary(self) -> str:
        return f"set {self.field} of {self.device} to {self.value}"


@step_kind("create-subvolume")
@dataclass(frozen=True, kw_only=True)
class CreateSubvolume(Step):
    path: str
    default: bool = False

    def summary(self) -> str:
        return f"create btrfs subvolume {self.path} on {self.device}" + (" (default)" if self.default else "")


@step_kind("mount")
@dataclass(frozen=True, kw_only=True)
class MountStep(Step):
    mountpoint: str
    """Where it goes in the restored system, such as '/home'."""
    fstype: FsType
    options: str = "defaults"

    def summary(self) -> str:
        return f"mount {self.device} at <target>{'' if self.mountpoint == '/' else self.mountpoint}"


@dataclass(frozen=True, kw_only=True)
class PlannedDisk:
    """A target disk as seen when planning: apply refuses if it changed since."""

    name: str
    path: str
    size: int
    serial: str | None = None
    by_path: str | None = None
    source: str
    """Layout id of the original disk it replaces."""
    source_name: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Everything a recovery will do, in order, and what it was computed from."""

    format_version: int = PLAN_FORMAT_VERSION
    hostname: str
    layout_sha256: str
    """Checksum of the layout file the plan was made from."""
    layout_source: str
    inventory_source: str
    created_at: str
    disks: tuple[PlannedDisk, ...]
    layout: Layout
    """The layout as it will be on the targets: after mapping and resize. Apply rebuilds from it."""
    changes: tuple[SizeChange, ...] = ()
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    """What the operator should know: identities that will differ, space left free, ..."""

    @property
    def luks_containers(self) -> tuple[str, ...]:
        """The LUKS containers the plan creates (their passphrase must be given before apply)."""
        return tuple(step.item or step.device for step in self.steps if isinstance(step, LuksFormat))
