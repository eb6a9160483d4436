"""Capture on real loop devices: real mkfs, real sfdisk, real probes, nothing written by capture.

This host has no md, device-mapper or partition scanning, so RAID, LVM
activation, opened LUKS and partition contents are covered by the recorded
probe tests and by the VM tests, not here.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

import pytest

from rescue_tui.layout.capture import capture_system, collect_probes
from rescue_tui.layout.capture.partitions import partition_flags
from rescue_tui.layout.compare import compare_layouts
from rescue_tui.layout.model import BtrfsSubvolume, Disk, Filesystem, Layout, Mount, Partition, PartitionTable, Swap
from rescue_tui.layout.validate import validate_layout
from tests.integration.conftest import Loops, MiB, sh

pytestmark = [
    pytest.mark.root,
    pytest.mark.filterwarnings("ignore:Will be removed in 1.0:DeprecationWarning"),  # pyudev, called by blivet
]

TOOLS = ("lsblk", "blkid", "sfdisk", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkswap", "mkfs.vfat", "btrfs", "e2label")

# Fresh UUIDs per run: two test sessions on one host must not show the kernel two btrfs with one fsid.
EXT4_UUID, XFS_UUID, BTRFS_UUID, SWAP_UUID = (str(uuid.uuid4()) for _ in range(4))


@pytest.fixture
def fs_disks(loops: Loops) -> dict[str, str]:
    """One whole-device filesystem of each kind, as a fresh install would leave them."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    disks = {
        "ext4": loops.disk("ext4", 64 * MiB),
        "xfs": loops.disk("xfs", 320 * MiB),
        "btrfs": loops.disk("btrfs", 320 * MiB),
        "swap": loops.disk("swap", 32 * MiB),
        "vfat": loops.disk("vfat", 64 * MiB),
    }
    sh("mkfs.ext4", "-q", "-F", "-L", "rootfs", "-U", EXT4_UUID, disks["ext4"])
    sh("mkfs.xfs", "-q", "-f", "-L", "data", "-m", f"uuid={XFS_UUID}", disks["xfs"])
    sh("mkfs.btrfs", "-q", "-f", "-L", "pool", "-U", BTRFS_UUID, disks["btrfs"])
    top = loops.mount(disks["btrfs"])
    sh("btrfs", "-q", "subvolume", "create", str(top / "@"))
    sh("btrfs", "-q", "subvolume", "create", str(top / "@home"))
    sh("btrfs", "subvolume", "set-default", str(top / "@"))
    loops.umount(top)
    sh("mkswap", "-q", "-L", "swap0", "-U", SWAP_UUID, disks["swap"])
    sh("mkfs.vfat", "-n", "EFI", "-i", "4A5B6C7D", disks["vfat"])
    loops.settle()
    return disks


@pytest.fixture
def fstab(tmp_path: Path, fs_disks: dict[str, str]) -> Path:
    path = tmp_path / "fstab"
    path.write_text(
        f"UUID={EXT4_UUID} / ext4 errors=remount-ro 0 1\n"
        f"UUID={BTRFS_UUID} /home btrfs subvol=@home 0 0\n"
        "LABEL=data /srv xfs defaults 0 2\n"
        "UUID=4A5B-6C7D /boot/efi vfat umask=0077 0 1\n"
        f"UUID={SWAP_UUID} none swap sw,pri=3 0 0\n"
    )
    return path


def capture(devices: list[str], fstab: Path) -> Layout:
    crypttab = fstab.with_name("crypttab")
    crypttab.touch()
    return capture_system(hostname="loop-test", devices=devices, fstab=fstab, crypttab=crypttab)


