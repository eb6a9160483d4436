"""The recovery report: apply's step timings from its journal, the text for people."""

from __future__ import annotations

import json

import pytest

from rescue_tui.finalize.model import Change, Command, CommandRecord, Note, Outcome, Rewrite
from rescue_tui.finalize.report import build_report, parse_journal, render_text, step_timings
from rescue_tui.plan.model import Plan
from tests.unit.plan.conftest import plan_for

JOURNAL = (
    "\n".join(
        json.dumps(e)
        for e in [
            {"event": "opened", "at": "2025-04-02T10:00:00+0000", "plan": "abc"},
            {"event": "started", "step": "s001", "at": "2025-04-02T10:00:01+0000"},
            {"event": "done", "step": "s001", "at": "2025-04-02T10:00:04+0000"},
            {"event": "started", "step": "s002", "at": "2025-04-02T10:00:04+0000"},
            {"event": "failed", "step": "s002", "at": "2025-04-02T10:00:05+0000", "message": "wipefs failed"},
            {"event": "restart", "phase": "storage", "at": "2025-04-02T10:01:00+0000"},
            {"event": "started", "step": "s002", "at": "2025-04-02T10:01:00+0000"},
            {"event": "done", "step": "s002", "at": "2025-04-02T10:01:30+0000"},
            {"event": "started", "step": "s003", "at": "2025-04-02T10:01:30+0000"},
        ]
    )
    + '\n{"event": "done", "st'
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_for("raid1-lvm")


def test_the_journal_gives_each_steps_last_run_and_its_seconds(plan: Plan) -> None:
    entries, problems = parse_journal(JOURNAL)
    assert problems == ["line 10 is not JSON (cut short by a power loss?): skipped"]
    timings = step_timings(plan, entries)
    assert [(t.step, t.status, t.seconds) for t in timings[:4]] == [
        ("s001", "done", 3.0),
        ("s002", "done", 30.0),
        ("s003", "started", None),
        ("s004", "not run", None),
    ]
    assert timings[0].summary == "wipe all signatures on /dev/vdb" and timings[0].kind == "wipe-disk"


def test_the_report_holds_mapping_plan_apply_restore_and_finalize(plan: Plan) -> None:
    outcome = Outcome()
    outcome.rewrites.append(
        Rewrite(
            path="/etc/fstab",
            before="a\n",
            after="b\n",
            changes=(Change(path="/etc/fstab", line=1, before="a", after="b", why="because"),),
        )
    )
    command = Command(argv=("grub-install", "/dev/vdb"), where="chroot", why="boot code")
    outcome.commands.append(CommandRecord(command=command, seconds=2.5, ok=False, error="no BIOS boot partition"))
    outcome.notes.append(Note(message="boot code: no BIOS boot partition", level="error"))
    outcome.phases.append(("files", "done", 0.01))
    entries, problems = parse_journal(JOURNAL)
    report = build_report(
        plan, outcome, target="/mnt/target", report_only=False, journal=("/run/j", entries, problems), now=0
    )
    assert report["hostname"] == "backup01"
    assert report["mapping"][0]["original"]["serial"] == "WD-WX12D80A7C3F"
    assert report["mapping"][0]["target"]["path"] == "/dev/vdb"
    assert report["plan"]["by_kind"]["create-md"] == 1
    assert report["apply"]["seconds"] == 33.0 and report["apply"]["done"] == 2
    assert report["restore"]["backend"] is None
    assert report["finalize"]["problems"] == 1
    assert report["finalize"]["commands"][0]["command"] == "chroot: grub-install /dev/vdb"
    json.dumps(report)
    text = render_text(report)
    assert "rescue-tui recovery report: backup01" in text
    assert "  sda (1.8 TiB, WD-WX12D80A7C3F) -> /dev/vdb (1.8 TiB): same size" in text
    assert "Apply: 2/31 steps done in 33 s (journal /run/j)" in text
    assert "    line 1: because\n      - a\n      + b\n" in text
    assert "  ran chroot: grub-install /dev/vdb (2.5 s): FAILED: no BIOS boot partition" in text
    assert "  error: boot code: no BIOS boot partition" in text
    assert text.endswith("Result: 1 problem(s): the system may not boot\n")


def test_a_restore_record_replaces_the_placeholder(plan: Plan) -> None:
    report = build_report(
        plan, Outcome(), target="/t", report_only=True, restore={"backend": "restic", "verified": True}
    )
    assert report["restore"] == {"backend": "restic", "verified": True} and report["apply"] is None
    assert "Restore: backend restic, verified" in render_text(report)
