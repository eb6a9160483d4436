"""``rescue-tui tui``: the arguments, and the errors it reports before any screen."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.tui.command import add_tui_parser
from tests.conftest import ROOT


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_tui_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["tui", *argv])


def test_the_options_and_their_defaults() -> None:
    args = parse()
    assert (args.dry_run, args.layout, args.targets, args.glyphs) == (False, None, "live", "auto")
    args = parse("--dry-run", "--layout", "x.json", "--targets", "t.json", "--ascii")
    assert (args.dry_run, args.layout, args.targets, args.glyphs) == (True, "x.json", "t.json", "ascii")
    assert parse("--unicode").glyphs == "unicode"
    with pytest.raises(SystemExit):
        parse("--ascii", "--unicode")


def test_a_layout_url_that_cannot_be_fetched_is_one_error_before_any_screen() -> None:
    args = parse("--layout", "ftp://backup.example/web01.json")
    with pytest.raises(BadInputError, match=r"only http://, https://, nfs://, s3:// can be fetched"):
        args.handler(args)


def test_a_bad_inventory_file_is_one_error_before_any_screen(tmp_path: Path) -> None:
    bad = tmp_path / "targets.json"
    bad.write_text("{}")
    args = parse("--targets", str(bad))
    with pytest.raises(BadInputError, match="disks"):
        args.handler(args)


def test_a_missing_layout_file_is_one_error(tmp_path: Path) -> None:
    args = parse("--layout", str(tmp_path / "nope.json"), "--targets", "layouts/examples/targets/demo-rescue-vm.json")
    with pytest.raises(BadInputError, match="no such file"):
        args.handler(args)


def test_registering_the_command_imports_no_textual() -> None:
    code = "import sys, rescue_tui.tui.command; print(any(m.split('.')[0] == 'textual' for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"
