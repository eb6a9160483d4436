"""The storage the rescue system has to rebuild works in the guest: md, LVM thin, LUKS2, btrfs.

And nothing found on the disks is assembled or activated behind the operator's back.
Each test starts from the booted snapshot with blank disks hot-plugged.
"""

from __future__ import annotations

import pytest

from rescue_tui.drill.machine import Machine

pytestmark = pytest.mark.vm

# argon2 is slow and memory-hungry in a 1 GiB TCG guest: tests use few pbkdf2 iterations.
LUKS_FORMAT = "cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000"


def test_md_raid1_assembles_and_carries_a_filesystem(vm: Machine) -> None:
    a, b = vm.add_disk("1G").device, vm.add_disk("1G").device
    vm.check(f"mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 {a} {b}", timeout=120)
    vm.check("mkfs.ext4 -q /dev/md0 && mkdir -p /mnt/md && mount /dev/md0 /mnt/md && echo ok > /mnt/md/f", timeout=120)
    detail = vm.check("mdadm --detail /dev/md0")
    assert "Raid Level : raid1" in detail
    assert "Raid Devices : 2" in detail
    assert vm.check("cat /mnt/md/f").strip() == "ok"


def test_stale_md_members_are_not_assembled_by_udev(vm: Machine) -> None:
    a, b = vm.add_disk("512M").device, vm.add_disk("512M").device
    vm.check(f"mdadm --create /dev/md0 --run --level=1 --raid-devices=2 {a} {b} && mdadm --stop /dev/md0", timeout=120)
    vm.check(f"udevadm trigger --action=add --settle {a} {b} && udevadm settle")
    assert "md" not in vm.check("cat /proc/mdstat | grep ^md || true")
    assert vm.run(f"mdadm --incremental {a}").rc != 0, "mdadm.conf says AUTO -all"


def test_lvm_thin_pool_and_thin_volume_carry_a_filesystem(vm: Machine) -> None:
    disk = vm.add_disk("2G").device
    vm.check(f"pvcreate -q {disk} && vgcreate -q vg0 {disk}", timeout=120)
    vm.check(
        "lvcreate -q --type thin-pool -L 1G -n pool vg0 && lvcreate -q -V 3G --thinpool vg0/pool -n thin", timeout=180
    )
    vm.check("mkfs.xfs -q /dev/vg0/thin && mkdir -p /mnt/thin && mount /dev/vg0/thin /mnt/thin", timeout=120)
    vm.check("dd if=/dev/zero of=/mnt/thin/f bs=1M count=64 status=none && sync", timeout=120)
    lvs = vm.check("lvs --noheadings -o lv_name,segtype vg0")
    assert {tuple(line.split()) for line in lvs.splitlines() if line.strip()} == {
        ("pool", "thin-pool"),
        ("thin", "thin"),
    }


def test_lvm_volumes_found_on_a_disk_are_not_activated_by_udev(vm: Machine) -> None:
    disk = vm.add_disk("1G").device
    vm.check(f"pvcreate -q {disk} && vgcreate -q old {disk} && lvcreate -q -L 100M -n data old", timeout=120)
    vm.check("vgchange -q -an old", timeout=60)
    vm.check(f"udevadm trigger --action=add --settle {disk} && udevadm settle")
    assert vm.check("lvs --noheadings -o lv_active old/data").strip() == ""
    assert vm.check("lvmconfig global/event_activation").strip() == "event_activation=0"


def test_luks2_opens_and_carries_a_filesystem(vm: Machine) -> None:
    disk = vm.add_disk("512M").device
    vm.check(f"printf secret | {LUKS_FORMAT} {disk} -", timeout=180)
    vm.check(f"printf secret | cryptsetup open --key-file - {disk} data", timeout=120)
    vm.check("mkfs.ext4 -q /dev/mapper/data && mkdir -p /mnt/luks && mount /dev/mapper/data /mnt/luks", timeout=120)
    dump = vm.check(f"cryptsetup luksDump {disk}")
    assert "Version:       \t2" in dump
    assert "pbkdf2" in dump
    assert vm.run("test -e /etc/crypttab").rc != 0, "the rescue system has no crypttab"


def test_btrfs_raid1_with_subvolumes(vm: Machine) -> None:
    a, b = vm.add_disk("1G").device, vm.add_disk("1G").device
    vm.check(f"mkfs.btrfs -q -f -d raid1 -m raid1 {a} {b}", timeout=120)
    vm.check(f"btrfs device scan {a} {b} >/dev/null; mkdir -p /mnt/b && mount {a} /mnt/b", timeout=120)
    vm.check("btrfs subvolume create /mnt/b/@ && btrfs subvolume create /mnt/b/@home", timeout=60)
    subvolumes = vm.check("btrfs subvolume list /mnt/b")
    assert [line.split()[-1] for line in subvolumes.splitlines()] == ["@", "@home"]
    assert "RAID1" in vm.check("btrfs filesystem df /mnt/b")
