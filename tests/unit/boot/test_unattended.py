"""The consoles during an unattended recovery: one runs it, the others print its log, all see the outcome."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from rescue_tui.boot.cmdline import parse_cmdline
from rescue_tui.boot.unattended import REFUSED, Outcome, follow, run_unattended, wait_for_operator


def test_a_refused_start_is_told_on_this_console_and_recorded_for_the_others(tmp_path: Path) -> None:
    console = io.StringIO()
    options = parse_cmdline("rescue.unattended")  # no backup named: it must not start
    powered: list[str] = []
    outcome = run_unattended(options, console, embedded_dir=tmp_path / "none", state_dir=tmp_path, power=powered.append)
    assert outcome.status == "refused" and outcome.lines[0] == REFUSED
    assert "rescue.backend= names no backup" in outcome.lines[1]
    shown = console.getvalue()
    assert shown.startswith("rescue-tui: unattended recovery (layout=- backend=- unattended=yes")
    assert shown.endswith("\n".join(outcome.lines) + "\n")
    assert (tmp_path / "unattended.log").read_text() == shown  # what a following console prints
    assert Outcome.from_json((tmp_path / "unattended.done").read_text()) == outcome
    assert powered == []


def test_a_restarted_console_shows_the_outcome_and_never_runs_it_again(tmp_path: Path) -> None:
    (tmp_path / "unattended.done").write_text(Outcome("refused", (REFUSED, "  earlier")).to_json())
    console = io.StringIO()
    outcome = run_unattended(parse_cmdline("rescue.unattended"), console, embedded_dir=tmp_path, state_dir=tmp_path)
    assert outcome.lines == (REFUSED, "  earlier") and console.getvalue() == ""


def test_another_console_follows_the_log_as_it_grows_to_the_outcome(tmp_path: Path) -> None:
    log = tmp_path / "unattended.log"
    log.write_text("rescue-tui: unattended recovery\n")

    def writer() -> None:
        for step in ("[1/3] s001 wipe /dev/vda\n", "[2/3] s002 create GPT\n"):
            time.sleep(0.3)
            with log.open("a") as handle:
                handle.write(step)
        with log.open("a") as handle:
            handle.write("Unattended recovery done: recovered h.\n")
        (tmp_path / "unattended.done").write_text(
            Outcome("recovered", ("Unattended recovery done: recovered h.",)).to_json()
        )

    thread = threading.Thread(target=writer)
    thread.start()
    console = io.StringIO()
    outcome = follow(tmp_path, console)
    thread.join()
    assert outcome.status == "recovered"
    shown = console.getvalue().splitlines()
    assert shown[0].startswith("rescue-tui: an unattended recovery runs on another console")
    assert shown[1:] == log.read_text().splitlines()


def test_waiting_for_an_operator_takes_only_enter(tmp_path: Path) -> None:
    keys = io.StringIO("y\nq\n\n")
    console = io.StringIO()
    wait_for_operator(console, keys)
    assert console.getvalue() == "Press Enter for the recovery console.\n" and keys.read() == ""
