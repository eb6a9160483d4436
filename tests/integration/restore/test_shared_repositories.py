"""A repository shared by several machines: "the newest" is this host's, chosen once and restored by id.

restic's ``latest`` and borg's newest archive used to ignore the host, and restic resolved
``latest`` again at restore time: a snapshot made after preflight (or another machine's) could
be restored instead of the one preflight checked.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import CheckStatus, Credentials
from rescue_tui.restore.progress import no_progress

pytestmark = pytest.mark.root

PASSWORD = "shared repository password"


def _tree(root: Path, marker: str) -> Path:
    root.mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text(marker + "\n")
    return root


@pytest.fixture
def restic_shared(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    os.chmod(password, 0o600)
    repo = tmp_path / "repo"
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(password), "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    for host, marker in (("web01", "web01 old"), ("web01", "web01 new"), ("db01", "db01 newest of all")):
        source = _tree(tmp_path / "src" / marker.replace(" ", "-"), marker)
        subprocess.run(["restic", "backup", "-q", "--host", host, "."], env=env, cwd=source, check=True)
    return repo, password, env


def _restored(target: Path) -> str:
    return (target / "etc" / "hostname").read_text().strip()


def test_restic_without_a_host_refuses_a_repository_of_several_hosts(
    restic_shared: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, password, _ = restic_shared
    target = tmp_path / "target"
    target.mkdir()
    report = open_backend(f"restic:{repo}", Credentials(password_file=password)).preflight(target, no_progress)
    lists = next(c for c in report.checks if c.name == "lists")
    assert lists.status is CheckStatus.FAIL and "2 hosts (db01, web01)" in lists.detail, lists


def test_restic_restores_the_snapshot_preflight_chose_even_when_a_newer_one_appears(
    restic_shared: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, password, env = restic_shared
    target = tmp_path / "target"
    target.mkdir()
    backend = open_backend(f"restic:{repo}", Credentials(password_file=password, options={"host": "web01"}))
    report = backend.preflight(target, no_progress)
    assert not report.failures, report.checks
    # Between preflight and restore, the machine's cron makes another backup.
    later = _tree(tmp_path / "src" / "later", "web01 after preflight")
    subprocess.run(["restic", "backup", "-q", "--host", "web01", "."], env=env, cwd=later, check=True)
    backend.restore(target, no_progress, threading.Event())
    assert _restored(target) == "web01 new"


@pytest.fixture
def borg_shared(tmp_path: Path) -> tuple[Path, Path]:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSWORD)
    os.chmod(passphrase, 0o600)
    repo = tmp_path / "borg"
    env = {**os.environ, "BORG_PASSCOMMAND": f"cat {passphrase}", "BORG_BASE_DIR": str(tmp_path / "borg-base")}
    subprocess.run(["borg", "init", "--encryption=repokey", str(repo)], env=env, check=True)
    for index, (host, marker) in enumerate((("web01", "web01 old"), ("web01", "web01 new"), ("db01", "db01 newest"))):
        source = _tree(tmp_path / "src" / f"b{index}", marker)
        # borg records the host it runs on: each archive is made in a UTS namespace of that name
        subprocess.run(["unshare", "--uts", "sh", "-c", f'hostname {host} && borg create "$0::a{index}" .', repo],
                       env=env, cwd=source, check=True)  # fmt: skip
    return repo, passphrase


def test_borg_takes_this_hosts_newest_archive_and_refuses_to_guess_among_hosts(
    borg_shared: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, passphrase = borg_shared
    target = tmp_path / "target"
    target.mkdir()
    guess = open_backend(f"borg:{repo}", Credentials(password_file=passphrase)).preflight(target, no_progress)
    assert guess.failures and "2 hosts (db01, web01)" in guess.failures[0].detail, guess.checks
    backend = open_backend(f"borg:{repo}", Credentials(password_file=passphrase, options={"host": "web01"}))
    report = backend.preflight(target, no_progress)
    assert not report.failures, report.checks
    backend.restore(target, no_progress, threading.Event())
    assert _restored(target) == "web01 new"
