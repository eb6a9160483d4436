"""A restic snapshot restored from an S3 server by a recovery, against plain ``restic restore`` on the same data.

    python -m bench.s3_restore [--size 256M] [--runs 3] [--dir /var/tmp/rescue-tui-bench]

Generates a tree of ``--size`` (``bench.restore``'s mix), starts a real S3 server on 127.0.0.1
(Ceph's radosgw on a one-node cluster, the restore tests' fixture: ``tests/integration/restore/s3.py``),
makes a restic repository in a bucket with ``restic backup``, then restores it, into a new directory on
tmpfs each time:

- ``restic restore latest``: the plain tool;
- a recovery's reads with ``restic+s3:http://``: ``check_backup`` (the check before apply: open, list,
  ``restic check``), then ``restore_tree`` (preflight on the target, restore, verify), as the console runs them.

Prints the medians and the throughput (tree bytes / seconds). Needs root and Debian's radosgw, ceph-mon
and ceph-osd. The loopback is no network: this measures what we add to the tool, not a link.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from bench.restore import compare_ways, generate_tree, parse_size, print_medians, restore_bench_arguments
from rescue_tui.recover.preflight import check_backup
from rescue_tui.restore.flow import restore_tree
from rescue_tui.restore.model import Credentials, Secret
from rescue_tui.restore.snapshot_backend import forget_checked
from rescue_tui.restore.spec import parse_spec
from rescue_tui.units import human_size
from tests.integration.restore.s3 import S3Server, running_radosgw

PASSWORD = "bench password"


def credentials(server: S3Server) -> Credentials:
    return Credentials(
        password=Secret(PASSWORD),
        secrets={"aws_access_key_id": Secret(server.access_key), "aws_secret_access_key": Secret(server.secret_key)},
    )


def recovery(spec: str, creds: Credentials, target: Path) -> None:
    """A recovery's two preflights and its restore, as one recovery runs them: the first run's checks are not
    remembered into the next run."""
    forget_checked()
    report = check_backup(parse_spec(spec), creds, lambda event: None, threading.Event())
    assert report.ok, report.failures
    restore_tree(spec, target, credentials=creds, progress=lambda event: None, cancel=threading.Event())


def main(argv: list[str] | None = None) -> int:
    args = restore_bench_arguments(__doc__, "256M").parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="s3-", dir=args.dir))
    target = args.target_dir / f"rescue-tui-bench-target-{os.getpid()}"
    try:
        source = work / "source"
        files, size = generate_tree(source, parse_size(args.size))
        (work / "cluster").mkdir()
        with running_radosgw(work / "cluster") as server:
            password_file = work / "password"
            password_file.write_text(PASSWORD)
            repo = server.restic_backup("bench", source, password_file).removeprefix("s3:")
            env = {**os.environ, **server.env, "RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": f"s3:{repo}"}
            shutil.rmtree(source)
            print(f"tree: {files} files, {human_size(size)}; repository s3:{repo}")
            creds = credentials(server)
            ways: dict[str, Callable[[Path], object]] = {
                "restic restore latest (plain)": lambda t: subprocess.run(
                    ["restic", "restore", "-q", "latest", "--target", str(t)], env=env, check=True
                ),
                "recovery, restic+s3:http://": lambda t: recovery(f"restic+s3:{repo}", creds, t),
            }
            times = compare_ways(ways, target, args.runs)
        print_medians(times, size, "tree")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
