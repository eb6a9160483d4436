"""The checksum list beside a tar archive against what the archive holds (preflight's ``complete``)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.restore.manifest import completeness_check, file_digests, stream_members
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


def a_tar(members: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for index in range(members):
            data = f"file {index}\n".encode()
            info = tarfile.TarInfo(f"srv/{index}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_streamed_tar_holds_one_member_at_a_time_not_all_it_has_read() -> None:
    held = []
    with tarfile.open(fileobj=io.BytesIO(a_tar(500)), mode="r|") as tar:
        names = []
        for member in stream_members(tar):
            names.append(member.name)
            held.append(len(tar.members))
    assert names == [f"srv/{index}.txt" for index in range(500)]
    assert max(held) == 0


def test_file_digests_still_read_each_members_data_once_it_is_forgotten() -> None:
    with tarfile.open(fileobj=io.BytesIO(a_tar(3)), mode="r|") as tar:
        digests = list(file_digests(tar))
    assert digests == [
        {
            "path": f"srv/{i}.txt",
            "size": len(f"file {i}\n"),
            "sha256": hashlib.sha256(f"file {i}\n".encode()).hexdigest(),
        }
        for i in range(3)
    ]
