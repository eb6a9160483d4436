"""What the VM suite spends its time on: phases the tests record, each test's wall time, and a budget.

``make test`` prints, at the end, the slowest VM tests and the recorded phases (apply, restore,
finalize, boots...), and fails when the VM tests took longer than ``RESCUE_VM_BUDGET`` seconds
(cache builds not counted: a cold machine builds the image, the target and the booted snapshots
once). So a slow test is seen the day it lands, not when CI runs out of time.
RESCUE_VM_TIMINGS=path.json also writes the phases to a file (bench/ and notes read it).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

DEFAULT_BUDGET = 2400.0
"""Seconds of VM tests less cache builds; fresh-clone runs on 2 cores took 1326 s idle, 1572 s under other load."""
CACHE_PREFIX = "cache: "
"""Phases that build a cached artifact (image, target, booted snapshot): paid once per recipe."""

phases: dict[str, list[float]] = defaultdict(list)
tests: dict[str, float] = defaultdict(float)


def record_timing(name: str, seconds: float) -> None:
    """Keep one phase's time for the end-of-run report (and RESCUE_VM_TIMINGS=path.json)."""
    phases[name].append(seconds)
    path = os.environ.get("RESCUE_VM_TIMINGS")
    if not path:
        return
    target = Path(path)
    data: dict[str, float] = json.loads(target.read_text()) if target.exists() else {}
    data[name] = round(seconds, 1)
    target.write_text(json.dumps(data, indent=2) + "\n")


SHARD_BUDGET = 2700.0
"""Seconds for one of two shards run side by side (``tools/run-tests``): the 45 minutes the brief gives a cold
``make test``, well inside CI's 90. History: 1300 s and 1394 s in the first fresh-clone run (each test about 1.3
times slower than alone: the guests and the in-host tests share two cores); 1800 s was the budget until the machine
of 2026-12-07, on which the same guests run 1.6 to 2 times slower under TCG (the BIOS console drill 703 s in CI, 320 s
on the machine before) and the shards took 1447 s and 1920 s (make test 33 min, warm). The 20-minute warm goal is
issue 11's, reported there, not hidden by this guard, whose job is to fail a suite heading out of CI's time."""


def budget() -> float:
    default = SHARD_BUDGET if os.environ.get("RESCUE_VM_SHARD") else DEFAULT_BUDGET
    return float(os.environ.get("RESCUE_VM_BUDGET", default))


def cache_seconds() -> float:
    return sum(sum(v) for k, v in phases.items() if k.startswith(CACHE_PREFIX))


def suite_seconds() -> float:
    """Wall time of the VM tests (setup, call, teardown), less what cache builds took inside them."""
    return sum(tests.values()) - cache_seconds()


def report_lines(most: int = 15) -> list[str]:
    if not tests:
        return []
    lines = [f"VM tests: {sum(tests.values()):.0f} s, of which cache builds {cache_seconds():.0f} s; "
             f"budget {budget():.0f} s for the rest ({suite_seconds():.0f} s)"]  # fmt: skip
    lines.append("slowest VM tests:")
    for name, seconds in sorted(tests.items(), key=lambda kv: -kv[1])[:most]:
        lines.append(f"  {seconds:8.1f} s  {name}")
    if phases:
        lines.append("recorded phases (slowest first; n = times recorded):")
        for name, values in sorted(phases.items(), key=lambda kv: -sum(kv[1])):
            lines.append(f"  {sum(values):8.1f} s  {name}" + (f"  (n={len(values)})" if len(values) > 1 else ""))
    return lines
