"""mdadm.conf: one test per rule (Debian's mkconf output, RHEL's, old files with devices= lists)."""

from __future__ import annotations

from rescue_tui.finalize.devices import DeviceMap
from rescue_tui.finalize.mdadm import keyword, rewrite_mdadm_conf
from tests.unit.finalize.conftest import changed_layout, debian_raid, layout_of

UUID = "38d0842c:bac87d6f:b13495c3:60f3416c"

DEBIAN = f"""\
# mdadm.conf
#
# !NB! Run update-initramfs -u after updating this file.
# !NB! This will ensure that initramfs has an uptodate copy.
#
# Please refer to mdadm.conf(5) for information about this file.
#

# by default (built-in), scan all partitions (/proc/partitions) and all
# containers for MD superblocks. alternatively, specify devices to scan, using
# wildcards if desired.
#DEVICE partitions containers

# automatically tag new arrays as belonging to the local system
HOMEHOST <system>

# instruct the monitoring daemon where to send mail alerts
MAILADDR root

# definitions of existing MD arrays
ARRAY /dev/md/0  metadata=1.2 UUID={UUID} name=backup01:0

# This configuration was auto-generated on Sun, 11 Feb 2024 03:10:12 +0000 by mkconf
"""

ADDED = f"# arrays added by rescue-tui finalize\nARRAY /dev/md0 metadata=1.2 UUID={UUID} name=backup01:0\n"


def test_keywords_are_case_insensitive_and_may_be_abbreviated_to_three_letters() -> None:
    assert keyword("ARRAY", "ARRAY") and keyword("arr", "ARRAY") and keyword("Devi", "DEVICE")
    assert not keyword("ar", "ARRAY") and not keyword("ARRAYS", "ARRAY")


def test_debians_file_with_the_arrays_uuid_and_name_is_kept_byte_for_byte() -> None:
    result = rewrite_mdadm_conf(DEBIAN, debian_raid())
    assert result.after == DEBIAN and result.changes == () and result.notes == ()


def test_a_stale_devices_list_on_a_continuation_line_is_dropped_and_the_line_joined() -> None:
    text = f"DEVICE partitions\nARRAY /dev/md0 level=raid1 num-devices=2 UUID={UUID}\n   devices=/dev/sda2,/dev/sdb2\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == f"DEVICE partitions\nARRAY /dev/md0 level=raid1 num-devices=2 UUID={UUID}\n"
    assert result.changes[0].why == "dropped the devices= list (member nodes change; the UUID finds the array)"
    assert result.changes[0].line == 2


def test_a_wrong_name_is_set_to_the_superblock_name_the_layout_keeps() -> None:
    text = f"ARRAY /dev/md/0 metadata=1.2 UUID={UUID} name=rescue:0\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == f"ARRAY /dev/md/0 metadata=1.2 UUID={UUID} name=backup01:0\n"
    assert result.changes[0].why == "name=rescue:0 is backup01:0 in the layout"


def test_a_name_is_dropped_when_the_layout_does_not_keep_one() -> None:
    layout = changed_layout(layout_of("raid1-lvm"), "md0", array_name=None)
    devices = DeviceMap.build(layout, {"md0": "/dev/md127"})
    result = rewrite_mdadm_conf(f"ARRAY /dev/md0 metadata=1.2 name=backup01:0 UUID={UUID}\n", devices)
    assert result.after == f"ARRAY /dev/md0 metadata=1.2 UUID={UUID}\n"


def test_a_line_found_by_its_device_name_gets_the_uuid() -> None:
    result = rewrite_mdadm_conf("ARRAY /dev/md0 devices=/dev/sda2,/dev/sdb2\n", debian_raid())
    assert result.after == f"ARRAY /dev/md0 UUID={UUID}\n"
    assert result.changes[0].why == (
        "dropped the devices= list (member nodes change; the UUID finds the array); added the array's UUID"
    )


def test_an_abbreviated_lower_case_line_is_matched_by_uuid_in_another_spelling() -> None:
    text = "arr /dev/md0 uuid=38D0842C-BAC8-7D6F-B134-95C360F3416C\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == text and result.notes == ()


def test_an_array_missing_from_the_file_is_added_at_the_end() -> None:
    text = "HOMEHOST <system>\nMAILADDR root"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == "HOMEHOST <system>\nMAILADDR root\n" + ADDED
    assert [(c.line, c.after) for c in result.changes] == [(0, ADDED.splitlines()[1])]


def test_a_missing_file_is_created_with_the_layouts_arrays() -> None:
    result = rewrite_mdadm_conf("", debian_raid(), path="/etc/mdadm.conf")
    assert result.created and result.after == ADDED and result.path == "/etc/mdadm.conf"


def test_an_array_the_layout_does_not_know_is_kept_with_a_warning() -> None:
    text = DEBIAN + "ARRAY /dev/md/data metadata=1.2 UUID=01234567:89abcdef:01234567:89abcdef name=backup01:data\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == text
    [note] = result.notes
    assert note.level == "warning" and note.line == 24
    assert note.message == (
        "array UUID=01234567:89abcdef:01234567:89abcdef is not in the layout: kept; mdadm looks for it at every boot"
    )


def test_container_lines_are_kept_as_they_are() -> None:
    text = (
        "ARRAY metadata=imsm UUID=aaaaaaaa:bbbbbbbb:cccccccc:dddddddd\n"
        "ARRAY /dev/md/vol0 container=/dev/md/imsm0 member=0\n"
    )
    result = rewrite_mdadm_conf(text + f"ARRAY /dev/md0 UUID={UUID} name=backup01:0\n", debian_raid())
    assert result.after.startswith(text)


def test_device_lines_naming_changed_members_name_the_new_nodes() -> None:
    text = f"DEVICE /dev/sda2 /dev/sdb2\nARRAY /dev/md0 UUID={UUID} name=backup01:0\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == f"DEVICE /dev/vdb2 /dev/vdc2\nARRAY /dev/md0 UUID={UUID} name=backup01:0\n"
    assert result.notes == ()


def test_device_lines_that_cannot_reach_a_member_are_an_error() -> None:
    text = f"DEVICE /dev/sd*[0-9]\nARRAY /dev/md0 UUID={UUID} name=backup01:0\n"
    result = rewrite_mdadm_conf(text, debian_raid())
    assert result.after == text
    assert [n.level for n in result.notes] == ["error", "error"]
    assert result.notes[0].message == (
        "DEVICE lines do not reach /dev/vdb2, a member of an array: it will not assemble; add 'DEVICE partitions'"
    )


def test_a_second_rewrite_changes_nothing() -> None:
    once = rewrite_mdadm_conf("ARRAY /dev/md0 devices=/dev/sda2,/dev/sdb2 name=x\n", debian_raid()).after
    again = rewrite_mdadm_conf(once, debian_raid())
    assert again.after == once and again.changes == ()
