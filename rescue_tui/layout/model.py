"""The saved layout: what a machine's storage was, as typed, frozen data.

A layout is a versioned flat list of items; each has an ``id`` and a ``type``
and refers to others by id (the curtin storage-config idea). Block devices,
their formats and their mount points are separate items, so that one device
is consumed by exactly one thing and the order of creation follows from the
references, never from list position.

Units: disk sizes in bytes; partition start and size in logical sectors of
their disk; LVM sizes in bytes; md chunk in KiB (as mdadm and ReaR say it).

Every field carries a one-line ``doc`` in its metadata: the JSON Schema in
``layouts/schema/`` is generated from these classes and their docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

FORMAT_VERSION = 1
"""The ``format_version`` this code writes. Older versions are migrated on load."""


def doc(text: str, *, default: Any = None, refs: tuple[str, ...] = ()) -> Any:
    """A dataclass field with a description and, for references, the item types it may point to."""
    meta: dict[str, Any] = {"doc": text}
    if refs:
        meta["refs"] = refs
    if isinstance(default, tuple | list):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


def required(text: str, *, refs: tuple[str, ...] = ()) -> Any:
    """A required dataclass field (no default)."""
    meta: dict[str, Any] = {"doc": text}
    if refs:
        meta["refs"] = refs
    return field(metadata=meta)


BLOCK_DEVICE_TYPES = ("disk", "partition", "md_array", "luks", "lvm_lv")
"""Item types that are block devices: something can be created on them."""

PartitionTableLabel = Literal["gpt", "msdos"]
PartitionKind = Literal["primary", "extended", "logical"]
PartitionFlag = Literal[
    "boot", "esp", "bios_grub", "legacy_boot", "raid", "lvm", "swap", "hidden", "lba", "prep", "msftres", "diag"
]
MdLevel = Literal["raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "linear"]
LvSegmentType = Literal["linear", "striped", "thin-pool", "thin", "raid1", "mirror"]
FsType = Literal["ext2", "ext3", "ext4", "xfs", "btrfs", "vfat"]
Firmware = Literal["bios", "uefi"]


@dataclass(frozen=True, kw_only=True)
class Item:
    """Base of every layout item: an id other items refer to."""

    type: ClassVar[str]
    id: str = required("Unique id of this item; other items refer to it by this id.")


@dataclass(frozen=True, kw_only=True)
class Disk(Item):
    """A physical (or virtual) disk of the original machine."""

    type: ClassVar[str] = "disk"
    name: str = required("Kernel name on the original machine, such as 'sda' or 'nvme0n1'.")
    size: int = required("Size in bytes.")
    logical_sector_size: int = doc("Logical sector size in bytes.", default=512)
    physical_sector_size: int = doc("Physical sector size in bytes.", default=512)
    path: str | None = doc("Device node on the original machine, such as '/dev/sda'.")
    model: str | None = doc("Model string reported by the disk.")
    serial: str | None = doc("Serial number reported by the disk.")
    wwn: str | None = doc("World Wide Name, such as '0x5000c500a1b2c3d4'.")
    by_path: str | None = doc("Name under /dev/disk/by-path, such as 'pci-0000:00:1f.2-ata-1'.")
    transport: str | None = doc("Transport as lsblk reports it: sata, nvme, virtio, usb, ...")
    rotational: bool | None = doc("True for spinning disks.")


@dataclass(frozen=True, kw_only=True)
class PartitionTable(Item):
    """A partition table (disk label) on a disk or a partitioned md array."""

    type: ClassVar[str] = "partition_table"
    device: str = required("The disk or md array that holds the table.", refs=("disk", "md_array"))
    label: PartitionTableLabel = required("Table type: 'gpt' or 'msdos'.")
    disk_guid: str | None = doc("GPT disk GUID, or the msdos disk identifier as '0x1234abcd'.")


@dataclass(frozen=True, kw_only=True)
class Partition(Item):
    """A partition, placed exactly in sectors of its disk."""

    type: ClassVar[str] = "partition"
    table: str = required("The partition table this partition belongs to.", refs=("partition_table",))
    number: int = required("Partition number (1-128 on gpt; 1-4 primary/extended, 5+ logical on msdos).")
    start: int = required("First sector, in logical sectors of the disk.")
    size: int = required("Length in logical sectors of the disk.")
    kind: PartitionKind = doc("msdos partition kind; always 'primary' on gpt.", default="primary")
    gpt_type: str | None = doc("GPT partition type GUID.")
    mbr_type: str | None = doc("msdos partition type as two hex digits, such as '83' or '8e'.")
    name: str | None = doc("GPT partition name.")
    partuuid: str | None = doc("PARTUUID: the GPT unique partition GUID, or '1234abcd-01' on msdos.")
    flags: tuple[PartitionFlag, ...] = doc("Partition flags as parted names them.", default=())
    path: str | None = doc("Device node on the original machine, such as '/dev/sda1' or '/dev/md127p1'.")


@dataclass(frozen=True, kw_only=True)
class MdArray(Item):
    """A Linux software RAID (mdadm) array."""

    type: ClassVar[str] = "md_array"
    name: str = required("Kernel name on the original machine, such as 'md0' or 'md127'.")
    level: MdLevel = required("RAID level.")
    members: tuple[str, ...] = required("Active member devices, in slot order.", refs=("disk", "partition"))
    spares: tuple[str, ...] = doc("Spare member devices.", default=(), refs=("disk", "partition"))
    metadata: str = doc("Superblock format: '1.2', '1.1', '1.0' or '0.90'.", default="1.2")
    uuid: str | None = doc("Array UUID in mdadm's form, such as '8d05eb84:2de831d1:0f4e3a11:7c3c0a52'.")
    array_name: str | None = doc("Array name in the superblock, such as 'host:0'.")
    chunk_kib: int | None = doc("Chunk size in KiB (striped levels).")
    layout: str | None = doc("Layout, such as 'left-symmetric' or 'n2'.")
    bitmap: str | None = doc("Write-intent bitmap: 'internal' or 'none'.")
    size: int | None = doc("Array size in bytes as recorded; derived from the members when absent.")
    path: str | None = doc("Device node on the original machine, such as '/dev/md0'.")


@dataclass(frozen=True, kw_only=True)
class Luks(Item):
    """A LUKS container. The passphrase is never part of a layout."""

    type: ClassVar[str] = "luks"
    device: str = required("The block device holding the LUKS header.", refs=BLOCK_DEVICE_TYPES)
    name: str = required("Device-mapper name of the opened container, such as 'cryptroot'.")
    version: Literal[1, 2] = doc("LUKS version.", default=2)
    uuid: str | None = doc("LUKS UUID (crypttab and the initramfs find the container by it).")
    label: str | None = doc("LUKS2 label.")
    cipher: str | None = doc("Cipher and mode, such as 'aes-xts-plain64'.")
    key_size: int | None = doc("Key size in bits.")
    hash: str | None = doc("Hash of the keyslot's key derivation, such as 'sha256'.")
    pbkdf: str | None = doc("Key derivation function, such as 'argon2id' or 'pbkdf2'.")
    sector_size: int | None = doc("Encryption sector size in bytes (LUKS2).")
    keyfile: str | None = doc("Path of the key file crypttab names, if any; never its contents.")
    size: int | None = doc("Size of the opened container in bytes as recorded.")
    path: str | None = doc("Device node of the opened container, such as '/dev/mapper/cryptroot'.")


@dataclass(frozen=True, kw_only=True)
class LvmPv(Item):
    """An LVM physical volume on a block device."""

    type: ClassVar[str] = "lvm_pv"
    device: str = required("The block device that is the PV.", refs=BLOCK_DEVICE_TYPES)
    uuid: str | None = doc("PV UUID, such as 'm5HZEO-DWBB-ShHr-YZgm-sloR-8V9Q-aRnFm1'.")
    size: int | None = doc("Size of the PV's device in bytes (pvs dev_size), not LVM's usable pv_size.")


@dataclass(frozen=True, kw_only=True)
class LvmVg(Item):
    """An LVM volume group."""

    type: ClassVar[str] = "lvm_vg"
    name: str = required("VG name.")
    pvs: tuple[str, ...] = required("The physical volumes of the group.", refs=("lvm_pv",))
    uuid: str | None = doc("VG UUID.")
    pe_size: int = doc("Physical extent size in bytes.", default=4 * 1024 * 1024)


@dataclass(frozen=True, kw_only=True)
class LvmLv(Item):
    """An LVM logical volume: linear, striped, raid1, a thin pool or a thin volume."""

    type: ClassVar[str] = "lvm_lv"
    vg: str = required("The volume group.", refs=("lvm_vg",))
    name: str = required("LV name.")
    size: int = required("Size in bytes (virtual size for thin volumes).")
    segment_type: LvSegmentType = doc("Segment type.", default="linear")
    pool: str | None = doc("For thin volumes: the thin pool.", refs=("lvm_lv",))
    uuid: str | None = doc("LV UUID.")
    stripes: int | None = doc("Number of stripes (striped) or images (raid1, mirror).")
    stripe_size: int | None = doc("Stripe size in bytes.")
    metadata_size: int | None = doc("For thin pools: metadata LV size in bytes.")
    chunk_size: int | None = doc("For thin pools: chunk size in bytes.")
    path: str | None = doc("Device node on the original machine, such as '/dev/system/root'.")


@dataclass(frozen=True, kw_only=True)
class Filesystem(Item):
    """A filesystem on a block device."""

    type: ClassVar[str] = "filesystem"
    device: str = required("The block device holding the filesystem.", refs=BLOCK_DEVICE_TYPES)
    fstype: FsType = required("Filesystem type.")
    uuid: str | None = doc("Filesystem UUID ('XXXX-XXXX' for vfat).")
    label: str | None = doc("Filesystem label.")
    block_size: int | None = doc("Block size in bytes.")
    mkfs_options: tuple[str, ...] = doc(
        "Further mkfs arguments, one argv token each (such as '-i', '16384'), needed to recreate it faithfully.",
        default=(),
    )
    used: int | None = doc("Bytes in use when captured: the floor for any shrink.")


@dataclass(frozen=True, kw_only=True)
class BtrfsSubvolume(Item):
    """A btrfs subvolume."""

    type: ClassVar[str] = "btrfs_subvolume"
    filesystem: str = required("The btrfs filesystem.", refs=("filesystem",))
    path: str = required("Path inside the filesystem, such as '@home'.")
    subvol_id: int | None = doc("Subvolume id when captured (not preserved on recreation).")
    default: bool = doc("True when this is the filesystem's default subvolume.", default=False)


@dataclass(frozen=True, kw_only=True)
class Swap(Item):
    """Swap space on a block device."""

    type: ClassVar[str] = "swap"
    device: str = required("The block device holding the swap area.", refs=BLOCK_DEVICE_TYPES)
    uuid: str | None = doc("Swap UUID.")
    label: str | None = doc("Swap label.")
    priority: int | None = doc("Swap priority from fstab (pri=).")


@dataclass(frozen=True, kw_only=True)
class Mount(Item):
    """Where a filesystem or subvolume is mounted in the restored system."""

    type: ClassVar[str] = "mount"
    source: str = required("The filesystem or btrfs subvolume mounted here.", refs=("filesystem", "btrfs_subvolume"))
    path: str = required("Absolute mount point, such as '/' or '/boot/efi'.")
    options: str = doc("Mount options as fstab has them.", default="defaults")
    dump: int = doc("fstab dump field.", default=0)
    passno: int = doc("fstab fsck pass field.", default=0)


ItemT = TypeVar("ItemT", bound=Item)

ITEM_CLASSES: dict[str, type[Item]] = {
    cls.type: cls
    for cls in (
        Disk,
        PartitionTable,
        Partition,
        MdArray,
        Luks,
        LvmPv,
        LvmVg,
        LvmLv,
        Filesystem,
        BtrfsSubvolume,
        Swap,
        Mount,
    )
}
"""Every item type, keyed by its ``type`` string."""


@dataclass(frozen=True, kw_only=True)
class Machine:
    """The machine the layout was saved from."""

    hostname: str = required("Host name; the operator types it to confirm a recovery.")
    architecture: str = doc("CPU architecture, such as 'x86_64'.", default="x86_64")
    captured_at: str | None = doc("When the layout was saved, ISO 8601 (with the time zone when known).")
    captured_by: str | None = doc("What saved it, such as 'rescue-tui 0.1.0' or 'rear-import'.")


@dataclass(frozen=True, kw_only=True)
class Boot:
    """How the machine boots: what finalize must rebuild."""

    firmware: Firmware = required("'bios' or 'uefi'.")
    loader: Literal["grub2", "none"] = doc("Boot loader.", default="grub2")
    disks: tuple[str, ...] = doc("Disks that carry boot code (every RAID1 member).", default=(), refs=("disk",))
    esps: tuple[str, ...] = doc(
        "EFI system partitions (UEFI); one without a filesystem item gets an empty FAT at finalize.",
        default=(),
        refs=("partition", "md_array"),
    )


@dataclass(frozen=True, kw_only=True)
class Origin:
    """Where a layout came from, and what was left out of it."""

    kind: Literal["capture", "rear-import", "manual"] = required("How the layout was made.")
    source: str | None = doc("The file or host it came from.")
    excluded: tuple[str, ...] = doc("Components the source marked as not to be recreated, one line each.", default=())
    notes: tuple[str, ...] = doc("Remarks made while converting or capturing.", default=())


InterfaceKind = Literal["ethernet", "bond", "vlan", "bridge"]
BondMode = Literal["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"]


@dataclass(frozen=True, kw_only=True)
class NetInterface:
    """A network interface of the original machine, found again by its MAC (by name when no MAC matches)."""

    id: str = required("Unique id among the interfaces; members, parents and routes refer to it.")
    name: str = required("Kernel name on the original machine, such as 'eno1', 'bond0' or 'eno1.20'.")
    kind: InterfaceKind = doc("What the interface is.", default="ethernet")
    mac: str | None = doc("Hardware address of an ethernet interface, such as '52:54:00:12:34:56'.")
    mtu: int | None = doc("MTU in bytes, when not the default 1500.")
    dhcp4: bool = doc("True when the machine took its IPv4 address from DHCP.", default=False)
    ipv6_autoconf: bool = doc("True when the machine took IPv6 addresses from router advertisements.", default=False)
    addresses: tuple[str, ...] = doc(
        "Static addresses with their prefix length, such as '192.0.2.10/24' or '2001:db8::10/64'.", default=()
    )
    members: tuple[str, ...] = doc("For bonds and bridges: the member interfaces.", default=(), refs=("interface",))
    bond_mode: BondMode | None = doc("For bonds: the bonding mode.")
    vlan_id: int | None = doc("For VLANs: the 802.1Q id (1-4094).")
    parent: str | None = doc("For VLANs: the interface the VLAN runs on.", refs=("interface",))


@dataclass(frozen=True, kw_only=True)
class NetRoute:
    """A static route: where traffic goes, through which gateway and interface."""

    destination: str = required("'default' or a network with its prefix length, such as '198.51.100.0/24'.")
    gateway: str | None = doc("Next hop address; none for a route on the link.")
    interface: str | None = doc("The interface the route leaves by.", refs=("interface",))
    metric: int | None = doc("Route metric (lower wins).")


@dataclass(frozen=True, kw_only=True)
class Network:
    """The machine's network as captured: what the rescue system brings up to reach the backup.

    Secrets (802.1X, Wi-Fi keys) are never part of a layout; wireless and virtual
    links (loopback, containers, tunnels) are left out.
    """

    interfaces: tuple[NetInterface, ...] = doc("Wired interfaces, bonds, VLANs and bridges.", default=())
    routes: tuple[NetRoute, ...] = doc("Static routes, the default route included.", default=())
    nameservers: tuple[str, ...] = doc("DNS server addresses, in order.", default=())
    search: tuple[str, ...] = doc("DNS search domains, in order.", default=())


@dataclass(frozen=True, kw_only=True)
class Layout:
    """A machine's saved storage layout."""

    format_version: int = required("Version of this file format; older versions are migrated on load.")
    machine: Machine = required("The machine the layout was saved from.")
    boot: Boot | None = doc("Boot facts, when known.")
    origin: Origin | None = doc("Where the layout came from.")
    network: Network | None = doc("The machine's network, when captured (layouts before it have none).")
    items: tuple[Item, ...] = required("Every storage object, in any order; references give the order.")

    def by_id(self) -> dict[str, Item]:
        """Items keyed by id (the last wins when ids repeat; validation reports repeats)."""
        return {item.id: item for item in self.items}

    def of_type(self, cls: type[ItemT]) -> list[ItemT]:
        """The items of one class, in file order."""
        return [item for item in self.items if isinstance(item, cls)]
