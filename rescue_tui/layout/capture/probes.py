"""Running the read-only storage tools and keeping what they print.

``collect_probes`` asks lsblk for the device tree, then asks each tool only
about the devices under the disks being captured. Outputs are kept as the
tools printed them (JSON parsed, text as text) in a ``ProbeSet``, which is
plain JSON: recorded once on a real machine, it replays in unit tests.

Nothing here writes to a device. The one mount it makes is read-only with
``nologreplay``, to list the subvolumes of a btrfs that is not mounted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescue_tui import command
from rescue_tui.errors import CaptureError
from rescue_tui.layout.capture import tree
from rescue_tui.layout.capture.network import STUB_RESOLVERS, resolv_conf
from rescue_tui.layout.capture.parse import crypttab, fstab, key_values

TIMEOUT = command.TIMEOUT
"""Seconds any one tool may take; a hung tool (a dead disk) must not hang capture."""

LVM_COLUMNS = {
    "pvs": "pv_name,pv_uuid,pv_size,dev_size,pe_start,vg_name,vg_uuid",
    "vgs": "vg_name,vg_uuid,vg_extent_size,vg_size,pv_count,lv_count",
    "lvs": (
        "vg_name,lv_name,lv_uuid,lv_size,lv_attr,segtype,pool_lv,origin,stripes,stripe_size,"
        "lv_metadata_size,chunk_size,lv_path,lv_dm_path,lv_kernel_major,lv_kernel_minor"
    ),
}
XFS_PRINT = "print blocksize dblocks fdblocks"
FINDMNT_COLUMNS = "SOURCE,TARGET,FSROOT,FSTYPE,OPTIONS,MAJ:MIN"


@dataclass(frozen=True, kw_only=True)
class ProbeSet:
    """Everything the tools said about the disks being captured, as plain JSON data."""

    system: dict[str, Any]
    """hostname, architecture, firmware ('uefi' or 'bios'), grub (a grub.cfg exists)."""
    disks: list[str]
    """Kernel names of the disks to capture."""
    excluded: list[str]
    """Top-level devices left out, one line each with the reason."""
    lsblk: dict[str, Any]
    udev: dict[str, str] = field(default_factory=dict)
    """Disk node -> ``udevadm info --query=property`` text."""
    blkid: dict[str, str] = field(default_factory=dict)
    """Device node -> ``blkid -p -o export`` text."""
    sfdisk: dict[str, Any] = field(default_factory=dict)
    """Device node -> ``sfdisk --json`` document."""
    lvm: dict[str, Any] | None = None
    """``{"pvs": ..., "vgs": ..., "lvs": ...}`` JSON reports; None when lvm is absent or unneeded."""
    mdadm: dict[str, dict[str, str]] = field(default_factory=dict)
    """md node -> ``{"export": mdadm --detail --export, "detail": mdadm --detail}``."""
    luks: dict[str, str] = field(default_factory=dict)
    """Device node -> ``cryptsetup luksDump`` text."""
    fsinfo: dict[str, str] = field(default_factory=dict)
    """Device node -> superblock dump (dumpe2fs -h, xfs_db, btrfs dump-super)."""
    btrfs: dict[str, dict[str, str]] = field(default_factory=dict)
    """btrfs UUID -> ``{"list": subvolume list, "default": get-default}``."""
    mounts: dict[str, Any] = field(default_factory=dict)
    """``findmnt --json --list`` document."""
    fstab: str = ""
    crypttab: str = ""
    links: dict[str, str] = field(default_factory=dict)
    """Device paths the system uses (fstab, crypttab, pvs, mounts) -> the node they resolve to."""
    blivet: dict[str, Any] | None = None
    """What blivet's read-only populate saw (see ``blivet_facts``)."""
    network: dict[str, Any] | None = None
    """``ip -j`` addresses and routes, resolv.conf and the wireless links (see ``network_probe``)."""
    notes: list[str] = field(default_factory=list)
    """What could not be probed, and why."""

    def to_json(self) -> str:
        """The probe set as JSON text (how recordings are stored)."""
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ProbeSet:
        """A recorded probe set."""
        return cls(**json.loads(text))