def name(device: str) -> str:
    return Path(device).name


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def test_capture_records_each_filesystem_with_its_type_uuid_label_and_subvolumes(
    fs_disks: dict[str, str], fstab: Path
) -> None:
    layout = capture(list(fs_disks.values()), fstab)
    assert [d.id for d in layout.of_type(Disk)] == sorted((name(d) for d in fs_disks.values()), key=len)
    filesystems = {f.device: (f.fstype, f.uuid, f.label) for f in layout.of_type(Filesystem)}
    assert filesystems == {
        name(fs_disks["ext4"]): ("ext4", EXT4_UUID, "rootfs"),
        name(fs_disks["xfs"]): ("xfs", XFS_UUID, "data"),
        name(fs_disks["btrfs"]): ("btrfs", BTRFS_UUID, "pool"),
        name(fs_disks["vfat"]): ("vfat", "4A5B-6C7D", "EFI"),
    }
    btrfs_id = f"fs-{name(fs_disks['btrfs'])}"
    subvolumes = {(s.filesystem, s.path, s.default) for s in layout.of_type(BtrfsSubvolume)}
    assert subvolumes == {(btrfs_id, "@", True), (btrfs_id, "@home", False)}
    assert layout.of_type(Swap) == [
        Swap(
            id=f"swap-{name(fs_disks['swap'])}",
            device=name(fs_disks["swap"]),
            uuid=SWAP_UUID,
            label="swap0",
            priority=3,
        )
    ]
    mounts = {m.path: m.source for m in layout.of_type(Mount)}
    assert mounts == {
        "/": f"fs-{name(fs_disks['ext4'])}",
        "/home": f"subvol-{name(fs_disks['btrfs'])}-@home",
        "/srv": f"fs-{name(fs_disks['xfs'])}",
        "/boot/efi": f"fs-{name(fs_disks['vfat'])}",
    }
    assert layout.boot is not None and layout.boot.disks == (name(fs_disks["ext4"]),)
    assert [str(p) for p in validate_layout(layout)] == []


def test_capture_writes_nothing_to_the_devices(loops: Loops, fs_disks: dict[str, str], fstab: Path) -> None:
    images = sorted(loops.folder.glob("*.img"))
    before = {image.name: digest(image) for image in images}
    capture(list(fs_disks.values()), fstab)  # includes the read-only mount that lists btrfs subvolumes
    assert {image.name: digest(image) for image in images} == before


def test_a_second_capture_shows_no_drift_until_a_label_changes(fs_disks: dict[str, str], fstab: Path) -> None:
    devices = list(fs_disks.values())
    first = capture(devices, fstab)
    assert compare_layouts(first, capture(devices, fstab)) == []
    sh("e2label", fs_disks["ext4"], "renamed")
    assert compare_layouts(first, capture(devices, fstab)) == [
        f"changed filesystem fs-{name(fs_disks['ext4'])}: label 'rootfs' -> 'renamed'"
    ]


GPT_TABLE = """label: gpt
label-id: 3F2A1B0C-5D4E-4F60-8A7B-9C0D1E2F3A4B
first-lba: 2048
start=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-AAAA-4BBB-8CCC-000000000001, name="EFI system"
start=18432, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=11111111-AAAA-4BBB-8CCC-000000000002, name=bios
start=20480, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-AAAA-4BBB-8CCC-000000000003, name="root", attrs="LegacyBIOSBootable"
"""  # noqa: E501

MSDOS_TABLE = """label: dos
label-id: 0x5eed1234
start=2048, size=40960, type=83, bootable
start=43008, size=61440, type=5
start=45056, size=20480, type=82
start=67584, size=30720, type=8e
"""


@pytest.fixture
def tables(loops: Loops) -> dict[str, str]:
    """A GPT and an msdos table written with sfdisk into image files, then attached."""
    if shutil.which("sfdisk") is None:
        pytest.skip("needs sfdisk")
    gpt, msdos = loops.image("gpt", 64 * MiB), loops.image("msdos", 64 * MiB)
    sh("sfdisk", "-q", str(gpt), stdin=GPT_TABLE)
    sh("sfdisk", "-q", str(msdos), stdin=MSDOS_TABLE)
    found = {"gpt": loops.attach(gpt), "msdos": loops.attach(msdos)}
    loops.settle()
    return found


