from __future__ import annotations

from rescue_tui.layout.model import Layout
from rescue_tui.layout.show import render_tree, tree_rows


def test_the_tree_goes_from_disk_down_to_mount_points(minimal: Layout) -> None:
    text = render_tree(minimal)
    lines = text.splitlines()
    assert lines[0] == "mini  (UEFI boot)"
    assert lines[1] == "  * disk /dev/vda  20.0 GiB  (QEMU HARDDISK, serial QM00001)"
    order = [
        next(i for i, line in enumerate(lines) if key in line)
        for key in ("disk", "gpt", "/dev/vda2", "VG sys", "LV root", "ext4", "mounted at /  ")
    ]
    assert order == sorted(order)


def test_sizes_are_human_readable_and_sectors_exact(minimal: Layout) -> None:
    text = render_tree(minimal)
    assert "/dev/vda1  #1  512.0 MiB  sectors 2048-1050623" in text
    assert "LV swap  2.0 GiB" in text


def test_every_item_appears_in_the_tree(minimal: Layout) -> None:
    assert {row.item.id for row in tree_rows(minimal)} == {item.id for item in minimal.items}


def test_the_tree_output_is_plain_ascii(minimal: Layout) -> None:
    render_tree(minimal).encode("ascii")
