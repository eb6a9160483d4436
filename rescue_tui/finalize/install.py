"""Carrying out a boot plan: GRUB in the chroot, boot entries from the rescue system, the fallback loader.

Failures do not stop the rest (ReaR's lesson: at this late stage, install
what can be installed and say clearly what could not): each becomes an
``error`` note, and finalize exits 1 after writing its report. ESPs the
restored system does not mount are mounted for the install and always
unmounted again.
"""

from __future__ import annotations

import contextlib
import filecmp
import shutil
from collections.abc import Callable
from pathlib import Path

from rescue_tui.finalize.bootloader import BootPlan, EfiArch, EspTarget, HostFacts, disk_id_name, read_by_id
from rescue_tui.finalize.efi import boot_order, find_entry, loader_path, parse_efibootmgr
from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.model import Command, Note

Run = Callable[[Command], str | None]
"""Runs a command and records it; returns its stdout, or None when it failed (the failure is noted)."""


def _child(directory: Path, name: str) -> Path | None:
    if not directory.is_dir():
        return None
    return next((p for p in directory.iterdir() if p.name.lower() == name.lower()), None)


def vendor_dir(esp: Path, bootloader_id: str) -> Path | None:
    efi = _child(esp, "EFI")
    return _child(efi, bootloader_id) if efi else None


def installed_loader(esp: Path, bootloader_id: str, arch: EfiArch) -> str | None:
    """The loader an entry should start: the shim when there is one (Secure Boot), else GRUB."""
    vendor = vendor_dir(esp, bootloader_id)
    if vendor is None:
        return None
    for name in (arch.shim, arch.grub):
        found = _child(vendor, name)
        if found is not None:
            return loader_path(vendor.name, found.name)
    return None


def install_fallback(esp: Path, bootloader_id: str, arch: EfiArch) -> list[str]:
    r"""Copy the loader to \EFI\BOOT\BOOTX64.EFI (the path firmware boots without any entry); what was done.

    With a shim, the shim becomes BOOTX64.EFI and GRUB and MokManager go beside it (the shim starts
    GRUB from its own directory); the GRUB config stub goes along when there is one.
    """
    vendor = vendor_dir(esp, bootloader_id)
    if vendor is None:
        return []
    shim, grub = _child(vendor, arch.shim), _child(vendor, arch.grub)
    first = shim or grub
    if first is None:
        return []
    efi = _child(esp, "EFI")
    assert efi is not None
    boot = _child(efi, "BOOT") or efi / "BOOT"
    boot.mkdir(exist_ok=True)
    copies = [(first, arch.fallback)]
    if shim is not None and grub is not None:
        copies.append((grub, grub.name))
    for extra in (arch.mok, "grub.cfg"):
        found = _child(vendor, extra)
        if found is not None:
            copies.append((found, found.name))
    done = []
    for source, name in copies:
        dest = _child(boot, name) or boot / name
        if dest.exists() and filecmp.cmp(source, dest, shallow=False):
            continue
        if dest.exists() and name == arch.fallback:
            keep = boot / f"{name}.orig"
            if not keep.exists():
                shutil.copy2(dest, keep)
                done.append(f"kept the previous {dest.name} as {keep.name}")
        shutil.copyfile(source, dest)
        done.append(f"copied {vendor.name}/{source.name} to EFI/{boot.name}/{dest.name}")
    return done


def mirror_vendor(source_esp: Path, dest_esp: Path, bootloader_id: str) -> bool:
    """Copy \\EFI\\<id> from an ESP that has it to one that does not (RHEL, SUSE: no grub2-install for EFI)."""
    source = vendor_dir(source_esp, bootloader_id)
    if source is None or vendor_dir(dest_esp, bootloader_id) is not None:
        return False
    efi = _child(dest_esp, "EFI") or dest_esp / "EFI"
    shutil.copytree(source, efi / source.name)
    return True


def needs_fallback(*, efivars: bool, entries_failed: bool, present: bool) -> bool:
    """Install \\EFI\\BOOT\\BOOTX64.EFI when no entry could be written, or when there is none yet."""
    return not efivars or entries_failed or not present


