"""Fixtures for the restore integration tests: the special-file tree, sshd, HTTP and HTTPS servers on 127.0.0.1.

Every server listens on 127.0.0.1 only, on a free high port, with its own
config, and is stopped by the fixture that started it (by its pid).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .helpers import free_port, stop, wait_for_port
from .sshd import Sshd
from .tls import PLAIN_SERVE, WebServer
from .tree import build_tree, manifest

__all__ = ["SourceTree", "Sshd"]


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
def outside(tmp_path: Path) -> Path:
    """A directory beside the target that must stay exactly as it is."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "victim").write_text("original\n")
    return out


@pytest.fixture
def target(tmp_path: Path) -> Path:
    t = tmp_path / "target"
    t.mkdir()
    return t


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[WebServer]:
    root = tmp_path / "www"
    root.mkdir()
    port = free_port()
    log = tmp_path / "www.log"
    with log.open("wb") as requests:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-c", PLAIN_SERVE, str(root), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=requests,
        )
    try:
        wait_for_port(port, proc)
        yield WebServer(port=port, root=root, log=log)
    finally:
        stop(proc)
