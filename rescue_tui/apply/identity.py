"""Identity fix-ups blivet cannot make at creation, and bringing an applied stack back up.

Each fix-up is idempotent: setting a name or UUID to the value it already
has changes nothing, so ``--resume`` may run one again safely.
"""

from __future__ import annotations

import os
import time
from typing import Any

from rescue_tui.apply import disks
from rescue_tui.command import run
from rescue_tui.errors import ApplyError
from rescue_tui.layout.model import Filesystem
from rescue_tui.plan.model import CreateLv, CreateMd, CreatePartition, OpenLuks, Plan, SetIdentity
from rescue_tui.udev import settle

SGDISK_OPTION = {"gpt-name": "--change-name", "partuuid": "--partition-guid", "part-type": "--typecode"}
"""The identity fields of a GPT partition, and the sgdisk option that sets each."""


def _partition(plan: Plan, item: str | None) -> CreatePartition:
    return next(s for s in plan.steps if isinstance(s, CreatePartition) and s.item == item)


def _md(plan: Plan, item: str | None) -> CreateMd:
    return next(s for s in plan.steps if isinstance(s, CreateMd) and s.item == item)


def _settle() -> None:
    settle(60, error=ApplyError)


def _reassemble(md: CreateMd, *update: str) -> None:
    """Stop a just-made array and assemble it again with updated superblocks (nothing sits on it yet)."""
    _settle()
    run(["mdadm", "--stop", md.device], error=ApplyError)
    _settle()
    run(["mdadm", "--assemble", md.device, *update, *md.members], error=ApplyError)
    _wait_for_node(md)


def _wait_for_node(md: CreateMd, timeout: float = 30.0) -> str:
    """The kernel's node of the array on the members, once ``md.device`` points to it.

    A reassembled array may get another md number, and udev moves the /dev/md/NAME link a
    moment later: until then the link still names the old, stopped node.
    """
    deadline = time.monotonic() + timeout
    while True:
        _settle()
        holders = [h for h in disks.kernel_holders(md.members[0]) if os.path.basename(h).startswith("md")]
        if holders and os.path.realpath(md.device) == os.path.realpath(holders[0]):
            return holders[0]
        if time.monotonic() > deadline:
            now = os.path.realpath(md.device) if os.path.exists(md.device) else "nothing"
            raise ApplyError(f"{md.device}: points to {now}, not to the array on {md.members[0]} ({holders or 'none'})")
        time.sleep(0.5)


def sync_blivet_md(device: Any) -> None:
    """Tell blivet's model of an array where the kernel runs it now and with which UUID.

    A reassembled array may get another md number, and udev's database lags behind
    mdadm: blivet would read a stale sysfs path or UUID, think the array stopped and
    fail to start it again ("busy"). The kernel's holder of a member and mdadm say.
    """
    members = [p.path for p in getattr(device, "parents", ())]
    found = disks.running_array(members[0]) if members else None
    if found is None:
        return
    node, uuid = found
    device.sysfs_path = os.path.realpath(f"/sys/class/block/{os.path.basename(node)}")
    if uuid:
        device.uuid = uuid


def set_identity(step: SetIdentity, plan: Plan, blivet_device: Any = None) -> None:
    """Apply one identity fix-up."""
    value = step.value
    if step.field in SGDISK_OPTION:
        part = _partition(plan, step.item)
        run(["sgdisk", f"{SGDISK_OPTION[step.field]}={part.number}:{value}", part.disk], error=ApplyError)
    elif step.field == "disk-guid":
        run(["sgdisk", f"--disk-guid={value}", step.device], error=ApplyError)
    elif step.field == "disk-id":
        run(["sfdisk", "--disk-id", step.device, value], error=ApplyError)
    elif step.field == "md-uuid":
        _reassemble(_md(plan, step.item), "--update=uuid", f"--uuid={value}")
        if blivet_device is not None:
            sync_blivet_md(blivet_device)
    elif step.field == "md-name":
        _reassemble(_md(plan, step.item), "--update=name", f"--name={value}")
        if blivet_device is not None:
            sync_blivet_md(blivet_device)
    elif step.field == "luks-uuid":
        run(["cryptsetup", "luksUUID", "--batch-mode", "--uuid", value, step.device], error=ApplyError)
    elif step.field == "luks-label":
        run(["cryptsetup", "config", "--label", value, step.device], error=ApplyError)
    elif step.field == "btrfs-uuid":
        # The filesystem was made a moment ago and holds nothing: making it again with the UUID is
        # simpler and surer than btrfstune, which cannot open a filesystem the kernel has just seen.
        fs = next((i for i in plan.layout.of_type(Filesystem) if i.id == step.item), None)
        label = ["-L", fs.label] if fs is not None and fs.label else []
        run(["mkfs.btrfs", "--force", "--uuid", value, *label, step.device], error=ApplyError)
    else:
        raise ApplyError(f"{step.id}: unknown identity field {step.field!r}")
    _settle()


def activate(plan: Plan, passphrase: str | None) -> list[str]:
    """Assemble, open and activate what the plan built (after a reboot during apply); idempotent."""
    done = []
    for step in plan.steps:
        if isinstance(step, CreateMd) and not os.path.exists(step.device):
            run(["mdadm", "--assemble", step.device, *step.members], error=ApplyError, ok=(0, 2))
            done.append(f"assembled {step.device}")
        elif isinstance(step, OpenLuks):
            # Asked of the kernel, not of /dev/mapper: a node can outlive its mapping.
            mapped = [h for h in disks.kernel_holders(step.source) if h.startswith("/dev/mapper/")]
            if step.device in mapped:
                continue
            if mapped:
                # Open under another name: blivet's rescan between the storage stages opens a container it
                # knows the passphrase of as luks-UUID. fstab, crypttab and the plan's mounts use the layout's.
                run(["dmsetup", "rename", os.path.basename(mapped[0]), step.name], error=ApplyError)
                done.append(f"renamed {mapped[0]} to {step.device}")
                continue
            if passphrase is None:
                raise ApplyError(f"{step.source}: a passphrase is needed to open it again")
            run(["cryptsetup", "open", "--key-file=-", step.source, step.name], error=ApplyError, stdin=passphrase)
            done.append(f"opened {step.device}")
    vgs = sorted({s.vg for s in plan.steps if isinstance(s, CreateLv)})
    if vgs:
        run(["lvm", "vgchange", "--activate", "y", *vgs], error=ApplyError)
        done.append(f"activated VG {', '.join(vgs)}")
    _settle()
    return done
