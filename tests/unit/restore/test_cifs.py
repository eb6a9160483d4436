"""``+cifs`` specs: the share and directory mounted, where, the local spec read afterwards, and the login that
mount.cifs reads from a file; no spec chooses the mount point, no field adds a line to the login."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.remote import cifs as remote_cifs
from rescue_tui.restore.backend import credentials_from_form, fields_for
from rescue_tui.restore.cifs import credentials_text, mount_point
from rescue_tui.restore.errors import BackendError, SpecError
from rescue_tui.restore.nfs import local_spec
from rescue_tui.restore.spec import parse_spec

ROOT = Path("/run/rescue-tui/cifs")


@pytest.mark.parametrize(
    ("text", "mounted", "local"),
    [
        ("tar+cifs://nas/backups/host1.tar.zst", "//nas/backups", "host1.tar.zst"),
        ("tar+cifs://10.0.0.5:4450/backups/dc1/host1.tar", "//10.0.0.5/backups/dc1", "host1.tar"),
        ("rsync+cifs://nas/backups/host1/", "//nas/backups", "host1/"),
        ("restic+cifs://nas/backups/restic#latest", "//nas/backups", "restic"),
        ("borg+cifs://nas/backups/borg::host1", "//nas/backups", "borg"),
    ],
)
def test_the_share_directory_holding_the_backup_is_mounted_and_the_backup_read_inside_it(
    text: str, mounted: str, local: str
) -> None:
    spec = parse_spec(text)
    assert spec.transport == "cifs"
    assert remote_cifs.source(spec.host or "", str(Path(spec.path.rstrip("/")).parent)) == mounted
    where = mount_point(spec, ROOT)
    opened = local_spec(spec, where)
    assert opened.path == f"{where}/{local}"
    assert (opened.transport, opened.is_local, opened.text) == ("file", True, text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tar+cifs://nas/host1.tar", "name the share, then the backup in it"),
        ("tar+cifs://bob@nas/backups/h.tar", "the user goes in cifs_user"),
        ("tar+cifs://nas/backups/../h.tar", "an empty, '.' or '..' part"),
        ("tar+cifs://nas/backups/dir/", "names an archive file, not a directory"),
        ("tar+cifs:/backups/h.tar", "expected //HOST[:PORT]/PATH"),
    ],
)
def test_a_cifs_spec_that_would_mount_something_unexpected_is_one_line(text: str, problem: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(text)
    assert problem in raised.value.message


def test_every_backend_over_cifs_takes_the_smb_login_and_mount_cifs_reads_it_from_a_file() -> None:
    for text in ("tar+cifs://nas/b/h.tar", "restic+cifs://nas/b/r", "borg+cifs://nas/b/r", "rsync+cifs://nas/b/d/"):
        assert {"cifs_user", "cifs_password", "cifs_domain"} <= {f.name for f in fields_for(text)}, text
    assert "cifs_user" not in {f.name for f in fields_for("tar+nfs://nas/b/h.tar")}
    spec = parse_spec("tar+cifs://nas/b/h.tar")
    given_login = credentials_from_form(
        spec, {"cifs_user": "backup", "cifs_password": "pa ss=word", "cifs_domain": "ACME"}
    )
    assert credentials_text(given_login) == "username=backup\npassword=pa ss=word\ndomain=ACME\n"
    assert credentials_text(credentials_from_form(spec, {})) is None, "no user: a guest mount"
    with pytest.raises(BackendError, match="line break"):
        credentials_text(credentials_from_form(spec, {"cifs_user": "backup", "cifs_password": "x\ndomain=EVIL"}))
    with pytest.raises(BackendError, match="a password without a user"):
        credentials_text(credentials_from_form(spec, {"cifs_password": "x"}))
