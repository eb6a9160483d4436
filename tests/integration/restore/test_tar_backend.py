"""tar backend against GNU tar and curl: archives made by the real tool, restored through ours."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rescue_tui.errors import CancelledError
from rescue_tui.remote import fetch
from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import CheckStatus, ProgressEvent
from rescue_tui.restore.progress import no_progress

from .conftest import SourceTree
from .helpers import error_lines, run_cli
from .tls import WebServer
from .tree import differences, manifest

pytestmark = pytest.mark.root

COMPRESS = {"tar": [], "tar.gz": ["--gzip"], "tar.zst": ["--zstd"], "tar.xz": ["--xz"], "tar.bz2": ["--bzip2"]}


def gnu_tar_backup(source: Path, archive: Path) -> None:
    """What an operator would type: GNU tar with its own fidelity flags."""
    suffix = archive.name.split(".", 1)[1]
    subprocess.run(
        ["tar", "--create", "--format=posix", "--sparse", "--numeric-owner", "--xattrs", "--xattrs-include=*",
         "--acls", "--selinux", *COMPRESS[suffix], f"--file={archive}", f"--directory={source}", "."],
        check=True,
    )  # fmt: skip


def restore_and_verify(spec: str, target: Path) -> list[ProgressEvent]:
    events: list[ProgressEvent] = []
    backend = open_backend(spec)
    report = backend.preflight(target, events.append)
    assert report.ok, report.failures
    backend.restore(target, events.append, threading.Event())
    verified = backend.verify(target, events.append, threading.Event())
    assert verified.ok, verified.mismatches
    return events


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
def test_an_archive_made_by_gnu_tar_restores_every_special_file_faithfully(
    suffix: str, source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / f"backup.{suffix}"
    gnu_tar_backup(source_tree.path, archive)
    events = restore_and_verify(f"tar:{archive}", target)
    assert differences(source_tree.manifest, manifest(target)) == []
    restore_events = [e for e in events if e.phase.value == "restore"]
    assert restore_events[-1].final and restore_events[-1].files_done == len(source_tree.manifest) + 1


def test_an_archive_served_over_http_streams_through_curl_and_verifies(
    source_tree: SourceTree, target: Path, http_server: WebServer
) -> None:
    gnu_tar_backup(source_tree.path, http_server.root / "host.tar.zst")
    events = restore_and_verify("tar+" + http_server.url("host.tar.zst"), target)
    assert differences(source_tree.manifest, manifest(target)) == []
    assert any(e.bytes_total for e in events)


def test_our_backup_command_writes_checksums_and_a_manifest_that_restore_then_verifies(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "out" / "host.tar.zst"
    archive.parent.mkdir()
    made = run_cli("backup", "--backend", f"tar:{archive}", "--source", str(source_tree.path))
    assert made.returncode == 0, made.stderr
    manifest_file = Path(str(archive) + ".manifest.json")
    data = json.loads(manifest_file.read_text())
    assert data["archive"]["sha256"] == Path(str(archive) + ".sha256").read_text().split()[0]
    assert data["tools"]["tar"].startswith("tar (GNU tar)")
    assert data["files"] == sum(1 for e in source_tree.manifest.values() if "sha256" in e and not e["hardlinks"]) + 1
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    restored = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "verified (checksum manifest)" in restored.stdout
    assert differences(source_tree.manifest, manifest(target)) == []


def test_backup_leaves_out_its_own_archive_when_it_is_written_inside_the_source(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "keep").mkdir(parents=True)
    (source / "keep" / "file").write_text("x")
    archive = source / "host.tar.gz"
    made = run_cli("backup", "--backend", f"tar:{archive}", "--source", str(source))
    assert made.returncode == 0, made.stderr
    names = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True).stdout
    assert "./keep/file" in names
    assert "host.tar" not in names


def test_preflight_fails_when_the_archive_does_not_match_its_checksum(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar.gz"
    gnu_tar_backup(source_tree.path, archive)
    Path(str(archive) + ".sha256").write_text("0" * 64 + "  backup.tar.gz\n")
    report = open_backend(f"tar:{archive}").preflight(target, no_progress)
    assert {c.name: c.status for c in report.checks}["integrity"] is CheckStatus.FAIL
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 1
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "integrity" in errors[0]
    assert os.listdir(target) == []


def test_an_archive_without_a_file_its_checksum_list_names_fails_preflight_without_writing_anything(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "out" / "host.tar"
    archive.parent.mkdir()
    assert run_cli("backup", "--backend", f"tar:{archive}", "--source", str(source_tree.path)).returncode == 0
    listed = [json.loads(line)["path"] for line in Path(f"{archive}.files.jsonl").read_text().splitlines()]
    lost = sorted(listed)[0]
    archive.unlink()  # made again without that file (GNU tar's --delete aborts on sparse members)
    subprocess.run(
        ["tar", "--create", "--format=posix", "--sparse", "--numeric-owner", f"--exclude=./{lost}",
         f"--file={archive}", f"--directory={source_tree.path}", "."],
        check=True,
    )  # fmt: skip
    # a consistent set otherwise: the archive's checksum is made anew, so only the list tells
    digest = subprocess.run(["sha256sum", str(archive)], capture_output=True, text=True, check=True).stdout.split()[0]
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n")
    report = open_backend(f"tar:{archive}").preflight(target, no_progress)
    checks = {c.name: c for c in report.checks}
    assert checks["integrity"].status is CheckStatus.OK
    assert checks["complete"].status is CheckStatus.FAIL and checks["complete"].detail.endswith(f", first {lost}")
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 1
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "complete" in errors[0] and lost in errors[0], result.stderr
    assert os.listdir(target) == []


def test_a_truncated_archive_fails_preflight_without_writing_anything(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar.zst"
    gnu_tar_backup(source_tree.path, archive)
    with open(archive, "r+b") as f:
        f.truncate(archive.stat().st_size // 2)
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 1
    assert "preflight: lists" in result.stderr
    assert os.listdir(target) == []


def test_cancel_stops_every_process_of_the_pipeline(source_tree: SourceTree, target: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    gnu_tar_backup(source_tree.path, archive)
    fifo = tmp_path / "slow.tar.gz"
    os.mkfifo(fifo)
    cancel, finished = threading.Event(), threading.Event()

    def slow_writer() -> None:  # half the archive, then nothing until cancelled: the restore stays busy
        with open(fifo, "wb") as out:
            data = archive.read_bytes()
            out.write(data[: len(data) // 2])
            out.flush()
            finished.wait(30)

    writer = threading.Thread(target=slow_writer, daemon=True)
    writer.start()
    seen: list[int] = []

    def progress(event: ProgressEvent) -> None:
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if f"--directory={target}".encode() in cmd or cmd.startswith(
                (b"/usr/bin/pigz\x00-d", b"/usr/bin/gzip\x00-d")
            ):
                seen.append(int(entry))
        if len(seen) >= 2:
            cancel.set()

    start = time.monotonic()
    with pytest.raises(CancelledError):
        open_backend(f"tar:{fifo}").restore(target, progress, cancel)
    finished.set()
    assert time.monotonic() - start < 15
    assert len(seen) >= 2, "the decompressor and tar were not both seen running"
    for pid in seen:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} survived the cancel"
    writer.join(5)


def _ours(target: Path) -> list[int]:
    """Processes of a restore into ``target``: curl, the decompressor, tar (children of this process: a zstd or
    curl of something else on the machine is not ours)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent != os.getpid():
            continue
        if f"--directory={target}".encode() in cmd or cmd.startswith((b"/usr/bin/zstd\x00-d", b"/usr/bin/curl\x00")):
            found.append(int(entry))
    return found


