"""URLs of files to fetch: what parses, the one line for what does not, and where a copy goes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescue_tui.errors import BadInputError, ExitCode
from rescue_tui.remote.fetch import is_url, local_copy, parse_url


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("https://backup.example/layouts/web01.json", ("https", "backup.example", None, "/layouts/web01.json")),
        ("http://10.0.0.5:8000/web01.json", ("http", "10.0.0.5", 8000, "/web01.json")),
        ("nfs://nas/backups/web01.json", ("nfs", "nas", None, "/backups/web01.json")),
        ("nfs://[fd00::5]:2049/l.json", ("nfs", "fd00::5", 2049, "/l.json")),
        ("s3://fleet/web01/layout.json", ("s3", "fleet", None, "/web01/layout.json")),
    ],
)
def test_a_url_of_a_file_parses_into_its_parts(text: str, parts: tuple[object, ...]) -> None:
    remote = parse_url(text)
    assert (remote.scheme, remote.host, remote.port, remote.path) == parts
    assert is_url(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ftp://host/l.json", "only http://, https://, nfs://, s3:// can be fetched"),
        ("s3://Fleet/l.json", "bucket 'Fleet' is not an S3 bucket name"),
        ("s3://fleet/a/../l.json", "the key has an empty, '.' or '..' part"),
        ("s3://fleet/a//l.json", "the key has an empty, '.' or '..' part"),
        ("s3://fleet/web01/", "must name a file"),
        ("s3://fleet/l.json?versionId=1", "unexpected '?' or '#'"),
        ("s3://key:secret@fleet/l.json", "credentials in a URL"),
        ("https://bob:pw@host/l.json", "credentials in a URL"),
        ("https://bob@host/l.json", "credentials in a URL"),
        ("https://host/", "must name a file"),
        ("https://host", "must name a file"),
        ("https://-o/l.json", "host '-o' is not valid"),
        ("https://[fd00::5/l.json", "not valid"),
        ("https://host:0/l.json", "port 0"),
        ("https://host:99999/l.json", "not valid"),
        ("https://host/l.json\n", "control characters"),
        ("nfs://nas/a/../etc/l.json", "'..' part"),
        ("nfs://nas//l.json", "an empty"),
        ("nfs://nas/l.json?x", "unexpected '?' or '#'"),
    ],
)
def test_a_url_that_cannot_be_fetched_is_one_line_naming_it_exit_2(text: str, problem: str) -> None:
    with pytest.raises(BadInputError) as caught:
        parse_url(text)
    assert problem in caught.value.message and caught.value.message.startswith(f"URL {text!r}: ")
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_a_local_path_is_not_a_url() -> None:
    assert not is_url("/mnt/usb/web01.json") and not is_url("web01.json") and not is_url("file:///x.json")


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_no_url_chooses_where_its_copy_is_written(host: str, path: str) -> None:
    """Whatever the URL holds (``..``, ``/``, NUL, quotes), its copy is a plain name directly in the directory."""
    try:
        remote = parse_url(f"https://{host}/{path}")
    except BadInputError:
        return
    copy = local_copy(remote, Path("/run/rescue-tui/fetched"))
    assert copy.parent == Path("/run/rescue-tui/fetched")
    assert copy.name[:17].rstrip("-").isalnum() and "/" not in copy.name and copy.name not in (".", "..")


def test_a_file_read_from_a_mounted_share_is_never_a_link_to_our_own_files_nor_a_fifo(tmp_path: Path) -> None:
    """What an NFS server offers is read as a regular file only: a symlink there would point into the rescue
    system (its keys, a password file), a FIFO would hang the console."""
    from rescue_tui.remote.fetch import FetchError, _read_bounded

    secret = tmp_path / "password"
    secret.write_text("hunter2\n")
    (tmp_path / "link.json").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "web01.json").write_text("{}")
    with pytest.raises(FetchError, match="cannot read: Too many levels of symbolic links"):
        _read_bounded(tmp_path / "link.json", "nfs://nas/link.json")
    with pytest.raises(FetchError, match="not a regular file"):
        _read_bounded(tmp_path / "fifo.json", "nfs://nas/fifo.json")
    assert _read_bounded(tmp_path / "web01.json", "nfs://nas/web01.json") == b"{}"
