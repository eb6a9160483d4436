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
from .tls import WebServer
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


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[WebServer]:
    root = tmp_path / "www"
    root.mkdir()
    port = free_port()
    log = tmp_path / "www.log"
    with log.open("wb") as requests:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=requests,
        )
    try:
        wait_for_port(port, proc)
        yield WebServer(port=port, root=root, log=log)
    finally:
        stop(proc)
