"""Which boot loader to install where: decided from the layout, the device map and the restored tree.

Pure planning (execution is :mod:`rescue_tui.finalize.install`), so every
rule is a unit test and ``--report-only`` can print the commands:

- BIOS: ``grub-install --target=i386-pc`` on every boot disk of the layout (an
  md RAID1 under /boot puts every member's disk there), on its new node. A
  disk that is itself an LVM PV or md member is skipped (grub would overwrite
  its metadata); a GPT disk without a BIOS boot partition is reported.
- UEFI: one install per ESP (``--efi-directory`` = where it is mounted in the
  target, ``--no-nvram``), then one boot entry per ESP partition, made from the
  rescue system with efibootmgr: an ESP on md RAID1 gets an entry on each
  member's disk (ReaR #3459, #2595). RHEL and SUSE families keep the signed
  shim and GRUB the restore brought back (their grub2-install does not do
  Secure Boot); an ESP that lacks them gets a copy from one that has them.
  Without EFI variables in the rescue system, or when an entry cannot be
  made, the fallback loader ``\\EFI\\BOOT\\BOOTX64.EFI`` makes the disk boot anyway.
- A GPT disk with both an ESP and a BIOS boot partition, in a target that has
  GRUB's i386-pc modules, gets both (hybrid boot).
- Then the GRUB config is made anew in the target (update-grub, grub-mkconfig
  or grub2-mkconfig), and so is a full grub.cfg kept in an ESP (RHEL 8).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.finalize.efi import loader_path
from rescue_tui.finalize.model import Command, Note
from rescue_tui.finalize.target import TargetRoot
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import (
    Filesystem,
    Item,
    Layout,
    MdArray,
    Mount,
    Partition,
    PartitionTable,
)

Family = Literal["debian", "rhel", "suse", "other"]
INSTALL_TIMEOUT = 600.0
MKCONFIG_TIMEOUT = 900.0


@dataclass(frozen=True)
class EfiArch:
    grub_target: str
    fallback: str
    grub: str
    shim: str
    mok: str


EFI_ARCHES = {
    "x86_64": EfiArch("x86_64-efi", "BOOTX64.EFI", "grubx64.efi", "shimx64.efi", "mmx64.efi"),
    "aarch64": EfiArch("arm64-efi", "BOOTAA64.EFI", "grubaa64.efi", "shimaa64.efi", "mmaa64.efi"),
}
BOOTLOADER_IDS = {
    "rhel": "redhat",
    "ol": "redhat",
    "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse",
    "sled": "sles",
}
"""os-release ID -> the directory under \\EFI the distribution uses, where it differs from the ID."""
GRUB_PROGRAMS = ("grub-install", "grub2-install", "update-grub", "grub-mkconfig", "grub2-mkconfig")


@dataclass(frozen=True, kw_only=True)
class TargetFacts:
    """What the restored tree holds that the boot loader plan depends on."""

    os_release: dict[str, str] = field(default_factory=dict)
    programs: dict[str, str | None] = field(default_factory=dict)
    """Program name -> its path in the target (None when absent)."""
    grub_dirs: tuple[str, ...] = ()
    """Which of /boot/grub, /boot/grub2 exist."""
    esp_vendors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """ESP mount point -> directories under EFI/ (not BOOT) that hold a shim or GRUB."""
    esp_configs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """ESP mount point -> full grub.cfg files in it (target paths), as RHEL 8 keeps them."""
    i386_pc: bool = False
    """GRUB's BIOS modules are installed (/usr/lib/grub/i386-pc)."""
    shim: bool = False
    """A shim is packaged in the target (Debian's shim-signed), so grub-install will install it."""
    debconf: str | None = None
    """debconf-set-selections in the target, when grub-pc is installed (Debian keeps its boot disks there)."""


@dataclass(frozen=True, kw_only=True)
class HostFacts:
    """The rescue system: started by UEFI with EFI variables? which CPU?"""

    efivars: bool
    arch: str = "x86_64"

    @classmethod
    def detect(cls) -> HostFacts:
        efivars = Path("/sys/firmware/efi/efivars")
        return cls(efivars=efivars.is_dir() and any(efivars.iterdir()), arch=platform.machine() or "x86_64")


@dataclass(frozen=True, kw_only=True)
class EspMember:
    """One place a boot entry points at: a disk (node now) and the ESP's partition number on it."""

    disk: str
    number: int
    partuuid: str | None


