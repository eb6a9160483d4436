"""Over HTTP a recovery reads its archive once: preflight reads its first member, manifest and checksum files,
and the restore checks every member on its way to GNU tar (``restore.tar_gate``).

The adversarial cases serve archives crafted to write outside the target: the restore must stop at the member
that would, before GNU tar sees it, and leave everything outside exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import CheckStatus, PreflightReport
from rescue_tui.restore.progress import no_progress
from rescue_tui.restore.tar import HEAD_BYTES

from .conftest import SourceTree
from .helpers import error_lines, run_cli
from .test_crafted_archives import CRAFTED, crafted_archive, snapshot, tar_of
from .tls import WebServer
from .tree import differences, manifest

pytestmark = pytest.mark.root


def statuses(report: PreflightReport) -> dict[str, CheckStatus]:
    return {c.name: c.status for c in report.checks}


def detail(report: PreflightReport, name: str) -> str:
    return next(c.detail for c in report.checks if c.name == name)


def our_backup(source: Path, www: Path, name: str = "host.tar.zst") -> Path:
    """``rescue-tui backup`` into the server's directory: archive, .sha256, .files.jsonl, .manifest.json."""
    archive = www / name
    made = run_cli("backup", "--backend", f"tar:{archive}", "--source", str(source))
    assert made.returncode == 0, made.stderr
    return archive


@pytest.fixture
def big_tree(source_tree: SourceTree, tmp_path: Path) -> Path:
    """The special-file tree and 8 MiB that do not compress: a second read of the archive would show."""
    tree = tmp_path / "big"
    subprocess.run(["cp", "-a", str(source_tree.path), str(tree)], check=True)
    (tree / "random.bin").write_bytes(os.urandom(8 << 20))
    return tree


def test_a_recovery_over_http_downloads_its_archive_once(big_tree: Path, target: Path, http_server: WebServer) -> None:
    archive = our_backup(big_tree, http_server.root)
    size = archive.stat().st_size
    spec = "tar+" + http_server.url(archive.name)
    with tempfile.TemporaryDirectory() as stand_in:  # as recover.preflight.check_backup does, before apply
        before_apply = open_backend(spec).preflight(Path(stand_in), no_progress)
    assert before_apply.ok, before_apply.failures

    backend = open_backend(spec)
    report = backend.preflight(target, no_progress)
    assert report.ok, report.failures
    got = statuses(report)
    assert got["readable"] == got["intact"] == got["fits"] == CheckStatus.OK, report.checks
    assert got["safe"] == got["integrity"] == CheckStatus.SKIPPED, report.checks
    assert report.estimated_bytes is not None and report.estimated_bytes >= 8 << 20
    backend.restore(target, no_progress, threading.Event())
    verified = backend.verify(target, no_progress, threading.Event())
    assert verified.ok, verified.mismatches
    assert differences(manifest(big_tree), manifest(target)) == []

    sent = http_server.bytes_sent(archive.name)
    assert size <= sent <= size + 2 * HEAD_BYTES, f"{sent} bytes sent for an archive of {size}"


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_archive_over_http_stops_the_restore_before_the_member_that_escapes(
    case: str, tmp_path: Path, target: Path, outside: Path, http_server: WebServer
) -> None:
    archive = crafted_archive(tmp_path, CRAFTED[case], outside)
    shutil.move(archive, http_server.root / archive.name)
    before = snapshot(outside)
    spec = "tar+" + http_server.url(archive.name)
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "would land outside the target" in errors[0], errors
    assert snapshot(outside) == before
    assert (target / "etc" / "hostname").read_text() == "looks innocent\n", "the member before it was restored"
    written = {str(p.relative_to(target)) for p in target.rglob("*")}
    assert written <= {"etc", "etc/hostname", "escape", "up", "a", "b"}, "GNU tar saw the member that escapes"


def test_a_compressed_archive_over_http_is_stopped_the_same_way(
    tmp_path: Path, target: Path, outside: Path, http_server: WebServer
) -> None:
    plain = crafted_archive(tmp_path, CRAFTED["symlink to outside then write through it"], outside)
    subprocess.run(["zstd", "-q", str(plain), "-o", str(http_server.root / "crafted.tar.zst")], check=True)
    backend = open_backend("tar+" + http_server.url("crafted.tar.zst"))
    assert backend.preflight(target, no_progress).ok
    with pytest.raises(BackendError, match=r"escape/through-symlink.*goes through the symlink 'escape'"):
        backend.restore(target, no_progress, threading.Event())
    assert (target / "escape").is_symlink() and list(outside.iterdir()) == [outside / "victim"]


def test_a_symlink_on_the_target_leading_out_stops_the_member_going_through_it(
    target: Path, outside: Path, http_server: WebServer
) -> None:
    (http_server.root / "host.tar").write_bytes(tar_of({"etc/motd": b"hi\n", "escape/through": b"pwned\n"}))
    (target / "escape").symlink_to(outside)
    backend = open_backend("tar+" + http_server.url("host.tar"))
    assert backend.preflight(target, no_progress).ok
    with pytest.raises(BackendError, match="a symlink already on the target"):
        backend.restore(target, no_progress, threading.Event())
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]