command_line = command.command_line


def run(
    argv: Sequence[str], *, ok: tuple[int, ...] = (0,), quiet_ok: tuple[int, ...] = (), timeout: float = TIMEOUT
) -> str:
    """Run one tool and return its stdout; any failure is a CaptureError naming the command."""
    return command.run(argv, error=CaptureError, ok=ok, quiet_ok=quiet_ok, timeout=timeout)


def run_json(argv: Sequence[str], *, timeout: float = TIMEOUT) -> Any:
    """Run a tool that prints JSON and parse it."""
    text = run(argv, timeout=timeout)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{command_line(argv)}: printed no valid JSON ({exc.msg} at line {exc.lineno})") from exc


class _Collector:
    """Runs the probes for one capture, keeping optional failures as notes."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def optional(self, argv: Sequence[str], *, ok: tuple[int, ...] = (0,)) -> str | None:
        """A probe whose failure costs detail, not correctness: a note instead of an error."""
        try:
            return run(argv, ok=ok)
        except CaptureError as exc:
            self.notes.append(exc.message)
            return None


def _link(path: str) -> str | None:
    try:
        resolved = os.path.realpath(path)
    except OSError:
        return None
    return resolved if resolved != path and os.path.exists(resolved) else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror}") from exc


def system_facts(*, hostname: str | None) -> dict[str, Any]:
    """Host name, CPU architecture, firmware, whether grub is configured."""
    grub = any(Path(p).exists() for p in ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"))
    return {
        "hostname": hostname or socket.gethostname(),
        "architecture": platform.machine(),
        "firmware": "uefi" if Path("/sys/firmware/efi").exists() else "bios",
        "grub": grub,
    }


READONLY_BTRFS = ("ro,rescue=nologreplay,subvolid=5", "ro,nologreplay,subvolid=5")
"""Read-only mount options that replay no log: Linux >= 5.9 spelling first, the older one second."""


@contextmanager
def _readonly_mount(device: str) -> Iterator[str]:
    """Mount a btrfs's top level read-only without log replay in a private directory: nothing is written."""
    where = tempfile.mkdtemp(prefix="rescue-tui-probe-")
    try:
        for attempt, options in enumerate(READONLY_BTRFS):
            try:
                run(["mount", "-t", "btrfs", "-o", f"{options},nodev,nosuid,noexec", device, where])
                break
            except CaptureError:
                if attempt == len(READONLY_BTRFS) - 1:
                    raise
        try:
            yield where
        finally:
            run(["umount", where])
    finally:
        os.rmdir(where)