@dataclass(frozen=True, kw_only=True)
class EspTarget:
    item: str
    """Layout id of the ESP (a partition or an md RAID1)."""
    mount: str
    """Its mount point in the target; for an ESP the restored system does not mount, a temporary one."""
    node: str | None
    """Its node now."""
    members: tuple[EspMember, ...]
    mounted: bool = True
    """False when finalize mounts it for the install (and unmounts it after)."""
    fresh: bool = False
    """True when it has no filesystem yet: finalize makes an empty FAT first."""


@dataclass(frozen=True, kw_only=True)
class BootPlan:
    firmware: Literal["bios", "uefi"] | None
    family: Family
    bootloader_id: str
    label: str
    arch: EfiArch | None
    grub_install: str | None
    """grub-install (or grub2-install) in the target."""
    install_efi: bool
    """Run grub-install into each ESP; False: keep the restored signed binaries (RHEL, SUSE)."""
    bios_disks: tuple[str, ...] = ()
    esps: tuple[EspTarget, ...] = ()
    mkconfig: tuple[Command, ...] = ()
    notes: tuple[Note, ...] = ()
    expect_shim: bool = False
    debconf: str | None = None
    """Where to record the new boot disks for grub-pc's next upgrade (Debian, BIOS)."""

    def bios_commands(self) -> list[Command]:
        if not self.grub_install:
            return []
        return [
            Command(
                argv=(self.grub_install, "--target=i386-pc", disk),
                where="chroot",
                why=f"boot code on {disk}",
                timeout=INSTALL_TIMEOUT,
            )
            for disk in self.bios_disks
        ]

    def debconf_command(self, disks: list[str]) -> Command | None:
        """Tell Debian's grub-pc which disks it boots from now, or its next upgrade asks (or fails)."""
        if not self.debconf or not disks:
            return None
        selection = f"grub-pc grub-pc/install_devices multiselect {', '.join(disks)}\n"
        return Command(
            argv=(self.debconf,), where="chroot", why="grub-pc's boot disks for its upgrades", stdin=selection
        )

    def efi_install(self, esp: EspTarget) -> Command | None:
        if not (self.install_efi and self.grub_install and self.arch):
            return None
        argv = (
            self.grub_install,
            f"--target={self.arch.grub_target}",
            f"--efi-directory={esp.mount}",
            f"--bootloader-id={self.bootloader_id}",
            "--no-nvram",
        )
        return Command(
            argv=argv, where="chroot", why=f"EFI boot loader into the ESP at {esp.mount}", timeout=INSTALL_TIMEOUT
        )

    def entry_command(self, member: EspMember, index: int, loader: str) -> Command:
        label = self.label if index == 0 else f"{self.label} ({index + 1})"
        argv = (
            "efibootmgr",
            "--create",
            "--disk",
            member.disk,
            "--part",
            str(member.number),
            "--label",
            label,
            "--loader",
            loader,
        )
        return Command(argv=argv, where="host", why=f"UEFI boot entry for the ESP on {member.disk}")

    def predicted_loader(self) -> str:
        assert self.arch is not None
        return loader_path(self.bootloader_id, self.arch.shim if self.expect_shim else self.arch.grub)

    def commands(self, *, efivars: bool) -> list[Command]:
        """Every command the plan will run, as ``--report-only`` shows them (loaders as predicted now)."""
        out = self.bios_commands()
        debconf = self.debconf_command(list(self.bios_disks))
        if debconf is not None:
            out.append(debconf)
        for esp in self.esps:
            command = self.efi_install(esp)
            if command:
                out.append(command)
        out += list(self.mkconfig)
        if efivars and self.arch:
            members = [m for esp in self.esps for m in esp.members]
            out += [self.entry_command(m, i, self.predicted_loader()) for i, m in enumerate(members)]
        return out


def disk_id_name(node: str, by_id: dict[str, str]) -> str:
    """A stable name for a whole disk (as Debian's grub-pc keeps them): its /dev/disk/by-id link, else the node.

    ``by_id`` maps link names to the nodes they point at. Vendor links (ata-, nvme-, scsi-, virtio-)
    come before wwn- and eui names; partitions and device-mapper links are never chosen.
    """
    names = sorted(
        n
        for n, target in by_id.items()
        if target == node and "-part" not in n and not n.startswith(("dm-", "md-", "lvm-", "nvme-eui.", "nvme-nvme."))
    )
    if not names:
        return node
    names.sort(key=lambda n: (n.startswith("wwn-"), n))
    return f"/dev/disk/by-id/{names[0]}"


