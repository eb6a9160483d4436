"""Which archive members would write outside the target root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rescue_tui.restore.safety import MemberCheck, escapes, normalise


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("/etc/passwd", "absolute path"),
        ("../evil", "'..' component"),
        ("a/../../evil", "'..' component"),
        ("./a/./../b", "'..' component"),
        ("a\0b", "NUL"),
    ],
)
def test_an_escaping_name_is_refused(name: str, problem: str) -> None:
    found = MemberCheck().check(name)
    assert found is not None and problem in found


@pytest.mark.parametrize("name", ["./", ".", "etc/passwd", "./usr/bin/ls", "a..b/c", "...", "x/..y"])
def test_an_ordinary_name_is_accepted(name: str) -> None:
    assert MemberCheck().check(name) is None


def test_a_symlink_may_point_anywhere_but_nothing_is_written_through_it() -> None:
    check = MemberCheck()
    assert check.check("etc/localtime", symlink=True, linkname="/usr/share/zoneinfo/UTC") is None
    assert check.check("link", symlink=True, linkname="/etc") is None
    problem = check.check("link/passwd")
    assert problem is not None and "goes through the symlink 'link'" in problem
    assert check.check("./link/deeper/file") is not None


def test_a_name_that_replaces_a_symlink_with_a_directory_is_no_longer_a_symlink() -> None:
    check = MemberCheck()
    check.check("d", symlink=True, linkname="/tmp")
    check.check("d/")
    assert check.check("d/file") is None


def test_a_hard_link_target_must_stay_inside_too() -> None:
    check = MemberCheck()
    assert check.check("a", hardlink=True, linkname="etc/passwd") is None
    absolute = check.check("b", hardlink=True, linkname="/etc/shadow")
    assert absolute is not None and "hard link target" in absolute
    assert check.check("c", hardlink=True, linkname="../x") is not None
    check.check("s", symlink=True, linkname="/")
    assert check.check("d", hardlink=True, linkname="s/etc/shadow") is not None
    assert len(check.problems) == 3


def test_normalise_drops_dots_and_slashes() -> None:
    assert normalise("./a//b/") == "a/b"
    assert normalise("./") == ""


def test_escapes_resolves_symlinks(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    os.symlink("/", tmp_path / "root" / "up")
    assert escapes(str(tmp_path / "root"), str(tmp_path / "root" / "up" / "etc"))
    assert not escapes(str(tmp_path / "root"), str(tmp_path / "root" / "x"))
