"""What a recovered machine must look like: the cases the drills recover, and the checks they share.

A minimal bootable Debian bookworm (``tests/vm/target-debian``: kernel, initramfs-tools, GRUB for
BIOS and UEFI, mdadm, LVM), backed up with our own tar backend and cached outside the clone,
stands for the machine that was lost: ``vm-raid`` for BIOS (``raid1-lvm``: two disks, GPT with BIOS
boot partitions, md RAID1, LVM) and ``vm-uefi`` for UEFI (``uefi-gpt-lvm``: ESP, ext4 /boot, LVM),
each with its own fstab (``target-debian/machines``; it names some devices by their old nodes, as a
real fstab may). A :class:`Case` holds what finalize must make of it. The checks read the
generated files in the rescue guest, then boot the disks alone, without the rescue image, to the
restored system's login prompt on ttyS0.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from rescue_tui.drill.machine import Machine
from rescue_tui.errors import GuestError
from tests.vm.target import TargetArchive
from tests.vm.timings import record_timing

TARGET = "/mnt/target"
HOSTNAME = "restored"
"""The restored system's host name (target-debian/rootfs/etc/hostname): its login prompt."""
PASSWORD = "rescue"
"""root's password in the restored test system (set by target-debian/build)."""
BOOT_TIMEOUT = 900.0
"""Power-on to the login prompt of the restored system under TCG (GRUB, initramfs, md, LVM, systemd)."""


MACHINES = Path(__file__).parent / "target-debian" / "machines"


@dataclass(frozen=True)
class Case:
    layout: str
    machine: str
    """The backed-up machine (``target-debian/machines/NAME``): its archive is ``NAME.tar.zst``."""
    sizes: tuple[str, ...]
    want_fstab: dict[str, str]
    """Mount point -> the source finalize must leave there."""
    boot_uuid: str
    """UUID of the filesystem holding /boot: what grub.cfg searches for."""
    root_arg: str
    """``root=`` on the kernel command line in grub.cfg."""

    @property
    def archive(self) -> str:
        return f"{self.machine}.tar.zst"

    @property
    def fstab(self) -> str:
        """The original system's /etc/fstab."""
        return (MACHINES / self.machine / "etc" / "fstab").read_text()


CASES = {
    "bios": Case(
        layout="raid1-lvm",
        machine="vm-raid",
        sizes=("1536M", "1536M"),
        want_fstab={
            "/": "UUID=00000015-1111-4222-8333-000000000015",
            "/var": "/dev/vg_system/var",
            "none": "UUID=00000017-1111-4222-8333-000000000017",
        },
        boot_uuid="00000015-1111-4222-8333-000000000015",
        root_arg="root=/dev/mapper/vg_system-root",
    ),
    "uefi": Case(
        layout="uefi-gpt-lvm",
        machine="vm-uefi",
        sizes=("2G",),
        want_fstab={
            "/": "/dev/mapper/sys-root",
            "/boot": "UUID=0000000b-1111-4222-8333-00000000000b",
            "/boot/efi": "UUID=1A2B-3C4D",
            "/home": "UUID=0000000d-1111-4222-8333-00000000000d",
            "none": "/dev/sys/swap",
        },
        boot_uuid="0000000b-1111-4222-8333-00000000000b",
        root_arg="root=/dev/mapper/sys-root",
    ),
}


