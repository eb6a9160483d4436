"""Memory of reading a tar archive with many files: ``rescue-tui backup``, and the check before apply.

    python -m bench.tar_memory [--files 500000] [--dir /dev/shm]

A rescue system runs from RAM, and a server may hold millions of files. Makes a tree of ``--files``
empty files (a thousand per directory, names as long as a package's documentation), backs it up with
``rescue-tui backup`` to a ``.tar.zst`` with its checksum list, then runs the check a recovery makes
before apply (``check_backup``: hash, member safety, GNU tar's listing, completeness) and the restore
(``restore_tree``: its preflight, the extract, verify by the checksum list). Each runs in a
process of its own that reports its peak resident memory; the figure shown is above the same process
that only imported the modules, per file and in all. Needs about 1 GB free under ``--dir`` per
million files.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PER_DIRECTORY = 1000
PEAK = "peak-MiB"


def peak_mib() -> float:
    """This process's peak resident memory (its children not counted)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(what: str, archive: Path, source: Path) -> None:
    """Run one step in this process and print its peak memory."""
    from rescue_tui.cli import main
    from rescue_tui.recover.preflight import check_backup
    from rescue_tui.restore.flow import restore_tree
    from rescue_tui.restore.model import Credentials
    from rescue_tui.restore.spec import parse_spec

    if what == "backup":
        if main(["backup", "--backend", f"tar:{archive}", "--source", str(source)]) != 0:
            raise SystemExit(1)
    elif what == "check":
        report = check_backup(parse_spec(f"tar:{archive}"), Credentials(), lambda event: None, threading.Event())
        if not report.ok:
            raise SystemExit(f"the check failed: {report.failures}")
    elif what == "restore":
        target = archive.parent / "target"
        target.mkdir()
        restore_tree(f"tar:{archive}", target, progress=lambda event: None, cancel=threading.Event())
    print(f"{PEAK} {peak_mib():.1f}")


def measure(what: str, archive: Path, source: Path) -> float:
    """The child's peak in MiB (what the command itself prints is dropped)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.tar_memory", "--child", what, str(archive), str(source)],
        stdout=subprocess.PIPE, text=True, check=True,
    )  # fmt: skip
    (line,) = [line for line in done.stdout.splitlines() if line.startswith(PEAK)]
    return float(line.split()[1])


def make_tree(root: Path, files: int) -> None:
    for index in range(files):
        folder = root / "usr" / "share" / "doc" / f"package-{index // PER_DIRECTORY:05d}"
        if index % PER_DIRECTORY == 0:
            folder.mkdir(parents=True)
        (folder / f"changelog-of-a-package-{index:07d}.txt").touch()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500_000)
    parser.add_argument("--dir", type=Path, default=Path("/dev/shm"))
    parser.add_argument("--child", nargs=3, metavar=("WHAT", "ARCHIVE", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    work = Path(tempfile.mkdtemp(prefix="rescue-tui-tar-memory-", dir=args.dir))
    try:
        source, archive = work / "tree", work / "host.tar.zst"
        make_tree(source, args.files)
        base = measure("none", archive, source)
        backup = measure("backup", archive, source)
        check = measure("check", archive, source)
        restore = measure("restore", archive, source)
        print(f"{args.files} files; a process that only imports: {base:.0f} MiB")
        print(f"{'':28} {'peak above it':>14} {'per file':>10}")
        steps = (("rescue-tui backup", backup), ("check before apply", check), ("restore (preflight, verify)", restore))
        for label, peak in steps:
            above = peak - base
            print(f"{label:28} {above:11.0f} MiB {above * 1024 * 1024 / args.files:8.0f} B")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