def test_a_member_after_a_header_python_cannot_read_is_not_restored_and_the_restore_fails(
    target: Path, http_server: WebServer
) -> None:
    """GNU tar skips a corrupt header and extracts what follows; nothing after it was checked, so nothing after
    it may reach GNU tar, and the restore must not pass as whole."""
    first = tar_of({"etc/motd": b"hi\n"})[: -2 * 512]  # without its end-of-archive blocks
    first = first[: len(first) - len(first) % 512] if len(first) % 512 else first
    garbage = b"\x01" * 512
    hidden = tar_of({"etc/hidden": b"unchecked\n"})
    (http_server.root / "host.tar").write_bytes(first + garbage + hidden)
    backend = open_backend("tar+" + http_server.url("host.tar"))
    assert backend.preflight(target, no_progress).ok
    with pytest.raises(BackendError, match="bytes follow the end of the archive after member 1"):
        backend.restore(target, no_progress, threading.Event())
    assert (target / "etc" / "motd").exists() and not (target / "etc" / "hidden").exists()


def test_a_file_the_checksum_list_names_but_the_archive_lacks_fails_the_restore(
    source_tree: SourceTree, target: Path, http_server: WebServer
) -> None:
    archive = our_backup(source_tree.path, http_server.root)
    listing = Path(f"{archive}.files.jsonl")
    listing.write_text(listing.read_text() + '{"path": "etc/lost", "sha256": "' + "0" * 64 + '", "size": 1}\n')
    Path(f"{archive}.manifest.json").unlink()  # it would name the list's old checksum: preflight refuses that
    backend = open_backend("tar+" + http_server.url(archive.name))
    report = backend.preflight(target, no_progress)
    assert report.ok and statuses(report)["intact"] == CheckStatus.WARN, report.checks
    with pytest.raises(BackendError, match=r"not complete: 1 file.*first etc/lost"):
        backend.restore(target, no_progress, threading.Event())


def test_bytes_that_are_not_the_checksummed_archive_fail_the_restore(target: Path, http_server: WebServer) -> None:
    archive = http_server.root / "host.tar"
    clean = tar_of({"etc/hostname": b"host\n", "etc/motd": b"hello\n"})
    archive.write_bytes(clean)
    digest = subprocess.run(["sha256sum", str(archive)], capture_output=True, text=True, check=True).stdout
    Path(f"{archive}.sha256").write_text(digest.split()[0] + "  host.tar\n")
    swapped = tar_of({"etc/hostname": b"host\n", "etc/motd": b"hellO\n"})
    assert len(swapped) == len(clean)
    archive.write_bytes(swapped)  # a corrupting proxy, or an archive changed behind its checksum
    backend = open_backend("tar+" + http_server.url("host.tar"))
    assert backend.preflight(target, no_progress).ok
    with pytest.raises(BackendError, match="changed on the server or in transit: do not trust the restored files"):
        backend.restore(target, no_progress, threading.Event())


def test_without_a_sha256_file_the_manifests_digest_is_the_one_the_restore_checks(
    source_tree: SourceTree, target: Path, http_server: WebServer
) -> None:
    archive = our_backup(source_tree.path, http_server.root)
    Path(f"{archive}.sha256").unlink()
    data = bytearray(archive.read_bytes())
    data[-8] ^= 0xFF  # the same length: the manifest's length check passes, the digest must not
    archive.write_bytes(bytes(data))
    backend = open_backend("tar+" + http_server.url(archive.name))
    report = backend.preflight(target, no_progress)
    assert report.ok and ".manifest.json): checked as the restore reads" in detail(report, "integrity"), report.checks
    with pytest.raises(BackendError, match="changed on the server or in transit: do not trust the restored files"):
        backend.restore(target, no_progress, threading.Event())


def test_a_partial_upload_fails_preflight_against_its_manifest_and_nothing_is_written(
    source_tree: SourceTree, target: Path, http_server: WebServer
) -> None:
    archive = our_backup(source_tree.path, http_server.root)
    with archive.open("r+b") as f:
        f.truncate(archive.stat().st_size // 2)
    result = run_cli("restore", "--backend", "tar+" + http_server.url(archive.name), "--target", str(target), "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "intact" in errors[0] and "the manifest says" in errors[0], errors
    assert os.listdir(target) == []
    assert http_server.bytes_sent(archive.name) <= HEAD_BYTES


def test_something_that_is_not_a_tar_archive_fails_preflight_as_unreadable(
    target: Path, http_server: WebServer
) -> None:
    (http_server.root / "host.tar.zst").write_bytes(b"<html>the login page of a proxy</html>\n")
    report = open_backend("tar+" + http_server.url("host.tar.zst")).preflight(target, no_progress)
    assert statuses(report)["readable"] == CheckStatus.FAIL, report.checks
    assert "not a readable tar archive" in detail(report, "readable")
    assert os.listdir(target) == []