def read_by_id(directory: Path = Path("/dev/disk/by-id")) -> dict[str, str]:
    """The rescue system's /dev/disk/by-id: link name -> the node it resolves to."""
    if not directory.is_dir():
        return {}
    return {p.name: str(p.resolve()) for p in directory.iterdir() if p.is_symlink()}


def family_of(os_release: dict[str, str]) -> Family:
    ids = {os_release.get("ID", "").lower(), *os_release.get("ID_LIKE", "").lower().split()}
    if ids & {"debian", "ubuntu"}:
        return "debian"
    if ids & {"rhel", "fedora", "centos"}:
        return "rhel"
    if ids & {"suse", "sles", "opensuse"} or any(i.startswith("opensuse") for i in ids):
        return "suse"
    return "other"


def bootloader_id(os_release: dict[str, str], vendors: list[str]) -> str:
    """The directory under \\EFI: the one the restored ESPs already use, else the distribution's."""
    os_id = os_release.get("ID", "").lower() or "linux"
    wanted = BOOTLOADER_IDS.get(os_id, os_id)
    if vendors:
        return next((v for v in vendors if v.lower() == wanted), vendors[0])
    return wanted


def gather_facts(target: TargetRoot, esp_mounts: list[str]) -> TargetFacts:
    """Read what the plan depends on from the restored tree (read-only)."""
    vendors: dict[str, tuple[str, ...]] = {}
    configs: dict[str, tuple[str, ...]] = {}
    for mount in esp_mounts:
        efi = _child(target.host_path(mount), "EFI")
        found: list[str] = []
        full: list[str] = []
        if efi is not None:
            for vendor in sorted(p for p in efi.iterdir() if p.is_dir() and p.name.upper() != "BOOT"):
                names = {p.name.lower() for p in vendor.iterdir() if p.is_file()}
                if any(n.startswith(("shim", "grub")) and n.endswith(".efi") for n in names):
                    found.append(vendor.name)
                cfg = _child(vendor, "grub.cfg")
                if cfg is not None and "configfile" not in cfg.read_text(encoding="utf-8", errors="replace"):
                    full.append(f"{mount.rstrip('/')}/EFI/{vendor.name}/{cfg.name}")
        vendors[mount] = tuple(found)
        configs[mount] = tuple(full)
    return TargetFacts(
        os_release=target.os_release(),
        programs={name: target.program(name) for name in GRUB_PROGRAMS},
        grub_dirs=tuple(d for d in ("/boot/grub", "/boot/grub2") if target.host_path(d).is_dir()),
        esp_vendors=vendors,
        esp_configs=configs,
        i386_pc=target.host_path("/usr/lib/grub/i386-pc").is_dir(),
        shim=any(target.exists(p) for p in ("/usr/lib/shim/shimx64.efi.signed", "/usr/lib/shim/shimx64.efi")),
        debconf=target.program("debconf-set-selections") if target.exists("/var/lib/dpkg/info/grub-pc.list") else None,
    )


def _child(directory: Path, name: str) -> Path | None:
    """A directory entry by name, case-insensitively (FAT)."""
    if not directory.is_dir():
        return None
    return next((p for p in directory.iterdir() if p.name.lower() == name.lower()), None)


def esp_mount_points(layout: Layout) -> dict[str, str]:
    """ESP layout id -> where the restored system mounts it (ESPs it does not mount are left out)."""
    boot = layout.boot
    if boot is None:
        return {}
    fs_of = {f.device: f for f in layout.of_type(Filesystem)}
    mount_of = {m.source: m.path for m in layout.of_type(Mount)}
    out = {}
    for esp in boot.esps:
        fs = fs_of.get(esp)
        if fs is not None and fs.id in mount_of:
            out[esp] = mount_of[fs.id]
    return out


