"""Boot loader planning: which grub-install, which boot entries, which config, per firmware and distribution."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rescue_tui.finalize.bootloader import (
    BootPlan,
    HostFacts,
    TargetFacts,
    bootloader_id,
    family_of,
    plan_bootloader,
)
from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Boot
from tests.unit.finalize.conftest import (
    DATA,
    bios_single,
    changed_layout,
    debian_raid,
    esp_raid1,
    large_server,
    layout_of,
    nova_uefi,
)

DEBIAN = {"ID": "debian", "NAME": "Debian GNU/Linux", "VERSION_ID": "12"}
RHEL = {"ID": "rhel", "ID_LIKE": "fedora", "NAME": "Red Hat Enterprise Linux", "VERSION_ID": "9.3"}
DEBIAN_PROGRAMS = {
    "grub-install": "/usr/sbin/grub-install",
    "update-grub": "/usr/sbin/update-grub",
    "grub-mkconfig": "/usr/sbin/grub-mkconfig",
}
RHEL_PROGRAMS = {"grub2-install": "/usr/sbin/grub2-install", "grub2-mkconfig": "/usr/sbin/grub2-mkconfig"}
UEFI = HostFacts(efivars=True)


def texts(plan: BootPlan, *, efivars: bool = True) -> list[str]:
    return [c.text() for c in plan.commands(efivars=efivars)]


def debian(**more: object) -> TargetFacts:
    return TargetFacts(os_release=DEBIAN, programs=DEBIAN_PROGRAMS, grub_dirs=("/boot/grub",), **more)  # type: ignore[arg-type]


def test_families_and_efi_directories_come_from_os_release() -> None:
    assert family_of(DEBIAN) == "debian" and family_of({"ID": "ubuntu", "ID_LIKE": "debian"}) == "debian"
    assert family_of(RHEL) == "rhel" and family_of({"ID": "rocky", "ID_LIKE": "rhel centos fedora"}) == "rhel"
    assert family_of({"ID": "opensuse-leap", "ID_LIKE": "suse opensuse"}) == "suse"
    assert family_of({"ID": "arch"}) == "other"
    assert bootloader_id(RHEL, []) == "redhat" and bootloader_id(DEBIAN, []) == "debian"
    assert bootloader_id(DEBIAN, ["Debian", "ubuntu"]) == "Debian"


def test_bios_raid1_installs_grub_on_every_member_disk_then_update_grub() -> None:
    plan = plan_bootloader(layout_of("raid1-lvm"), debian_raid(), debian(), HostFacts(efivars=False))
    assert texts(plan) == [
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdb",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdc",
        "chroot: /usr/sbin/update-grub",
    ]
    assert plan.notes == ()


def test_bios_boot_disks_are_found_under_boot_when_the_layout_does_not_name_them() -> None:
    layout = layout_of("raid1-lvm")
    layout = dataclasses.replace(layout, boot=Boot(firmware="bios"))
    plan = plan_bootloader(layout, debian_raid(), debian(), HostFacts(efivars=False))
    assert plan.bios_disks == ("/dev/vdb", "/dev/vdc")


def test_bios_on_msdos_needs_no_bios_boot_partition() -> None:
    plan = plan_bootloader(layout_of("bios-mbr-single"), bios_single(), debian(), HostFacts(efivars=False))
    assert plan.bios_disks == ("/dev/vda",) and plan.notes == ()


def test_bios_on_gpt_without_a_bios_boot_partition_is_an_error() -> None:
    layout = changed_layout(layout_of("raid1-lvm"), "sdb1", flags=())
    plan = plan_bootloader(
        layout, DeviceMap.build(layout, {"sda": "/dev/vdb", "sdb": "/dev/vdc"}), debian(), HostFacts(efivars=False)
    )
    [note] = plan.notes
    assert note.level == "error"
    assert note.message == "boot disk /dev/vdc is GPT without a BIOS boot partition: grub-install will refuse it"


def test_a_boot_disk_that_is_not_recovered_is_a_warning() -> None:
    devices = DeviceMap.build(layout_of("raid1-lvm"), {"sda": "/dev/vdb"})
    plan = plan_bootloader(layout_of("raid1-lvm"), devices, debian(), HostFacts(efivars=False))
    assert plan.bios_disks == ("/dev/vdb",)
    assert [n.message for n in plan.notes] == ["boot disk sdb is not recovered: no boot code there"]


def test_uefi_debian_installs_into_the_esp_and_makes_one_entry_for_its_shim() -> None:
    plan = plan_bootloader(layout_of("uefi-gpt-lvm"), nova_uefi(), debian(shim=True), UEFI)
    assert texts(plan) == [
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian "
        "--no-nvram",
        "chroot: /usr/sbin/update-grub",
        "efibootmgr --create --disk /dev/vda --part 1 --label debian --loader '\\EFI\\debian\\shimx64.efi'",
    ]


def test_an_esp_on_raid1_gets_one_install_and_an_entry_on_each_member_disk() -> None:
    plan = plan_bootloader(read_layout(DATA / "esp-raid1.json"), esp_raid1(), debian(), UEFI)
    assert [(m.disk, m.number) for m in plan.esps[0].members] == [("/dev/vdb", 1), ("/dev/vdc", 1)]
    assert texts(plan)[0] == (
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --no-nvram"
    )
    assert texts(plan)[2:] == [
        "efibootmgr --create --disk /dev/vdb --part 1 --label debian --loader '\\EFI\\debian\\grubx64.efi'",
        "efibootmgr --create --disk /dev/vdc --part 1 --label 'debian (2)' --loader '\\EFI\\debian\\grubx64.efi'",
    ]


def test_two_separate_esps_each_get_grub_and_an_entry() -> None:
    plan = plan_bootloader(layout_of("large-server"), large_server(), debian(), UEFI)
    assert [e.mount for e in plan.esps] == ["/boot/efi", "/boot/efi2"]
    assert [c.text() for c in plan.commands(efivars=True) if "--efi-directory" in c.text()] == [
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian "
        "--no-nvram",
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/boot/efi2 --bootloader-id=debian "
        "--no-nvram",
    ]
    assert [c.argv[3] for c in plan.commands(efivars=True) if c.argv[0] == "efibootmgr"] == ["/dev/vdb", "/dev/vdc"]


def test_without_efi_variables_there_are_no_entries_and_a_warning_about_the_fallback() -> None:
    plan = plan_bootloader(layout_of("uefi-gpt-lvm"), nova_uefi(), debian(), HostFacts(efivars=False))
    assert not any(c.argv[0] == "efibootmgr" for c in plan.commands(efivars=False))
    [note] = plan.notes
    assert note.level == "warning" and "\\EFI\\BOOT" in note.message


def test_rhel_keeps_its_signed_efi_binaries_and_regenerates_both_grub_configs() -> None:
    facts = TargetFacts(
        os_release=RHEL,
        programs=RHEL_PROGRAMS,
        grub_dirs=("/boot/grub2",),
        esp_vendors={"/boot/efi": ("redhat",)},
        esp_configs={"/boot/efi": ("/boot/efi/EFI/redhat/grub.cfg",)},
    )
    plan = plan_bootloader(layout_of("uefi-gpt-lvm"), nova_uefi(), facts, UEFI)
    assert not plan.install_efi and plan.label == "Red Hat Enterprise Linux"
    assert texts(plan) == [
        "chroot: /usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg",
        "chroot: /usr/sbin/grub2-mkconfig -o /boot/efi/EFI/redhat/grub.cfg",
        "efibootmgr --create --disk /dev/vda --part 1 --label 'Red Hat Enterprise Linux' "
        "--loader '\\EFI\\redhat\\shimx64.efi'",
    ]


def test_rhel_without_its_efi_binaries_on_any_esp_is_an_error() -> None:
    facts = TargetFacts(os_release=RHEL, programs=RHEL_PROGRAMS, grub_dirs=("/boot/grub2",))
    plan = plan_bootloader(layout_of("uefi-gpt-lvm"), nova_uefi(), facts, UEFI)
    assert [n.level for n in plan.notes] == ["error"]
    assert "reinstall its shim and GRUB EFI packages" in plan.notes[0].message


def test_uefi_with_a_bios_boot_partition_and_grubs_bios_modules_is_hybrid() -> None:
    layout = changed_layout(layout_of("large-server"), "sda1", flags=("esp", "bios_grub"))
    devices = DeviceMap.build(layout, {"sda": "/dev/vdb", "sda1": "/dev/vdb1", "sdb": "/dev/vdc", "sdb1": "/dev/vdc1"})
    plan = plan_bootloader(layout, devices, debian(i386_pc=True), UEFI)
    assert plan.bios_disks == ("/dev/vdb",)
    assert plan.notes[-1].message == "hybrid boot: BIOS boot code too, on /dev/vdb"


def test_no_grub_install_in_the_target_is_an_error() -> None:
    facts = TargetFacts(os_release=DEBIAN, programs={"update-grub": "/usr/sbin/update-grub"})
    plan = plan_bootloader(layout_of("bios-mbr-single"), bios_single(), facts, HostFacts(efivars=False))
    assert [n.message for n in plan.notes] == ["the restored system has no grub-install or grub2-install"]
    assert texts(plan) == ["chroot: /usr/sbin/update-grub"]


def test_a_layout_without_boot_facts_installs_nothing_and_says_so() -> None:
    layout = dataclasses.replace(layout_of("bios-mbr-single"), boot=None)
    plan = plan_bootloader(layout, bios_single(), debian(), UEFI)
    assert texts(plan) == [] and plan.notes[0].message == "the layout records no boot facts: no boot loader installed"


def test_facts_are_read_from_the_restored_tree_and_its_esps(tmp_path: Path) -> None:
    from rescue_tui.finalize.bootloader import gather_facts
    from rescue_tui.finalize.target import TargetRoot
    from tests.unit.finalize.conftest import make_tree

    root = make_tree(
        tmp_path,
        {
            "/etc/os-release": 'ID="rhel"\nID_LIKE="fedora"\n',
            "/boot/efi/EFI/redhat/shimx64.efi": "shim",
            "/boot/efi/EFI/redhat/grub.cfg": "set timeout=5\nmenuentry 'RHEL' {\n}\n",
            "/boot/efi/EFI/BOOT/BOOTX64.EFI": "shim",
            "/boot/efi/EFI/Microsoft/Boot/bootmgfw.efi": "windows",
            "/boot/efi2/EFI/redhat/grub.cfg": "search --fs-uuid --set=dev 4b9a\nconfigfile ($dev)/grub2/grub.cfg\n",
            "/boot/grub2/grubenv": "",
            "/usr/lib/grub/i386-pc/boot.img": "",
            "/var/lib/dpkg/info/grub-pc.list": "",
        },
        ("grub2-install", "grub2-mkconfig", "debconf-set-selections"),
    )
    facts = gather_facts(TargetRoot(root), ["/boot/efi", "/boot/efi2", "/boot/efi3"])
    assert facts.esp_vendors == {"/boot/efi": ("redhat",), "/boot/efi2": (), "/boot/efi3": ()}
    assert facts.esp_configs == {"/boot/efi": ("/boot/efi/EFI/redhat/grub.cfg",), "/boot/efi2": (), "/boot/efi3": ()}
    assert facts.grub_dirs == ("/boot/grub2",) and facts.i386_pc and not facts.shim
    assert facts.programs["grub2-install"] == "/usr/sbin/grub2-install" and facts.programs["grub-install"] is None
    assert facts.debconf == "/usr/sbin/debconf-set-selections"
