"""The consoles during an unattended recovery: one runs it, every console shows it, line by line.

Both console units start ``rescue_tui.launch``; with ``rescue.unattended``
each comes here first. The first to take ``unattended.lock`` runs the
recovery (``rescue_tui.recover.unattended``) and writes every line to its
terminal and to ``unattended.log``; the others print that log as it grows.
Plain lines, not the Textual console: they read the same on a VGA screen, a
115200-baud serial line and in the journal.

When it ends, ``unattended.done`` holds the outcome. A recovery that worked
does what ``rescue.after=`` says: reboot into the recovered disks (the
default), power off, or wait for an operator like a recovery that stopped
(a drill checks the disks then). One that stopped says why (and whether
anything was written) and waits for an operator to press Enter on any console;
then that console runs the recovery console as on an attended boot. Nothing
here answers a question by timing out.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from rescue_tui.boot.backupdisk import mount_backup_disk
from rescue_tui.boot.cmdline import After, BootOptions
from rescue_tui.command import run
from rescue_tui.errors import RescueError
from rescue_tui.text import printable
from rescue_tui.udev import settle

if TYPE_CHECKING:
    from rescue_tui.recover.unattended import Settings

log = logging.getLogger(__name__)

STATE_DIR = Path("/run/rescue-tui")
REFUSED = "Unattended recovery stopped before writing anything:"
FAILED = "Unattended recovery FAILED after it started writing:"
RESUME = (
    "  to go on: Enter on any console, then t takes the recovery over (apply's journal, the plan and this log"
    " are in /run/rescue-tui)"
)
"""After a failure: how to go on (the recovery is given up to every console, ``recover/interrupted.py``)."""
Status = Literal["recovered", "refused", "failed", "dry-run"]
NEXT: dict[After, str] = {
    "reboot": "Rebooting into the recovered disks.",
    "poweroff": "Powering off (rescue.after=poweroff).",
    "wait": "The recovered disks are ready; reboot when you are (rescue.after=wait).",
}
"""The outcome's last line: what the machine does after a recovery that worked."""
POLL = 0.5
"""How often a following console looks at the log (seconds)."""


@dataclass(frozen=True)
class Outcome:
    """How the unattended recovery ended, as ``unattended.done`` records it for every console."""

    status: Status
    lines: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"status": self.status, "lines": list(self.lines)})

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        data = json.loads(text)
        return cls(status=data["status"], lines=tuple(data["lines"]))


class Tee:
    """A text stream writing to the console and appending to the shared log (flushed per write)."""

    def __init__(self, console: TextIO, log_file: TextIO) -> None:
        self.console = console
        self.log_file = log_file

    def write(self, text: str) -> int:
        for stream in (self.console, self.log_file):
            with contextlib.suppress(OSError):
                stream.write(text)
                stream.flush()
        return len(text)

    def flush(self) -> None:
        """Every write is flushed already."""

    def isatty(self) -> bool:
        return False  # progress as a line every few seconds, never redrawn in place


def run_unattended(
    options: BootOptions,
    console: TextIO,
    *,
    embedded_dir: Path,
    state_dir: Path = STATE_DIR,
    power: Callable[[str], None] | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Run the unattended recovery on this console, or follow the one another console runs; its outcome.

    ``power`` runs ``systemctl reboot|poweroff``; ``settings`` replaces the machine's own
    (disks, probes, stages): both for tests.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    done = state_dir / "unattended.done"
    lock = os.open(state_dir / "unattended.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return follow(state_dir, console)
    # this console runs it (the lock is held until the process ends: a restarted console only follows)
    if done.exists():
        return Outcome.from_json(done.read_text())
    with (state_dir / "unattended.log").open("a", encoding="utf-8") as log_file:
        tee = Tee(console, log_file)
        outcome = _run(options, tee, embedded_dir=embedded_dir, state_dir=state_dir, settings=settings)
        for line in outcome.lines:  # into the log before the outcome file: a follower prints them all
            tee.write(line + "\n")
        tmp = done.with_suffix(".tmp")
        tmp.write_text(outcome.to_json())
        tmp.replace(done)
    if outcome.status == "failed":  # every console waits for an operator now: any of them may take it over
        from rescue_tui.recover.interrupted import release_state

        release_state(state_dir)
    if outcome.status == "recovered" and options.after != "wait":
        try:
            (power or _power)(options.after)
        except RescueError as exc:
            console.write(f"{options.after} failed: {exc.message}; {options.after} by hand\n")
    return outcome


def _say(stream: Tee) -> Callable[[str], None]:
    def say(line: str) -> None:
        stream.write(printable(line) + "\n")

    return say


def _run(
    options: BootOptions,
    tee: Tee,
    *,
    embedded_dir: Path,
    state_dir: Path,
    settings: Settings | None,
) -> Outcome:
    from rescue_tui.recover.command import RecoveryPrinter
    from rescue_tui.recover.unattended import Settings, carry_out, decide

    say = _say(tee)
    say(f"rescue-tui: unattended recovery ({options.summary()})")
    settings = settings or Settings(options=options, embedded_dir=embedded_dir, journal_dir=state_dir)
    with contextlib.suppress(RescueError):  # every disk known (and LABEL=, UUID= links made); best effort
        settle(120)
    try:
        if options.backupdisk:
            say(mount_backup_disk(options.backupdisk))
        decided = decide(settings, say, RecoveryPrinter(tee))  # type: ignore[arg-type]
    except RescueError as exc:
        return Outcome("refused", (REFUSED, *(f"  {line}" for line in exc.lines())))
    except Exception as exc:  # a console must say what happened, whatever happened
        log.exception("unattended recovery: the checks failed")
        return Outcome("refused", (REFUSED, f"  {type(exc).__name__}: {exc}"))
    if options.dryrun:
        what = f"{decided.plan.hostname} would be recovered; nothing was written"
        return Outcome("dry-run", (f"Dry run (rescue.dryrun): every check passed: {what}.",))
    try:
        line = carry_out(decided, say, threading.Event())
    except RescueError as exc:
        return Outcome("failed", (FAILED, *(f"  {line}" for line in exc.lines()), RESUME))
    except Exception as exc:
        log.exception("unattended recovery failed")
        return Outcome("failed", (FAILED, f"  {type(exc).__name__}: {exc}", RESUME))
    return Outcome("recovered", (f"Unattended recovery done: {line}.", NEXT[options.after]))


def follow(state_dir: Path, console: TextIO) -> Outcome:
    """Print the log another console writes, as it grows, until the outcome is there."""
    path, done = state_dir / "unattended.log", state_dir / "unattended.done"
    console.write("rescue-tui: an unattended recovery runs on another console; it follows here.\n")
    offset = 0
    while True:
        finished = done.exists()  # read before the log: its last lines are written before it
        with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
            offset += len(chunk)
            if chunk:
                console.write(chunk.decode("utf-8", errors="replace"))
                console.flush()
        if finished:
            return Outcome.from_json(done.read_text())
        time.sleep(POLL)


def wait_for_operator(console: TextIO, keys: TextIO) -> None:
    """Ask for Enter and wait for it, however long it takes."""
    console.write("Press Enter for the recovery console.\n")
    console.flush()
    while keys.readline() not in ("\n", "\r\n", "\r", ""):
        pass


def _power(action: str) -> None:
    """``systemctl reboot`` or ``systemctl poweroff``."""
    run(["systemctl", action], error=RescueError)
