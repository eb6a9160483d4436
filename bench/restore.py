"""Restore speed: each backend against its plain tool, and zstd -T0 against single-threaded gzip.

    python -m bench.restore [--size 2G] [--runs 1] [--dir /var/tmp/rescue-tui-bench] [--backends tar,rsync,...]

Generates a tree of ``--size`` bytes (mixed file sizes: a few large files,
many medium ones, thousands of small ones; half incompressible random data,
half compressible text), backs it up once per backend with the plain tool
(GNU tar + zstd -T0, rsync -aHAXS, restic, borg), then restores it into a
fresh target, alternating our backend (``Backend.restore``, progress on,
after an untimed preflight) and the plain tool on the same archive or
repository and the same target directory. The ratio is plain time / our time:
the goal is >= 0.95 (ours at most about 5 % slower). Then the same tree as
``.tar.zst`` (zstd -T0 -3) and ``.tar.gz`` (gzip -6, single-threaded, ReaR's
default): compress time, size, and restore time. Needs root (numeric owners)
and about 8x ``--size`` of free space under ``--dir``; page caches stay warm
for both sides alike (``--drop-caches`` drops them before every timed run).
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import Credentials, ProgressEvent
from rescue_tui.units import human_size

PASSWORD = "bench-password"
GOAL = 0.95
FIDELITY_TAR = ["--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--selinux"]
WORDS = [
    *("restore", "backup", "layout", "partition", "volume", "filesystem", "mount", "target", "archive", "snapshot"),
    *("repository", "checksum", "kernel", "initramfs", "bootloader", "mirror", "stripe", "sector", "journal"),
    *("inode", "extent", "metadata", "superblock"),
]


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def text_block(rng: random.Random, size: int) -> bytes:
    lines = []
    total = 0
    n = 0
    while total < size:
        line = f"{n:08d} " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + "\n"
        lines.append(line)
        total += len(line)
        n += 1
    return "".join(lines).encode()[:size]


def our_tar_backup(source: Path, archive: Path) -> bool:
    """``rescue-tui backup`` of ``source`` to ``archive`` (so its checksum list is beside it); False, with the
    tool's error on stderr, when it failed."""
    made = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "backup", "--backend", f"tar:{archive}", "--source", str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        print(made.stderr, file=sys.stderr)
    return made.returncode == 0


