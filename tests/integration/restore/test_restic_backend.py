"""restic backend: a snapshot made by restic itself, restored from a local repository, over sftp, from a
REST server and from an S3 server (Ceph's radosgw), over HTTP and HTTPS with the operator's CA."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import CheckStatus, Credentials, ProgressEvent, Secret
from rescue_tui.restore.progress import no_progress

from .conftest import SourceTree, Sshd
from .helpers import error_lines, free_port, read_only_view, run_cli, stop, wait_for_port
from .s3 import S3Server
from .tls import TestCa
from .tree import differences, manifest

pytestmark = pytest.mark.root

PASSWORD = "correct horse battery staple"
RESTIC_014_GAPS = frozenset({"sparse"})
"""restic 0.14 (Debian 12) writes sparse files in full; ``restore --sparse`` arrived in 0.15."""


def restores_faithfully(
    source_tree: SourceTree,
    spec: str,
    target: Path,
    password_file: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> None:
    """``rescue-tui restore`` of ``spec`` passes, verifies with restic check and the tree compare, and the tree is
    the source's."""
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                     "--password-file", str(password_file), *extra, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verified (restic check + tree compare)" in result.stdout
    assert differences(source_tree.manifest, manifest(target), ignore=RESTIC_014_GAPS) == []


@pytest.fixture(scope="module")
def restic_repo(source_tree: SourceTree, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A repository and the password file, with one snapshot of the tree made by ``restic backup .``."""
    d = tmp_path_factory.mktemp("restic")
    password_file = d / "password"
    password_file.write_text(PASSWORD)
    os.chmod(password_file, 0o600)
    repo = d / "repo"
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(password_file), "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    subprocess.run(["restic", "backup", "-q", "."], env=env, cwd=source_tree.path, check=True)
    return repo, password_file


def test_a_local_restic_snapshot_restores_every_special_file_faithfully(
    source_tree: SourceTree, restic_repo: tuple[Path, Path], target: Path
) -> None:
    repo, password_file = restic_repo
    result = run_cli("restore", "--backend", f"restic:{repo}#latest", "--target", str(target), "--yes",
                     "--password-file", str(password_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verified (restic check + tree compare)" in result.stdout
    assert differences(source_tree.manifest, manifest(target), ignore=RESTIC_014_GAPS) == []


def test_restic_over_sftp_restores_with_the_password_in_an_env_var(
    source_tree: SourceTree, restic_repo: tuple[Path, Path], target: Path, sshd: Sshd
) -> None:
    repo, _ = restic_repo
    spec = f"restic+sftp://{sshd.user}@127.0.0.1:{sshd.port}{repo}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes", "--password-env", "REPO_PW",
                     "--ssh-key", str(sshd.key), "--known-hosts", str(sshd.known_hosts),
                     env={"REPO_PW": PASSWORD})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert differences(source_tree.manifest, manifest(target), ignore=RESTIC_014_GAPS) == []


def test_a_wrong_password_fails_preflight_as_credentials_without_echoing_it(
    restic_repo: tuple[Path, Path], target: Path
) -> None:
    repo, _ = restic_repo
    result = run_cli("restore", "--backend", f"restic:{repo}", "--target", str(target), "--yes",
                     env={"RESCUE_TUI_PASSWORD": "wrong-canary-password"})  # fmt: skip
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "preflight: credentials" in errors[0]
    assert "wrong-canary-password" not in result.stdout + result.stderr
    assert os.listdir(target) == []


def test_a_missing_snapshot_fails_preflight_as_not_listing(restic_repo: tuple[Path, Path], target: Path) -> None:
    repo, password_file = restic_repo
    backend = open_backend(f"restic:{repo}#deadbeef", Credentials(password_file=password_file))
    report = backend.preflight(target, no_progress)
    assert {c.name: c.status for c in report.checks}["lists"] is CheckStatus.FAIL


def test_progress_reports_bytes_against_the_listed_total(restic_repo: tuple[Path, Path], target: Path) -> None:
    repo, _ = restic_repo
    events: list[ProgressEvent] = []
    backend = open_backend(f"restic:{repo}", Credentials(password=Secret(PASSWORD)))
    assert backend.preflight(target, events.append).ok
    backend.restore(target, events.append, threading.Event())
    final = [e for e in events if e.phase.value == "restore"][-1]
    assert final.final and final.bytes_total and final.bytes_done == final.bytes_total


def test_our_restic_backup_with_init_then_restore_round_trips_the_tree(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    env = {"RESCUE_TUI_PASSWORD": PASSWORD}
    made = run_cli("backup", "--backend", f"restic:{repo}", "--source", str(source_tree.path), "--init", env=env)
    assert made.returncode == 0, made.stderr
    assert Path(f"{repo}.manifest.json").exists()
    restored = run_cli("restore", "--backend", f"restic:{repo}", "--target", str(target), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    assert differences(source_tree.manifest, manifest(target), ignore=RESTIC_014_GAPS) == []


@pytest.fixture
def rest_server(restic_repo: tuple[Path, Path], tmp_path: Path, test_ca: TestCa) -> Iterator[Callable[[bool], str]]:
    """The repository on a REST server (rclone's ``serve restic``, the protocol restic's rest: backend speaks),
    over HTTP or, signed by the test CA, HTTPS; the URL of the repository."""
    repo, _ = restic_repo
    procs: list[subprocess.Popen[bytes]] = []

    def serve(tls: bool) -> str:
        port = free_port()
        command = ["rclone", "serve", "restic", "--addr", f"127.0.0.1:{port}", str(repo.parent)]
        if tls:
            certificate, key = test_ca.sign("rest", "IP:127.0.0.1")
            command += ["--cert", str(certificate), "--key", str(key)]
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(port, procs[-1])
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}/{repo.name}"

    yield serve
    for proc in procs:
        stop(proc)


def test_restic_on_a_rest_server_restores_the_snapshot(
    source_tree: SourceTree, restic_repo: tuple[Path, Path], target: Path, rest_server: Callable[[bool], str]
) -> None:
    _, password_file = restic_repo
    restores_faithfully(source_tree, f"restic+rest:{rest_server(False)}#latest", target, password_file)


def test_restic_on_a_rest_server_over_https_trusts_the_operators_ca_and_refuses_without_it(
    source_tree: SourceTree,
    restic_repo: tuple[Path, Path],
    target: Path,
    rest_server: Callable[[bool], str],
    test_ca: TestCa,
) -> None:
    _, password_file = restic_repo
    spec = f"restic+rest:{rest_server(True)}"
    refused = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                      "--password-file", str(password_file))  # fmt: skip
    assert refused.returncode != 0
    assert "certificate" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert os.listdir(target) == []
    restores_faithfully(source_tree, spec, target, password_file, "--set", f"ca_file={test_ca.certificate}")


def test_a_repository_on_a_read_only_filesystem_restores_without_taking_its_lock(
    source_tree: SourceTree, restic_repo: tuple[Path, Path], target: Path, tmp_path: Path
) -> None:
    """As on an NFS share rescue-tui mounted read-only: restic would otherwise fail to write its lock."""
    repo, password_file = restic_repo
    with read_only_view(repo, tmp_path / "ro" / repo.name) as view:
        result = run_cli("restore", "--backend", f"restic:{view}#latest", "--target", str(target), "--yes",
                         "--password-file", str(password_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verified (restic check + tree compare)" in result.stdout
    assert differences(source_tree.manifest, manifest(target), ignore=RESTIC_014_GAPS) == []


# -- S3 (Ceph's radosgw: a real S3 server, not a mock) ----------------------------------------------------------


@pytest.fixture(scope="module")
def s3_repo(source_tree: SourceTree, restic_repo: tuple[Path, Path], s3_server: S3Server) -> str:
    """A repository in bucket ``host1`` of the S3 server, with one snapshot of the tree made by restic itself."""
    _, password_file = restic_repo
    s3_server.restic_backup("host1", source_tree.path, password_file)
    return "/host1"


def test_restic_on_an_s3_server_restores_the_snapshot(
    source_tree: SourceTree, restic_repo: tuple[Path, Path], target: Path, s3_server: S3Server, s3_repo: str
) -> None:
    _, password_file = restic_repo
    spec = f"restic+s3:{s3_server.http}{s3_repo}#latest"
    restores_faithfully(source_tree, spec, target, password_file, env=s3_server.env)


def test_restic_on_s3_over_https_trusts_the_operators_ca_and_refuses_without_it(
    source_tree: SourceTree,
    restic_repo: tuple[Path, Path],
    target: Path,
    s3_server: S3Server,
    s3_repo: str,
    test_ca: TestCa,
) -> None:
    _, password_file = restic_repo
    assert s3_server.https is not None
    spec = f"restic+s3:{s3_server.https}{s3_repo}"
    refused = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                      "--password-file", str(password_file), env=s3_server.env)  # fmt: skip
    assert refused.returncode != 0
    assert "certificate" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert os.listdir(target) == []
    restores_faithfully(
        source_tree, spec, target, password_file, "--set", f"ca_file={test_ca.certificate}", env=s3_server.env
    )


@pytest.mark.parametrize("wrong", ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"])
def test_a_wrong_s3_key_fails_preflight_as_credentials_without_echoing_it(
    restic_repo: tuple[Path, Path], target: Path, s3_server: S3Server, s3_repo: str, wrong: str
) -> None:
    _, password_file = restic_repo
    value = "NOTTHEKEY" + "0" * 31
    result = run_cli("restore", "--backend", f"restic+s3:{s3_server.http}{s3_repo}", "--target", str(target),
                     "--yes", "--password-file", str(password_file),
                     env={**s3_server.env, wrong: value})  # fmt: skip
    assert result.returncode != 0
    (error,) = error_lines(result.stderr)[:1]
    assert error.startswith("rescue-tui: preflight: credentials: "), error
    assert value not in result.stdout + result.stderr
    assert os.listdir(target) == []


def restic_runs(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The restic commands run since the log was last cleared (``check``, ``ls``, ``snapshots``, ...)."""
    runs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("run: ") and "restic" in r.getMessage()]
    caplog.clear()
    return [next(word for word in run.split()[2:] if not word.startswith("-")) for run in runs]