class BootInstaller:
    """Runs a BootPlan against a mounted target; commands go through ``run`` (which records them)."""

    def __init__(
        self,
        plan: BootPlan,
        root: Path,
        run: Run,
        host: HostFacts,
        notes: list[Note],
        actions: list[str],
        *,
        by_id: Callable[[], dict[str, str]] = read_by_id,
    ) -> None:
        self.by_id = by_id
        self.plan = plan
        self.root = root
        self.run = run
        self.host = host
        self.notes = notes
        self.actions = actions

    def esp_path(self, esp: EspTarget) -> Path:
        return self.root / esp.mount.lstrip("/")

    def prepare_esps(self) -> list[EspTarget]:
        """Format the ESPs that have no filesystem and mount those the restored system does not mount."""
        temporary = []
        for esp in self.plan.esps:
            if esp.mounted or esp.node is None:
                continue
            if esp.fresh:
                kind = (
                    self.run(
                        Command(
                            argv=("blkid", "-p", "-o", "value", "-s", "TYPE", esp.node),
                            where="host",
                            why=f"what is on the ESP {esp.node}",
                        )
                    )
                    or ""
                ).strip()
                if kind and kind != "vfat":
                    self.notes.append(Note(message=f"ESP {esp.node} holds {kind}, not FAT: left alone", level="error"))
                    continue
                if (
                    not kind
                    and self.run(
                        Command(
                            argv=("mkfs.vfat", "-F", "32", esp.node),
                            where="host",
                            why=f"an empty FAT on the ESP {esp.node}",
                        )
                    )
                    is None
                ):
                    continue
            where = self.esp_path(esp)
            if where.is_symlink():
                raise FinalizeError(f"{where}: is a symbolic link; refusing to mount over it")
            where.mkdir(parents=True, exist_ok=True)
            if (
                self.run(
                    Command(
                        argv=("mount", "-t", "vfat", esp.node, str(where)),
                        where="host",
                        why=f"the ESP {esp.node} for the install",
                    )
                )
                is not None
            ):
                temporary.append(esp)
        return temporary

    def release_esps(self, temporary: list[EspTarget]) -> None:
        for esp in reversed(temporary):
            where = self.esp_path(esp)
            if self.run(Command(argv=("umount", str(where)), where="host", why="done with the ESP")) is not None:
                with contextlib.suppress(OSError):
                    where.rmdir()

    def install_in_chroot(self, usable: list[EspTarget]) -> None:
        """grub-install for BIOS disks and ESPs, then the GRUB config; in the chroot (the caller enters it)."""
        installed = []
        for disk, command in zip(self.plan.bios_disks, self.plan.bios_commands(), strict=False):
            if self.run(command) is not None:
                installed.append(disk)
        links = self.by_id() if installed and self.plan.debconf else {}
        debconf = self.plan.debconf_command([disk_id_name(d, links) for d in installed])
        if debconf is not None:
            self.run(debconf)
        if self.plan.firmware == "uefi" and self.plan.install_efi:
            for esp in usable:
                install = self.plan.efi_install(esp)
                if install is not None:
                    self.run(install)
        elif self.plan.firmware == "uefi":
            self._mirror(usable)
        for command in self.plan.mkconfig:
            self.run(command)

    def _mirror(self, usable: list[EspTarget]) -> None:
        ident = self.plan.bootloader_id
        source = next((e for e in usable if vendor_dir(self.esp_path(e), ident) is not None), None)
        if source is None:
            return
        for esp in usable:
            if esp is not source and mirror_vendor(self.esp_path(source), self.esp_path(esp), ident):
                self.actions.append(f"copied \\EFI\\{ident} from the ESP at {source.mount} to the one at {esp.mount}")

    def entries_and_fallback(self, usable: list[EspTarget]) -> None:
        """One UEFI boot entry per ESP member (from the rescue system), BootOrder, then the fallback loader."""
        arch = self.plan.arch
        if self.plan.firmware != "uefi" or arch is None:
            return
        failed = False
        ours: list[str] = []
        if self.host.efivars:
            failed = self._entries(usable, arch, ours)
        for esp in usable:
            where = self.esp_path(esp)
            efi = _child(where, "EFI")
            boot = _child(efi, "BOOT") if efi else None
            present = boot is not None and _child(boot, arch.fallback) is not None
            if needs_fallback(efivars=self.host.efivars, entries_failed=failed, present=present):
                for line in install_fallback(where, self.plan.bootloader_id, arch):
                    self.actions.append(f"ESP at {esp.mount}: {line}")

    def _entries(self, usable: list[EspTarget], arch: EfiArch, ours: list[str]) -> bool:
        listing = self.run(Command(argv=("efibootmgr", "-v"), where="host", why="the boot entries there are"))
        if listing is None:
            return True
        failed = False
        index = 0
        for esp in usable:
            loader = installed_loader(self.esp_path(esp), self.plan.bootloader_id, arch)
            if loader is None:
                self.notes.append(
                    Note(
                        message=f"the ESP at {esp.mount} holds no \\EFI\\{self.plan.bootloader_id} "
                        "loader: no boot entry for it",
                        level="error",
                    )
                )
                failed = True
                continue
            for member in esp.members:
                current = parse_efibootmgr(listing)
                found = find_entry(current, partuuid=member.partuuid, loader=loader, label=self.plan.label)
                if found is not None:
                    ours.append(found.number)
                    self.actions.append(
                        f"boot entry Boot{found.number} for {member.disk} partition {member.number} was there already"
                    )
                    index += 1
                    continue
                created = self.run(self.plan.entry_command(member, index, loader))
                index += 1
                relisted = self.run(Command(argv=("efibootmgr", "-v"), where="host", why="the new entry's number"))
                if created is None or relisted is None:
                    failed = True
                    continue
                listing = relisted
                after = find_entry(
                    parse_efibootmgr(listing), partuuid=member.partuuid, loader=loader, label=self.plan.label
                )
                if after is None:
                    self.notes.append(
                        Note(
                            message=f"efibootmgr made no visible entry for {member.disk} partition {member.number}",
                            level="error",
                        )
                    )
                    failed = True
                else:
                    ours.append(after.number)
        if ours:
            order = boot_order(parse_efibootmgr(listing).order, ours)
            self.run(
                Command(
                    argv=("efibootmgr", "--bootorder", ",".join(order)),
                    where="host",
                    why="the recovered system's entries first",
                )
            )
            # BootOrder alone may not win the next boot: firmware that ranks removable and virtual media
            # first (OVMF under QEMU, many BMCs' virtual media) boots the rescue medium again.
            self.run(
                Command(
                    argv=("efibootmgr", "--bootnext", ours[0]),
                    where="host",
                    why="the next boot is the recovered system's, whatever comes first in BootOrder",
                )
            )
        return failed
