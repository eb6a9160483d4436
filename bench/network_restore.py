"""A tar archive restored over HTTP by a recovery, against the plain tools on the same data.

    python -m bench.network_restore [--size 512M] [--runs 3] [--dir /var/tmp/rescue-tui-bench]

Generates a tree of ``--size`` (``bench.restore``'s mix), makes a ``.tar.zst`` of it with
rescue-tui's tar backend (so the checksum list is there) and serves its directory over HTTP on
127.0.0.1 (Python's http.server). Then, into a new directory on tmpfs each time:

- ``curl | zstd -d | tar -x``: the plain tools, one read of the archive;
- a recovery's reads with ``tar+http://``: ``check_backup`` (the check before apply), then
  ``restore_tree`` (preflight on the target, extract, verify), as the console runs them;
- the same recovery with ``tar:`` on the local file, for the cost of the network path.

Prints the medians and the throughput (archive bytes / seconds). Needs root (the restores keep owners)
and ``--size`` of memory. The loopback is no network: this measures what we add to the tools, not a link.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.restore import (
    compare_ways,
    generate_tree,
    our_tar_backup,
    parse_size,
    print_medians,
    restore_bench_arguments,
)
from rescue_tui.recover.preflight import check_backup
from rescue_tui.restore import tar_scan
from rescue_tui.restore.flow import restore_tree
from rescue_tui.restore.model import Credentials
from rescue_tui.restore.spec import parse_spec
from rescue_tui.units import human_size


def plain(url: str, target: Path) -> None:
    subprocess.run(f"curl -sf {url} | zstd -dcq | tar -x -C {target}", shell=True, check=True)


def recovery(spec: str, target: Path) -> None:
    tar_scan.forget()
    report = check_backup(parse_spec(spec), Credentials(), lambda event: None, threading.Event())
    assert report.ok, report.failures
    restore_tree(spec, target, progress=lambda event: None, cancel=threading.Event())


def serve(root: Path) -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return f"http://127.0.0.1:{port}", proc


def main(argv: list[str] | None = None) -> int:
    args = restore_bench_arguments(__doc__, "512M").parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="network-", dir=args.dir))
    target = args.target_dir / f"rescue-tui-bench-target-{os.getpid()}"
    server = None
    try:
        source = work / "source"
        files, size = generate_tree(source, parse_size(args.size))
        (work / "www").mkdir()
        archive = work / "www" / "host.tar.zst"
        if not our_tar_backup(source, archive):
            return 1
        shutil.rmtree(source)
        base, server = serve(work / "www")
        archive_bytes = archive.stat().st_size
        print(f"tree: {files} files, {human_size(size)}; archive {human_size(archive_bytes)}")
        ways: dict[str, Callable[[Path], object]] = {
            "curl | zstd -d | tar -x (plain)": lambda t: plain(f"{base}/host.tar.zst", t),
            "recovery, tar+http://": lambda t: recovery(f"tar+{base}/host.tar.zst", t),
            "recovery, tar: local file": lambda t: recovery(f"tar:{archive}", t),
        }
        print_medians(compare_ways(ways, target, args.runs), archive_bytes, "archive")
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