def fstab_sources(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and len(fields) >= 2:
            out[fields[1]] = fields[0]
    return out


def assert_common_files(vm: Machine, case: Case, archive: TargetArchive) -> None:
    # fstab: the old nodes became the preserved UUIDs, the rest is as it was, and each UUID is on a device now.
    fstab = vm.read_text(f"{TARGET}/etc/fstab")
    assert fstab_sources(fstab) == case.want_fstab, fstab
    present = vm.check("blkid -c /dev/null -o value -s UUID").split()
    for source in case.want_fstab.values():
        if source.startswith("UUID="):
            assert source.removeprefix("UUID=") in present, f"{source}: on no device; blkid: {present}"
    if fstab != case.fstab:  # a rewritten file keeps its original beside the report; an untouched one is left alone
        assert vm.read_text(f"{TARGET}/var/lib/rescue-tui/originals/etc/fstab") == case.fstab
    else:
        assert vm.run(f"test -e {TARGET}/var/lib/rescue-tui/originals/etc/fstab").rc != 0

    # grub.cfg: made anew, finds /boot by its UUID, mounts the root, talks on ttyS0.
    grub_cfg = vm.read_text(f"{TARGET}/boot/grub/grub.cfg")
    assert f"search --no-floppy --fs-uuid --set=root {case.boot_uuid}" in grub_cfg or re.search(
        rf"search .*--fs-uuid.* {case.boot_uuid}", grub_cfg
    ), grub_cfg[:3000]
    assert f"/vmlinuz-{archive.version} {case.root_arg} " in grub_cfg or re.search(
        rf"linux\s+\S*/vmlinuz-{re.escape(archive.version)} {re.escape(case.root_arg)}\s", grub_cfg
    ), grub_cfg[:3000]
    assert "console=ttyS0,115200n8" in grub_cfg

    # The initramfs of the installed kernel, rebuilt by finalize (newer than the restored kernel).
    initrd = f"{TARGET}/boot/initrd.img-{archive.version}"
    newer = vm.run(f"test {initrd} -nt {TARGET}/boot/{archive.kernel}")
    assert newer.rc == 0, f"{initrd} was not rebuilt (or is missing)"
    listing = vm.check(f"chroot {TARGET} lsinitramfs /boot/initrd.img-{archive.version}", timeout=300)
    assert "usr/sbin/lvm" in listing or "sbin/lvm" in listing

    # The report.
    reports = vm.check(f"ls {TARGET}/var/log/rescue-tui/").split()
    assert any(r.endswith(".json") for r in reports) and any(r.endswith(".txt") for r in reports), reports
    latest = sorted(r for r in reports if r.endswith(".json"))[-1]
    report = json.loads(vm.read_text(f"{TARGET}/var/log/rescue-tui/{latest}"))
    final = report["finalize"]
    phases = {p["phase"]: p["status"] for p in final["phases"]}
    assert phases == {
        "check": "done", "files": "done", "selinux": "skipped", "initramfs": "done", "bootloader": "done"
    }, phases  # fmt: skip
    assert final["problems"] == 0 and all(c["ok"] for c in final["commands"]), final
    firmware = "uefi" if case.layout.startswith("uefi") else "bios"
    for command in final["commands"]:  # where finalize's time goes, in the end-of-run report
        program = command["command"].removeprefix("chroot: ").split()[0]
        record_timing(f"{firmware} finalize: {Path(program).name}", command["seconds"])
    assert report["hostname"] == json.loads(vm.read_text("/root/layout.json"))["machine"]["hostname"]
    assert report["apply"]["done"] > 0, report["apply"]  # apply's journal was found: its step timings


def assert_bios_boot_code(vm: Machine, disks: list[str]) -> None:
    """GRUB's boot.img in each disk's MBR, pointing at core.img in that disk's BIOS boot partition."""
    core = vm.check(f"stat -c %s {TARGET}/boot/grub/i386-pc/core.img").strip()
    for disk in disks:
        mbr = vm.run(f"dd if={disk} bs=512 count=1 status=none | grep -ac GRUB")  # boot.img says "GRUB "
        assert mbr.rc == 0, f"{disk}: no GRUB boot code in the MBR"
        # boot.img keeps the LBA of core.img's first sector at 0x5c: the BIOS boot partition's start.
        lba = int(vm.check(f"dd if={disk} bs=1 skip=92 count=8 status=none | od -An -t u8").strip())
        start = int(vm.check(f"cat /sys/class/block/{disk.rsplit('/', 1)[1]}1/start").strip())
        assert lba == start, f"{disk}: boot.img points at sector {lba}, the BIOS boot partition starts at {start}"
        # core.img was written there. grub-setup patches it on the way (block list, install partition),
        # so it is not byte-equal to the file; that it runs is shown by booting from each disk below.
        written = int(vm.check(f"head -c {core} {disk}1 | tr -d '\\000' | wc -c").strip())
        assert written > 512, f"{disk}1: the BIOS boot partition is (nearly) blank after grub-install"


def assert_uefi_loaders(vm: Machine) -> None:
    esp = f"{TARGET}/boot/efi"
    files = vm.check(f"cd {esp} && find . -type f | sort").split()
    assert "./EFI/debian/grubx64.efi" in files, files
    assert "./EFI/BOOT/BOOTX64.EFI" in files, files
    vm.check(f"cmp {esp}/EFI/debian/grubx64.efi {esp}/EFI/BOOT/BOOTX64.EFI")
    entries = vm.check("efibootmgr -v")
    entry = next((line for line in entries.splitlines() if re.match(r"Boot[0-9A-F]{4}\* debian\b", line)), None)
    assert entry is not None, entries
    assert "00000065-1111-4222-8333-000000000065" in entry.lower() and "\\EFI\\debian\\grubx64.efi" in entry, entry
    order = re.search(r"^BootOrder: (\S+)", entries, re.M)
    assert order and order.group(1).startswith(entry[4:8]), entries
    assert re.search(rf"^BootNext: {entry[4:8]}$", entries, re.M), entries  # even if the medium ranks first


def boot_restored(vm: Machine, disks: list[Path], workdir: Path, request: pytest.FixtureRequest) -> Machine:
    """Boot the recovered disks alone (UEFI: with the NVRAM the rescue guest wrote its entry into)."""
    efi_vars = None
    if vm.firmware == "uefi":
        source = vm.efi_vars_file()
        efi_vars = workdir / "uefi-vars.qcow2"
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, efi_vars)
    # One vCPU: the restored kernel once died at 1.1 s in exc_int3 (text patching across two TCG vCPUs).
    machine = Machine(
        image=vm.image, workdir=workdir, firmware=vm.firmware, boot_disks=tuple(disks), efi_vars=efi_vars, cpus=1
    )
    machines: list[Machine] = getattr(request.node, "_rescue_machines", [])
    machines.append(machine)
    request.node._rescue_machines = machines
    return machine.start()


