"""Shared test helpers: where the recorded data and examples live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True, scope="session")
def _private_recovery_lock(tmp_path_factory: pytest.TempPathFactory) -> None:
    """In-host tests hold their own recovery lock and log: another test run on this machine shares neither."""
    import os

    from rescue_tui import lock, logs

    os.environ.setdefault(lock.ENV, str(tmp_path_factory.mktemp("lock") / "recovery.lock"))
    os.environ.setdefault(logs.ENV, str(tmp_path_factory.mktemp("log") / "rescue-tui.log"))
