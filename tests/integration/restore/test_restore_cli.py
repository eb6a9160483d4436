"""The restore and backup commands as an operator meets them: bad input is one line, exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rescue_tui.restore.nfs import mount_point
from rescue_tui.restore.spec import parse_spec

from .helpers import error_lines, run_cli

BAD_SPECS = {
    "": "backend spec is empty",
    "/srv/backup.tar": "missing a scheme",
    "zip:/srv/backup.zip": "unknown backend 'zip'",
    "tar:backup.tar": "must be absolute",
    "tar://srv/backup.tar": "one slash",
    "tar+http://10.0.0.5:99999/b.tar.gz": "port",
    "tar+http://bob:secret@10.0.0.5/b.tar.gz": "credentials in the URL",
    "rsync+ssh://host": "missing the path",
    "rsync+ssh://bob:pw@host/srv": "password in the spec",
    "restic:/repo#not-a-snapshot!": "snapshot",
    "restic+s3:https://s3.example": "bucket",
    "borg:/repo::": "empty archive",
    "borg+ssh://bad host/repo": "not valid",
    "tar+nfs://nas/backups/../../etc/x.tar": "'..' part",
    "tar+nfs://nas": "missing the path on the server",
    "rsync+nfs://bob@nas/srv/": "has no user",
}


@pytest.mark.parametrize(("spec", "problem"), sorted(BAD_SPECS.items()))
def test_a_bad_spec_is_one_line_exit_2_and_writes_nothing(spec: str, problem: str, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and problem in lines[0], lines
    assert os.listdir(target) == []
    if ":secret@" in spec or ":pw@" in spec:
        assert ":secret@" not in result.stderr and ":pw@" not in result.stderr


def test_a_bad_spec_for_backup_is_refused_the_same_way(tmp_path: Path) -> None:
    result = run_cli("backup", "--backend", "tar:relative.tar.gz", "--source", str(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1


def test_a_backup_to_nfs_is_refused_the_same_way_nfs_is_mounted_read_only(tmp_path: Path) -> None:
    result = run_cli("backup", "--backend", "tar+nfs://nas/backups/host1.tar.zst", "--source", str(tmp_path))
    assert result.returncode == 2
    assert error_lines(result.stderr)[0].endswith("NFS is mounted read-only, for restores")


def test_an_nfs_server_that_cannot_be_mounted_is_one_line_naming_it_and_leaves_nothing(tmp_path: Path) -> None:
    """Here the host's kernel has no NFS client; in the rescue image the server refuses (test_console_drill)."""
    target = tmp_path / "target"
    target.mkdir()
    spec = "tar+nfs://127.0.0.1:9/backups/host1.tar.zst"
    before = Path("/proc/self/mountinfo").read_text()
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--dry-run")
    assert result.returncode == 1, result.stderr
    (line,) = [line for line in error_lines(result.stderr) if "NFS" in line]
    assert f"NFS: cannot mount 127.0.0.1:/backups from {spec}: " in line, result.stderr
    assert "Traceback" not in result.stderr
    assert Path("/proc/self/mountinfo").read_text() == before
    assert not mount_point(parse_spec(spec)).exists()
    assert os.listdir(target) == []


def test_an_unattended_restore_without_yes_is_refused_before_anything_runs(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    result = run_cli("restore", "--backend", f"tar:{tmp_path}/missing.tar.zst", "--target", str(target))
    assert result.returncode == 2
    assert error_lines(result.stderr) == ["rescue-tui: unattended restore needs --yes (nothing was written)"]


def test_restoring_into_the_running_root_is_refused(tmp_path: Path) -> None:
    result = run_cli("restore", "--backend", f"tar:{tmp_path}/b.tar", "--target", "/", "--yes")
    assert result.returncode == 2
    assert "must not be /" in result.stderr


def test_a_missing_target_is_refused_with_a_hint_to_mount_it(tmp_path: Path) -> None:
    result = run_cli("restore", "--backend", f"tar:{tmp_path}/b.tar", "--target", str(tmp_path / "nope"), "--yes")
    assert result.returncode == 2
    assert "is not a directory" in result.stderr and "mount the target" in result.stderr


def test_a_missing_archive_fails_preflight_as_unreachable(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    result = run_cli("restore", "--backend", f"tar:{tmp_path}/gone.tar.zst", "--target", str(target), "--yes")
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        f"rescue-tui: preflight: reachable: {tmp_path}/gone.tar.zst: No such file or directory"
    ]


def test_dry_run_checks_everything_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "file").write_text("data")
    archive = tmp_path / "b.tar.zst"
    subprocess.run(["tar", "--zstd", "-cf", str(archive), "-C", str(source), "."], check=True)
    target = tmp_path / "target"
    target.mkdir()
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: preflight passed" in result.stdout
    assert "WARN  integrity" in result.stdout  # an archive not made by us has no .sha256 beside it
    assert os.listdir(target) == []


def test_backends_lists_every_scheme_with_its_syntax() -> None:
    result = run_cli("backends")
    assert result.returncode == 0
    for scheme in ("tar", "tar+http", "rsync+ssh", "restic+sftp", "restic+rest", "restic+s3", "borg+ssh"):
        assert f"\n  {scheme} " in result.stdout
    assert "--password-file" in result.stdout


def test_backup_with_layout_out_captures_the_layout_or_says_clearly_why_not(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("x")
    layout = tmp_path / "layout.json"
    result = run_cli("backup", "--backend", f"tar:{tmp_path}/b.tar.gz", "--source", str(source),
                     "--layout-out", str(layout))  # fmt: skip
    if "layout capture skipped" in result.stderr:
        assert result.returncode == 0
        assert "capture_system is not available" in result.stderr
        assert not layout.exists()
    else:  # the capture stage exists: it either captured this machine or explained why it could not
        assert (result.returncode == 0 and layout.exists()) or error_lines(result.stderr)


def test_a_secret_field_given_on_the_command_line_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    result = run_cli("restore", "--backend", "tar+http://127.0.0.1:9/b.tar.gz", "--target", str(target), "--yes",
                     "--set", "http_password=hunter2")  # fmt: skip
    assert result.returncode == 2
    assert "secret fields are not taken from the command line" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
