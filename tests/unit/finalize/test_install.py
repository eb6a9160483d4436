"""Carrying out boot plans against a tree in tmp_path, with a fake runner and a simulated firmware."""

from __future__ import annotations

from pathlib import Path

from rescue_tui.finalize.bootloader import EFI_ARCHES, HostFacts, TargetFacts, plan_bootloader
from rescue_tui.finalize.install import BootInstaller, install_fallback, needs_fallback
from rescue_tui.finalize.model import Command, Note
from rescue_tui.layout.codec import read_layout
from tests.unit.finalize.conftest import DATA, esp_raid1, large_server, layout_of

X64 = EFI_ARCHES["x86_64"]
DEBIAN = TargetFacts(
    os_release={"ID": "debian"},
    programs={"grub-install": "/usr/sbin/grub-install", "update-grub": "/usr/sbin/update-grub"},
)
RHEL = TargetFacts(
    os_release={"ID": "rhel", "ID_LIKE": "fedora", "NAME": "Red Hat Enterprise Linux"},
    programs={"grub2-install": "/usr/sbin/grub2-install", "grub2-mkconfig": "/usr/sbin/grub2-mkconfig"},
    grub_dirs=("/boot/grub2",),
)


class Firmware:
    """efibootmgr's view of NVRAM: entries and BootOrder, changed by --create and --bootorder."""

    def __init__(self, partuuids: dict[tuple[str, str], str]) -> None:
        self.partuuids = partuuids
        self.entries: list[tuple[str, str, str]] = [("0000", "UiApp", "FvVol(7cb8)/FvFile(462c)")]
        self.order = ["0000"]
        self.next: str | None = None

    def listing(self) -> str:
        lines = [f"BootNext: {self.next}"] if self.next else []
        lines += [f"BootOrder: {','.join(self.order)}"]
        lines += [f"Boot{n}* {label}\t{path}" for n, label, path in self.entries]
        return "\n".join(lines) + "\n"

    def __call__(self, argv: tuple[str, ...]) -> str:
        if argv[1] == "--create":
            args = dict(zip(argv[2::2], argv[3::2], strict=False))
            number = f"{len(self.entries):04X}"
            guid = self.partuuids[(args["--disk"], args["--part"])]
            path = f"HD({args['--part']},GPT,{guid},0x800,0x100000)/File({args['--loader']})"
            self.entries.append((number, args["--label"], path))
            self.order.insert(0, number)
        elif argv[1] == "--bootorder":
            self.order = argv[2].split(",")
        elif argv[1] == "--bootnext":
            assert any(number == argv[2] for number, _, _ in self.entries), argv
            self.next = argv[2]
        return self.listing()


class Runner:
    """Records every command; grub-install writes what Debian's would into the ESP."""

    def __init__(self, root: Path, firmware: Firmware | None = None, fail: str | None = None) -> None:
        self.root = root
        self.firmware = firmware
        self.fail = fail
        self.ran: list[str] = []
        self.notes: list[Note] = []

    def __call__(self, command: Command) -> str | None:
        self.ran.append(command.text())
        if self.fail and self.fail in command.text():
            self.notes.append(Note(message=f"{command.why}: failed", level="error"))
            return None
        argv = command.argv
        if argv[0].endswith("grub-install") and argv[1] == "--target=x86_64-efi":
            esp = self.root / argv[2].split("=", 1)[1].lstrip("/")
            vendor = esp / "EFI" / argv[3].split("=", 1)[1]
            vendor.mkdir(parents=True, exist_ok=True)
            for name in ("shimx64.efi", "grubx64.efi", "mmx64.efi"):
                (vendor / name).write_bytes(name.encode())
        if argv[0] == "efibootmgr" and self.firmware is not None:
            return self.firmware(argv)
        return ""


def installer(plan_facts: tuple, root: Path, runner: Runner, host: HostFacts) -> tuple[BootInstaller, list[str]]:
    layout, devices, facts = plan_facts
    plan = plan_bootloader(layout, devices, facts, host)
    actions: list[str] = []
    return BootInstaller(plan, root, runner, host, runner.notes, actions), actions


