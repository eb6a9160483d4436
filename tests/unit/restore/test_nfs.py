"""``+nfs`` specs: what is mounted, where, and the local spec read afterwards; no spec (``+cifs`` ones neither)
chooses the mount point."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescue_tui.remote.cifs import source as cifs_source
from rescue_tui.restore.cifs import mount_point as cifs_mount_point
from rescue_tui.restore.errors import SpecError
from rescue_tui.restore.nfs import local_spec, mount_point, source
from rescue_tui.restore.spec import parse_spec

ROOT = Path("/run/rescue-tui/nfs")
CIFS_ROOT = Path("/run/rescue-tui/cifs")


@pytest.mark.parametrize(
    ("text", "mounted", "local"),
    [
        ("tar+nfs://10.0.0.5/backups/host1.tar.zst", "10.0.0.5:/backups", "host1.tar.zst"),
        ("tar+nfs://nas/host1.tar", "nas:/", "host1.tar"),
        ("tar+nfs://[fd00::5]/b/h.tar", "[fd00::5]:/b", "h.tar"),
        ("rsync+nfs://nas/backups/host1/", "nas:/backups", "host1/"),
        ("restic+nfs://nas/backups/restic#latest", "nas:/backups", "restic"),
        ("borg+nfs://nas/srv/borg::host1", "nas:/srv", "borg"),
    ],
)
def test_the_directory_holding_the_backup_is_mounted_and_the_backup_read_inside_it(
    text: str, mounted: str, local: str
) -> None:
    """The parent directory, because the checksum list and the manifests lie beside the backup."""
    spec = parse_spec(text)
    assert source(spec) == mounted
    where = mount_point(spec, ROOT)
    opened = local_spec(spec, where)
    assert opened.path == f"{where}/{local}"
    assert (opened.transport, opened.host, opened.port, opened.is_local) == ("file", None, None, True)
    assert (opened.text, opened.kind, opened.selector) == (spec.text, spec.kind, spec.selector)


def test_each_server_path_and_port_has_its_own_mount_point_and_the_same_one_each_time() -> None:
    a = mount_point(parse_spec("tar+nfs://nas/backups/a.tar"), ROOT)
    assert a == mount_point(parse_spec("tar+nfs://nas/backups/b.tar"), ROOT), "one directory: one mount"
    assert a != mount_point(parse_spec("tar+nfs://nas:2050/backups/a.tar"), ROOT)
    assert a != mount_point(parse_spec("tar+nfs://nas2/backups/a.tar"), ROOT)
    assert a != mount_point(parse_spec("tar+nfs://nas/backups2/a.tar"), ROOT)


PART = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@given(
    kind=st.sampled_from(["tar", "rsync", "restic", "borg"]),
    transport=st.sampled_from(["nfs", "cifs"]),
    host=st.text(min_size=1, max_size=20),
    parts=st.lists(PART, min_size=1, max_size=4),
    tail=st.sampled_from(["", "/"]),
)
def test_no_spec_mounts_or_reads_outside_its_own_directory_under_the_root(
    kind: str, transport: str, host: str, parts: list[str], tail: str
) -> None:
    """Crafted hosts and paths (``..``, ``/``, control characters, quotes) either fail to parse or stay inside,
    on an NFS server or an SMB share."""
    text = f"{kind}+{transport}://{host}/{'/'.join(parts)}{tail}"
    try:
        spec = parse_spec(text)
    except SpecError:
        return
    root = ROOT if transport == "nfs" else CIFS_ROOT
    where = (mount_point if transport == "nfs" else cifs_mount_point)(spec, root)
    assert where.parent == root and len(where.name) == 16
    opened = Path(local_spec(spec, where).path)
    assert opened.parent == where and opened.name not in ("", ".", "..")
    server_side = source(spec) if transport == "nfs" else cifs_source(spec.host or "", spec.path)
    assert not server_side.startswith("-"), "mount would read it as an option"
