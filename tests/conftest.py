"""Shared test helpers: where the recorded data and examples live; a private recovery lock, and another holder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rescue_tui import lock

if TYPE_CHECKING:
    from tests.integration.restore.s3 import S3Server
    from tests.integration.restore.sshd import Sshd
    from tests.integration.restore.tls import TestCa, WebServer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True, scope="session")
def _private_recovery_lock(tmp_path_factory: pytest.TempPathFactory) -> None:
    """In-host tests hold their own recovery lock and log: another test run on this machine shares neither."""
    from rescue_tui import logs

    os.environ.setdefault(lock.ENV, str(tmp_path_factory.mktemp("lock") / "recovery.lock"))
    os.environ.setdefault(logs.ENV, str(tmp_path_factory.mktemp("log") / "rescue-tui.log"))


# The recovery lock, private to one test, and another process holding it (tests of the one-writer rule).
HOLD = """
import sys, time
from rescue_tui.lock import recovery_lock
with recovery_lock("apply", console="ttyS0"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "run" / "recovery.lock"
    monkeypatch.setenv(lock.ENV, str(path))
    return path


def hold_lock(lock_file: Path) -> subprocess.Popen[str]:
    """Another process holding the recovery lock (``apply`` on ttyS0) until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, lock.ENV: str(lock_file)})  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def other_holder(lock_file: Path) -> Iterator[subprocess.Popen[str]]:
    proc = hold_lock(lock_file)
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    """A certificate authority of the test session's own: nothing trusts it unless told to."""
    from tests.integration.restore.tls import TestCa  # it reads ROOT from here

    return TestCa.make(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def https_server(tmp_path: Path, test_ca: TestCa) -> Iterator[WebServer]:
    """An empty ``www`` directory over HTTPS on 127.0.0.1, its certificate signed by ``test_ca``."""
    from tests.integration.restore.tls import serving_https

    root = tmp_path / "www"
    root.mkdir()
    with serving_https(root, test_ca) as server:
        yield server


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """sshd on 127.0.0.1 (a free port) with a host key of its own and one client key it accepts for root."""
    from tests.integration.restore.sshd import running_sshd

    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory, test_ca: TestCa) -> Iterator[S3Server]:
    """A real S3 server (Ceph's radosgw, one-node cluster) on 127.0.0.1: HTTP, and HTTPS signed by ``test_ca``."""
    from tests.integration.restore.s3 import running_radosgw

    d = tmp_path_factory.mktemp("s3")
    with running_radosgw(d, certificate=test_ca.sign("s3", "IP:127.0.0.1")) as server:
        yield server
