"""One writer at a time: the recovery lock refuses a second holder with its details, and dies with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rescue_tui.errors import BusyError, ExitCode
from rescue_tui.lock import current_holder, recovery_lock
from tests.conftest import ROOT


def test_one_process_may_nest_its_holds_and_releases_at_the_outermost(lock_file: Path) -> None:
    with recovery_lock("apply", console="tty1") as holder:
        with recovery_lock("mount"):
            pass
        assert holder.command == "apply" and holder.pid == os.getpid()
        assert current_holder() is None or current_holder() == holder  # our own flock is not a conflict
    assert current_holder() is None


def test_a_second_holder_is_refused_with_the_first_ones_details(other_holder: subprocess.Popen[str]) -> None:
    holder = current_holder()
    assert holder is not None and (holder.command, holder.console, holder.pid) == ("apply", "ttyS0", other_holder.pid)
    with pytest.raises(BusyError) as caught, recovery_lock("restore"):
        pytest.fail("the lock was taken twice")
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    assert f"apply on ttyS0 (pid {other_holder.pid}, since " in caught.value.message


def test_a_dead_holders_lock_is_not_obeyed(other_holder: subprocess.Popen[str], lock_file: Path) -> None:
    other_holder.send_signal(signal.SIGKILL)  # a crash: no clean-up ran
    other_holder.wait()
    assert lock_file.exists()
    assert current_holder() is None
    with recovery_lock("apply") as holder:
        assert holder.pid == os.getpid()


def test_the_cli_refuses_in_one_line_while_another_recovery_runs(
    other_holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "umount", "--target-root", str(tmp_path / "target")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("rescue-tui: hint:")]
    assert len(lines) == 1 and lines[0].startswith(
        f"rescue-tui: umount: refused: a recovery is running on this machine: apply on ttyS0 (pid {other_holder.pid}, "
    ), result.stderr
    assert time.monotonic() - started < 30  # refused at once, never waits


def test_the_restore_command_is_refused_before_it_writes_while_another_recovery_runs(
    other_holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "planted").write_text("from the backup\n")
    archive = tmp_path / "backup.tar"
    subprocess.run(["tar", "-C", str(tree), "-cf", str(archive), "."], check=True)
    target = tmp_path / "target"
    target.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "restore", "--backend", f"tar:{archive}",
         "--target", str(target), "--yes"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "restore: refused: a recovery is running on this machine: apply on ttyS0" in result.stderr
    assert list(target.iterdir()) == []


def test_a_whole_recovery_holds_the_lock_across_its_stages(lock_file: Path, tmp_path: Path) -> None:
    from rescue_tui.recover.recovery import Recovery, RecoveryRequest
    from tests.tui import recorded

    seen: list[object] = []

    def mount(plan: object, root: str) -> list[str]:  # between apply and restore: still held by the recovery
        holder = current_holder()
        seen.append(holder)
        return []

    plan = recorded.recorded_plan(Path("raid1-lvm.json"))
    request = RecoveryRequest(plan=plan, target_root=tmp_path / "target", journal_dir=tmp_path / "journal")
    Recovery(request, stages=recorded.stages(mount=mount)).run()
    assert current_holder() is None
    (holder,) = seen
    assert holder is not None and (holder.command, holder.pid) == ("recover", os.getpid())  # type: ignore[attr-defined]
