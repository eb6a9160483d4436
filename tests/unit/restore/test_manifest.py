"""The checksum list beside a tar archive against what the archive holds (preflight's ``complete``)."""

from __future__ import annotations

import json

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.restore.manifest import completeness_check
from rescue_tui.restore.model import CheckStatus

WHERE = "tar:/b/host.tar.zst.files.jsonl"


def listing(*paths: str) -> str:
    return "".join(json.dumps({"path": p, "size": 1, "sha256": "0" * 64}) + "\n" for p in paths)


def test_a_list_that_names_exactly_the_archives_files_passes() -> None:
    check = completeness_check(listing("etc/passwd", "./usr/bin/x"), {"etc/passwd", "usr/bin/x"}, where=WHERE)
    assert check.status is CheckStatus.OK and check.detail == "all 2 listed files are in it"


def test_a_file_the_list_names_and_the_archive_lacks_fails_naming_it() -> None:
    check = completeness_check(listing("etc/passwd", "etc/shadow", "etc/group"), {"etc/passwd"}, where=WHERE)
    assert check.name == "complete" and check.status is CheckStatus.FAIL
    assert check.detail == f"2 file(s) named in {WHERE} are not in the archive, first etc/group"


def test_a_file_the_list_lacks_is_a_warning_verify_cannot_check_it() -> None:
    check = completeness_check(listing("etc/passwd"), {"etc/passwd", "etc/new"}, where=WHERE)
    assert check.status is CheckStatus.WARN and "1 file(s) in the archive are not in" in check.detail


def test_a_damaged_list_is_one_line_naming_its_line() -> None:
    with pytest.raises(BadInputError, match=r"files.jsonl:2:"):
        completeness_check(listing("etc/passwd") + "{not json\n", {"etc/passwd"}, where=WHERE)
