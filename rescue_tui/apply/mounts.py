"""The target tree: the recreated filesystems mounted under a root (``/mnt/target``) in mount order.

``mount_tree`` and ``umount_tree`` are idempotent, so the restore stage and
an operator's shell can both rely on them; subvolumes are created on the
filesystem's top level, mounted aside for the moment.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.errors import ApplyError
from rescue_tui.lock import recovery_lock
from rescue_tui.plan.model import CreateSubvolume, MountStep, Plan

DROPPED_OPTIONS = ("noauto", "nofail", "x-systemd.", "x-gvfs", "comment=", "auto", "user", "users")
"""fstab options that mean nothing (or harm) when mounting by hand in the rescue system."""


def rescue_options(options: str) -> str:
    kept = [o for o in options.split(",") if o and not o.startswith(DROPPED_OPTIONS)]
    return ",".join(kept) or "defaults"


def mounted_at(where: str) -> str | None:
    """The source mounted exactly at ``where``, if anything."""
    text = run(["findmnt", "--json", "--mountpoint", where], error=ApplyError, ok=(0, 1))
    if not text.strip():
        return None
    found = json.loads(text).get("filesystems") or []
    return str(found[0]["source"]) if found else None


def mount_step(step: MountStep, root: str) -> bool:
    """Mount one filesystem of the tree; False when it was mounted already."""
    where = os.path.join(root, step.mountpoint.lstrip("/"))
    if mounted_at(where.rstrip("/") or "/"):
        return False
    os.makedirs(where, exist_ok=True)
    run(["mount", "-t", step.fstype, "-o", rescue_options(step.options), step.device, where], error=ApplyError)
    return True


def create_subvolume(step: CreateSubvolume) -> bool:
    """Create one btrfs subvolume on the top level of its filesystem; False when it exists already."""
    with tempfile.TemporaryDirectory(prefix="rescue-tui-btrfs-") as top:
        run(["mount", "-t", "btrfs", "-o", "subvolid=5", step.device, top], error=ApplyError)
        try:
            path = Path(top) / step.path
            created = not path.exists()
            if created:
                path.parent.mkdir(parents=True, exist_ok=True)
                run(["btrfs", "subvolume", "create", str(path)], error=ApplyError)
            if step.default:
                run(["btrfs", "subvolume", "set-default", str(path)], error=ApplyError)
        finally:
            run(["umount", top], error=ApplyError)
    return created


def mount_tree(plan: Plan, root: str) -> list[str]:
    """Mount every filesystem of the plan under ``root``, parents first; what was mounted."""
    done = []
    with recovery_lock("mount"):
        for step in plan.steps:
            if isinstance(step, MountStep) and mount_step(step, root):
                done.append(f"{step.device} on {os.path.join(root, step.mountpoint.lstrip('/'))}")
    return done


def umount_tree(root: str) -> list[str]:
    """Unmount everything at and below ``root``, deepest first."""
    text = run(["findmnt", "--json", "--list", "--output", "TARGET"], error=ApplyError)
    targets = [f["target"] for f in json.loads(text)["filesystems"]]
    below = sorted((t for t in targets if t == root or t.startswith(root.rstrip("/") + "/")), key=len, reverse=True)
    with recovery_lock("umount"):
        for target in below:
            run(["umount", target], error=ApplyError)
    return below
