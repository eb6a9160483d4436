"""Running programs of the restored system: a chroot with /dev, /proc, /sys and /run from the rescue system.

The bind mounts (and efivarfs on UEFI) are made on entry and always undone
on exit, deepest first, even when a command failed; what was mounted
already (by the operator) is used and left alone. A mount point that is a
symbolic link is refused: mount would follow it out of the target.

Programs run with a clean environment (nothing of the rescue session, such
as a backup password, reaches the restored system's hooks), an ordinary
PATH and untranslated output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rescue_tui.finalize.errors import FinalizeError
from rescue_tui.finalize.model import Command, Note
from rescue_tui.finalize.target import PATH

BINDS = ("/dev", "/proc", "/sys", "/run")
EFIVARS = "/sys/firmware/efi/efivars"

Runner = Callable[[Command], str]
"""Runs a command (the chroot prefix added by :func:`host_argv`); returns its stdout; raises FinalizeError."""


def host_argv(command: Command, root: Path) -> list[str]:
    """The argv to run in the rescue system: chroot commands get the chroot and a clean environment."""
    if command.where == "host":
        return list(command.argv)
    env = [f"PATH={PATH}", "LC_ALL=C", "HOME=/root", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive"]
    return ["chroot", str(root), "/usr/bin/env", "-i", *env, *command.argv]


def mount_points(mountinfo: str) -> set[str]:
    """Mount points listed in /proc/self/mountinfo text (octal escapes such as ``\\040`` decoded)."""
    out = set()
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) > 4:
            out.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4]))
    return out


def current_mount_points() -> set[str]:
    try:
        return mount_points(Path("/proc/self/mountinfo").read_text(encoding="utf-8"))
    except OSError:
        return set()


def _mount(argv: tuple[str, ...], why: str) -> Command:
    return Command(argv=argv, where="host", why=why, timeout=60.0)


@contextmanager
def chroot_mounts(
    root: Path,
    run: Runner,
    *,
    efivars: bool,
    notes: list[Note],
    mounted: Callable[[], set[str]] = current_mount_points,
) -> Iterator[list[str]]:
    """Bind the rescue system's /dev, /proc, /sys, /run (and efivarfs) into ``root``; yields what was mounted."""
    done: list[str] = []
    try:
        wanted = [(source, root / source.lstrip("/")) for source in BINDS]
        if efivars:
            wanted.append(("efivarfs", root / EFIVARS.lstrip("/")))
        for source, path in wanted:
            where = str(path)
            if where in mounted():
                continue
            if path.is_symlink():
                raise FinalizeError(
                    f"{where}: is a symbolic link; refusing to mount over it",
                    hint="the restored tree is damaged or hostile: check it by hand",
                )
            if source == "efivarfs":
                if not path.is_dir():
                    continue  # this kernel's sysfs has no EFI variables
                run(_mount(("mount", "-t", "efivarfs", "efivarfs", where), "EFI variables in the chroot"))
            else:
                path.mkdir(parents=True, exist_ok=True)
                run(_mount(("mount", "--bind", source, where), f"{source} in the chroot"))
            done.append(where)
        yield list(done)
    finally:
        for where in reversed(done):
            try:
                run(_mount(("umount", where), "leave the chroot"))
            except FinalizeError as exc:
                try:
                    run(_mount(("umount", "--lazy", where), "leave the chroot (busy)"))
                    notes.append(Note(message=f"{where} was busy ({exc.message}); detached lazily", level="warning"))
                except FinalizeError as lazy:
                    notes.append(Note(message=f"{where} is still mounted: {lazy.message}", level="error"))