def collect_probes(
    *,
    devices: Sequence[str] | None = None,
    hostname: str | None = None,
    fstab_path: Path = Path("/etc/fstab"),
    crypttab_path: Path = Path("/etc/crypttab"),
    use_blivet: bool = False,
    backup_mounts: Sequence[str] = (),
) -> ProbeSet:
    """Probe the disks to capture (``devices``, or every real disk but those ``tree.select_disks`` leaves out)
    and what lies on them."""
    col = _Collector()
    lsblk = run_json(["lsblk", "--json", "--bytes", "--output", lsblk_columns()])
    nodes = tree.nodes_from_lsblk(lsblk)
    disks, excluded = tree.select_disks(nodes, devices, backup_mounts)
    paths = [nodes[k].path for k in tree.descendants(nodes, disks)]
    types = {nodes[k].path: nodes[k].type for k in tree.descendants(nodes, disks)}

    udev: dict[str, str] = {}
    for kname in disks:
        text = col.optional(["udevadm", "info", "--query=property", f"--name={nodes[kname].path}"])
        if text is not None:
            udev[nodes[kname].path] = text
    blkid = _blkid(col, paths)
    formats = {path: key_values(text) for path, text in blkid.items()}
    holders = [p for p in paths if types[p] in ("disk", "loop", "md", "linear") or types[p].startswith("raid")]
    pttypes = {n.path: n.get("pttype") for n in nodes.values()}
    sfdisk = _partition_tables(col, {p: formats.get(p, {}).get("PTTYPE") or pttypes.get(p) for p in holders})
    mdadm = {
        path: {
            "export": run(["mdadm", "--detail", "--export", path]),
            "detail": run(["mdadm", "--detail", path]),
        }
        for path in paths
        if types[path].startswith("raid") or types[path] in ("linear", "md")
    }
    fstypes = {path: formats.get(path, {}).get("TYPE") for path in paths}
    luks = {path: run(["cryptsetup", "luksDump", path]) for path, fstype in fstypes.items() if fstype == "crypto_LUKS"}
    fsinfo = _superblocks(col, fstypes)
    mounts = run_json(["findmnt", "--json", "--list", "--nofsroot", "-o", FINDMNT_COLUMNS])
    btrfs_devices: dict[str, list[str]] = {}
    for path, fstype in fstypes.items():
        if fstype == "btrfs":
            btrfs_devices.setdefault(formats[path].get("UUID", path), []).append(path)
    btrfs = {uuid: _btrfs_subvolumes(col, members, mounts) for uuid, members in btrfs_devices.items()}
    lvm = _lvm_reports(col) if "LVM2_member" in fstypes.values() else None
    fstab_text, crypttab_text = _read(fstab_path), _read(crypttab_path)

    blivet = None
    if use_blivet:
        from rescue_tui.layout.capture.blivet_facts import blivet_facts

        try:
            blivet = blivet_facts([nodes[k].path for k in disks], paths)
        except CaptureError as exc:
            col.notes.append(exc.message)

    return ProbeSet(
        system=system_facts(hostname=hostname),
        disks=disks,
        excluded=excluded,
        lsblk=lsblk,
        udev=udev,
        blkid=blkid,
        sfdisk=sfdisk,
        lvm=lvm,
        mdadm=mdadm,
        luks=luks,
        fsinfo=fsinfo,
        btrfs=btrfs,
        mounts=mounts,
        fstab=fstab_text,
        crypttab=crypttab_text,
        links=_links(fstab_text, crypttab_text, lvm, mounts),
        blivet=blivet,
        network=network_probe(col),
        notes=col.notes,
    )


RESOLVED_UPSTREAM = Path("/run/systemd/resolve/resolv.conf")


def network_probe(
    col: _Collector, *, resolv: Path = Path("/etc/resolv.conf"), sys_net: Path = Path("/sys/class/net")
) -> dict[str, Any] | None:
    """What ``ip`` says of links, addresses and routes, the name servers, and which links are wireless."""
    try:
        addresses = run_json(["ip", "-j", "-d", "address", "show"])
        routes4 = run_json(["ip", "-j", "-4", "route", "show", "table", "main"])
        routes6 = run_json(["ip", "-j", "-6", "route", "show", "table", "main"])
    except CaptureError as exc:
        col.notes.append(f"network not captured: {exc.message}")
        return None
    text = _read(resolv)
    servers, _ = resolv_conf(text)
    if servers and set(servers) <= set(STUB_RESOLVERS) and RESOLVED_UPSTREAM.exists():
        text = _read(RESOLVED_UPSTREAM)  # the stub's upstream servers, which a rescue system can reach
    wireless = sorted(p.name for p in sys_net.glob("*") if (p / "wireless").exists() or (p / "phy80211").exists())
    return {"addresses": addresses, "routes4": routes4, "routes6": routes6, "resolv": text, "wireless": wireless}


def lsblk_columns() -> str:
    """``LSBLK_COLUMNS`` less what this lsblk lacks (MOUNTPOINTS is 2.37+, FSUSED 2.33+)."""
    text = run(["lsblk", "--help"])
    known = {line.split()[0] for line in text.splitlines() if line.startswith(" ") and line.split()}
    wanted = tree.LSBLK_COLUMNS.split(",")
    if "MOUNTPOINTS" not in known:
        wanted = ["MOUNTPOINT" if c == "MOUNTPOINTS" else c for c in wanted]
    return ",".join(c for c in wanted if c in known)


