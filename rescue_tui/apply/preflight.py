"""Checks before the first write: every problem found, one line each, and nothing written when any is.

The plan names its target disks with what identified them when it was made
(size, serial, by-path); they must be the same disks now, still unused, and
none may carry the running rescue system. The tools and kernel features the
plan's steps need must be present.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rescue_tui import tools
from rescue_tui.command import run
from rescue_tui.errors import RescueError
from rescue_tui.inventory.model import Inventory
from rescue_tui.plan.model import (
    CreateLv,
    CreateMd,
    CreatePv,
    CreateSubvolume,
    LuksFormat,
    MakeFilesystem,
    MakeSwap,
    Plan,
    SetIdentity,
)
from rescue_tui.units import human_size

for _name, _package, _purpose in (
    ("wipefs", "util-linux", "removing old signatures"),
    ("blkdiscard", "util-linux", "discarding old data"),
    ("lsblk", "util-linux", "what sits on the targets"),
    ("mount", "mount", "the target tree"),
    ("umount", "mount", "the target tree"),
    ("udevadm", "udev", "waiting for device nodes"),
    ("mkfs.ext2", "e2fsprogs", "ext2 filesystems"),
    ("mkfs.ext3", "e2fsprogs", "ext3 filesystems"),
    ("mkfs.ext4", "e2fsprogs", "ext4 filesystems"),
    ("mkfs.xfs", "xfsprogs", "xfs filesystems"),
    ("mkfs.btrfs", "btrfs-progs", "btrfs filesystems"),
    ("btrfs", "btrfs-progs", "btrfs subvolumes"),
    ("mkfs.vfat", "dosfstools", "FAT filesystems (ESP)"),
    ("mkswap", "util-linux", "swap areas"),
    ("dmsetup", "dmsetup", "device-mapper teardown"),
):
    if _name not in tools.TOOLS:
        tools.declare(_name, package=_package, purpose=_purpose)

IDENTITY_TOOLS = {
    "disk-id": "sfdisk",
    "btrfs-uuid": "mkfs.btrfs",
    "luks-uuid": "cryptsetup",
    "luks-label": "cryptsetup",
    "md-uuid": "mdadm",
    "md-name": "mdadm",
}
"""The tool each identity fix-up runs (sgdisk for the GPT ones)."""

KERNEL_FEATURES = {
    "md": (Path("/proc/mdstat"), "the md RAID driver (md_mod)"),
    "dm": (Path("/dev/mapper/control"), "device-mapper (dm_mod)"),
}


def tools_needed(plan: Plan) -> list[str]:
    """The tools the plan's steps run, in first-use order."""
    needed = ["wipefs", "lsblk", "udevadm", "mount", "umount"]
    for step in plan.steps:
        if isinstance(step, CreateMd):
            needed.append("mdadm")
        elif isinstance(step, LuksFormat):
            needed.append("cryptsetup")
        elif isinstance(step, CreatePv | CreateLv):
            needed += ["lvm", "dmsetup"]
        elif isinstance(step, MakeFilesystem):
            needed.append(f"mkfs.{step.fstype}")
        elif isinstance(step, MakeSwap):
            needed.append("mkswap")
        elif isinstance(step, CreateSubvolume):
            needed.append("btrfs")
        elif isinstance(step, SetIdentity):
            needed.append(IDENTITY_TOOLS.get(step.field, "sgdisk"))
    return list(dict.fromkeys(needed))


def kernel_features_needed(plan: Plan) -> list[str]:
    needed = []
    if any(isinstance(s, CreateMd) for s in plan.steps):
        needed.append("md")
    if any(isinstance(s, LuksFormat | CreatePv) for s in plan.steps):
        needed.append("dm")
    return needed


def _load_module(feature: str) -> None:
    """Ask the kernel for a driver that is not loaded yet (harmless when built in or absent)."""
    module = {"md": "md_mod", "dm": "dm_mod"}[feature]
    with contextlib.suppress(RescueError):
        run(["modprobe", module], ok=(0, 1))


def check_targets(plan: Plan, inventory: Inventory, *, our_holders: bool = False) -> list[str]:
    """Problems with the target disks: missing, changed since planning, in use, the rescue medium."""
    problems = []
    for disk in plan.disks:
        found = inventory.find(disk.path)
        if found is None:
            problems.append(f"{disk.path}: not present (the plan maps {disk.source_name} onto it)")
            continue
        if found.size != disk.size:
            problems.append(
                f"{disk.path}: changed since planning: size {human_size(found.size)}, planned {human_size(disk.size)}"
            )
        if disk.serial and found.serial != disk.serial:
            problems.append(f"{disk.path}: changed since planning: serial {found.serial}, planned {disk.serial}")
        if disk.by_path and found.by_path != disk.by_path:
            problems.append(f"{disk.path}: changed since planning: by-path {found.by_path}, planned {disk.by_path}")
        why = found.refusal()
        if why and not (our_holders and why.startswith("in use: active holders")):
            problems.append(f"{disk.path}: {why}")
    return problems


def check_system(plan: Plan) -> list[str]:
    """Missing tools and kernel features, one line each."""
    problems = []
    for tool in tools.missing(tools_needed(plan)):
        problems.append(f"missing tool {tool.executable} ({tool.purpose}; package {tool.package})")
    for feature in kernel_features_needed(plan):
        marker, what = KERNEL_FEATURES[feature]
        if not marker.exists():
            _load_module(feature)
        if not marker.exists():
            problems.append(f"the kernel lacks {what}: {marker} is missing")
    return problems
