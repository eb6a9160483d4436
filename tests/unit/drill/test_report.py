"""A drill's report: it passes only when it got to the end and every check passed."""

from __future__ import annotations

import json
from pathlib import Path

from rescue_tui.drill.report import DrillReport


def report() -> DrillReport:
    return DrillReport(layout="l.json", hostname="db1", backend="tar:/b.tar", firmware="bios", image="r.iso")


def test_every_check_passed_is_a_pass_with_the_time_by_phase(tmp_path: Path) -> None:
    r = report()
    r.phases.update({"boot to console": 60.0, "apply": 30.5})
    r.check("identity kept", True, "every identity field")
    as_json, as_text = r.write(tmp_path)
    data = json.loads(as_json.read_text())
    assert data["result"] == "pass" and data["recovery_seconds"] == 90.5
    assert data["phases"] == {"boot to console": 60.0, "apply": 30.5}
    assert as_text.read_text().startswith("drill of db1 (l.json, bios) from tar:/b.tar: PASS")


def test_a_failed_check_lists_its_differences_and_fails() -> None:
    r = report()
    r.check("identity kept", False, "1 difference(s)", ["fs 1234: want ('ext4', 'root'), got ('ext4', 'x')"])
    r.check("first boot", True, "login")
    assert r.result == "fail"
    assert "         fs 1234: want ('ext4', 'root'), got ('ext4', 'x')" in r.text()
    assert json.loads(r.to_json())["checks"][0]["differences"] == ["fs 1234: want ('ext4', 'root'), got ('ext4', 'x')"]


def test_a_drill_that_stopped_or_checked_nothing_never_passes() -> None:
    assert report().result == "fail"
    r = report()
    r.check("restore verified", True, "ok")
    r.stopped = "ttyS0: it shows 'Unattended recovery FAILED'"
    assert r.result == "fail" and "stopped: ttyS0" in r.text()


def test_a_report_read_back_from_its_json_is_the_report_written() -> None:
    r = report()
    r.phases.update({"boot to console": 41.2, "first boot": 47.5})
    r.check("identity kept", False, "1 difference(s)", ["swap 1: missing"])
    r.check("first boot", True, "login")
    r.logs["rescue console"] = "/tmp/ttyS0.log"
    r.disks = {"vda": (3 << 30, 4 << 30), "vdc": (1 << 30, 1 << 30)}
    back = DrillReport.from_json(r.to_json())
    assert back.to_json() == r.to_json()
    assert back.result == "fail" and back.checks[0].differences == ("swap 1: missing",)


def test_a_drill_onto_disks_of_other_sizes_says_which_in_its_first_lines() -> None:
    r = report()
    r.disks = {"vda": (3 << 30, 4 << 30), "vdb": (3 << 30, 3 << 30), "vdc": (1 << 30, 768 << 20)}
    second = r.text().splitlines()[1]
    assert (
        second
        == "onto disks of other sizes: vda 4.0 GiB (the layout's: 3.0 GiB), vdc 768.0 MiB (the layout's: 1.0 GiB)"
    )