def test_an_esp_on_raid1_gets_an_entry_on_both_member_disks_first_in_boot_order(tmp_path: Path) -> None:
    (tmp_path / "boot/efi").mkdir(parents=True)
    firmware = Firmware(
        {
            ("/dev/vdb", "1"): "7a1c2f3e-4d5b-4c6a-8e9f-0a1b2c3d4e5f",
            ("/dev/vdc", "1"): "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        }
    )
    runner = Runner(tmp_path, firmware)
    host = HostFacts(efivars=True)
    boot, actions = installer((read_layout(DATA / "esp-raid1.json"), esp_raid1(), DEBIAN), tmp_path, runner, host)
    boot.install_in_chroot(list(boot.plan.esps))
    boot.entries_and_fallback(list(boot.plan.esps))
    assert runner.ran == [
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian "
        "--no-nvram",
        "chroot: /usr/sbin/update-grub",
        "efibootmgr -v",
        "efibootmgr --create --disk /dev/vdb --part 1 --label debian --loader '\\EFI\\debian\\shimx64.efi'",
        "efibootmgr -v",
        "efibootmgr --create --disk /dev/vdc --part 1 --label 'debian (2)' --loader '\\EFI\\debian\\shimx64.efi'",
        "efibootmgr -v",
        "efibootmgr --bootorder 0001,0002,0000",
        "efibootmgr --bootnext 0001",
    ]
    assert firmware.order == ["0001", "0002", "0000"]
    assert firmware.next == "0001"  # the next boot is the recovered system's, even if the medium ranks first
    # no fallback was there: it is installed as well (the firmware may forget its entries)
    assert (tmp_path / "boot/efi/EFI/BOOT/BOOTX64.EFI").read_bytes() == b"shimx64.efi"
    assert (tmp_path / "boot/efi/EFI/BOOT/grubx64.efi").read_bytes() == b"grubx64.efi"
    assert runner.notes == []
    assert "ESP at /boot/efi: copied debian/shimx64.efi to EFI/BOOT/BOOTX64.EFI" in actions


def test_a_second_run_reuses_the_entries_it_finds(tmp_path: Path) -> None:
    (tmp_path / "boot/efi").mkdir(parents=True)
    firmware = Firmware(
        {
            ("/dev/vdb", "1"): "7a1c2f3e-4d5b-4c6a-8e9f-0a1b2c3d4e5f",
            ("/dev/vdc", "1"): "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        }
    )
    host = HostFacts(efivars=True)
    for _ in range(2):
        runner = Runner(tmp_path, firmware)
        boot, _actions = installer((read_layout(DATA / "esp-raid1.json"), esp_raid1(), DEBIAN), tmp_path, runner, host)
        boot.install_in_chroot(list(boot.plan.esps))
        boot.entries_and_fallback(list(boot.plan.esps))
    assert len(firmware.entries) == 3
    assert not any("--create" in line for line in runner.ran)


def test_without_efi_variables_only_the_fallback_loader_is_installed(tmp_path: Path) -> None:
    (tmp_path / "boot/efi").mkdir(parents=True)
    (tmp_path / "boot/efi2").mkdir(parents=True)
    runner = Runner(tmp_path)
    boot, _actions = installer(
        (layout_of("large-server"), large_server(), DEBIAN), tmp_path, runner, HostFacts(efivars=False)
    )
    boot.install_in_chroot(list(boot.plan.esps))
    boot.entries_and_fallback(list(boot.plan.esps))
    assert not any(line.startswith("efibootmgr") for line in runner.ran)
    for esp in ("boot/efi", "boot/efi2"):
        assert (tmp_path / esp / "EFI/BOOT/BOOTX64.EFI").read_bytes() == b"shimx64.efi"


def test_rhel_copies_its_restored_efi_directory_to_the_esp_that_lacks_it(tmp_path: Path) -> None:
    vendor = tmp_path / "boot/efi/EFI/redhat"
    vendor.mkdir(parents=True)
    for name in ("shimx64.efi", "grubx64.efi", "grub.cfg"):
        (vendor / name).write_text(name)
    (tmp_path / "boot/efi2").mkdir(parents=True)
    facts = TargetFacts(**{**RHEL.__dict__, "esp_vendors": {"/boot/efi": ("redhat",)}})
    runner = Runner(tmp_path)
    boot, actions = installer(
        (layout_of("large-server"), large_server(), facts), tmp_path, runner, HostFacts(efivars=False)
    )
    boot.install_in_chroot(list(boot.plan.esps))
    assert runner.ran == ["chroot: /usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg"]
    assert (tmp_path / "boot/efi2/EFI/redhat/shimx64.efi").read_text() == "shimx64.efi"
    assert actions == ["copied \\EFI\\redhat from the ESP at /boot/efi to the one at /boot/efi2"]


def test_a_failing_grub_install_does_not_stop_the_others(tmp_path: Path) -> None:
    runner = Runner(tmp_path, fail="/dev/vdb")
    from tests.unit.finalize.conftest import debian_raid

    boot, _actions = installer(
        (layout_of("raid1-lvm"), debian_raid(), DEBIAN), tmp_path, runner, HostFacts(efivars=False)
    )
    boot.install_in_chroot([])
    assert runner.ran == [
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdb",
        "chroot: /usr/sbin/grub-install --target=i386-pc /dev/vdc",
        "chroot: /usr/sbin/update-grub",
    ]
    assert [n.level for n in runner.notes] == ["error"]


def test_the_fallback_keeps_a_different_existing_loader_and_skips_identical_files(tmp_path: Path) -> None:
    vendor = tmp_path / "EFI/debian"
    vendor.mkdir(parents=True)
    (vendor / "grubx64.efi").write_bytes(b"grub")
    boot = tmp_path / "EFI/BOOT"
    boot.mkdir()
    (boot / "BOOTX64.EFI").write_bytes(b"someone else's")
    assert install_fallback(tmp_path, "debian", X64) == [
        "kept the previous BOOTX64.EFI as BOOTX64.EFI.orig",
        "copied debian/grubx64.efi to EFI/BOOT/BOOTX64.EFI",
    ]
    assert (boot / "BOOTX64.EFI").read_bytes() == b"grub" and (boot / "BOOTX64.EFI.orig").exists()
    assert install_fallback(tmp_path, "debian", X64) == []


def test_the_fallback_is_needed_without_nvram_after_a_failure_or_when_there_is_none() -> None:
    assert needs_fallback(efivars=False, entries_failed=False, present=True)
    assert needs_fallback(efivars=True, entries_failed=True, present=True)
    assert needs_fallback(efivars=True, entries_failed=False, present=False)
    assert not needs_fallback(efivars=True, entries_failed=False, present=True)


def test_an_esp_without_a_filesystem_gets_an_empty_fat_a_temporary_mount_and_grub(tmp_path: Path) -> None:
    import dataclasses

    from rescue_tui.finalize.devices import DeviceMap
    from rescue_tui.layout.model import Filesystem, Mount

    layout = layout_of("uefi-gpt-lvm")
    layout = dataclasses.replace(
        layout,
        items=tuple(i for i in layout.items if not (isinstance(i, Filesystem | Mount) and i.id.endswith("nvme0n1p1"))),
    )
    devices = DeviceMap.build(layout, {"nvme0n1": "/dev/vda", "nvme0n1p1": "/dev/vda1"})
    runner = Runner(tmp_path)
    boot, _actions = installer((layout, devices, DEBIAN), tmp_path, runner, HostFacts(efivars=False))
    [esp] = boot.plan.esps
    assert (esp.mount, esp.mounted, esp.fresh) == ("/tmp/rescue-tui-esp1", False, True)
    temporary = boot.prepare_esps()
    boot.install_in_chroot(temporary)
    boot.entries_and_fallback(temporary)
    boot.release_esps(temporary)
    assert runner.ran == [
        "blkid -p -o value -s TYPE /dev/vda1",
        "mkfs.vfat -F 32 /dev/vda1",
        f"mount -t vfat /dev/vda1 {tmp_path}/tmp/rescue-tui-esp1",
        "chroot: /usr/sbin/grub-install --target=x86_64-efi --efi-directory=/tmp/rescue-tui-esp1 "
        "--bootloader-id=debian --no-nvram",
        "chroot: /usr/sbin/update-grub",
        f"umount {tmp_path}/tmp/rescue-tui-esp1",
    ]


def test_debians_grub_pc_learns_the_new_boot_disks_by_their_stable_names(tmp_path: Path) -> None:
    import dataclasses

    from tests.unit.finalize.conftest import debian_raid

    facts = dataclasses.replace(DEBIAN, debconf="/usr/bin/debconf-set-selections")
    runner = Runner(tmp_path)
    host = HostFacts(efivars=False)
    plan = plan_bootloader(layout_of("raid1-lvm"), debian_raid(), facts, host)
    links = {
        "ata-QEMU_HARDDISK_QM00002": "/dev/vdb",
        "wwn-0x5000c500a1b2c3d4": "/dev/vdb",
        "ata-QEMU_HARDDISK_QM00002-part1": "/dev/vdb1",
    }
    boot = BootInstaller(plan, tmp_path, runner, host, runner.notes, [], by_id=lambda: links)
    boot.install_in_chroot([])
    assert runner.ran[2] == (
        "chroot: /usr/bin/debconf-set-selections <<< 'grub-pc grub-pc/install_devices multiselect "
        "/dev/disk/by-id/ata-QEMU_HARDDISK_QM00002, /dev/vdc'"
    )


def test_stable_disk_names_prefer_vendor_links_and_fall_back_to_the_node() -> None:
    from rescue_tui.finalize.bootloader import disk_id_name

    links = {
        "wwn-0x5": "/dev/sda",
        "scsi-35000": "/dev/sda",
        "ata-X_1-part1": "/dev/sda1",
        "dm-name-vg-root": "/dev/dm-0",
    }
    assert disk_id_name("/dev/sda", links) == "/dev/disk/by-id/scsi-35000"
    assert disk_id_name("/dev/sda", {"wwn-0x5": "/dev/sda"}) == "/dev/disk/by-id/wwn-0x5"
    assert disk_id_name("/dev/vdb", links) == "/dev/vdb"
