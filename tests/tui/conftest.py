"""TUI tests run from the repository root (the factory's paths are relative to it), never blink a cursor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from tests.conftest import ROOT
from tests.integration.conftest import loop_disk  # noqa: F401 (the recovery by keys uses it)


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(ROOT)
    yield


async def settle(pilot: Pilot[object]) -> None:
    """Wait until every worker is done and the messages they posted are handled (no sleeps)."""
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            break
    await pilot.pause()
