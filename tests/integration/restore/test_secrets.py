"""A canary secret never shows: not in any tool's command line or environment, logs, output, or left on disk."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from rescue_tui.restore.access import SECRETS_ENV
from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import Credentials, Secret
from rescue_tui.restore.progress import no_progress
from tests.conftest import ROOT

from .conftest import SourceTree
from .helpers import error_lines
from .tls import WebServer

pytestmark = pytest.mark.root

CANARY = "canary-7f3a9e-do-not-leak"


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


class Watch:
    """Runs the CLI and, while it runs, reads every descendant's cmdline and environment."""

    def __init__(self, *args: str, env: dict[str, str], shims: Path | None = None) -> None:
        self.seen_cmdlines: list[str] = []
        path = f"{shims}:{os.environ['PATH']}" if shims else os.environ["PATH"]
        self.leaks: list[str] = []
        # The secret files' directories go to a directory of this run's own, not /dev/shm, where another
        # test run on this machine would make and remove its own.
        secrets = Path(tempfile.mkdtemp(prefix="secrets-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
        argv = [sys.executable, "-m", "tests.unit.restore.cli_entry", "--debug", *args]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PATH": path, SECRETS_ENV: str(secrets), **env},
        )  # fmt: skip
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.extend(proc.communicate(timeout=600)), daemon=True)
        reader.start()
        # What the kernel will show as the CLI's command line, built from argv rather than read back: Popen
        # returns once the exec has begun, and /proc/PID/cmdline reads empty until the new image has set it up.
        own_cmdline = b"".join(arg.encode() + b"\0" for arg in argv)
        if CANARY.encode() in own_cmdline:
            self.leaks.append("rescue-tui's own command line")
        while proc.poll() is None:
            for pid in descendants(proc.pid):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                    again = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if again != cmdline:
                    continue  # it exec'd between the reads: environ may be the old image's; read it next round
                if own_cmdline.startswith(cmdline) and cmdline:
                    continue  # forked, not yet exec'd: still rescue-tui's own memory, where the operator put it
                self.seen_cmdlines.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
                for part, data in (("cmdline", cmdline), ("environ", environ)):
                    if CANARY.encode() in data:
                        self.leaks.append(f"{part} of {cmdline[:60]!r}")
            time.sleep(0.005)
        reader.join(30)
        self.returncode = proc.returncode
        self.stdout, self.stderr = out if out else ("", "")
        self.left_behind = sorted(os.listdir(secrets))
        shutil.rmtree(secrets, ignore_errors=True)


def make_shim(directory: Path, tool: str) -> Path:
    """A ``tool`` first on PATH that copies its own /proc cmdline and environ to a log, then execs the real one."""
    directory.mkdir(exist_ok=True)
    real = shutil.which(tool)
    assert real is not None
    log = directory / f"{tool}.log"
    shim = directory / tool
    shim.write_text(
        "#!/bin/sh\n"
        f"tr '\\0' ' ' < /proc/$$/cmdline >> {log}; echo >> {log}\n"
        f"tr '\\0' '\\n' < /proc/$$/environ >> {log}; echo ---- >> {log}\n"
        f'exec {real} "$@"\n'
    )
    shim.chmod(0o755)
    return log


def assert_no_leak(watch: Watch, tool: str, log: Path) -> None:
    assert watch.returncode == 0, watch.stderr
    runs = log.read_text()
    assert runs.count("----") >= 2, f"{tool} ran fewer than twice"
    assert CANARY not in runs, f"the canary reached {tool}'s command line or environment"
    assert watch.leaks == []
    assert CANARY not in watch.stdout
    assert CANARY not in watch.stderr
    assert "DEBUG" in watch.stderr  # the debug log was on, and it is clean too
    assert watch.left_behind == []


def test_a_restic_password_from_an_env_var_reaches_restic_only_through_a_0600_file(
    source_tree: SourceTree, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    pw = tmp_path / "pw"
    pw.write_text(CANARY)
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(pw), "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    subprocess.run(["restic", "backup", "-q", "."], env=env, cwd=source_tree.path, check=True)
    target = tmp_path / "target"
    target.mkdir()
    log = make_shim(tmp_path / "shims", "restic")
    watch = Watch("restore", "--backend", f"restic:{repo}", "--target", str(target), "--yes",
                  "--password-env", "MY_RESTIC_PW", env={"MY_RESTIC_PW": CANARY}, shims=log.parent)  # fmt: skip
    assert_no_leak(watch, "restic", log)


def test_a_borg_passphrase_reaches_borg_only_through_passcommand_reading_a_file(
    source_tree: SourceTree, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    env = {**os.environ, "BORG_PASSPHRASE": CANARY, "BORG_BASE_DIR": str(tmp_path / "base")}
    subprocess.run(["borg", "init", "-e", "repokey-blake2", str(repo)], env=env, check=True)
    subprocess.run(["borg", "create", f"{repo}::a", "."], env=env, cwd=source_tree.path, check=True)
    target = tmp_path / "target"
    target.mkdir()
    log = make_shim(tmp_path / "shims", "borg")
    watch = Watch("restore", "--backend", f"borg:{repo}::a", "--target", str(target), "--yes",
                  env={"RESCUE_TUI_PASSWORD": CANARY, "BORG_BASE_DIR": str(tmp_path / "base")},
                  shims=log.parent)  # fmt: skip
    assert_no_leak(watch, "borg", log)


def test_an_http_password_reaches_curl_only_through_its_config_file(
    source_tree: SourceTree, tmp_path: Path, http_server: WebServer
) -> None:
    subprocess.run(["tar", "--zstd", "-cf", str(http_server.root / "b.tar.zst"), "-C", str(source_tree.path), "."],
                   check=True)  # fmt: skip
    target = tmp_path / "target"
    target.mkdir()
    log = make_shim(tmp_path / "shims", "curl")
    watch = Watch("restore", "--backend", "tar+" + http_server.url("b.tar.zst"), "--target", str(target), "--yes",
                  "--set", "http_user=operator", env={"RESCUE_TUI_HTTP_PASSWORD": CANARY},
                  shims=log.parent)  # fmt: skip
    assert_no_leak(watch, "curl", log)


def test_a_wrong_password_error_and_the_debug_log_never_show_the_password(
    source_tree: SourceTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = tmp_path / "repo"
    pw = tmp_path / "pw"
    pw.write_text("the real one")
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(pw), "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    caplog.set_level(logging.DEBUG)
    backend = open_backend(f"restic:{repo}", Credentials(password=Secret(CANARY)))
    report = backend.preflight(tmp_path, no_progress)
    assert not report.ok
    assert CANARY not in caplog.text
    assert all(CANARY not in c.detail for c in report.checks)
    assert repr(Secret(CANARY)) == "<secret>" and CANARY not in repr(backend.credentials)


def test_a_password_file_readable_by_others_is_refused_before_any_tool_runs(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(CANARY)
    os.chmod(pw, 0o644)
    target = tmp_path / "target"
    target.mkdir()
    watch = Watch("restore", "--backend", f"restic:{tmp_path}/repo", "--target", str(target), "--yes",
                  "--password-file", str(pw), env={})  # fmt: skip
    assert watch.returncode == 2
    assert error_lines(watch.stderr)[0].endswith("is readable by others (mode 644)")
    assert CANARY not in watch.stdout + watch.stderr
