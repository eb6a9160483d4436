"""rsync backend: a tree copied by rsync itself, restored locally and over ssh to an sshd on 127.0.0.1."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from rescue_tui.restore import hostkeys
from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.model import CheckStatus, Credentials
from rescue_tui.restore.progress import no_progress
from tests.integration.conftest import Loops, sh

from .conftest import SourceTree, Sshd
from .helpers import error_lines, free_port, run_cli
from .tree import differences, manifest

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def rsync_copy(source_tree: SourceTree, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The copy an operator makes with rsync's own fidelity flags."""
    dest = tmp_path_factory.mktemp("rsync") / "host1"
    subprocess.run(["rsync", "-aHAXS", "--numeric-ids", f"{source_tree.path}/", f"{dest}/"], check=True)
    return dest


def test_a_local_rsync_copy_restores_every_special_file_faithfully(
    source_tree: SourceTree, rsync_copy: Path, target: Path
) -> None:
    result = run_cli("restore", "--backend", f"rsync:{rsync_copy}/", "--target", str(target), "--yes")
    assert result.returncode == 0, result.stderr
    assert "verified (rsync --dry-run --checksum --itemize-changes)" in result.stdout
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_restore_onto_new_ext4_filesystems_verifies_without_counting_their_lost_and_found(
    source_tree: SourceTree, rsync_copy: Path, loops: Loops
) -> None:
    """What a recovery restores into: / and /data freshly made by mkfs.ext4, each with its lost+found, which the
    backup does not hold. Verify's --delete must not call them extra, and must still see anything else that is."""
    root, home = loops.disk("root", 96 << 20), loops.disk("home", 32 << 20)
    for device in (root, home):
        sh("mkfs.ext4", "-q", device)
    target = loops.mount(root)
    (target / "home").mkdir()
    sh("mount", home, str(target / "home"))
    loops.mounts.append(target / "home")
    result = run_cli("restore", "--backend", f"rsync:{rsync_copy}/", "--target", str(target), "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verified (rsync --dry-run --checksum --itemize-changes)" in result.stdout
    assert (target / "lost+found").is_dir() and (target / "home" / "lost+found").is_dir()
    (target / "etc" / "lost+found").mkdir()  # not a filesystem's root: an extra like any other
    (target / "home" / "stray").write_text("not in the backup\n")
    backend = open_backend(f"rsync:{rsync_copy}/", Credentials())
    report = backend.verify(target, no_progress, threading.Event())
    extras = sorted(line.split(maxsplit=1)[1] for line in report.mismatches if line.startswith("*deleting"))
    assert extras == ["etc/lost+found/", "home/stray"], report.mismatches


def test_rsync_over_ssh_restores_with_a_throwaway_key_and_our_known_hosts(
    source_tree: SourceTree, rsync_copy: Path, target: Path, sshd: Sshd
) -> None:
    spec = f"rsync+ssh://{sshd.user}@127.0.0.1:{sshd.port}{rsync_copy}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                     "--ssh-key", str(sshd.key), "--known-hosts", str(sshd.known_hosts))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert differences(source_tree.manifest, manifest(target)) == []


def test_an_unknown_host_key_fails_preflight_instead_of_prompting(
    rsync_copy: Path, target: Path, sshd: Sshd, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    spec = f"rsync+ssh://{sshd.user}@127.0.0.1:{sshd.port}{rsync_copy}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes",
                     "--ssh-key", str(sshd.key), "--known-hosts", str(empty))  # fmt: skip
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "preflight: credentials" in errors[0] and "Host key verification failed" in errors[0]


def test_verify_names_a_file_that_differs_after_the_restore(rsync_copy: Path, target: Path) -> None:
    backend = open_backend(f"rsync:{rsync_copy}/", Credentials())
    report = backend.preflight(target, no_progress)
    assert report.ok and {c.name: c.status for c in report.checks}["fits"] is CheckStatus.OK
    backend.restore(target, no_progress, threading.Event())
    (target / "etc" / "hostname").write_text("tampered\n")
    verified = backend.verify(target, no_progress, threading.Event())
    assert not verified.ok
    assert any(line.endswith("etc/hostname") for line in verified.mismatches)


def test_our_rsync_backup_then_restore_round_trips_the_tree(
    source_tree: SourceTree, target: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "copy"
    made = run_cli("backup", "--backend", f"rsync:{dest}/", "--source", str(source_tree.path))
    assert made.returncode == 0, made.stderr
    assert Path(f"{dest}.manifest.json").exists()
    restored = run_cli("restore", "--backend", f"rsync:{dest}/", "--target", str(target), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert differences(source_tree.manifest, manifest(target)) == []


def host_key_fingerprint(sshd: Sshd) -> str:
    """The server's key's fingerprint as ssh-keygen prints it (what its administrator would read out)."""
    out = subprocess.run(["ssh-keygen", "-lf", str(sshd.known_hosts)], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def test_a_host_key_pinned_by_fingerprint_is_enough_to_reach_the_server(
    source_tree: SourceTree, rsync_copy: Path, target: Path, sshd: Sshd
) -> None:
    spec = f"rsync+ssh://{sshd.user}@127.0.0.1:{sshd.port}{rsync_copy}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes", "--ssh-key", str(sshd.key),
                     "--set", f"host_key={host_key_fingerprint(sshd)}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_server_nothing_knows_is_refused_before_any_login_with_the_fingerprints_it_offers(
    rsync_copy: Path, target: Path, sshd: Sshd, tmp_path: Path
) -> None:
    """No fingerprint, no known_hosts file, no accept-new: refused, naming what to compare (exit 2), untouched."""
    spec = f"rsync+ssh://{sshd.user}@127.0.0.1:{sshd.port}{rsync_copy}"
    assert not hostkeys.known_by_default("127.0.0.1", sshd.port), "this host's own known_hosts lists the test server"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes", "--ssh-key", str(sshd.key))
    assert result.returncode == 2, result.stderr
    (error,) = [line for line in error_lines(result.stderr) if not line.startswith("rescue-tui: hint")]
    offered = f"the server offers {host_key_fingerprint(sshd)} (ssh-ed25519)"
    assert f"127.0.0.1:{sshd.port}: not known here; {offered}" in error, error
    assert "--set host_key=SHA256:" in result.stderr
    assert list(target.iterdir()) == []


def test_a_server_that_does_not_answer_is_one_line_saying_so(target: Path) -> None:
    port = free_port()  # nothing listens there
    result = run_cli("restore", "--backend", f"rsync+ssh://root@127.0.0.1:{port}/srv/copy/", "--target", str(target),
                     "--yes")  # fmt: skip
    assert result.returncode == 1, result.stderr
    (error,) = error_lines(result.stderr)
    assert error.endswith(f"ssh host key of 127.0.0.1:{port}: the server offered none (is it reachable, and ssh?)")
    assert list(target.iterdir()) == []


def test_a_server_listed_in_a_default_known_hosts_file_is_known_hashed_or_not(sshd: Sshd, tmp_path: Path) -> None:
    plain, hashed, other = tmp_path / "plain", tmp_path / "hashed", tmp_path / "other"
    plain.write_text(sshd.known_hosts.read_text())
    hashed.write_text(sshd.known_hosts.read_text())
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True)
    assert "127.0.0.1" not in hashed.read_text()
    other.write_text(sshd.known_hosts.read_text().replace(f"]:{sshd.port} ", f"]:{sshd.port + 1} "))
    assert hostkeys.known_by_default("127.0.0.1", sshd.port, [tmp_path / "absent", plain])
    assert hostkeys.known_by_default("127.0.0.1", sshd.port, [hashed])
    assert not hostkeys.known_by_default("127.0.0.1", sshd.port, [other])  # the same address, another port


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("SHA256:" + "A" * 43, "the server offers SHA256:"),
        ("MD5:aa:bb", "not a fingerprint as ssh-keygen -l prints it"),
    ],
)
def test_a_host_key_of_another_fingerprint_is_refused_before_any_login_naming_what_was_offered(
    rsync_copy: Path, target: Path, sshd: Sshd, given: str, problem: str
) -> None:
    spec = f"rsync+ssh://{sshd.user}@127.0.0.1:{sshd.port}{rsync_copy}"
    result = run_cli("restore", "--backend", spec, "--target", str(target), "--yes", "--ssh-key", str(sshd.key),
                     "--set", f"host_key={given}")  # fmt: skip
    assert result.returncode == 2
    (error,) = [line for line in error_lines(result.stderr) if not line.startswith("rescue-tui: hint")]
    assert problem in error, error
    if problem.startswith("the server offers"):
        assert f"{host_key_fingerprint(sshd)} (ssh-ed25519), not {given}" in error
    assert list(target.iterdir()) == []