def generate_tree(root: Path, size: int, seed: int = 7) -> tuple[int, int]:
    """Mixed sizes, half random half text; returns (files, bytes)."""
    rng = random.Random(seed)
    text = text_block(rng, 8 << 20)
    files = 0
    written = 0

    def write(path: Path, n: int, compressible: bool) -> None:
        nonlocal files, written
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = n
            while left > 0:
                chunk = min(left, 4 << 20)
                if compressible:
                    start = rng.randrange(0, len(text) - chunk) if chunk < len(text) else 0
                    f.write(text[start : start + chunk])
                else:
                    f.write(os.urandom(chunk))
                left -= chunk
        files += 1
        written += n

    big, medium, small = size * 45 // 100, size * 40 // 100, size * 15 // 100
    for i in range(4):
        write(root / "var" / "lib" / "images" / f"disk{i}.img", big // 4, compressible=i % 2 == 1)
    done = 0
    i = 0
    while done < medium:
        n = min(medium - done, rng.randint(64 << 10, 4 << 20))
        write(root / "usr" / "lib" / f"pkg{i % 97:02d}" / f"lib{i}.so", n, compressible=i % 2 == 0)
        done += n
        i += 1
    done = 0
    i = 0
    while done < small:
        n = min(small - done, rng.randint(512, 16 << 10))
        write(root / "etc" / f"d{i % 211:03d}" / f"conf{i}.txt", n, compressible=i % 3 != 0)
        done += n
        i += 1
    for j in range(0, 200):
        (root / "home" / f"user{j % 20}" / f"empty{j}").mkdir(parents=True, exist_ok=True)
    return files, written


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    subprocess.run(argv, check=True, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL)


def pipe(*commands: list[str], out: Path | None = None) -> None:
    """A shell pipeline of quoted commands, optionally redirected to ``out``."""
    line = " | ".join(shlex.join(c) for c in commands) + (f" > {shlex.quote(str(out))}" if out else "")
    subprocess.run(["bash", "-o", "pipefail", "-c", line], check=True, stdout=subprocess.DEVNULL if not out else None)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Targets:
    """A new empty target directory per run, on the same filesystem.

    Deleting a 2 GiB tree right before a timed run bills that run for the
    deletion's writeback and discards (the order of the two sides then decides
    the ratio), so old targets are only removed between backends, untimed.
    """

    def __init__(self, base: Path, drop_caches: bool) -> None:
        self.base = base
        self.drop_caches = drop_caches
        self.count = 0

    def fresh(self) -> Path:
        self.count += 1
        target = self.base / f"target-{self.count}"
        target.mkdir(parents=True)
        os.sync()
        if self.drop_caches:
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return target

    def clear(self) -> None:
        for old in self.base.glob("target-*"):
            shutil.rmtree(old)
        os.sync()


def restore_bench_arguments(doc: str, default_size: str) -> argparse.ArgumentParser:
    """The options every restore-against-the-plain-tool bench takes: tree size, runs, work and target directories."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", default=default_size, help=f"tree size (default {default_size})")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/rescue-tui-bench"))
    parser.add_argument("--target-dir", type=Path, default=Path("/dev/shm"), help="where the restores go (tmpfs)")
    return parser


def compare_ways(ways: dict[str, Callable[[Path], object]], target: Path, runs: int) -> dict[str, list[float]]:
    """Seconds of each way per run, each into ``target`` made empty first; the order alternates between runs
    so that no way always comes first (warm caches)."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    for run_index in range(runs):
        for name in ways if run_index % 2 == 0 else reversed(ways):
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            subprocess.run(["sync"], check=True)
            start = time.monotonic()
            ways[name](target)
            times[name].append(time.monotonic() - start)
    return times


def print_medians(times: dict[str, list[float]], size: int, per: str) -> None:
    """One line per way: median seconds, ``size`` bytes per median second, every run."""
    print(f"{'':34} {'median':>8} {per + '/s':>10}   runs")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        runs = " ".join(f"{s:.1f}" for s in seconds)
        print(f"{name:34} {median:7.1f}s {human_size(int(size / median)):>8}/s   {runs}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", default="2G", help="tree size, e.g. 512M or 2G (default 2G)")
    parser.add_argument(
        "--runs", type=int, default=2, help="timed runs per side, order alternating; median (default 2)"
    )
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp/rescue-tui-bench"), help="work directory")
    parser.add_argument("--backends", default="tar,rsync,restic,borg", help="comma-separated subset")
    parser.add_argument("--no-gzip", action="store_true", help="skip the zstd vs gzip comparison")
    parser.add_argument("--drop-caches", action="store_true", help="drop page caches before every timed run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench.restore: needs root (numeric owners, like a real restore)", file=sys.stderr)
        return 2
    size = parse_size(args.size)
    work: Path = args.dir
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    source = work / "source"
    targets = Targets(work, args.drop_caches)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pw = work / "password"
    pw.write_text(PASSWORD)
    pw.chmod(0o600)
    env = {"RESTIC_PASSWORD_FILE": str(pw), "BORG_PASSCOMMAND": f"cat {pw}", "BORG_BASE_DIR": str(work / "borgbase"),
           "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}  # fmt: skip
    try:
        t = timed(lambda: generate_tree(source, size))
        files = sum(len(f) for _, _, f in os.walk(source))
        print(f"tree     {human_size(size)} in {files} files, generated in {t:.1f} s; {os.cpu_count()} CPUs")

        # Backups with the plain tools (not timed here, except tar for the compression table).
        archive = work / "host.tar.zst"

        def prepare_tar() -> None:
            pipe(["tar", "-C", str(source), "-cf", "-", *FIDELITY_TAR, "--sparse", "."],
                 ["zstd", "-T0", "-3", "-q", "-o", str(archive)])  # fmt: skip

        def prepare_rsync() -> None:
            run(["rsync", "-aHAXS", "--numeric-ids", f"{source}/", f"{work}/copy/"])

        def prepare_restic() -> None:
            run(["restic", "-r", str(work / "restic"), "init", "-q"], env=env)
            run(["restic", "-r", str(work / "restic"), "backup", "-q", "."], env=env, cwd=source)

        def prepare_borg() -> None:
            subprocess.run(["borg", "init", "-e", "repokey-blake2", str(work / "borg")], check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            run(["borg", "create", "--numeric-ids", f"{work}/borg::host", "."], env=env, cwd=source)

        prepare = {"tar": prepare_tar, "rsync": prepare_rsync, "restic": prepare_restic, "borg": prepare_borg}
        specs = {"tar": f"tar:{archive}", "rsync": f"rsync:{work}/copy/", "restic": f"restic:{work}/restic",
                 "borg": f"borg:{work}/borg::host"}  # fmt: skip

        def plain(name: str, target: Path) -> list[str]:
            return {
                "tar": ["tar", "--zstd", "-xf", str(archive), "-C", str(target), *FIDELITY_TAR],
                "rsync": ["rsync", "-aHAXS", "--numeric-ids", f"{work}/copy/", f"{target}/"],
                "restic": ["restic", "-r", str(work / "restic"), "restore", "latest", "--target", str(target)],
                "borg": ["borg", "extract", "--numeric-ids", "--sparse", f"{work}/borg::host"],
            }[name]

        rows = []
        events: list[ProgressEvent] = []
        for name in backends:
            t_backup = timed(prepare[name])
            backend = open_backend(specs[name], Credentials(password_file=pw))
            target = targets.fresh()
            t_pre = timed(lambda b=backend, t=target: b.preflight(t, events.append))  # type: ignore[misc]
            ours, theirs = [], []
            for i in range(args.runs):  # alternate who goes first; the tree ours restored last is then verified
                for side in ("plain", "ours") if i % 2 == 0 else ("ours", "plain"):
                    target = targets.fresh()
                    if side == "ours":
                        ours.append(timed(lambda b=backend, t=target: b.restore(t, events.append, threading.Event())))  # type: ignore[misc]
                        restored = target
                    else:
                        cmd = plain(name, target)
                        theirs.append(timed(lambda c=cmd, t=target: run(c, env=env, cwd=t)))  # type: ignore[misc]
            t_verify = timed(lambda b=backend, t=restored: b.verify(t, events.append, threading.Event()))  # type: ignore[misc]
            targets.clear()
            o, p = statistics.median(ours), statistics.median(theirs)
            rows.append((name, t_backup, t_pre, o, p, p / o, t_verify))
            print(f"done     {name}: ours {o:.1f} s, plain {p:.1f} s")

        print()
        print(f"{'backend':<8}{'backup':>9}{'preflight':>11}{'restore':>10}{'plain':>9}{'ratio':>8}{'verify':>9}")
        for name, t_backup, t_pre, o, p, ratio, t_verify in rows:
            mark = "" if ratio >= GOAL else "  < goal"
            print(f"{name:<8}{t_backup:>8.1f}s{t_pre:>10.1f}s{o:>9.1f}s{p:>8.1f}s{ratio:>8.2f}{t_verify:>8.1f}s{mark}")
        print(f"ratio = plain / ours (goal >= {GOAL}); restore rate: "
              + ", ".join(f"{n} {human_size(int(size / o))}/s" for n, _, _, o, _, _, _ in rows))  # fmt: skip

        if not args.no_gzip:
            print()
            zst, gz = work / "cmp.tar.zst", work / "cmp.tar.gz"
            tar_out = ["tar", "-C", str(source), "-cf", "-", *FIDELITY_TAR, "--sparse", "."]
            c_zst = timed(lambda: pipe(tar_out, ["zstd", "-T0", "-3", "-q", "-o", str(zst)]))
            c_gz = timed(lambda: pipe(tar_out, ["gzip", "-6"], out=gz))
            t_zst, t_gz, t_pigz = targets.fresh(), targets.fresh(), targets.fresh()
            os.sync()
            r_zst = timed(lambda: open_backend(f"tar:{zst}").restore(t_zst, events.append, threading.Event()))
            os.sync()
            r_gz = timed(lambda: pipe(["gzip", "-dc", str(gz)], ["tar", "-x", "-C", str(t_gz), *FIDELITY_TAR]))
            os.sync()
            r_pigz = timed(lambda: open_backend(f"tar:{gz}").restore(t_pigz, events.append, threading.Event()))
            targets.clear()
            print(f"{'compression':<34}{'create':>9}{'size':>12}{'restore':>10}")
            print(f"{'zstd -T0 -3 (ours)':<34}{c_zst:>8.1f}s{human_size(zst.stat().st_size):>12}{r_zst:>9.1f}s")
            print(f"{'gzip -6, single thread (ReaR)':<34}{c_gz:>8.1f}s{human_size(gz.stat().st_size):>12}{r_gz:>9.1f}s")
            print(f"{'same .tar.gz restored by ours (pigz)':<34}{'':>9}{'':>12}{r_pigz:>9.1f}s")
            print(f"zstd vs gzip: create {c_gz / c_zst:.1f}x faster, restore {r_gz / r_zst:.1f}x faster")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
