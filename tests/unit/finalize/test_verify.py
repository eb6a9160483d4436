"""Do the identities the configs rely on exist on the devices now? (``blkid -o export`` as recorded)."""

from __future__ import annotations

from rescue_tui.finalize.verify import missing_identities, parse_blkid_export
from tests.unit.finalize.conftest import bios_single

BLKID = """\
DEVNAME=/dev/vdb1
UUID=6cd0e696-c356-4204-8543-2337cde344ad
BLOCK_SIZE=4096
TYPE=ext4
PARTUUID=bf00e1fe-01

DEVNAME=/dev/vdb2
UUID=1EAF3D51-88F7-49A6-8BE2-52AEC37F7BAD
TYPE=swap
PARTUUID=bf00e1fe-02

DEVNAME=/dev/vdb5
UUID=0f0f0f0f-0000-4000-8000-000000000000
TYPE=ext4
"""


def test_blkid_export_blocks_become_one_dict_per_device() -> None:
    found = parse_blkid_export(BLKID)
    assert [d["DEVNAME"] for d in found] == ["/dev/vdb1", "/dev/vdb2", "/dev/vdb5"]
    assert found[1]["TYPE"] == "swap"


def test_a_filesystem_uuid_that_apply_did_not_set_is_a_warning() -> None:
    [note] = missing_identities(bios_single(), parse_blkid_export(BLKID))
    assert note.level == "warning"
    assert note.message == (
        "no device carries UUID 124fb2c7-093d-4e3d-94fb-12d9c0c86340 (filesystem fs-sda5 on /dev/vda5) now: "
        "references to it will not be found at boot"
    )
