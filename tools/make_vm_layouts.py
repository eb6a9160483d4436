"""Write the small layouts the VM round-trip tests rebuild: ``tests/data/layouts/vm/*.json``.

Each is one shape of ``layouts/examples/`` scaled to a few GiB so that a TCG guest with
1 GiB of RAM recreates it in seconds. Deterministic: run it again, get the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from rescue_tui.layout.codec import dump_layout
from rescue_tui.layout.model import (
    Boot,
    BtrfsSubvolume,
    Disk,
    Filesystem,
    Item,
    Layout,
    Luks,
    LvmLv,
    LvmPv,
    LvmVg,
    Machine,
    MdArray,
    Mount,
    Partition,
    PartitionTable,
    Swap,
)
from rescue_tui.plan.md_geometry import raid1_size

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "layouts" / "vm"
MiB = 1024 * 1024
S = MiB // 512  # sectors per MiB
ESP, LINUX, LVM, RAID, BIOS, SWAP = (
    "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
    "0fc63daf-8483-4772-8e79-3d69d8477de4",
    "e6d6d379-f507-44c2-a23c-238f2a3df928",
    "a19d880f-05fc-4d3b-a006-743f0f84911e",
    "21686148-6449-6e6f-744e-656564454649",
    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f",
)


def uuid(n: int) -> str:
    return f"{n:08x}-1111-4222-8333-{n:012x}"


def gpt_disk(name: str, size_mib: int, parts: list[tuple[int, str, str, tuple[str, ...]]], n: int) -> list[Item]:
    """A GPT disk with partitions (size MiB or 0 for the rest, type GUID, name, flags), 1 MiB aligned."""
    disk = Disk(id=name, name=name, path=f"/dev/{name}", size=size_mib * MiB, serial=f"ORIG-{name.upper()}")
    return [disk, *gpt_table(name, size_mib * S, parts, n)]


def gpt_table(device: str, sectors: int, parts: list[tuple[int, str, str, tuple[str, ...]]], n: int) -> list[Item]:
    """A GPT on ``device`` (a disk or a partitioned md array of ``sectors``) and its partitions."""
    sep = "p" if device[-1].isdigit() else ""
    items: list[Item] = [PartitionTable(id=f"{device}-gpt", device=device, label="gpt", disk_guid=uuid(n * 100))]
    start = S
    last = sectors - 34
    for number, (size, gpt_type, label, flags) in enumerate(parts, 1):
        length = size * S if size else (last - start + 1) // S * S
        items.append(
            Partition(
                id=f"{device}{sep}{number}",
                table=f"{device}-gpt",
                number=number,
                start=start,
                size=length,
                gpt_type=gpt_type,
                name=label,
                partuuid=uuid(n * 100 + number),
                flags=flags,
                path=f"/dev/{device}{sep}{number}",
            )
        )
        start += length
    return items


def layout(host: str, firmware: str, items: list[Item], disks: tuple[str, ...], esps: tuple[str, ...] = ()) -> Layout:
    boot = Boot(firmware=firmware, disks=disks, esps=esps)  # type: ignore[arg-type]
    return Layout(format_version=1, machine=Machine(hostname=host), boot=boot, items=tuple(items))


def uefi_gpt_lvm() -> Layout:
    items = gpt_disk(
        "sda", 2048, [(64, ESP, "EFI system", ("esp",)), (256, LINUX, "boot", ()), (0, LVM, "lvm", ("lvm",))], 1
    )
    items += [
        Filesystem(id="fs-esp", device="sda1", fstype="vfat", uuid="1A2B-3C4D", label="ESP"),
        Mount(id="m-esp", source="fs-esp", path="/boot/efi", options="umask=0077", passno=2),
        Filesystem(id="fs-boot", device="sda2", fstype="ext4", uuid=uuid(11), label="boot"),
        Mount(id="m-boot", source="fs-boot", path="/boot", passno=2),
        LvmPv(id="pv", device="sda3"),
        LvmVg(id="vg", name="sys", pvs=("pv",)),
        LvmLv(id="lv-root", vg="vg", name="root", size=800 * MiB),
        LvmLv(id="lv-home", vg="vg", name="home", size=400 * MiB),
        LvmLv(id="lv-swap", vg="vg", name="swap", size=128 * MiB),
        Filesystem(id="fs-root", device="lv-root", fstype="ext4", uuid=uuid(12), label="root"),
        Filesystem(id="fs-home", device="lv-home", fstype="xfs", uuid=uuid(13), label="home"),
        Swap(id="swap", device="lv-swap", uuid=uuid(14), label="swap"),
        Mount(id="m-root", source="fs-root", path="/", options="errors=remount-ro", passno=1),
        Mount(id="m-home", source="fs-home", path="/home", passno=2),
    ]
    return layout("vm-uefi", "uefi", items, ("sda",), ("sda1",))


def raid1_lvm() -> Layout:
    items: list[Item] = []
    for index, name in enumerate(("sda", "sdb"), 2):
        items += gpt_disk(name, 1536, [(1, BIOS, "bios", ("bios_grub",)), (0, RAID, "raid", ("raid",))], index)
    items += [
        MdArray(
            id="md0",
            name="md0",
            level="raid1",
            members=("sda2", "sdb2"),
            uuid="0badc0de:11112222:33334444:55556666",
            array_name="vm-raid:0",
            path="/dev/md0",
        ),
        LvmPv(id="pv", device="md0"),
        LvmVg(id="vg", name="vg_system", pvs=("pv",)),
        LvmLv(id="lv-root", vg="vg", name="root", size=600 * MiB),
        LvmLv(id="lv-var", vg="vg", name="var", size=400 * MiB),
        LvmLv(id="lv-swap", vg="vg", name="swap", size=128 * MiB),
        Filesystem(id="fs-root", device="lv-root", fstype="ext4", uuid=uuid(21), label="root"),
        Filesystem(id="fs-var", device="lv-var", fstype="xfs", uuid=uuid(22), label="var"),
        Swap(id="swap", device="lv-swap", uuid=uuid(23)),
        Mount(id="m-root", source="fs-root", path="/", passno=1),
        Mount(id="m-var", source="fs-var", path="/var", passno=2),
    ]
    return layout("vm-raid", "bios", items, ("sda", "sdb"))


def luks_lvm_thin() -> Layout:
    items = gpt_disk(
        "nvme0n1", 2048, [(64, ESP, "EFI", ("esp",)), (256, LINUX, "boot", ()), (0, LINUX, "crypt", ())], 4
    )
    items += [
        Filesystem(id="fs-esp", device="nvme0n1p1", fstype="vfat", uuid="5E6F-7A8B", label="ESP"),
        Mount(id="m-esp", source="fs-esp", path="/boot/efi", options="umask=0077", passno=2),
        Filesystem(id="fs-boot", device="nvme0n1p2", fstype="ext4", uuid=uuid(41), label="boot"),
        Mount(id="m-boot", source="fs-boot", path="/boot", passno=2),
        Luks(
            id="luks",
            device="nvme0n1p3",
            name="cryptroot",
            version=2,
            uuid=uuid(42),
            label="cryptroot",
            cipher="aes-xts-plain64",
            key_size=512,
            pbkdf="argon2id",
        ),
        LvmPv(id="pv", device="luks"),
        LvmVg(id="vg", name="kestrel", pvs=("pv",)),
        LvmLv(id="pool", vg="vg", name="pool0", size=1024 * MiB, segment_type="thin-pool", metadata_size=8 * MiB),
        LvmLv(id="lv-root", vg="vg", name="root", size=2048 * MiB, segment_type="thin", pool="pool"),
        LvmLv(id="lv-home", vg="vg", name="home", size=1024 * MiB, segment_type="thin", pool="pool"),
        LvmLv(id="lv-swap", vg="vg", name="swap", size=128 * MiB),
        Filesystem(id="fs-root", device="lv-root", fstype="ext4", uuid=uuid(43), label="root"),
        Filesystem(id="fs-home", device="lv-home", fstype="ext4", uuid=uuid(44), label="home"),
        Swap(id="swap", device="lv-swap", uuid=uuid(45)),
        Mount(id="m-root", source="fs-root", path="/", passno=1),
        Mount(id="m-home", source="fs-home", path="/home", passno=2),
    ]
    return layout("vm-luks", "uefi", items, ("nvme0n1",), ("nvme0n1p1",))


def btrfs_subvolumes() -> Layout:
    items = gpt_disk(
        "sda", 2048, [(64, ESP, "EFI", ("esp",)), (128, SWAP, "swap", ("swap",)), (0, LINUX, "root", ())], 5
    )
    items += [
        Filesystem(id="fs-esp", device="sda1", fstype="vfat", uuid="9C0D-1E2F", label="ESP"),
        Mount(id="m-esp", source="fs-esp", path="/boot/efi", options="umask=0077", passno=2),
        Swap(id="swap", device="sda2", uuid=uuid(51), label="swap"),
        Filesystem(id="fs-root", device="sda3", fstype="btrfs", uuid=uuid(52), label="root"),
        BtrfsSubvolume(id="sv-root", filesystem="fs-root", path="@", default=True),
        BtrfsSubvolume(id="sv-home", filesystem="fs-root", path="@home"),
        BtrfsSubvolume(id="sv-snap", filesystem="fs-root", path="@snapshots"),
        Mount(id="m-root", source="sv-root", path="/", options="subvol=@,compress=zstd:1"),
        Mount(id="m-home", source="sv-home", path="/home", options="subvol=@home,compress=zstd:1"),
        Mount(id="m-snap", source="sv-snap", path="/.snapshots", options="subvol=@snapshots"),
    ]
    return layout("vm-btrfs", "uefi", items, ("sda",), ("sda1",))


def mbr_logical() -> Layout:
    items: list[Item] = [
        Disk(id="sda", name="sda", path="/dev/sda", size=1024 * MiB, serial="ORIG-MBR"),
        PartitionTable(id="sda-msdos", device="sda", label="msdos", disk_guid="0x5eed1234"),
        Partition(
            id="sda1",
            table="sda-msdos",
            number=1,
            start=S,
            size=600 * S,
            mbr_type="83",
            flags=("boot",),
            partuuid="5eed1234-01",
            path="/dev/sda1",
        ),
        Partition(
            id="sda2",
            table="sda-msdos",
            number=2,
            start=601 * S,
            size=128 * S,
            mbr_type="82",
            partuuid="5eed1234-02",
            path="/dev/sda2",
        ),
        Partition(
            id="sda3",
            table="sda-msdos",
            number=3,
            start=729 * S,
            size=295 * S,
            kind="extended",
            mbr_type="5",
            path="/dev/sda3",
        ),
        Partition(
            id="sda5",
            table="sda-msdos",
            number=5,
            start=730 * S,
            size=200 * S,
            kind="logical",
            mbr_type="83",
            partuuid="5eed1234-05",
            path="/dev/sda5",
        ),
        Filesystem(id="fs-root", device="sda1", fstype="ext4", uuid=uuid(61), label="root"),
        Swap(id="swap", device="sda2", uuid=uuid(62)),
        Filesystem(id="fs-srv", device="sda5", fstype="ext4", uuid=uuid(63), label="srv"),
        Mount(id="m-root", source="fs-root", path="/", passno=1),
        Mount(id="m-srv", source="fs-srv", path="/srv", passno=2),
    ]
    return layout("vm-mbr", "bios", items, ("sda",))


def md_whole_disk_partitioned() -> Layout:
    """ReaR's whole-disk RAID: md RAID1 (metadata 1.0) on the bare disks, the partitions on the array."""
    size = 1536 * MiB
    items: list[Item] = [
        Disk(id=name, name=name, path=f"/dev/{name}", size=size, serial=f"ORIG-WD{name[-1].upper()}")
        for name in ("sda", "sdb")
    ]
    items += [
        MdArray(
            id="md127",
            name="md127",
            level="raid1",
            members=("sda", "sdb"),
            metadata="1.0",
            uuid="5a6b7c8d:11223344:55667788:99aabbcc",
            array_name="vm-wholedisk:root",
            path="/dev/md127",
        ),
    ]
    parts = [(1, BIOS, "bios", ("bios_grub",)), (256, LINUX, "boot", ()), (0, LVM, "lvm", ("lvm",))]
    items += gpt_table("md127", raid1_size([size, size], "1.0") // 512, parts, 5)
    items += [
        LvmPv(id="pv", device="md127p3"),
        LvmVg(id="vg", name="vg_wd", pvs=("pv",)),
        LvmLv(id="lv-root", vg="vg", name="root", size=800 * MiB),
        LvmLv(id="lv-swap", vg="vg", name="swap", size=128 * MiB),
        Filesystem(id="fs-boot", device="md127p2", fstype="ext4", uuid=uuid(51), label="boot"),
        Filesystem(id="fs-root", device="lv-root", fstype="ext4", uuid=uuid(52), label="root"),
        Swap(id="swap", device="lv-swap", uuid=uuid(53)),
        Mount(id="m-root", source="fs-root", path="/", passno=1),
        Mount(id="m-boot", source="fs-boot", path="/boot", passno=2),
    ]
    return layout("vm-wholedisk", "bios", items, ("sda", "sdb"))


LAYOUTS = {
    "uefi-gpt-lvm": uefi_gpt_lvm,
    "raid1-lvm": raid1_lvm,
    "luks-lvm-thin": luks_lvm_thin,
    "btrfs-subvolumes": btrfs_subvolumes,
    "mbr-logical": mbr_logical,
    "md-whole-disk-partitioned": md_whole_disk_partitioned,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in LAYOUTS.items():
        (OUT / f"{name}.json").write_text(dump_layout(make()))


if __name__ == "__main__":
    main()
