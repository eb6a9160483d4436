"""The backup's reads in one recovery: the check before apply, then restore (its preflight, extract, verify).

    python -m bench.recovery_reads [--size 1G] [--runs 3] [--dir /var/tmp/rescue-tui-bench]

Generates a tree of ``--size`` (``bench.restore``'s mix), makes a ``.tar.zst`` of it with
``rescue-tui``'s own tar backend (so the checksum list is there), then times what a recovery
does with it: ``check_backup`` (the preflight before apply, on an empty stand-in) and
``restore_tree`` (preflight on the target, extract, verify) into a new empty directory; once
as it runs now (the restore's preflight reuses the check: the archive is read once before
extract) and once with the kept scan dropped first (every check reads the whole archive, as
before). Runs alternate and the medians are shown. Needs root, about 3x ``--size`` free under ``--dir`` and
``--size`` of memory (the restores go to tmpfs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.restore import generate_tree, our_tar_backup, parse_size
from rescue_tui.recover.preflight import check_backup
from rescue_tui.restore import tar_scan
from rescue_tui.restore.flow import restore_tree
from rescue_tui.restore.model import Credentials
from rescue_tui.restore.spec import parse_spec
from rescue_tui.units import human_size


def one_recovery(spec: str, target: Path, *, keep_scan: bool) -> tuple[float, float]:
    """Seconds of the check before apply, and of the restore stage (preflight, extract, verify)."""
    tar_scan.forget()
    start = time.monotonic()
    report = check_backup(parse_spec(spec), Credentials(), lambda event: None, threading.Event())
    assert report.ok, report.failures
    checked = time.monotonic()
    if not keep_scan:
        tar_scan.forget()
    restore_tree(spec, target, progress=lambda event: None, cancel=threading.Event())
    return checked - start, time.monotonic() - checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G", help="tree size (default 1G)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/rescue-tui-bench"))
    parser.add_argument(
        "--target-dir", type=Path, default=Path("/dev/shm"), help="where the restores go (default: tmpfs, so that "
        "the disk's writeback of one run does not land in the next)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="reads-", dir=args.dir))
    try:
        source = work / "source"
        files, size = generate_tree(source, parse_size(args.size))
        archive = work / "host.tar.zst"
        if not our_tar_backup(source, archive):
            return 1
        print(f"tree: {files} files, {human_size(size)}; archive {human_size(archive.stat().st_size)}")
        results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for run in range(args.runs):
            for keep in (True, False) if run % 2 == 0 else (False, True):
                target = args.target_dir / f"rescue-tui-bench-target-{os.getpid()}"
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir()
                subprocess.run(["sync"], check=True)
                results[keep].append(one_recovery(f"tar:{archive}", target, keep_scan=keep))
        for keep in (False, True):
            runs = " ".join(f"{a:.1f}+{b:.1f}s" for a, b in results[keep])
            print(f"check+restore, {'reusing the check' if keep else 'read again'}: {runs}")
        print(f"{'':34} {'check':>8} {'restore':>8} {'both':>8}")
        for keep, label in ((False, "every check reads the archive"), (True, "restore reuses the check")):
            check = statistics.median(r[0] for r in results[keep])
            stage = statistics.median(r[1] for r in results[keep])
            both = statistics.median(r[0] + r[1] for r in results[keep])
            print(f"{label:34} {check:7.1f}s {stage:7.1f}s {both:7.1f}s")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(args.target_dir / f"rescue-tui-bench-target-{os.getpid()}", ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
