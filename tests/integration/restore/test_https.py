"""tar over HTTPS as an operator meets it: the certificate is verified, a CA can be given, a bad one is refused."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import SourceTree
from .helpers import error_lines, run_cli, stop
from .test_tar_backend import gnu_tar_backup
from .tls import TestCa, WebServer, serve_https
from .tree import differences, manifest


def restore(spec: str, target: Path, *extra: str) -> tuple[int, str, str]:
    done = run_cli("restore", "--backend", spec, "--target", str(target), "--yes", *extra)
    return done.returncode, done.stdout, done.stderr


def test_an_archive_over_https_restores_and_verifies_with_the_ca_the_operator_gives(
    source_tree: SourceTree, target: Path, https_server: WebServer, test_ca: TestCa
) -> None:
    gnu_tar_backup(source_tree.path, https_server.root / "host.tar.zst")
    rc, out, err = restore("tar+" + https_server.url("host.tar.zst"), target, "--set", f"ca_file={test_ca.certificate}")
    assert rc == 0, err
    assert "verified (tar --compare): 0 differences" in out
    assert differences(source_tree.manifest, manifest(target)) == []


def test_a_certificate_nobody_trusts_is_refused_with_its_reason_and_nothing_is_written(
    source_tree: SourceTree, target: Path, https_server: WebServer
) -> None:
    gnu_tar_backup(source_tree.path, https_server.root / "host.tar.zst")
    rc, out, err = restore("tar+" + https_server.url("host.tar.zst"), target)
    assert rc == 1
    said = out + err
    assert "the server's TLS certificate is not trusted" in said, said
    assert "unable to get local issuer certificate" in said, "curl's own reason, not only ours"
    assert "Traceback" not in said
    assert os.listdir(target) == []


def test_a_certificate_for_another_name_is_refused_even_from_the_trusted_ca(
    source_tree: SourceTree, target: Path, tmp_path: Path, test_ca: TestCa
) -> None:
    root = tmp_path / "www"
    root.mkdir()
    gnu_tar_backup(source_tree.path, root / "host.tar.zst")
    server, proc = serve_https(root, *test_ca.sign("elsewhere", "DNS:backup.example"))
    try:
        rc, out, err = restore("tar+" + server.url("host.tar.zst"), target, "--set", f"ca_file={test_ca.certificate}")
    finally:
        stop(proc)
    said = out + err
    assert rc == 1, said
    assert "does not match" in said or "no alternative certificate subject name matches" in said, said
    assert os.listdir(target) == []


def test_a_ca_file_that_is_missing_or_not_a_certificate_is_one_line_exit_2(
    target: Path, tmp_path: Path, https_server: WebServer
) -> None:
    spec = "tar+" + https_server.url("host.tar.zst")
    rc, _, err = restore(spec, target, "--set", f"ca_file={tmp_path / 'missing.pem'}")
    assert rc == 2 and error_lines(err)[0].endswith("missing.pem: No such file or directory"), err
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    rc, _, err = restore(spec, target, "--set", f"ca_file={junk}")
    assert rc == 2 and "not a PEM certificate" in error_lines(err)[0], err
    assert os.listdir(target) == []
