"""How long loading and validating a big layout takes, and how much memory.

    python -m bench.layout_load [--runs 20] [--file layouts/examples/large-server.json]

Times ``read_layout`` (JSON parse, schema check, model build) and
``validate_layout`` separately and together over ``--runs`` warm runs, after
one cold load that also builds the cached schema validators. Memory is
measured in a separate pass under ``tracemalloc`` (which slows Python down,
so it never overlaps the timed runs), plus the process's peak RSS. The goal
is a median load + validate under 0.5 s for the committed large server.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rescue_tui.errors import LayoutError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Layout
from rescue_tui.layout.sizes import MIB
from rescue_tui.layout.validate import Problem, validate_layout

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO / "layouts" / "examples" / "large-server.json"
GOAL_SECONDS = 0.5

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """Run ``fn(*args)`` once; its result and wall time in seconds."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def traced_peak(fn: Callable[..., T], *args: Any) -> tuple[T, int]:
    """Run ``fn(*args)`` under tracemalloc (already started); its result and peak bytes above the start."""
    gc.collect()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    return result, peak - base


def max_rss() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def load_and_validate(path: Path) -> tuple[Layout, list[Problem]]:
    layout = read_layout(path)
    return layout, validate_layout(layout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="warm runs to time (default 20)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="layout to load (default: the large server)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    path: Path = args.file
    rss_at_start = max_rss()

    try:
        layout, cold = timed(read_layout, path)
    except LayoutError as exc:
        print(f"bench: {exc.message}", file=sys.stderr)
        return 1

    load_t: list[float] = []
    validate_t: list[float] = []
    both_t: list[float] = []
    for _ in range(args.runs):
        gc.collect()
        layout, t_load = timed(read_layout, path)
        problems, t_validate = timed(validate_layout, layout)
        _, t_both = timed(load_and_validate, path)
        load_t.append(t_load)
        validate_t.append(t_validate)
        both_t.append(t_both)
    rss_after_runs = max_rss()

    items = len(layout.items)
    del layout
    tracemalloc.start()
    layout, peak_load = traced_peak(read_layout, path)
    _, peak_validate = traced_peak(validate_layout, layout)
    del layout
    _, peak_both = traced_peak(load_and_validate, path)
    tracemalloc.stop()

    try:
        shown = path.resolve().relative_to(REPO)
    except ValueError:
        shown = path
    size = path.stat().st_size
    print(f"layout   {shown}: {size / 1024:.0f} KiB, {items} items, {len(problems)} problems")
    print(f"runs     {args.runs} warm, after one cold load of {cold:.3f} s (it also builds the schema validators)")
    print()
    print(f"{'phase':<26}{'median':>10}{'min':>10}{'peak traced':>14}")
    rows = (
        ("load (read_layout)", load_t, peak_load),
        ("validate (validate_layout)", validate_t, peak_validate),
        ("load + validate", both_t, peak_both),
    )
    for name, times, peak in rows:
        print(f"{name:<26}{statistics.median(times):>9.3f}s{min(times):>9.3f}s{peak / MIB:>10.1f} MiB")
    print()
    print(f"max RSS  {rss_after_runs / MIB:.1f} MiB after the timed runs ({rss_at_start / MIB:.1f} MiB after imports)")
    median_both = statistics.median(both_t)
    verdict = "met" if median_both < GOAL_SECONDS else "MISSED"
    print(f"goal     load + validate median under {GOAL_SECONDS} s: {verdict} ({median_both:.3f} s)")
    if problems:
        print(f"bench: the layout has {len(problems)} validation problems; first: {problems[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