def test_a_recoverys_second_preflight_of_the_same_snapshot_is_not_checked_again_but_a_new_snapshot_is(
    source_tree: SourceTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A recovery preflights before apply and again on the mounted target: restic's snapshot ids hash their
    content, so the second need not open, list and check the repository again (each run derives the key from the
    password); a newer snapshot of the host, or other credentials, are checked afresh."""
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD)
    password_file.chmod(0o600)
    repo = tmp_path / "repo"
    env = {**os.environ, "RESTIC_PASSWORD_FILE": str(password_file), "RESTIC_REPOSITORY": str(repo)}
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    subprocess.run(["restic", "backup", "-q", "."], env=env, cwd=source_tree.path, check=True)
    target = tmp_path / "target"
    target.mkdir()
    caplog.set_level("DEBUG", logger="rescue_tui")
    creds = Credentials(password_file=password_file)

    def preflight(credentials: Credentials = creds) -> dict[str, str]:
        report = open_backend(f"restic:{repo}", credentials).preflight(target, no_progress)
        return {check.name: check.detail for check in report.checks if check.status is not CheckStatus.OK} or {
            check.name: check.detail for check in report.checks
        }

    first = preflight()
    assert first["integrity"] == "restic check passed"
    assert {"cat", "ls", "check"} <= set(restic_runs(caplog))
    second = preflight()
    assert second["integrity"] == "restic check passed (checked before, this session)"
    assert second["lists"] == f"{first['lists']} (checked before, this session)"
    assert "fits" in second
    assert restic_runs(caplog) == ["snapshots"], "only the newest snapshot is asked for again"
    # A newer snapshot of this host: it is the one restored, and it is checked.
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "new.txt").write_text("after the first preflight\n")
    subprocess.run(["restic", "backup", "-q", "."], env=env, cwd=tmp_path / "more", check=True)
    caplog.clear()
    third = preflight()
    assert third["integrity"] == "restic check passed" and third["lists"] != first["lists"]
    assert "check" in restic_runs(caplog)
    # Other credentials (a wrong password): not the session's earlier check; refused by restic itself.
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password")
    wrong.chmod(0o600)
    refused = preflight(Credentials(password_file=wrong))
    assert "integrity" not in refused and set(refused) & {"credentials", "reachable"}, refused
