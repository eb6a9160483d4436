"""External tools, declared once, with an availability check.

Every program the engine runs is declared here with the Debian package that
ships it, so a stage can refuse early, with one line naming every missing
tool and its package, instead of failing half way through an apply or a
restore (the idea of ``blivet/tasks/availability.py``). Stages add their own
tools with :func:`declare` at import time; names are unique.

    from rescue_tui import tools
    tools.require(["tar", "zstd"])      # raises MissingToolError
    argv = [tools.path("tar"), "-x", ...]
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from rescue_tui.errors import RescueError


class MissingToolError(RescueError):
    """A tool the request needs is not installed; nothing was touched."""


@dataclass(frozen=True, kw_only=True)
class Tool:
    """One external program."""

    name: str
    """Key used by the code (usually the executable's name)."""
    executable: str
    """Command looked up on ``PATH``."""
    package: str
    """Debian package that ships it (for the hint)."""
    purpose: str
    """What we use it for, shown by ``rescue-tui backends`` and in errors."""
    version_args: tuple[str, ...] = ("--version",)
    """Arguments that print the version on the first output line."""


TOOLS: dict[str, Tool] = {}


def declare(
    name: str,
    *,
    package: str,
    purpose: str,
    executable: str | None = None,
    version_args: tuple[str, ...] = ("--version",),
) -> Tool:
    """Declare a tool once; a second declaration of the same name is a programming error."""
    if name in TOOLS:
        raise ValueError(f"tool {name!r} is declared twice")
    tool = Tool(name=name, executable=executable or name, package=package, purpose=purpose, version_args=version_args)
    TOOLS[name] = tool
    return tool


def get(name: str) -> Tool:
    """The declared tool; an undeclared name is a programming error."""
    try:
        return TOOLS[name]
    except KeyError:
        raise KeyError(f"tool {name!r} is not declared in rescue_tui.tools") from None


def which(name: str) -> str | None:
    """Absolute path of the tool, or None when it is not installed."""
    return shutil.which(get(name).executable)


def available(name: str) -> bool:
    return which(name) is not None


def path(name: str) -> str:
    """Absolute path of the tool; raises MissingToolError when absent."""
    found = which(name)
    if found is None:
        require([name])
    assert found is not None
    return found


def missing(names: Iterable[str]) -> list[Tool]:
    """The declared tools among ``names`` that are not installed, in order, without duplicates."""
    seen: set[str] = set()
    out: list[Tool] = []
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        if which(name) is None:
            out.append(get(name))
    return out


def require(names: Iterable[str], *, why: str | None = None) -> None:
    """Raise one MissingToolError naming every absent tool and the packages to install."""
    absent = missing(names)
    if not absent:
        return
    listed = ", ".join(t.executable for t in absent)
    packages = " ".join(sorted({t.package for t in absent}))
    prefix = f"{why}: " if why else ""
    raise MissingToolError(f"{prefix}missing tools: {listed}", hint=f"install the packages: {packages}")


@cache
def version(name: str) -> str | None:
    """First line the tool prints for its version arguments, or None when absent or silent."""
    exe = which(name)
    if exe is None:
        return None
    try:
        result = subprocess.run([exe, *get(name).version_args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        if line.strip():
            return line.strip()
    return None


# Backup and restore.
declare("tar", package="tar", purpose="tar archives (GNU tar)")
declare("zstd", package="zstd", purpose="zstd (de)compression, multi-threaded")
declare("pigz", package="pigz", purpose="parallel gzip (de)compression")
declare("gzip", package="gzip", purpose="gzip (de)compression")
declare("xz", package="xz-utils", purpose="xz (de)compression")
declare("bzip2", package="bzip2", purpose="bzip2 (de)compression")
declare("rsync", package="rsync", purpose="rsync trees, local or over ssh")
declare("ssh", package="openssh-client", purpose="ssh transport for rsync, restic sftp and borg", version_args=("-V",))
declare("restic", package="restic", purpose="restic repositories", version_args=("version",))
declare("borg", package="borgbackup", purpose="borg repositories")
declare("curl", package="curl", purpose="HTTP(S) downloads")
declare("sha256sum", package="coreutils", purpose="archive checksums")
declare("setfacl", package="acl", purpose="POSIX ACLs")
declare("getfacl", package="acl", purpose="POSIX ACLs")
# Storage, apply and finalize (other stages add what they need here).
declare("mdadm", package="mdadm", purpose="md RAID arrays", version_args=("--version",))
declare("cryptsetup", package="cryptsetup-bin", purpose="LUKS")
declare("lvm", package="lvm2", purpose="LVM", version_args=("version",))
declare("sgdisk", package="gdisk", purpose="GPT identity fix-ups")
declare("sfdisk", package="fdisk", purpose="partition tables")
declare("grub-install", package="grub2-common", purpose="boot loader")
declare("update-initramfs", package="initramfs-tools", purpose="initramfs (Debian)", version_args=("-h",))
declare("dracut", package="dracut", purpose="initramfs (dracut systems)")
