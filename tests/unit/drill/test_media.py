"""The drill's disks: blank ones like the layout's, and the backup on an ext4 image the guest reads."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from rescue_tui.drill.media import BACKUP_SERIAL, backup_medium, backup_set, blank_disks, guest_serial, guest_spec
from rescue_tui.errors import BadInputError
from rescue_tui.layout.codec import read_layout
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.restore.spec import parse_spec
from tests.conftest import ROOT

RAID = read_layout(ROOT / "layouts/examples/raid1-lvm.json")


def with_serials(layout: Layout, *serials: str | None) -> Layout:
    disks = iter(serials)
    items = tuple(dataclasses.replace(i, serial=next(disks)) if isinstance(i, Disk) else i for i in layout.items)
    return dataclasses.replace(layout, items=items)


def test_each_layout_disk_gets_a_sparse_disk_of_its_size_and_serial(tmp_path: Path) -> None:
    disks = blank_disks(RAID, tmp_path)
    originals = RAID.of_type(Disk)
    assert [(d.source, d.serial, d.size) for d in disks] == [(o.id, o.serial, o.size) for o in originals]
    for disk in disks:
        info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(disk.path)],
                                         capture_output=True, text=True, check=True).stdout)  # fmt: skip
        assert info["virtual-size"] == disk.size and info["actual-size"] < 1 << 20


def test_serials_are_cut_to_what_virtio_carries_and_must_stay_unique(tmp_path: Path) -> None:
    disk = RAID.of_type(Disk)[0]
    assert guest_serial(dataclasses.replace(disk, serial="WD-WCC4N1234567 X,Y")) == "WD-WCC4N1234567_X_Y"
    assert guest_serial(dataclasses.replace(disk, serial=None)) == disk.name
    with pytest.raises(BadInputError, match="not unique in 20 characters"):
        blank_disks(with_serials(RAID, "S" * 20 + "1", "S" * 20 + "2"), tmp_path)
    with pytest.raises(BadInputError):
        blank_disks(with_serials(RAID, BACKUP_SERIAL, "other"), tmp_path)


def test_a_backup_comes_with_its_sidecar_files_and_nothing_else(tmp_path: Path) -> None:
    for name in ("host.tar.zst", "host.tar.zst.manifest.json", "host.tar.zst.sha256", "host.tar", "other.tar.zst"):
        (tmp_path / name).write_text(name)
    assert [p.name for p in backup_set(tmp_path / "host.tar.zst")] == [
        "host.tar.zst", "host.tar.zst.manifest.json", "host.tar.zst.sha256",
    ]  # fmt: skip


def test_the_backup_medium_holds_the_files_and_trees_under_their_guest_names(tmp_path: Path) -> None:
    (tmp_path / "repo" / "data").mkdir(parents=True)
    (tmp_path / "repo" / "data" / "pack").write_bytes(b"x" * 5000)
    (tmp_path / "layout.json").write_text("{}")
    image = backup_medium({"repo": tmp_path / "repo", "layout.json": tmp_path / "layout.json"}, tmp_path / "b.img")
    listing = subprocess.run(["debugfs", "-R", "ls -p /repo/data", str(image)], capture_output=True, text=True)
    assert "/pack/" in listing.stdout and "/5000/" in listing.stdout
    label = subprocess.run(["blkid", "-p", "-o", "value", "-s", "LABEL", str(image)], capture_output=True, text=True)
    assert label.stdout.strip() == "backup"
    assert (tmp_path / "repo" / "data" / "pack").read_bytes() == b"x" * 5000  # the host's copy is untouched
    assert not (tmp_path / "b.d").exists()


@pytest.mark.parametrize(
    ("given", "in_guest"),
    [
        ("tar:/srv/backup/web01.tar.zst", "tar:/mnt/backup/web01.tar.zst"),
        ("restic:/srv/restic/repo#latest", "restic:/mnt/backup/repo#latest"),
        ("borg:/srv/borg/repo::web01-2026-12-01", "borg:/mnt/backup/repo::web01-2026-12-01"),
        ("rsync:/srv/trees/web01/", "rsync:/mnt/backup/web01"),
    ],
)
def test_the_guest_reaches_the_same_backup_and_snapshot_under_mnt_backup(given: str, in_guest: str) -> None:
    assert guest_spec(parse_spec(given)) == in_guest
    assert parse_spec(in_guest).text == in_guest