def test_partition_tables_are_read_exactly_from_the_device(tables: dict[str, str], tmp_path: Path) -> None:
    fstab = tmp_path / "fstab"
    fstab.touch()
    layout = capture(list(tables.values()), fstab)
    gpt, msdos = name(tables["gpt"]), name(tables["msdos"])
    assert layout.of_type(PartitionTable) == [
        PartitionTable(id=f"{gpt}-gpt", device=gpt, label="gpt", disk_guid="3f2a1b0c-5d4e-4f60-8a7b-9c0d1e2f3a4b"),
        PartitionTable(id=f"{msdos}-msdos", device=msdos, label="msdos", disk_guid="0x5eed1234"),
    ]
    assert [p for p in layout.of_type(Partition) if p.table == f"{gpt}-gpt"] == [
        Partition(id=f"{gpt}p1", number=1, start=2048, size=16384, gpt_type="c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
                  name="EFI system", partuuid="11111111-aaaa-4bbb-8ccc-000000000001", flags=("boot", "esp"),
                  path=f"/dev/{gpt}p1", table=f"{gpt}-gpt"),
        Partition(id=f"{gpt}p2", number=2, start=18432, size=2048, gpt_type="21686148-6449-6e6f-744e-656564454649",
                  name="bios", partuuid="11111111-aaaa-4bbb-8ccc-000000000002", flags=("bios_grub",),
                  path=f"/dev/{gpt}p2", table=f"{gpt}-gpt"),
        Partition(id=f"{gpt}p3", number=3, start=20480, size=81920, gpt_type="0fc63daf-8483-4772-8e79-3d69d8477de4",
                  name="root", partuuid="11111111-aaaa-4bbb-8ccc-000000000003", flags=("legacy_boot",),
                  path=f"/dev/{gpt}p3", table=f"{gpt}-gpt"),
    ]  # fmt: skip
    assert [p for p in layout.of_type(Partition) if p.table == f"{msdos}-msdos"] == [
        Partition(id=f"{msdos}p1", number=1, start=2048, size=40960, mbr_type="83", partuuid="5eed1234-01",
                  flags=("boot",), path=f"/dev/{msdos}p1", table=f"{msdos}-msdos"),
        Partition(id=f"{msdos}p2", number=2, start=43008, size=61440, kind="extended", mbr_type="05",
                  partuuid="5eed1234-02", path=f"/dev/{msdos}p2", table=f"{msdos}-msdos"),
        Partition(id=f"{msdos}p5", number=5, start=45056, size=20480, kind="logical", mbr_type="82",
                  partuuid="5eed1234-05", flags=("swap",), path=f"/dev/{msdos}p5", table=f"{msdos}-msdos"),
        Partition(id=f"{msdos}p6", number=6, start=67584, size=30720, kind="logical", mbr_type="8e",
                  partuuid="5eed1234-06", flags=("lvm",), path=f"/dev/{msdos}p6", table=f"{msdos}-msdos"),
    ]  # fmt: skip
    assert [str(p) for p in validate_layout(layout)] == []


def test_blivet_reads_the_partition_flags_the_builder_derives(tables: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.touch()
    probes = collect_probes(devices=list(tables.values()), fstab_path=empty, crypttab_path=empty, use_blivet=True)
    if probes.blivet is None:  # e.g. LVM metadata on some other loop device and no device-mapper here
        pytest.skip("; ".join(note for note in probes.notes if "blivet" in note))
    seen = {path: facts["flags"] for path, facts in probes.blivet["partitions"].items()}
    derived = {}
    for document in probes.sfdisk.values():
        label = "gpt" if document["partitiontable"]["label"] == "gpt" else "msdos"
        for entry in document["partitiontable"]["partitions"]:
            derived[entry["node"]] = sorted(partition_flags(label, entry))
    assert {path: sorted(flags) for path, flags in seen.items()} == derived
