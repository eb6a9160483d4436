"""Fetching a file named by URL, against real servers on 127.0.0.1: HTTPS with a test CA; NFS refused here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rescue_tui.remote.fetch import MAX_BYTES, FetchError, fetch, local_copy, parse_url
from rescue_tui.remote.nfs import mount_point
from tests.integration.restore.tls import TestCa, WebServer

LAYOUT = Path("layouts/examples/raid1-lvm.json")


@pytest.fixture
def server(https_server: WebServer) -> WebServer:
    (https_server.root / "web01.json").write_bytes(LAYOUT.read_bytes())
    return https_server


def test_a_layout_over_https_is_copied_whole_into_the_directory_with_the_ca_given(
    server: WebServer, test_ca: TestCa, tmp_path: Path
) -> None:
    into = tmp_path / "fetched"
    copy = fetch(server.url("web01.json"), into, ca_file=test_ca.certificate)
    assert copy == local_copy(parse_url(server.url("web01.json")), into)
    assert copy.read_bytes() == LAYOUT.read_bytes()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(into)) == [copy.name], "no partial file is left beside it"


def test_a_certificate_nobody_trusts_is_refused_with_curls_reason_and_nothing_is_written(
    server: WebServer, tmp_path: Path
) -> None:
    into = tmp_path / "fetched"
    with pytest.raises(FetchError) as caught:
        fetch(server.url("web01.json"), into)
    assert caught.value.message == (
        f"{server.url('web01.json')}: cannot fetch: SSL certificate problem: unable to get local issuer certificate"
    )
    assert os.listdir(into) == []


def test_a_missing_file_says_what_the_server_answered(server: WebServer, test_ca: TestCa, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"missing\.json: cannot fetch: The requested URL returned error: 404"):
        fetch(server.url("missing.json"), tmp_path / "fetched", ca_file=test_ca.certificate)


def test_a_file_too_big_to_be_a_layout_is_refused_and_not_kept(
    server: WebServer, test_ca: TestCa, tmp_path: Path
) -> None:
    with (server.root / "huge.json").open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    into = tmp_path / "fetched"
    with pytest.raises(FetchError, match=r"huge\.json: cannot fetch: "):
        fetch(server.url("huge.json"), into, ca_file=test_ca.certificate)
    assert os.listdir(into) == []


def test_an_nfs_server_that_cannot_be_mounted_is_one_line_and_leaves_no_mount_point(tmp_path: Path) -> None:
    """The host's kernel has no NFS client: mount fails as a server that cannot be reached would."""
    before = Path("/proc/self/mountinfo").read_text()
    with pytest.raises(FetchError) as caught:
        fetch("nfs://127.0.0.1:9/layouts/web01.json", tmp_path / "fetched")
    assert caught.value.message.startswith("NFS: cannot mount 127.0.0.1:/layouts from nfs://127.0.0.1:9/layouts/")
    assert Path("/proc/self/mountinfo").read_text() == before
    assert not mount_point("127.0.0.1", 9, "/layouts").exists(), "the failed mount's directory is removed"
    assert os.listdir(tmp_path / "fetched") == []