def plan_bootloader(layout: Layout, devices: DeviceMap, facts: TargetFacts, host: HostFacts) -> BootPlan:
    """What to install where; every doubt is a note (errors: the system will probably not boot)."""
    notes: list[Note] = []
    family = family_of(facts.os_release)
    boot = layout.boot
    programs = facts.programs
    grub_install = programs.get("grub-install") or programs.get("grub2-install")
    firmware = boot.firmware if boot else None
    if boot is None or boot.loader == "none":
        what = "the layout records no boot facts" if boot is None else "the layout says the system has no boot loader"
        notes.append(Note(message=f"{what}: no boot loader installed", level="warning"))
        return BootPlan(
            firmware=firmware,
            family=family,
            bootloader_id="",
            label="",
            arch=None,
            grub_install=grub_install,
            install_efi=False,
            notes=tuple(notes),
        )
    by_id = layout.by_id()
    arch = EFI_ARCHES.get(host.arch)
    esps: list[EspTarget] = []
    if boot.firmware == "uefi":
        if arch is None:
            notes.append(Note(message=f"no UEFI support for {host.arch} yet", level="error"))
        esps = _esps(layout, devices, notes)
        if not esps:
            notes.append(Note(message="UEFI boot, but no EFI system partition was recovered", level="error"))
        if not host.efivars:
            notes.append(
                Note(
                    message="the rescue system was not started by UEFI (no EFI variables): no boot "
                    "entries can be written; the fallback loader \\EFI\\BOOT makes the disks boot",
                    level="warning",
                )
            )
    vendors = [v for esp in esps for v in facts.esp_vendors.get(esp.mount, ())]
    ident = bootloader_id(facts.os_release, vendors)
    label = ident if family == "debian" else (facts.os_release.get("NAME") or ident)
    bios_disks = _bios_disks(layout, devices, by_id, notes, hybrid=boot.firmware == "uefi" and facts.i386_pc)
    install_efi = boot.firmware == "uefi"
    if boot.firmware == "uefi" and family in ("rhel", "suse"):
        install_efi = False
        if esps and not any(ident in facts.esp_vendors.get(e.mount, ()) for e in esps):
            notes.append(
                Note(
                    message=f"no ESP holds \\EFI\\{ident} after the restore, and this distribution's "
                    "grub2-install does not do Secure Boot: reinstall its shim and GRUB EFI packages "
                    "in the restored system",
                    level="error",
                )
            )
    if (bios_disks or install_efi) and not grub_install:
        notes.append(Note(message="the restored system has no grub-install or grub2-install", level="error"))
    return BootPlan(
        firmware=boot.firmware,
        family=family,
        bootloader_id=ident,
        label=label,
        arch=arch,
        grub_install=grub_install,
        install_efi=install_efi,
        bios_disks=tuple(bios_disks),
        esps=tuple(esps),
        mkconfig=tuple(_mkconfig(family, facts, esps, notes)),
        notes=tuple(notes),
        expect_shim=facts.shim or any(_has_shim(facts, e.mount, ident) for e in esps),
        debconf=facts.debconf if family == "debian" and bios_disks else None,
    )


def _has_shim(facts: TargetFacts, mount: str, ident: str) -> bool:
    return family_of(facts.os_release) in ("rhel", "suse") and ident in facts.esp_vendors.get(mount, ())


def _mkconfig(family: Family, facts: TargetFacts, esps: list[EspTarget], notes: list[Note]) -> list[Command]:
    programs = facts.programs
    out: list[Command] = []
    if family == "debian" and programs.get("update-grub"):
        out.append(
            Command(
                argv=(str(programs["update-grub"]),),
                where="chroot",
                why="GRUB config for the new devices",
                timeout=MKCONFIG_TIMEOUT,
            )
        )
    else:
        mkconfig = programs.get("grub2-mkconfig") or programs.get("grub-mkconfig")
        if mkconfig is None:
            notes.append(
                Note(
                    message="no grub-mkconfig in the restored system: its GRUB config is kept as restored",
                    level="warning",
                )
            )
            return out
        grub_dir = "/boot/grub2" if "/boot/grub2" in facts.grub_dirs or "grub2" in mkconfig else "/boot/grub"
        out.append(
            Command(
                argv=(mkconfig, "-o", f"{grub_dir}/grub.cfg"),
                where="chroot",
                why="GRUB config for the new devices",
                timeout=MKCONFIG_TIMEOUT,
            )
        )
        for esp in esps:
            for cfg in facts.esp_configs.get(esp.mount, ()):
                out.append(
                    Command(
                        argv=(mkconfig, "-o", cfg),
                        where="chroot",
                        why="the GRUB config kept in the ESP",
                        timeout=MKCONFIG_TIMEOUT,
                    )
                )
    return out


