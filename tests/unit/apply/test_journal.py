from __future__ import annotations

import json
from pathlib import Path

import pytest

from rescue_tui.apply.journal import Journal
from rescue_tui.errors import RefusedError


def test_a_new_journal_records_durably_and_knows_what_is_done(tmp_path: Path) -> None:
    mirror = tmp_path / "usb.jsonl"
    journal = Journal.open(tmp_path / "j.jsonl", "abc", resume=False, mirrors=[mirror])
    journal.record("started", step="s001")
    journal.record("done", step="s001")
    journal.record("started", step="s002")
    assert journal.done() == {"s001"}
    lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert [e["event"] for e in lines] == ["opened", "started", "done", "started"]
    assert mirror.read_text() == (tmp_path / "j.jsonl").read_text()


def test_resume_reads_the_same_plans_journal(tmp_path: Path) -> None:
    first = Journal.open(tmp_path / "j.jsonl", "abc", resume=False)
    first.record("done", step="s001")
    first.record("phase-done", phase="storage")
    again = Journal.open(tmp_path / "j.jsonl", "abc", resume=True)
    assert again.done() == {"s001"} and again.phase_done("storage")


def test_an_existing_journal_without_resume_is_refused(tmp_path: Path) -> None:
    Journal.open(tmp_path / "j.jsonl", "abc", resume=False)
    with pytest.raises(RefusedError, match="an earlier apply of this plan left this journal") as info:
        Journal.open(tmp_path / "j.jsonl", "abc", resume=False)
    assert "--resume" in (info.value.hint or "")


def test_another_plans_journal_is_not_resumed(tmp_path: Path) -> None:
    Journal.open(tmp_path / "j.jsonl", "abc", resume=False)
    with pytest.raises(RefusedError, match="the journal belongs to another plan"):
        Journal.open(tmp_path / "j.jsonl", "xyz", resume=True)


def test_resume_without_a_journal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RefusedError, match="no journal to resume"):
        Journal.open(tmp_path / "j.jsonl", "abc", resume=True)


def test_a_last_line_cut_by_power_loss_is_ignored_but_earlier_damage_is_not(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.jsonl", "abc", resume=False)
    journal.record("done", step="s001")
    with open(tmp_path / "j.jsonl", "a") as handle:
        handle.write('{"event": "do')
    assert Journal.open(tmp_path / "j.jsonl", "abc", resume=True).done() == {"s001"}
    text = (tmp_path / "j.jsonl").read_text().splitlines()
    (tmp_path / "j.jsonl").write_text("\n".join([text[0], "garbage", *text[1:]]) + "\n")
    with pytest.raises(RefusedError, match=r"j.jsonl:2: the journal is damaged"):
        Journal.open(tmp_path / "j.jsonl", "abc", resume=True)


def test_a_journal_written_on_other_disks_is_not_resumed(tmp_path: Path) -> None:
    then = [{"path": "/dev/vdb", "serial": "disk1", "by_path": "pci-0000:00:05.0", "size": 1 << 30}]
    now = [{"path": "/dev/vdb", "serial": "disk9", "by_path": "pci-0000:00:05.0", "size": 1 << 30}]
    first = Journal.open(tmp_path / "j.jsonl", "abc", resume=False, disks=then)
    first.record("done", step="s001")
    assert Journal.open(tmp_path / "j.jsonl", "abc", resume=True, disks=then).done() == {"s001"}
    with pytest.raises(RefusedError, match=r"written on other disks: /dev/vdb was serial disk1.*is serial disk9"):
        Journal.open(tmp_path / "j.jsonl", "abc", resume=True, disks=now)
