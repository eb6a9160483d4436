"""Return codes are mapped explicitly; anything unknown is a failure."""

from __future__ import annotations

import signal

import pytest

from rescue_tui.restore import codes
from rescue_tui.restore.codes import Outcome

TABLES = [v for v in vars(codes).values() if isinstance(v, codes.ReturnCodes)]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: f"{t.tool}-{t.operation}")
def test_zero_is_success_and_an_unknown_code_is_a_failure_for_every_tool(table: codes.ReturnCodes) -> None:
    assert table.classify(0)[0] is Outcome.OK
    outcome, meaning = table.classify(77)
    assert outcome is Outcome.FAILED and meaning == "unknown return code 77"


@pytest.mark.parametrize(
    ("table", "rc", "outcome", "words"),
    [
        (codes.TAR_EXTRACT, 2, Outcome.FAILED, "fatal error"),
        (codes.TAR_CREATE, 1, Outcome.WARNING, "changed while being read"),
        (codes.TAR_EXTRACT, 1, Outcome.FAILED, "differ"),
        (codes.GZIP, 2, Outcome.WARNING, "warning"),
        (codes.ZSTD, 1, Outcome.FAILED, "corrupt"),
        (codes.CURL, 22, Outcome.FAILED, "HTTP error"),
        (codes.CURL, 7, Outcome.FAILED, "could not connect"),
        (codes.RSYNC_RESTORE, 23, Outcome.FAILED, "partial transfer"),
        (codes.RSYNC_RESTORE, 24, Outcome.FAILED, "vanished"),
        (codes.RSYNC_BACKUP, 24, Outcome.WARNING, "vanished"),
        (codes.RSYNC_RESTORE, 255, Outcome.FAILED, "ssh failed"),
        (codes.RESTIC, 1, Outcome.FAILED, "fatal"),
        (codes.RESTIC, 10, Outcome.FAILED, "does not exist"),
        (codes.RESTIC, 12, Outcome.FAILED, "wrong password"),
        (codes.RESTIC, 3, Outcome.FAILED, "unknown return code 3"),
        (codes.RESTIC_BACKUP, 3, Outcome.WARNING, "could not be read"),
        (codes.BORG, 1, Outcome.WARNING, "warning"),
        (codes.BORG, 2, Outcome.FAILED, "error"),
    ],
)
def test_a_known_return_code_means_what_the_tools_manual_says(
    table: codes.ReturnCodes, rc: int, outcome: Outcome, words: str
) -> None:
    got, meaning = table.classify(rc)
    assert got is outcome
    assert words in meaning


def test_a_signal_is_a_failure_named_after_the_signal() -> None:
    assert codes.BORG.classify(-signal.SIGKILL) == (Outcome.FAILED, "killed by signal SIGKILL")
    assert codes.BORG.classify(128 + signal.SIGTERM) == (Outcome.FAILED, "killed by signal SIGTERM")
    assert codes.RESTIC.classify(130) == (Outcome.FAILED, "interrupted")