def _esps(layout: Layout, devices: DeviceMap, notes: list[Note]) -> list[EspTarget]:
    boot = layout.boot
    assert boot is not None
    by_id = layout.by_id()
    mounts = esp_mount_points(layout)
    has_fs = {f.device for f in layout.of_type(Filesystem)}
    out: list[EspTarget] = []
    for index, esp_id in enumerate(boot.esps):
        device = devices.devices.get(esp_id)
        if device is None or not device.recreated:
            notes.append(Note(message=f"ESP {esp_id} is not recovered: no boot loader there", level="warning"))
            continue
        members: list[EspMember] = []
        item = by_id.get(esp_id)
        parts = [by_id.get(m) for m in item.members] if isinstance(item, MdArray) else [item]
        for part in parts:
            member = _member(part, devices, notes, esp_id)
            if member is not None:
                members.append(member)
        mount = mounts.get(esp_id)
        out.append(
            EspTarget(
                item=esp_id,
                mount=mount or f"/tmp/rescue-tui-esp{index + 1}",
                node=device.node,
                members=tuple(members),
                mounted=mount is not None,
                fresh=esp_id not in has_fs,
            )
        )
    return out


def _member(part: Item | None, devices: DeviceMap, notes: list[Note], esp_id: str) -> EspMember | None:
    if not isinstance(part, Partition):
        notes.append(Note(message=f"ESP {esp_id}: a member is not a partition; no boot entry for it", level="warning"))
        return None
    device = devices.devices.get(part.id)
    holder = devices.devices.get(device.holder or "") if device else None
    if device is None or holder is None or holder.type != "disk" or holder.node is None:
        notes.append(
            Note(
                message=f"ESP {esp_id}: partition {part.id} is not on a recovered disk; no boot entry for it",
                level="warning",
            )
        )
        return None
    return EspMember(disk=holder.node, number=part.number, partuuid=part.partuuid)


def _bios_disks(
    layout: Layout, devices: DeviceMap, by_id: dict[str, Item], notes: list[Note], *, hybrid: bool
) -> list[str]:
    boot = layout.boot
    assert boot is not None
    if boot.firmware == "bios":
        disk_ids = list(boot.disks) or _disks_under_boot(layout)
        if not disk_ids:
            notes.append(
                Note(message="no boot disk found in the layout (boot.disks, or the disks under /boot)", level="error")
            )
    elif hybrid:
        disk_ids = [d for d in (boot.disks or _disks_under_boot(layout)) if _bios_grub_partition(layout, d)]
    else:
        return []
    out: list[str] = []
    for disk_id in disk_ids:
        device = devices.devices.get(disk_id)
        if device is None or device.node is None:
            notes.append(Note(message=f"boot disk {disk_id} is not recovered: no boot code there", level="warning"))
            continue
        table = next((t for t in layout.of_type(PartitionTable) if t.device == disk_id), None)
        if table is None:
            notes.append(
                Note(
                    message=f"boot disk {disk_id} ({device.node}) has no partition table (an LVM PV or md "
                    "member?): grub-install would overwrite its metadata; skipped",
                    level="warning",
                )
            )
            continue
        if table.label == "gpt" and not _bios_grub_partition(layout, disk_id):
            notes.append(
                Note(
                    message=f"boot disk {device.node} is GPT without a BIOS boot partition: grub-install "
                    "will refuse it",
                    level="error",
                )
            )
        if device.node not in out:
            out.append(device.node)
    if boot.firmware == "uefi" and out:
        notes.append(Note(message=f"hybrid boot: BIOS boot code too, on {', '.join(out)}"))
    return out


def _bios_grub_partition(layout: Layout, disk_id: str) -> bool:
    tables = {t.id for t in layout.of_type(PartitionTable) if t.device == disk_id}
    return any(p.table in tables and "bios_grub" in p.flags for p in layout.of_type(Partition))


def _disks_under_boot(layout: Layout) -> list[str]:
    """The disks holding /boot (or / when /boot is not separate), through partitions, md, LUKS and LVM."""
    mounts = {m.path: m for m in layout.of_type(Mount)}
    mount = mounts.get("/boot") or mounts.get("/")
    return LayoutGraph(layout).disks_below(mount.id) if mount is not None else []