def login(machine: Machine, timeout: float) -> float:
    """Wait for the restored system's login prompt on ttyS0 and log in as root; seconds since power-on."""
    machine.expect_serial(f"{HOSTNAME} login:", timeout)
    seconds = time.monotonic() - machine.started
    machine.serial.send(b"root\r")
    machine.expect_serial("Password:", 60)
    machine.serial.send(f"{PASSWORD}\r".encode())
    machine.expect_serial(f"root@{HOSTNAME}", 120)
    return seconds


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def serial_check(machine: Machine, command: str, timeout: float = 120) -> str:
    """Run a command on the restored system's serial console; its output (exit status must be 0)."""
    token = f"__END{int(time.monotonic() * 1000)}__"
    machine.serial.send(f"{command}; echo {token}$?\r".encode())
    try:
        machine.serial.expect(rf"{token}(\d+)", timeout=timeout)
    except Exception as exc:
        raise GuestError(f"restored system: {command!r} did not finish\n{machine.serial_tail()}") from exc
    # the restored bash switches bracketed paste on and off around each command: drop terminal escapes
    output = ANSI_ESCAPE.sub("", machine.serial.before.decode("utf-8", errors="replace"))
    rc = int(machine.serial.match.group(1))
    if rc != 0:
        raise GuestError(f"restored system: {command!r} exited {rc}:\n{output}")
    return output


def assert_restored_system(
    vm: Machine, case: Case, disks: list[Path], workdir: Path, request: pytest.FixtureRequest
) -> None:
    """Boot the recovered disks alone (BIOS: the second disk first, its boot code must start the system) to
    the login prompt; then root on LVM, every fstab mount and swap up, and on BIOS the RAID1 running."""
    if vm.firmware == "bios":
        disks = disks[::-1]
    restored = boot_restored(vm, disks, workdir, request)
    try:
        seconds = login(restored, BOOT_TIMEOUT)
        record_timing(f"{vm.firmware} restored system: power-on to login prompt", seconds)
        root = serial_check(restored, "findmnt -n -o SOURCE,FSTYPE /")
        assert ("vg_system-root" if vm.firmware == "bios" else "sys-root") in root, root
        mounted = serial_check(restored, "findmnt -n -l -o TARGET --real")
        lines = {line.strip() for line in mounted.replace("\r", "").splitlines()}
        for mountpoint in case.want_fstab:
            if mountpoint != "none":
                assert mountpoint in lines, mounted
        serial_check(restored, "swapon --show=NAME --noheadings | grep -q .")
        if vm.firmware == "bios":
            mdstat = serial_check(restored, "cat /proc/mdstat")
            assert "raid1" in mdstat, mdstat
    finally:
        restored.kill()
