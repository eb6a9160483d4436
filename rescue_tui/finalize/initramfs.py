"""The initramfs, rebuilt by the restored system's own tool: it carries fstab, crypttab and mdadm.conf.

One tool per family, the first the target has: initramfs-tools (Debian,
Ubuntu), dracut (RHEL, Fedora, SUSE), mkinitcpio (Arch). Each rebuilds the
images of every installed kernel. They run in the chroot, never through a
login shell, and only when the program is really there (ReaR's lesson: a
missing program in a chroot can hang).
"""

from __future__ import annotations

from rescue_tui.finalize.model import Command, Note
from rescue_tui.finalize.target import TargetRoot

TIMEOUT = 1800.0
"""Building every kernel's image under emulation takes minutes."""

TOOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("update-initramfs", ("-u", "-k", "all")),
    ("dracut", ("--regenerate-all", "--force")),
    ("mkinitcpio", ("-P",)),
)


def initramfs_command(programs: dict[str, str | None]) -> Command | None:
    """The command that rebuilds every initramfs, from the programs the target has (name -> path or None)."""
    for name, args in TOOLS:
        path = programs.get(name)
        if path:
            return Command(argv=(path, *args), where="chroot", why=f"rebuild every initramfs ({name})", timeout=TIMEOUT)
    return None


def plan_initramfs(target: TargetRoot) -> tuple[Command | None, list[Note]]:
    command = initramfs_command({name: target.program(name) for name, _ in TOOLS})
    if command is None:
        return None, [
            Note(
                message="no initramfs tool in the restored system (update-initramfs, dracut, mkinitcpio): "
                "its initramfs is kept as restored and may not know the new devices",
                level="warning",
            )
        ]
    return command, []
