"""fstab: one test per rule, on real-looking files (Debian, RHEL, SUSE with btrfs subvolumes)."""

from __future__ import annotations

from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.finalize.fstab import rewrite_fstab
from tests.unit.finalize.conftest import bios_single, changed_layout, layout_of, nova_uefi, tern_btrfs

DEBIAN = """\
# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0       1
/dev/sda5       /srv            ext4    defaults        0       2
/dev/sda2       none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
"""

DEBIAN_AFTER = """\
# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=6cd0e696-c356-4204-8543-2337cde344ad /               ext4    errors=remount-ro 0       1
UUID=124fb2c7-093d-4e3d-94fb-12d9c0c86340 /srv            ext4    defaults        0       2
UUID=1eaf3d51-88f7-49a6-8be2-52aec37f7bad none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
"""

RHEL = """\

#
# /etc/fstab
# Created by anaconda on Tue Jan 16 09:12:44 2024
#
# Accessible filesystems, by reference, are maintained under '/dev/disk/'.
# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info.
#
# After editing this file, run 'systemctl daemon-reload' to update systemd
# units generated from this file.
#
/dev/mapper/nova--vg-root /                       ext4    defaults        1 1
UUID=4b9aa940-1166-4ff7-a8be-b6fc0e23651a /boot                   ext4    defaults        1 2
UUID=3ED5-45D0          /boot/efi               vfat    umask=0077,shortname=winnt 0 2
/dev/mapper/nova--vg-home /home                   ext4    defaults        1 2
/dev/mapper/nova--vg-swap_1 none                    swap    defaults        0 0
"""

SUSE_BY_ID = """\
/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3  /            btrfs  subvol=/@,compress=zstd:1,noatime           0  0
/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3  /home        btrfs  subvol=/@home,compress=zstd:1,noatime       0  0
/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3  /.snapshots  btrfs  subvol=/@snapshots,compress=zstd:1,noatime  0  0
/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part2  swap         swap   defaults                                   0  0
/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part1  /boot/efi    vfat   utf8                                       0  2
"""  # noqa: E501

SUSE_BY_ID_AFTER = """\
UUID=980031d4-6aae-4da3-a110-9d690e5add06               /            btrfs  subvol=/@,compress=zstd:1,noatime           0  0
UUID=980031d4-6aae-4da3-a110-9d690e5add06               /home        btrfs  subvol=/@home,compress=zstd:1,noatime       0  0
UUID=980031d4-6aae-4da3-a110-9d690e5add06               /.snapshots  btrfs  subvol=/@snapshots,compress=zstd:1,noatime  0  0
UUID=33da9486-28fd-4096-af58-1397f53a6581               swap         swap   defaults                                   0  0
UUID=B01D-359A                                          /boot/efi    vfat   utf8                                       0  2
"""  # noqa: E501


def test_debian_device_nodes_become_uuids_of_their_filesystems_and_swap_keeping_the_columns() -> None:
    result = rewrite_fstab(DEBIAN, bios_single())
    assert result.after == DEBIAN_AFTER
    assert [(c.line, c.why) for c in result.changes] == [
        (8, "/dev/sda1 is /dev/vda1 now; found by the UUID of its filesystem instead"),
        (9, "/dev/sda5 is /dev/vda5 now; found by the UUID of its filesystem instead"),
        (10, "/dev/sda2 is /dev/vda2 now; found by the UUID of its swap instead"),
    ]
    assert result.notes == ()


def test_rhel_entries_by_uuid_and_lvm_name_are_kept_as_they_are() -> None:
    result = rewrite_fstab(RHEL, nova_uefi())
    assert result.after == RHEL and result.changes == () and result.notes == ()


def test_suse_by_id_names_of_a_replaced_disk_become_uuids_on_every_subvolume_line() -> None:
    result = rewrite_fstab(SUSE_BY_ID, tern_btrfs())
    assert result.after == SUSE_BY_ID_AFTER
    assert len(result.changes) == 5
    assert result.changes[0].why == (
        "/dev/disk/by-id/ata-CT1000MX500SSD1_2117E59AD1C4-part3 names hardware that was replaced; "
        "found by the UUID of its filesystem instead"
    )


def test_by_id_names_of_the_same_disk_are_kept() -> None:
    result = rewrite_fstab(SUSE_BY_ID, tern_btrfs(same_disk=True))
    assert result.after == SUSE_BY_ID and result.changes == ()


def test_a_renamed_node_without_a_filesystem_uuid_becomes_its_partuuid() -> None:
    layout = changed_layout(layout_of("bios-mbr-single"), "fs-sda5", uuid=None)
    devices = DeviceMap.build(layout, {"sda": "/dev/vda", "sda5": "/dev/vda5"})
    result = rewrite_fstab("/dev/sda5 /srv ext4 defaults 0 2\n", devices)
    assert result.after == "PARTUUID=bf00e1fe-05 /srv ext4 defaults 0 2\n"
    assert result.changes[0].why == "/dev/sda5 is /dev/vda5 now; found by its partition UUID instead"


