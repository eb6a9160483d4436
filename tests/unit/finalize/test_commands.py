"""The ``finalize`` command as the CLI runs it: registration, report-only output, confirmation, exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rescue_tui.cli import _Parser
from rescue_tui.errors import RescueError
from rescue_tui.finalize.commands import add_finalize_parser
from rescue_tui.plan.codec import plan_to_json
from tests.unit.finalize.conftest import make_tree, tree_state
from tests.unit.plan.conftest import plan_for

MDADM = "ARRAY /dev/md0 UUID=38d0842c:bac87d6f:b13495c3:60f3416c devices=/dev/sda2,/dev/sdb2\n"


def run_cli(argv: list[str]) -> int:
    """What ``cli.main`` does once ``add_finalize_parser`` is wired in: one catch site, one line per problem."""
    parser = _Parser(prog="rescue-tui")
    add_finalize_parser(parser.add_subparsers(dest="command", parser_class=_Parser))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except RescueError as exc:
        for line in exc.lines():
            print(f"rescue-tui: {line}", file=sys.stderr)
        return int(exc.exit_code)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(plan_to_json(plan_for("raid1-lvm")))
    return path


def tree(root: Path) -> Path:
    return make_tree(
        root,
        {
            "/etc/os-release": "ID=debian\n",
            "/etc/fstab": "/dev/mapper/vg_system-root / ext4 defaults 0 1\n",
            "/etc/mdadm/mdadm.conf": MDADM,
        },
    )


def test_report_only_prints_a_diff_and_writes_nothing(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path)
    before = tree_state(root)
    code = run_cli(["finalize", "--target", str(root), "--plan", str(plan_file), "--report-only"])
    out = capsys.readouterr().out
    assert code == 0 and tree_state(root) == before
    assert "/etc/fstab: unchanged\n" in out
    assert (
        "--- a/etc/mdadm/mdadm.conf\n+++ b/etc/mdadm/mdadm.conf\n@@ -1 +1 @@\n"
        f"-{MDADM}+ARRAY /dev/md0 UUID=38d0842c:bac87d6f:b13495c3:60f3416c\n"
    ) in out
    assert "#   /etc/mdadm/mdadm.conf line 1: dropped the devices= list" in out
    assert "error: the restored system has no grub-install or grub2-install" in out


def test_without_yes_and_without_a_terminal_it_refuses_and_writes_nothing(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path)
    before = tree_state(root)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code = run_cli(["finalize", "--target", str(root), "--plan", str(plan_file), "--no-bootloader"])
    err = capsys.readouterr().err
    assert code == 2 and tree_state(root) == before
    assert "rescue-tui: not confirmed: no terminal to ask on; nothing was written" in err
    assert "rescue-tui: hint: unattended runs pass --yes" in err


def test_with_yes_the_files_are_rewritten_and_the_report_named(
    plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path)
    code = run_cli(["finalize", "--target", str(root), "--plan", str(plan_file), "--no-bootloader", "--yes"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(
        f"finalized {root}: 1 file(s) rewritten, 0 command(s) run\nreport: {root}/var/log/rescue-tui/"
    )
    assert (root / "etc/mdadm/mdadm.conf").read_text() == "ARRAY /dev/md0 UUID=38d0842c:bac87d6f:b13495c3:60f3416c\n"


def test_a_missing_plan_option_and_a_missing_plan_file_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        run_cli(["finalize", "--target", str(tmp_path)])
    assert info.value.code == 2
    code = run_cli(["finalize", "--target", str(tmp_path), "--plan", str(tmp_path / "nope.json"), "--report-only"])
    assert code == 2 and "cannot read" in capsys.readouterr().err
