"""A recovery reads a local archive once before restore: its restore reuses the check made before apply while the
file is unchanged, and reads it again (refusing what it must) when the file or the target changed. Over HTTP the
archive is read once, by the restore itself: ``test_tar_streamed``."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest

from rescue_tui.restore import tar_scan
from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import CheckStatus, Phase, PreflightReport, ProgressEvent

from .conftest import SourceTree
from .test_crafted_archives import tar_of
from .test_tar_backend import gnu_tar_backup
from .tree import differences, manifest

pytestmark = pytest.mark.root

REUSED = "; read before, unchanged since"


def check_before_apply(spec: str) -> PreflightReport:
    """As ``recover.preflight.check_backup`` does: the preflight on an empty stand-in for the target."""
    with tempfile.TemporaryDirectory() as stand_in:
        return open_backend(spec).preflight(Path(stand_in), lambda event: None)


def preflight(spec: str, target: Path) -> tuple[PreflightReport, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    return open_backend(spec).preflight(target, events.append), events


def detail(report: PreflightReport, name: str) -> tuple[CheckStatus, str]:
    check = next(c for c in report.checks if c.name == name)
    return check.status, check.detail


@pytest.fixture(autouse=True)
def nothing_kept() -> None:
    tar_scan.forget()


def test_the_restore_after_a_check_does_not_read_an_unchanged_archive_again(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "host.tar.zst"
    gnu_tar_backup(source_tree.path, archive)
    spec = f"tar:{archive}"
    first = check_before_apply(spec)
    assert first.ok, first.failures

    report, events = preflight(spec, target)
    assert report.ok, report.failures
    assert not [e for e in events if e.phase == Phase.PREFLIGHT], "the archive was read again"
    assert detail(report, "lists")[1] == detail(first, "lists")[1] + REUSED
    assert detail(report, "integrity") == detail(first, "integrity")
    assert detail(report, "fits")[0] == CheckStatus.OK and str(target) in detail(report, "fits")[1]
    assert report.estimated_files == first.estimated_files and report.estimated_bytes == first.estimated_bytes

    backend = open_backend(spec)
    assert backend.preflight(target, lambda e: None).ok
    backend.restore(target, lambda e: None, threading.Event())
    assert backend.verify(target, lambda e: None, threading.Event()).ok
    assert differences(source_tree.manifest, manifest(target)) == []


@pytest.mark.parametrize("how", ["written in place", "replaced by rename"])
def test_an_archive_swapped_for_a_crafted_one_after_its_check_is_read_again_and_refused(
    how: str, target: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "host.tar"
    clean = tar_of({"etc/hostname": b"host\n", "etc/motd": b"hello\n"})
    archive.write_bytes(clean)
    assert check_before_apply(f"tar:{archive}").ok

    crafted = tar_of({"etc/hostname": b"host\n", "../outside/motd": b"pwned\n"})
    if how == "written in place":  # the same inode
        with archive.open("r+b") as f:
            f.write(crafted)
            f.truncate()
    else:
        (tmp_path / "new.tar").write_bytes(crafted)
        (tmp_path / "new.tar").replace(archive)
    report, events = preflight(f"tar:{archive}", target)
    assert [e for e in events if e.phase == Phase.PREFLIGHT], "the changed archive was not read again"
    status, said = detail(report, "safe")
    assert status == CheckStatus.FAIL and "'..' component" in said, said
    assert not report.ok
    assert list(target.iterdir()) == []


def test_a_target_holding_a_symlink_out_of_it_gets_the_archive_read_again(target: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "host.tar"
    archive.write_bytes(tar_of({"escape/written-through": b"pwned\n"}))
    assert check_before_apply(f"tar:{archive}").ok  # on an empty stand-in nothing leads out

    (target / "escape").symlink_to(outside)
    report, events = preflight(f"tar:{archive}", target)
    assert [e for e in events if e.phase == Phase.PREFLIGHT], "the archive was not read against this target"
    assert detail(report, "safe")[0] == CheckStatus.FAIL, report.checks
    assert list(outside.iterdir()) == []
