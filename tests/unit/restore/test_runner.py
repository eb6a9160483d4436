"""The subprocess runner: pipelines in one process group, mapped return codes, scrubbed output, cancel."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from rescue_tui.errors import CancelledError
from rescue_tui.restore import codes
from rescue_tui.restore.codes import Outcome, ReturnCodes
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.runner import Command, Pipeline, base_env, run, scrub

SH = ReturnCodes(tool="sh", operation="test", meanings={0: (Outcome.OK, "ok"), 3: (Outcome.WARNING, "odd")})


def test_output_is_captured_and_a_warning_code_is_collected_not_raised() -> None:
    done = run(["sh", "-c", "echo hello; echo careful >&2; exit 3"], SH)
    assert done.stdout == "hello\n"
    assert done.warnings == ("sh: odd: careful",)


def test_an_unknown_return_code_raises_with_the_last_stderr_line() -> None:
    with pytest.raises(BackendError) as caught:
        run(["sh", "-c", "echo first >&2; echo 'the cause' >&2; exit 9"], SH)
    assert caught.value.message == "sh failed (return code 9: unknown return code 9): the cause"


def test_a_pipeline_reports_the_failing_reader_rather_than_the_writer_it_killed() -> None:
    with (
        Pipeline(
            [
                Command(argv=["sh", "-c", "yes"], codes=SH),
                Command(argv=["sh", "-c", "head -c 10 >/dev/null; echo 'reader broke' >&2; exit 9"], codes=SH),
            ]
        ) as pipeline,
        pytest.raises(BackendError) as caught,
    ):
        pipeline.wait()
    assert "reader broke" in caught.value.message


def test_a_secret_on_the_command_line_is_refused_before_anything_starts() -> None:
    with pytest.raises(BackendError, match="a secret would appear on its command line"):
        run(["echo", "--password=hunter2"], SH, secrets=["hunter2"])


def test_secrets_are_scrubbed_from_what_a_tool_prints() -> None:
    with pytest.raises(BackendError) as caught:
        run(["sh", "-c", 'echo "bad password $PW" >&2; exit 9'], SH, env={"PW": "hunter2"}, secrets=["hunter2"])
    assert caught.value.message.endswith("bad password ***")
    assert scrub("a hunter2 b", ["hunter2", ""]) == "a *** b"


def test_variables_holding_secrets_are_not_inherited_by_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_PW", "hunter2")
    monkeypatch.setenv("RESTIC_PASSWORD", "inherited")
    env = base_env({"RESTIC_PASSWORD_FILE": "/run/pw"}, secrets=["hunter2"])
    assert "OPERATOR_PW" not in env and "RESTIC_PASSWORD" not in env
    assert env["RESTIC_PASSWORD_FILE"] == "/run/pw" and env["LC_ALL"] == "C.UTF-8"


def test_cancel_kills_the_whole_process_group_quickly(tmp_path: Path) -> None:
    cancel = threading.Event()
    pidfile = tmp_path / "grandchild"
    with Pipeline([Command(argv=["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"], codes=SH)]) as pipeline:
        while not pidfile.exists() or not pidfile.read_text().strip():
            time.sleep(0.01)
        grandchild = int(pidfile.read_text())
        threading.Timer(0.2, cancel.set).start()
        start = time.monotonic()
        with pytest.raises(CancelledError):
            pipeline.wait(cancel=cancel)
    assert time.monotonic() - start < 7
    time.sleep(0.1)
    assert not os.path.exists(f"/proc/{grandchild}") or "Z" in Path(f"/proc/{grandchild}/stat").read_text()


def test_a_timeout_stops_the_tool_and_says_so() -> None:
    with pytest.raises(BackendError, match="no answer after 0 s"):
        run(["sleep", "30"], SH, timeout=0.2)


def test_a_missing_program_is_a_one_line_error() -> None:
    with pytest.raises(BackendError, match="could not start definitely-not-a-tool"):
        run(["definitely-not-a-tool"], codes.TAR_LIST)


def test_lines_split_on_carriage_returns_for_progress_redraws() -> None:
    lines: list[str] = []
    with Pipeline([Command(argv=["printf", "a\\rb\\nc"], codes=SH)], stdout="lines", on_line=lines.append) as p:
        p.wait()
    assert lines == ["a", "b", "c"]


def test_stdin_can_be_fed_from_a_file(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.write_text("from a file\n")
    with open(src, "rb") as f:
        assert run(["cat"], SH, stdin=f).stdout == "from a file\n"
    assert subprocess.DEVNULL == -3


def test_a_short_secret_only_counts_as_a_whole_argument_and_is_not_scrubbed() -> None:
    assert run(["echo", "/var/tmp/x-dir"], SH, secrets=["x"]).stdout == "/var/tmp/x-dir\n"
    with pytest.raises(BackendError):
        run(["echo", "--password=x"], SH, secrets=["x"])
    assert scrub("box 12", ["x", "12"]) == "box 12"
    assert scrub("secret-longer and secret", ["secret", "secret-longer"]) == "*** and ***"
