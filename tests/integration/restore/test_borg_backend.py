"""borg backend: an archive made by borg itself, restored from a local repository and over ssh."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import Credentials, ProgressEvent
from rescue_tui.restore.progress import no_progress

from .conftest import SourceTree, Sshd
from .helpers import error_lines, read_only_view, run_cli
from .tree import differences, manifest

pytestmark = pytest.mark.root

PASSPHRASE = "borg passphrase for the test"


@pytest.fixture(scope="module")
def borg_repo(source_tree: SourceTree, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An encrypted repository with archive ``host1`` made by ``borg create --numeric-ids . ``."""
    d = tmp_path_factory.mktemp("borg")
    passphrase_file = d / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    os.chmod(passphrase_file, 0o600)
    repo = d / "repo"
    env = {**os.environ, "BORG_PASSPHRASE": PASSPHRASE, "BORG_BASE_DIR": str(d / "base")}
    subprocess.run(["borg", "init", "--encryption", "repokey-blake2", str(repo)], env=env, check=True)
    subprocess.run(["borg", "create", "--numeric-ids", f"{repo}::host1", "."], env=env, cwd=source_tree.path,
                   check=True)  # fmt: skip
    return repo, passphrase_file


def test_a_local_borg_archive_restores_every_special_file_faithfully(
    source_tree: SourceTree, borg_repo: tuple[Path, Path], target: Path
) -> None:
    repo, passphrase_file = borg_repo
    result = run_cli("restore", "--backend", f"borg:{repo}::host1", "--target", str(target), "--yes",
                     "--password-file", str(passphrase_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verified (borg check --verify-data + tree compare)" in result.stdout
    assert differences(source_tree.manifest, manifest(target)) == []


def test_borg_over_ssh_restores_the_newest_archive_when_none_is_named(
    source_tree: SourceTree, borg_repo: tuple[Path, Path], target: Path, sshd: Sshd
) -> None:
    repo, passphrase_file = borg_repo
    spec = f"borg+ssh://{sshd.user}@127.0.0.1:{sshd.port}{repo}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                     "--password-file", str(passphrase_file), "--ssh-key", str(sshd.key),
                     "--known-hosts", str(sshd.known_hosts))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_wrong_passphrase_fails_preflight_as_credentials(borg_repo: tuple[Path, Path], target: Path) -> None:
    repo, _ = borg_repo
    result = run_cli("restore", "--backend", f"borg:{repo}::host1", "--target", str(target), "--yes",
                     env={"RESCUE_TUI_PASSWORD": "not-the-passphrase"})  # fmt: skip
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "preflight: credentials" in errors[0]
    assert "not-the-passphrase" not in result.stdout + result.stderr


def test_restore_reports_bytes_against_the_listed_total_and_counts_every_item(
    borg_repo: tuple[Path, Path], target: Path
) -> None:
    repo, passphrase_file = borg_repo
    events: list[ProgressEvent] = []
    backend = open_backend(f"borg:{repo}::host1", Credentials(password_file=passphrase_file))
    assert backend.preflight(target, no_progress).ok
    result = backend.restore(target, events.append, threading.Event())
    assert result.files and result.files > 20
    final = events[-1]
    assert final.final and final.bytes_total and final.bytes_done == final.bytes_total
    assert final.files_done == final.files_total == result.files


def test_our_borg_backup_with_init_then_restore_round_trips_the_tree(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    env = {"RESCUE_TUI_PASSWORD": PASSPHRASE, "BORG_BASE_DIR": str(tmp_path / "base")}
    made = run_cli("backup", "--backend", f"borg:{repo}::first", "--source", str(source_tree.path), "--init",
                   env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    restored = run_cli("restore", "--backend", f"borg:{repo}", "--target", str(target), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_repository_on_a_read_only_filesystem_restores_without_taking_its_lock(
    source_tree: SourceTree, borg_repo: tuple[Path, Path], target: Path, tmp_path: Path
) -> None:
    """As on an NFS share rescue-tui mounted read-only: borg would otherwise fail to write its lock. borg 1.2's
    check writes there too: it is reported skipped, and the tree is still compared with the listing."""
    repo, password_file = borg_repo
    with read_only_view(repo, tmp_path / "ro" / repo.name) as view:
        result = run_cli("restore", "--backend", f"borg:{view}::host1", "--target", str(target), "--yes",
                         "--password-file", str(password_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "borg check writes into the repository, which is read-only here" in result.stdout
    assert "verified (tree compare)" in result.stdout
    assert differences(source_tree.manifest, manifest(target)) == []
