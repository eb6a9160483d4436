"""How long apply takes to recreate RAID1 + LVM in the rescue guest, and where the time goes.

    python -m bench.apply [--memory 1024] [--json]

Boots the rescue image under QEMU TCG (BIOS) with two blank 1.5 GiB disks, plans the
VM-sized RAID1 + LVM layout (tests/data/layouts/vm/raid1-lvm.json) onto them and applies
it. The journal's per-step seconds give the split: our own tool calls (wipe, identity
fix-ups, mounts) against the steps blivet executes. Then the same disks are taken down
and the plan's own shell commands (each step's ``command``) run one after the other,
which is what the steps cost without blivet's model around them. Needs root.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.vm_boot import build
from rescue_tui.drill.machine import Machine
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Disk
from rescue_tui.plan.codec import plan_from_json

REPO = Path(__file__).resolve().parent.parent
LAYOUT = REPO / "tests" / "data" / "layouts" / "vm" / "raid1-lvm.json"
OURS = {"wipe-disk", "set-identity", "mount", "create-subvolume"}
TEARDOWN = "; ".join(
    [
        # Back to blank disks, as apply found them: the plain commands must not meet old labels
        # (pvcreate would stop at the previous PV label inside the re-created array).
        "umount -R /mnt/target",
        "swapoff -a",
        "wipefs -q -a /dev/vg_system/*",
        "vgremove -q -ff -y vg_system",
        "pvremove -q -ff -y /dev/md/md0",
        "wipefs -q -a /dev/md/md0",
        "mdadm --stop /dev/md/md0",
        "mdadm --stop --scan",
        "for p in /dev/vd[ab][0-9]; do mdadm -q --zero-superblock $p; wipefs -q -a $p; done",
        "wipefs -q -a /dev/vda /dev/vdb",
        "udevadm settle",
    ]
)


def step_seconds(journal: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in journal.splitlines():
        entry = json.loads(line)
        if entry.get("event") == "done":
            out[entry["step"]] = float(entry.get("seconds", 0.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, default=1024)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    image, _ = build()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        machine = Machine(image=image, workdir=Path(tmp) / "vm", firmware="bios", memory_mb=args.memory)
        machine.start()
        try:
            machine.wait_first_screen(300)
            machine.connect_shell()
            disks = [machine.add_disk("1536M").device for _ in range(2)]
            machine.push({"layout.json": LAYOUT}, "/root")
            originals = [d.name for d in read_layout(LAYOUT).of_type(Disk)]
            maps = " ".join(f"--map {o}={d}" for o, d in zip(originals, disks, strict=True))
            started = time.monotonic()
            machine.check(f"rescue-tui plan --layout /root/layout.json --targets live {maps} -o /root/plan.json", 600)
            result["plan_s"] = round(time.monotonic() - started, 1)
            started = time.monotonic()
            machine.check("rescue-tui apply /root/plan.json --yes", 1800)
            result["apply_s"] = round(time.monotonic() - started, 1)
            plan = plan_from_json(machine.read_text("/root/plan.json"), where="plan.json")
            seconds = step_seconds(machine.check("cat /run/rescue-tui/*.jsonl"))
            by_kind: dict[str, float] = defaultdict(float)
            for step in plan.steps:
                by_kind[step.kind] += seconds.get(step.id, 0.0)
            result["steps_by_kind_s"] = {k: round(v, 2) for k, v in sorted(by_kind.items())}
            result["our_tools_s"] = round(sum(v for k, v in by_kind.items() if k in OURS), 1)
            result["blivet_steps_s"] = round(sum(v for k, v in by_kind.items() if k not in OURS), 1)
            machine.run(TEARDOWN, timeout=300)
            script = "set -e\n" + "\n".join(
                s.command.split("  #")[0] for s in plan.steps if s.command and not s.command.startswith("btrfs")
            )
            machine.push({"plain.sh": script.encode()}, "/root")
            started = time.monotonic()
            plain = machine.run("bash -x /root/plain.sh >/root/plain.log 2>&1", timeout=1800)
            if plain.rc != 0:
                log = machine.check("tail -20 /root/plain.log")
                raise SystemExit(f"the plain commands failed ({plain.rc}):\n{log}")
            result["plain_commands_s"] = round(time.monotonic() - started, 1)
            result["steps"] = len(plan.steps)
        finally:
            machine.kill()
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"RAID1 + LVM (2 x 1.5 GiB, {result['steps']} steps) in the rescue guest, TCG, {args.memory} MiB")
    print(f"  plan (in the guest)                 {result['plan_s']:>7.1f} s")
    print(f"  apply, wall                         {result['apply_s']:>7.1f} s")
    print(f"    steps blivet executes             {result['blivet_steps_s']:>7.1f} s")
    print(f"    our tool calls (wipe, fix-ups, mounts) {result['our_tools_s']:>4.1f} s")
    print(f"  the plan's shell commands, plain    {result['plain_commands_s']:>7.1f} s")
    print("  per step kind: " + ", ".join(f"{k} {v:.1f}s" for k, v in result["steps_by_kind_s"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
