"""How planning scales: whole plans for big layouts, and our action ordering against blivet's sort.

Run from the repository root: ``python -m bench.plan_scale`` (``--help`` for sizes).

Part 1 times ``make_plan`` (layout load, mapping, resize, the blivet model, steps) for the
large-server example and synthetic layouts with many LVs, each in a fresh process so peak
memory (max RSS) is the plan's own. Part 2 schedules the same actions once and orders them
twice: with ``rescue_tui.plan.order.order_actions`` and with blivet's ``ActionList.sort``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "layouts" / "examples" / "large-server.json"


def synthetic(lvs: int, folder: Path) -> Path:
    path = folder / f"server-{lvs}-lvs.json"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_large_server.py"), "--lvs", str(lvs), "-o", str(path)], check=True
    )
    return path


def _child_plan(layout_path: str) -> None:
    """In a child process: one plan, printed as JSON figures."""
    from rescue_tui.inventory.model import Inventory, TargetDisk
    from rescue_tui.layout.codec import read_layout
    from rescue_tui.layout.model import Disk
    from rescue_tui.plan.build import PlanRequest, make_plan

    layout = read_layout(layout_path)
    disks = tuple(
        TargetDisk(name=f"t{i:02d}", path=f"/dev/t{i:02d}", size=d.size) for i, d in enumerate(layout.of_type(Disk))
    )
    started = time.perf_counter()
    plan = make_plan(PlanRequest(layout_path=Path(layout_path), inventory=Inventory(disks=disks, source="bench")))
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"items": len(layout.items), "steps": len(plan.steps), "seconds": elapsed, "max_rss": rss}))


def _child_order(layout_path: str, blivet_limit: int) -> None:
    """In a child process: schedule the actions, then order them both ways."""
    from rescue_tui.inventory.model import TargetDisk
    from rescue_tui.layout.codec import read_layout
    from rescue_tui.layout.graph import LayoutGraph
    from rescue_tui.layout.model import Disk
    from rescue_tui.plan.blivet_model import build_blivet_model
    from rescue_tui.plan.disk_files import disk_files
    from rescue_tui.plan.order import order_actions

    layout = read_layout(layout_path)
    targets = [TargetDisk(name=f"t{i:02d}", path="", size=d.size) for i, d in enumerate(layout.of_type(Disk))]
    with disk_files(targets) as files:
        disks = {d.id: files[t.name] for d, t in zip(layout.of_type(Disk), targets, strict=True)}
        model = build_blivet_model(LayoutGraph(layout), disks)
        action_list = model.storage.devicetree.actions
        actions = list(action_list._actions)
        started = time.perf_counter()
        ours = order_actions(actions)
        own = time.perf_counter() - started
        theirs = None
        if len(actions) <= blivet_limit:
            started = time.perf_counter()
            action_list.sort()
            theirs = time.perf_counter() - started
        position = {a.id: i for i, a in enumerate(ours)}
        checked = len(actions) <= 1500
        valid = (
            all(position[a.id] < position[b.id] for a in ours for b in ours if a is not b and b.requires(a))
            if checked
            else None
        )
    print(json.dumps({"actions": len(actions), "own": own, "blivet": theirs, "valid": valid}))


def run_child(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.plan_scale", *args], cwd=ROOT, check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-lvs", default="1000", help="synthetic layouts to plan, by LV count (comma list)")
    parser.add_argument("--order-lvs", default="120,300", help="synthetic layouts to order both ways, by LV count")
    parser.add_argument("--blivet-limit", type=int, default=1200, help="skip blivet's sort above this many actions")
    parser.add_argument("--child-plan")
    parser.add_argument("--child-order")
    args = parser.parse_args()
    if args.child_plan:
        _child_plan(args.child_plan)
        return 0
    if args.child_order:
        _child_order(args.child_order, args.blivet_limit)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("Part 1: whole plans (make_plan), one process each")
        print(f"{'layout':<28}{'items':>7}{'steps':>7}{'seconds':>10}{'max RSS':>11}")
        cases = [("large-server example", EXAMPLE)] + [
            (f"synthetic {n} LVs", synthetic(int(n), folder)) for n in args.plan_lvs.split(",") if n
        ]
        for label, path in cases:
            r = run_child("--child-plan", str(path))
            print(
                f"{label:<28}{r['items']:>7}{r['steps']:>7}{r['seconds']:>10.2f}{int(r['max_rss']) / 2**20:>9.0f} MiB"
            )  # type: ignore[call-overload]
        print()
        print("Part 2: ordering the same actions: ours (linear, from the device graph) vs blivet's ActionList.sort")
        print(f"{'layout':<28}{'actions':>8}{'ours (s)':>10}{'blivet (s)':>12}{'ratio':>9}  valid")
        cases = [("large-server example", EXAMPLE)] + [
            (f"synthetic {n} LVs", synthetic(int(n), folder)) for n in args.order_lvs.split(",") if n
        ]
        for label, path in cases:
            r = run_child("--child-order", str(path), "--blivet-limit", str(args.blivet_limit))
            own, theirs = float(r["own"]), r["blivet"]  # type: ignore[arg-type]
            shown = (
                f"{float(theirs):>12.3f}{float(theirs) / own:>8.0f}x"
                if theirs is not None
                else f"{'skipped':>12}{'':>9}"
            )  # type: ignore[arg-type]
            print(f"{label:<28}{r['actions']:>8}{own:>10.4f}{shown}  {r['valid']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