@pytest.fixture
def stalling_server(tmp_path: Path) -> Iterator[tuple[str, Path, threading.Event]]:
    """An HTTP server that sends half of ``archive`` then nothing until released (a link that died)."""
    archive = tmp_path / "host.tar.zst"
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def _headers(self) -> bytes:
            data = archive.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return data

        def do_HEAD(self) -> None:
            self._headers()

        def do_GET(self) -> None:
            data = self._headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            release.wait(30)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tar+http://127.0.0.1:{server.server_address[1]}/host.tar.zst", archive, release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_cancel_over_http_stops_curl_and_the_pipeline(
    source_tree: SourceTree, target: Path, stalling_server: tuple[str, Path, threading.Event]
) -> None:
    spec, archive, release = stalling_server
    gnu_tar_backup(source_tree.path, archive)
    cancel = threading.Event()
    seen: set[int] = set()

    def watch() -> None:  # cancel once curl, zstd and tar all run (the server then holds the rest back)
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            seen.update(_ours(target))
            time.sleep(0.1)
        time.sleep(0.5)
        cancel.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.monotonic()
    with pytest.raises(CancelledError):
        open_backend(spec).restore(target, no_progress, cancel)
    release.set()
    assert time.monotonic() - start < 15
    assert len(seen) >= 3, f"curl, zstd and tar were not all seen running: {seen}"
    for pid in seen:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} survived the cancel"


def test_restore_tree_runs_preflight_restore_and_verify_in_one_call(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    from rescue_tui.restore.flow import restore_tree

    archive = tmp_path / "backup.tar.xz"
    gnu_tar_backup(source_tree.path, archive)
    events: list[ProgressEvent] = []
    outcome = restore_tree(f"tar:{archive}", target, progress=events.append, cancel=threading.Event())
    assert outcome.preflight.ok and outcome.verify is not None and outcome.verify.method == "tar --compare"
    assert {e.phase.value for e in events} == {"preflight", "restore", "verify"}
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_download_that_stalls_is_given_up_with_curls_reason(
    source_tree: SourceTree,
    target: Path,
    stalling_server: tuple[str, Path, threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Half the archive, then nothing: the restore ends with curl's reason, not when TCP gives up."""
    spec, archive, _ = stalling_server
    gnu_tar_backup(source_tree.path, archive)
    monkeypatch.setattr(fetch, "STALL_SECONDS", 2)  # 120 s for operators; the same setting
    start = time.monotonic()
    with pytest.raises(BackendError, match=r"curl: \(28\)"):
        open_backend(spec).restore(target, no_progress, threading.Event())
    assert time.monotonic() - start < 15
    assert _ours(target) == []
