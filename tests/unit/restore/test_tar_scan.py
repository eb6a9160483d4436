"""The kept scan of a tar archive: sizes summed per directory say what each filesystem needs, as per entry did."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from rescue_tui.restore import tar_scan
from rescue_tui.restore.checks import SpaceEstimate
from rescue_tui.restore.tar_scan import ArchiveScan, RemoteStamp, SizeTally, SourceStamp, recall, remember

MOUNTS = ["boot/efi", "var/lib", "boot", "home", ""]
"""Deepest first, as ``mounts_under`` gives them."""
NAMES = ["etc", "etc/fstab", "boot/vmlinuz", "boot/efi/EFI/debian/grubx64.efi", "var/lib/dpkg/status", "var/log/x",
         "home/user/.bashrc", "homework", "var/library/y", "boot/grub/grub.cfg"]  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(NAMES), st.integers(min_value=0, max_value=1 << 24)), max_size=40))
def test_sizes_per_directory_give_each_filesystem_what_sizes_per_entry_give_it(entries: list[tuple[str, int]]) -> None:
    per_entry = SpaceEstimate(Path("/t"), mount_points=list(MOUNTS))
    tally = SizeTally()
    for name, size in entries:
        per_entry.add(name, size)
        tally.add(name, size)
    summed = tally.estimate(Path("/t"), mount_points=list(MOUNTS))
    assert summed.bytes_by_mount == per_entry.bytes_by_mount
    assert summed.files_by_mount == per_entry.files_by_mount
    assert (summed.total_bytes, summed.total_files) == (per_entry.total_bytes, per_entry.total_files)


def test_a_mount_point_directory_counts_one_inode_on_the_filesystem_above_it() -> None:
    tally = SizeTally()
    tally.add("boot", 0)
    tally.add("boot/vmlinuz", 5000)
    summed = tally.estimate(Path("/t"), mount_points=["boot", ""])
    assert summed.files_by_mount == {"boot": 1, "": 1}
    assert summed.bytes_by_mount == {"boot": 8192, "": 0}


def _scan(listing: str | None) -> ArchiveScan:
    return ArchiveScan(
        digest="0" * 64, members=1, disagreement=None, member_problems=(), complete=None,
        listing_digest=tar_scan.listing_digest(listing), sizes=SizeTally(),
    )  # fmt: skip


def test_a_kept_scan_is_for_that_file_as_it_was_and_that_checksum_list(tmp_path: Path) -> None:
    tar_scan.forget()
    archive = tmp_path / "host.tar"
    archive.write_bytes(b"a" * 1024)
    stamp = SourceStamp.of(str(archive))
    assert stamp is not None
    remember(stamp, _scan("list\n"))
    assert recall(stamp, "list\n") is not None
    assert recall(stamp, "another list\n") is None
    assert recall(stamp, None) is None
    with archive.open("r+b") as f:  # the same size, the same times put back: the change time still differs
        f.write(b"b")
    st = os.stat(archive)
    os.utime(archive, ns=(st.st_atime_ns, stamp.mtime_ns))
    changed = SourceStamp.of(str(archive))
    assert changed is not None and changed != stamp and recall(changed, "list\n") is None
    assert SourceStamp.of(str(tmp_path / "gone.tar")) is None


def test_only_the_newest_scans_are_kept(tmp_path: Path) -> None:
    tar_scan.forget()
    stamps = []
    for i in range(tar_scan.KEPT + 1):
        path = tmp_path / f"{i}.tar"
        path.write_bytes(b"x")
        stamp = SourceStamp.of(str(path))
        assert stamp is not None
        remember(stamp, _scan(None))
        stamps.append(stamp)
    assert recall(stamps[0], None) is None
    assert all(recall(s, None) is not None for s in stamps[1:])


def test_only_a_regular_file_gets_a_stamp_and_a_fifo_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "host.tar"
    os.mkfifo(fifo)
    assert SourceStamp.of(str(fifo)) is None  # returns at once: no writer is needed to open it
    assert SourceStamp.of(str(tmp_path)) is None


# -- an archive over HTTP: the last response's length and validator ---------------------------------------------

REDIRECTED = """HTTP/1.1 302 Found\r
Location: /b/host.tar.zst\r
Content-Length: 0\r
ETag: "redirect-page"\r
\r
HTTP/1.1 200 OK\r
Content-Length: 1048576\r
Last-Modified: Sat, 05 Dec 2026 10:00:00 GMT\r
\r
"""


def test_after_a_redirect_the_last_response_describes_the_archive() -> None:
    stamp = RemoteStamp.from_head("http://h/a/host.tar.zst", REDIRECTED)
    assert (stamp.size, stamp.etag, stamp.last_modified) == (1048576, None, "Sat, 05 Dec 2026 10:00:00 GMT")
    assert stamp.preconditions() == ["If-Unmodified-Since: Sat, 05 Dec 2026 10:00:00 GMT"]


def test_a_strong_etag_is_the_validator_and_the_precondition() -> None:
    stamp = RemoteStamp.from_head("u", 'HTTP/2 200\r\ncontent-length: 7\r\netag: "abc"\r\nlast-modified: x\r\n')
    assert stamp.preconditions() == ['If-Match: "abc"']


def test_a_weak_etag_is_no_precondition_a_server_could_check() -> None:
    """A weak ETag may stay the same when the bytes change: ``If-Match`` with it would prove nothing."""
    assert RemoteStamp.from_head("u", 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nETag: W/"abc"\r\n').preconditions() == []


def test_a_changed_validator_or_length_is_another_archive() -> None:
    one = RemoteStamp.from_head("u", 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nETag: "a"\r\n')
    assert one == RemoteStamp.from_head("u", 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nETag: "a"\r\n')
    assert one != RemoteStamp.from_head("u", 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nETag: "b"\r\n')
    assert one != RemoteStamp.from_head("u", 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\nETag: "a"\r\n')