def test_a_renamed_node_without_any_identity_becomes_the_new_node() -> None:
    layout = changed_layout(changed_layout(layout_of("bios-mbr-single"), "fs-sda5", uuid=None), "sda5", partuuid=None)
    devices = DeviceMap.build(layout, {"sda": "/dev/vda", "sda5": "/dev/vda5"})
    result = rewrite_fstab("/dev/sda5\t/srv\text4\tdefaults\t0\t2\n", devices)
    assert result.after == "/dev/vda5\t/srv\text4\tdefaults\t0\t2\n"
    assert result.changes[0].why == "/dev/sda5 is /dev/vda5 now; no identity to use, so its new node"


def test_a_node_that_keeps_its_name_is_kept() -> None:
    devices = DeviceMap.build(layout_of("bios-mbr-single"), {"sda": "/dev/sda", "sda1": "/dev/sda1"})
    text = "/dev/sda1 / ext4 errors=remount-ro 0 1\n"
    assert rewrite_fstab(text, devices).after == text


def test_an_unknown_uuid_is_kept_with_a_warning_when_boot_would_wait_for_it() -> None:
    text = "UUID=0a1b2c3d-0000-4000-8000-000000000000 /backup ext4 defaults 0 2\n"
    result = rewrite_fstab(text, bios_single())
    assert result.after == text and result.changes == ()
    [note] = result.notes
    assert (note.level, note.line) == ("warning", 1)
    assert note.message == (
        "UUID=0a1b2c3d-0000-4000-8000-000000000000 is not in the layout (a disk that was not recovered?): "
        "boot waits for it and may stop in emergency mode; add 'nofail' or remove the line"
    )


def test_an_unknown_device_marked_nofail_or_noauto_is_only_information() -> None:
    text = "/dev/sdc1 /backup ext4 defaults,nofail 0 2\nLABEL=usb /media/usb vfat noauto,user 0 0\n"
    result = rewrite_fstab(text, bios_single())
    assert result.after == text
    assert [(n.level, n.line) for n in result.notes] == [("info", 1), ("info", 2)]
    assert result.notes[0].message.endswith("the filesystem is noauto/nofail, boot goes on without it")


def test_pseudo_network_bind_and_swap_file_entries_and_odd_lines_are_kept_without_notes() -> None:
    text = (
        "proc            /proc           proc    defaults          0       0\n"
        "tmpfs           /tmp            tmpfs   size=2G,mode=1777 0       0\n"
        "nas:/export     /mnt/nas        nfs4    _netdev,noauto    0       0\n"
        "//nas/share     /mnt/share      cifs    credentials=/root/.smb 0 0\n"
        "/srv/data       /var/lib/data   none    bind              0       0\n"
        "/swapfile       none            swap    sw                0       0\n"
        "   \n"
        "\t# indented comment\n"
    )
    result = rewrite_fstab(text, bios_single())
    assert result.after == text and result.changes == () and result.notes == ()


def test_a_line_with_one_field_is_kept_and_reported() -> None:
    result = rewrite_fstab("/dev/sda1\n", bios_single())
    assert result.after == "/dev/sda1\n"
    assert result.notes[0].message == "not an fstab entry (fewer than two fields): kept"


def test_a_missing_final_newline_stays_missing() -> None:
    result = rewrite_fstab("/dev/sda1 / ext4 defaults 0 1", bios_single())
    assert result.after == "UUID=6cd0e696-c356-4204-8543-2337cde344ad / ext4 defaults 0 1"


def test_a_second_rewrite_changes_nothing() -> None:
    for text, devices in ((DEBIAN, bios_single()), (SUSE_BY_ID, tern_btrfs())):
        once = rewrite_fstab(text, devices).after
        again = rewrite_fstab(once, devices)
        assert again.after == once and again.changes == ()


def test_edit_keeps_columns_only_where_the_file_is_aligned() -> None:
    from rescue_tui.finalize.edit import replace_field

    assert replace_field("/dev/sda1    /    ext4", 0, "UUID=1") == "UUID=1       /    ext4"
    assert replace_field("/dev/sda1    /    ext4", 0, "UUID=0123456789abcdef") == "UUID=0123456789abcdef /    ext4"
    assert replace_field("/dev/sda1 / ext4", 0, "UUID=1") == "UUID=1 / ext4"
    assert replace_field("/dev/sda1\t/\text4", 0, "UUID=1") == "UUID=1\t/\text4"
    assert replace_field("a b c", 2, "d") == "a b d"
