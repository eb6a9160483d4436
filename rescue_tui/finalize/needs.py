"""The rescue system's programs finalize runs (the restored system's own run in its chroot).

Declared once at import, unless another stage declared them first.
"""

from __future__ import annotations

from rescue_tui import tools
from rescue_tui.finalize.bootloader import BootPlan, HostFacts

for _name, _package, _purpose in (
    ("chroot", "coreutils", "running the restored system's own tools"),
    ("mount", "mount", "the chroot's /dev, /proc, /sys and /run"),
    ("umount", "mount", "the chroot's /dev, /proc, /sys and /run"),
    ("efibootmgr", "efibootmgr", "UEFI boot entries"),
    ("blkid", "util-linux", "identities of the recovered devices"),
    ("mkfs.vfat", "dosfstools", "FAT filesystems (ESP)"),
):
    if _name not in tools.TOOLS:
        tools.declare(_name, package=_package, purpose=_purpose)


def host_tools(plan: BootPlan | None, host: HostFacts) -> list[str]:
    """What finalize needs here for this boot plan (None: no chroot work)."""
    if plan is None:
        return []
    needed = ["chroot", "mount", "umount"]
    if plan.firmware == "uefi" and host.efivars:
        needed.append("efibootmgr")
    if any(esp.fresh for esp in plan.esps):
        needed += ["blkid", "mkfs.vfat"]
    return needed
