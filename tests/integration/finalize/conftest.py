"""Restored trees for finalize, made in tmp_path: real files, and (for the chroot tests) real programs.

``chroot_tree`` binds the host's /usr read-only into the tree, so programs run
in a real chroot; the tools finalize calls there (update-initramfs,
grub-install, update-grub) are stubs in /usr/local/sbin that log their
arguments and environment. Everything mounted is unmounted in teardown.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rescue_tui.finalize.chroot import current_mount_points

STUB = """#!/bin/sh
echo "$0 $*" >> /var/log/stub-calls
env > /var/log/stub-env-$(basename "$0")
"""


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (writes root-owned files, mounts, chroot)")


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        where = root / path.lstrip("/")
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(text)


def mounts_below(root: Path) -> list[str]:
    return sorted(m for m in current_mount_points() if m == str(root) or m.startswith(f"{root}/"))


@pytest.fixture
def chroot_tree(tmp_path: Path) -> Iterator[Path]:
    """A tree one can chroot into: the host's /usr bound read-only, usr-merged links, stub boot tools."""
    require_root()
    root = tmp_path / "target"
    for name in ("bin", "lib", "lib64", "sbin"):
        root.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(f"usr/{name}")
    (root / "usr").mkdir()
    subprocess.run(["mount", "--bind", "-o", "ro", "/usr", str(root / "usr")], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(root / "usr")], check=True)
    subprocess.run(["mount", "--make-private", str(root / "usr")], check=True)  # nothing propagates to the host
    try:
        yield root
    finally:
        for where in reversed(mounts_below(root)):
            subprocess.run(["umount", "--lazy", where], check=False)


def install_stubs(root: Path, names: tuple[str, ...]) -> None:
    """Stub programs in the tree's /usr/local/sbin (the host /usr is read-only, so a tmpfs goes there)."""
    local = root / "usr/local"
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(local)], check=True)
    (local / "sbin").mkdir()
    for name in names:
        stub = local / "sbin" / name
        stub.write_text(STUB)
        stub.chmod(0o755)
