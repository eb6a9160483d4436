"""Fixtures for the restore integration tests: the special-file tree, sshd, HTTP and HTTPS servers on 127.0.0.1.

Every server listens on 127.0.0.1 only, on a free high port, with its own
config, and is stopped by the fixture that started it (by its pid).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .helpers import free_port, stop, wait_for_port
from .tree import build_tree, manifest


@pytest.fixture(autouse=True)
def _root_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("root") and os.geteuid() != 0:
        pytest.skip("needs root (owners, device nodes, trusted xattrs)")


@dataclass(frozen=True)
class SourceTree:
    path: Path
    manifest: dict[str, dict[str, Any]]
    missing: list[str]


@pytest.fixture(scope="session")
def source_tree(tmp_path_factory: pytest.TempPathFactory) -> SourceTree:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    path = tmp_path_factory.mktemp("source") / "root"
    missing = build_tree(path)
    return SourceTree(path=path, manifest=manifest(path), missing=missing)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    t = tmp_path / "target"
    t.mkdir()
    return t


@dataclass(frozen=True)
class Sshd:
    port: int
    key: Path
    known_hosts: Path
    user: str = "root"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(binary) or shutil.which("ssh-keygen") is None:
        pytest.skip("openssh-server is not installed")
    if os.geteuid() != 0:
        pytest.skip("sshd needs root")
    d = tmp_path_factory.mktemp("sshd")
    os.chmod(d, 0o700)
    host_key, client_key = d / "host_ed25519", d / "client_ed25519"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = d / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    os.chmod(authorized, 0o600)
    port = free_port()
    config = d / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nAuthorizedKeysFile {authorized}\n"
        f"PidFile {d / 'sshd.pid'}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nSubsystem sftp internal-sftp\n"
        "LogLevel ERROR\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        known = d / "known_hosts"
        pub = host_key.with_suffix(".pub").read_text().split()
        known.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
        yield Sshd(port=port, key=client_key, known_hosts=known)
    finally:
        stop(proc)


@dataclass(frozen=True)
class HttpServer:
    port: int
    root: Path

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[HttpServer]:
    root = tmp_path / "www"
    root.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield HttpServer(port=port, root=root)
    finally:
        stop(proc)


HTTPS_SERVE = """
import functools, http.server, ssl, sys
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


@dataclass(frozen=True)
class TestCa:
    """A certificate authority made for one test session, and server certificates it signs."""

    __test__ = False
    directory: Path

    @property
    def certificate(self) -> Path:
        return self.directory / "ca.pem"

    def sign(self, name: str, subject_alt_name: str) -> tuple[Path, Path]:
        """(certificate, key) for a server known as ``subject_alt_name`` (``IP:127.0.0.1``, ``DNS:host``)."""
        key, csr, cert = (self.directory / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.directory / f"{name}.ext"
        ext.write_text(f"subjectAltName={subject_alt_name}\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")  # fmt: skip
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.certificate), "-CAkey", str(self.directory / "ca.key"),
                "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
        return cert, key


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    directory = tmp_path_factory.mktemp("ca")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.pem"), "-days", "2",
            "-subj", "/CN=rescue-tui test CA")  # fmt: skip
    return TestCa(directory)


@dataclass(frozen=True)
class HttpsServer:
    port: int
    root: Path

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.port}/{name}"


def serve_https(root: Path, certificate: Path, key: Path) -> tuple[HttpsServer, subprocess.Popen[bytes]]:
    port = free_port()
    command = [sys.executable, "-c", HTTPS_SERVE, str(port), str(root), str(certificate), str(key)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc)
    return HttpsServer(port=port, root=root), proc


@pytest.fixture
def https_server(tmp_path: Path, test_ca: TestCa) -> Iterator[HttpsServer]:
    """HTTPS on 127.0.0.1 with a certificate for that address, signed by ``test_ca`` (which nothing trusts)."""
    root = tmp_path / "www"
    root.mkdir()
    server, proc = serve_https(root, *test_ca.sign("localhost", "IP:127.0.0.1"))
    try:
        yield server
    finally:
        stop(proc)
