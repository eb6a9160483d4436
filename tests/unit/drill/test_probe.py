"""The drill's probe, read back: what the recovered machine's first boot said becomes the report's checks.

The script itself runs for real in ``tests/integration/drill/test_probe_script.py``; here its lines,
as a console shows them (mixed with a getty's and systemd's), are parsed and judged.
"""

from __future__ import annotations

from rescue_tui.drill.probe import (
    TAG,
    ProbeSetup,
    install_command,
    judge_answer,
    marker,
    parse_answer,
    probe_script,
)
from rescue_tui.drill.report import DrillReport

TOKEN = "a1b2c3"


def said(*lines: str, token: str = TOKEN) -> str:
    return "\n".join(f"{TAG} {token} {line}" for line in lines)


def report() -> DrillReport:
    return DrillReport(layout="l.json", hostname="db1", backend="tar:/b.tar", firmware="bios", image="r.iso")


def test_a_boot_that_brought_up_its_whole_fstab_passes_and_failed_units_are_reported_not_judged() -> None:
    console = "\n".join([
        "Debian GNU/Linux 12 source ttyS0", "source login: " + said("begin"),
        said("state degraded", "failed-unit networking.service", "mounted /", "mounted /srv", "swap-on UUID=5"),
        said("mounted /secure", token="0ther"),  # another drill's (an earlier boot's) line: not this one's
        said("end"),
    ])  # fmt: skip
    answer = parse_answer(console, TOKEN)
    assert answer.ended and answer.mounted == ["/", "/srv"] and answer.swap_on == ["UUID=5"]
    r = report()
    judge_answer(answer, ProbeSetup(token=TOKEN, ready_command=None), r)
    (check,) = r.checks
    assert check.name == "fstab mounted" and check.ok, check
    assert "2 filesystem(s) mounted and 1 swap(s) on" in check.detail and "networking.service" in check.detail


def test_a_nofail_filesystem_the_boot_went_on_without_fails_the_drill_naming_it() -> None:
    answer = parse_answer(said("begin", "state running", "mounted /", "not-mounted /secure", "swap-off /dev/vg/swap",
                               "end"), TOKEN)  # fmt: skip
    r = report()
    judge_answer(answer, ProbeSetup(token=TOKEN, ready_command=None), r)
    (check,) = r.checks
    assert not check.ok and r.result == "fail"
    assert check.differences == ("not mounted: /secure", "swap not on: /dev/vg/swap")


def test_a_probe_that_never_answered_fails_both_checks() -> None:
    r = report()
    judge_answer(parse_answer(said("begin", "state starting"), TOKEN), ProbeSetup(token=TOKEN, ready_command="true"), r)
    assert [(c.name, c.ok) for c in r.checks] == [("fstab mounted", False), ("ready command", False)]
    assert r.checks[0].detail == "the probe did not answer (the boot never finished)"
    r = report()
    judge_answer(parse_answer("source login:", TOKEN), ProbeSetup(token=TOKEN, ready_command=None), r)
    assert r.checks[0].detail == "the probe did not answer (its unit did not start)"


def test_the_ready_command_passes_on_exit_0_and_fails_with_its_last_words() -> None:
    setup = ProbeSetup(token=TOKEN, ready_command="systemctl is-active postgresql")
    r = report()
    judge_answer(parse_answer(said("mounted /", "ready 0 3", "end"), TOKEN), setup, r)
    assert r.checks[-1].ok and "succeeded (try 3)" in r.checks[-1].detail
    r = report()
    judge_answer(parse_answer(said("mounted /", "ready 3 300", "ready-said inactive", "end"), TOKEN), setup, r)
    ready = r.checks[-1]
    assert not ready.ok and "exited 3, 300 tries" in ready.detail and ready.differences == ("it said: inactive",)


def test_the_script_and_the_install_carry_this_drills_token_and_nothing_of_the_template() -> None:
    script = probe_script(TOKEN)
    assert f"token={TOKEN}" in script and "@" not in script.replace("$@", "")
    command = install_command("/mnt/target", TOKEN, "echo 'quoted; $(not run here)'")
    assert command.startswith("mountpoint -q /mnt/target || exit 3")
    assert "chroot /mnt/target /bin/sh -c" in command  # every write resolves inside the recovered tree
    assert marker(TOKEN, "end") == f"{TAG} {TOKEN} end"