def _blkid(col: _Collector, paths: list[str]) -> dict[str, str]:
    """``blkid -p`` reads signatures from the device itself, not from a possibly stale udev database."""
    out: dict[str, str] = {}
    for path in paths:
        try:
            out[path] = run(["blkid", "-p", "-o", "export", path], quiet_ok=(2,))  # 2: no signature at all
        except CaptureError as exc:  # unreadable, or 8: ambivalent; lsblk's view is kept, with a note
            col.notes.append(exc.message)
    return out


def _partition_tables(col: _Collector, pttypes: dict[str, str | None]) -> dict[str, Any]:
    """``sfdisk --json`` for every disk or array with a table; gpt and msdos must be readable, others are noted.

    Partitions are not asked: blkid reports an msdos extended partition's chain as a table of its own.
    """
    out: dict[str, Any] = {}
    for path, pttype in pttypes.items():
        if not pttype:
            continue
        if pttype in ("gpt", "dos"):
            out[path] = run_json(["sfdisk", "--json", path])
        else:
            col.notes.append(f"{path}: {pttype} partition tables are not supported; not captured")
    return out


def _superblocks(col: _Collector, fstypes: dict[str, str | None]) -> dict[str, str]:
    """Block size and usage straight from each superblock (the filesystem need not be mounted)."""
    commands = {
        "ext2": ["dumpe2fs", "-h"],
        "ext3": ["dumpe2fs", "-h"],
        "ext4": ["dumpe2fs", "-h"],
        "xfs": ["xfs_db", "-r", "-c", "sb 0", "-c", XFS_PRINT],
        "btrfs": ["btrfs", "inspect-internal", "dump-super"],
    }
    out: dict[str, str] = {}
    for path, fstype in fstypes.items():
        if fstype in commands:
            text = col.optional([*commands[fstype], path])
            if text:
                out[path] = text
    return out


def _lvm_reports(col: _Collector) -> dict[str, Any] | None:
    if shutil.which("lvm") is None:
        col.notes.append("LVM physical volumes found but lvm is not installed: volume groups not captured")
        return None
    return {
        report: run_json([report, "--reportformat", "json", "--units", "b", "--nosuffix", "-o", columns])
        for report, columns in LVM_COLUMNS.items()
    }


def _btrfs_subvolumes(col: _Collector, paths: list[str], mounts: dict[str, Any]) -> dict[str, str]:
    """Subvolume list and default of one btrfs, through any mount of it or a read-only one of our own."""
    mounted = next((m["target"] for m in mounts.get("filesystems", ()) if m.get("source") in paths), None)

    def ask(where: str) -> dict[str, str]:
        return {
            "list": run(["btrfs", "subvolume", "list", "-p", where]),
            "default": run(["btrfs", "subvolume", "get-default", where]),
        }

    if mounted is not None:
        return ask(mounted)
    try:
        with _readonly_mount(paths[0]) as where:
            return ask(where)
    except CaptureError as exc:
        col.notes.append(f"btrfs on {paths[0]}: subvolumes not listed: {exc.message}")
        return {}


def _links(fstab_text: str, crypttab_text: str, lvm: dict[str, Any] | None, mounts: dict[str, Any]) -> dict[str, str]:
    """Resolve every device path the system refers to, so the pure builder can match them to nodes."""
    paths = {e.spec for e in fstab(fstab_text)} | {e.spec for e in crypttab(crypttab_text)}
    paths |= {str(m.get("source")) for m in mounts.get("filesystems", ())}
    for row in (lvm or {}).get("pvs", {}).get("report", [{}])[0].get("pv", []):
        paths.add(str(row.get("pv_name")))
    out: dict[str, str] = {}
    for path in sorted(p for p in paths if p.startswith("/dev/")):
        target = _link(path)
        if target is not None:
            out[path] = target
    return out
