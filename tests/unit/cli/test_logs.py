"""Library chatter, errors included, stays in the log file; our own warnings reach the screen too."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from rescue_tui import logs


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "run" / "rescue-tui.log"
    monkeypatch.setenv(logs.ENV, str(path))
    saved = logging.getLogger().handlers[:]
    yield path
    logging.getLogger().handlers = saved


def test_a_library_error_goes_to_the_log_not_to_the_screen(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert logs.configure(debug=False) == log_file
    logging.getLogger("blivet").error("failed to update sysfs path for boot")
    logging.getLogger("program").info("Running... mdadm --detail")
    logging.getLogger("rescue_tui.apply").warning("the array resyncs in the background")
    for handler in logging.getLogger().handlers:
        handler.flush()
    screen = capsys.readouterr().err
    assert "sysfs path" not in screen and "mdadm" not in screen
    assert "WARNING rescue_tui.apply: the array resyncs in the background" in screen
    text = log_file.read_text()
    assert "ERROR blivet: failed to update sysfs path for boot" in text
    assert "INFO program: Running... mdadm --detail" in text
    assert "the array resyncs" in text


def test_with_debug_everything_is_on_the_screen_too(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(debug=True)
    logging.getLogger("testdata").debug("sysfs read")
    assert "DEBUG testdata: sysfs read" in capsys.readouterr().err
