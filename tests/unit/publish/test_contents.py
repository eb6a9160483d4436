"""What publish puts in a bucket, computed without a server: keys, scripts, the boot options, refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rescue_tui.boot.cmdline import IMAGE_OPTIONS
from rescue_tui.errors import BadInputError
from rescue_tui.layout.validate import load_valid_layout
from rescue_tui.publish.bucket import BucketPrefix, parse_base_url, parse_destination
from rescue_tui.publish.contents import Publication, publication

ROOT = Path(__file__).resolve().parents[3]
MACS = ("52:54:00:5E:00:40", "52:54:00:5e:00:41")
BASE = "http://10.0.2.100/fleet"


@pytest.fixture
def layout_file(tmp_path: Path) -> Path:
    document = json.loads((ROOT / "layouts" / "examples" / "raid1-lvm.json").read_text())
    document["network"] = {
        "interfaces": [
            {"id": "eno1", "name": "eno1", "mac": MACS[0]},
            {"id": "eno2", "name": "eno2", "mac": MACS[1]},
            {
                "id": "bond0",
                "name": "bond0",
                "kind": "bond",
                "members": ["eno1", "eno2"],
                "bond_mode": "active-backup",
                "dhcp4": True,
            },
        ]
    }
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def image(tmp_path: Path) -> Path:
    folder = tmp_path / "image"
    folder.mkdir()
    for name in ("vmlinuz", "initrd-net.img", "filesystem.squashfs"):
        (folder / name).write_bytes(name.encode() * 100)
    return folder


def publish(layout_file: Path, image: Path, **more: object) -> Publication:
    return publication(
        destination=parse_destination("s3://fleet/dc1/web1/"),
        base_url=BASE,
        layout=load_valid_layout(layout_file),
        layout_bytes=layout_file.read_bytes(),
        image=image,
        **more,  # type: ignore[arg-type]
    )


def test_a_publication_puts_the_image_then_the_machine_then_the_scripts_that_point_at_them(
    layout_file: Path, image: Path
) -> None:
    done = publish(layout_file, image, manifest=b"{}", serials=["SN-7"], options=["rescue.unattended"])
    keys = [u.key for u in done.uploads]
    image_dir = keys[0].rsplit("/", 1)[0]
    assert re.fullmatch(r"images/[0-9a-f]{16}", image_dir)
    assert keys == [
        f"{image_dir}/vmlinuz", f"{image_dir}/initrd-net.img", f"{image_dir}/filesystem.squashfs",
        "dc1/web1/layout.json", "dc1/web1/backup.manifest.json", "dc1/web1/boot.ipxe",
        "by-mac/52-54-00-5e-00-40.ipxe", "by-mac/52-54-00-5e-00-41.ipxe", "by-serial/SN-7.ipxe",
        "boot.ipxe", "dc1/web1/published.json",
    ]  # fmt: skip
    assert [u.shared for u in done.uploads[:4]] == [True, True, True, False]
    assert done.entry == f"{BASE}/boot.ipxe"
    by_key = {u.key: u for u in done.uploads}
    assert by_key["dc1/web1/layout.json"].data == layout_file.read_bytes()
    host = (by_key["dc1/web1/boot.ipxe"].data or b"").decode()
    kernel = next(line for line in host.splitlines() if line.startswith("kernel "))
    words = kernel.split()
    assert words[1] == f"{BASE}/{image_dir}/vmlinuz"
    assert f"fetch={BASE}/{image_dir}/filesystem.squashfs" in words
    assert f"rescue.layout={BASE}/dc1/web1/layout.json" in words
    assert set(IMAGE_OPTIONS) <= set(words) and words[-1] == "rescue.unattended"
    assert f"initrd {BASE}/{image_dir}/initrd-net.img" in host.splitlines()
    for pointer in ("by-mac/52-54-00-5e-00-40.ipxe", "by-mac/52-54-00-5e-00-41.ipxe", "by-serial/SN-7.ipxe"):
        assert by_key[pointer].data == f"#!ipxe\nchain --autofree {BASE}/dc1/web1/boot.ipxe\n".encode()
    first = (by_key["boot.ipxe"].data or b"").decode()
    assert f"chain --autofree {BASE}/by-mac/${{netX/mac:hexhyp}}.ipxe || " in first
    assert f"chain --autofree {BASE}/by-serial/${{smbios/serial:uristring}}.ipxe || " in first
    record = json.loads(by_key["dc1/web1/published.json"].data or b"")
    assert [o["key"] for o in record["objects"]] == keys[:-1]
    assert {o["key"]: o["sha256"] for o in record["objects"]} == {u.key: u.sha256 for u in done.uploads[:-1]}


def test_a_private_layout_is_named_s3_in_the_boot_script_and_only_it_and_the_manifest_are_private(
    layout_file: Path, image: Path
) -> None:
    done = publish(layout_file, image, manifest=b"{}", private=True)
    private = {u.key for u in done.uploads if u.private}
    assert private == {"dc1/web1/layout.json", "dc1/web1/backup.manifest.json"}, "iPXE reads the rest unsigned"
    host = next(u.data or b"" for u in done.uploads if u.key == "dc1/web1/boot.ipxe").decode()
    assert "rescue.layout=s3://fleet/dc1/web1/layout.json" in host.split()
    assert not any(u.private for u in publish(layout_file, image, manifest=b"{}").uploads)


def test_the_image_folder_is_named_by_its_bytes_so_machines_on_one_image_share_it(
    layout_file: Path, image: Path
) -> None:
    before = publish(layout_file, image).uploads[0].key
    assert publish(layout_file, image).uploads[0].key == before
    (image / "filesystem.squashfs").write_bytes(b"another build")
    assert publish(layout_file, image).uploads[0].key != before


def test_an_image_without_its_network_initramfs_is_refused_by_name(layout_file: Path, image: Path) -> None:
    (image / "initrd-net.img").unlink()
    with pytest.raises(BadInputError, match=r"--image .*: no initrd-net.img \(an image built by this version"):
        publish(layout_file, image)


@pytest.mark.parametrize(
    ("option", "why"),
    [
        ("rescue.backend=tar:/x${net0/mac}", "not a plain kernel option"),
        ('rescue.backend="a b"', "not a plain kernel option"),
        ("rescue.layout=http://elsewhere/l.json", "publish sets rescue.layout= itself"),
        ("fetch=http://elsewhere/evil.squashfs", "publish sets fetch= itself"),
        ("initrd=evil.img", "publish sets initrd= itself"),
    ],
)
def test_a_boot_option_that_iPXE_or_publish_would_misread_is_refused(
    layout_file: Path, image: Path, option: str, why: str
) -> None:
    with pytest.raises(BadInputError, match=re.escape(f"--boot-option {option!r}: {why}")):
        publish(layout_file, image, options=[option])


@pytest.mark.parametrize("serial", ["../web2", "a/b", "", "SN 7"])
def test_a_serial_that_would_name_another_key_is_refused(layout_file: Path, image: Path, serial: str) -> None:
    with pytest.raises(BadInputError, match="--serial"):
        publish(layout_file, image, serials=[serial])


def test_destinations_parse_to_a_bucket_and_a_plain_folder() -> None:
    assert parse_destination("s3://fleet/web1/") == BucketPrefix("fleet", "web1")
    assert parse_destination("s3://fleet.example-1/dc1/rack_2/web1.example.com") == BucketPrefix(
        "fleet.example-1", "dc1/rack_2/web1.example.com"
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("s3://fleet/dc1/../web2/", "folder part '..' is not a plain name"),
        ("s3://fleet/./web1/", "folder part '.' is not a plain name"),
        ("s3://fleet/dc1//web1/", "folder part '' is not a plain name"),
        ("s3://fleet/web%2F..%2Fweb2/", "is not a plain name"),
        ("s3://fleet/", "names no folder for the machine"),
        ("s3://Fleet/web1/", "is not an S3 bucket name"),
        ("s3://fl/web1/", "is not an S3 bucket name"),
        ("https://fleet/web1/", "must be s3://BUCKET/PREFIX/"),
        ("s3://fleet/images/web1/", "images/ is where publish keeps what machines share"),
        ("s3://fleet/by-mac/", "by-mac/ is where publish keeps what machines share"),
    ],
)
def test_a_destination_that_could_write_elsewhere_than_it_shows_is_refused(text: str, why: str) -> None:
    with pytest.raises(BadInputError, match=re.escape(why)) as raised:
        parse_destination(text)
    assert raised.value.message.startswith(f"--to {text!r}: ")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://key:secret@s3.example", "credentials in a URL"),
        ("ftp://s3.example", "must be an http:// or https:// URL"),
        ("http://s3.example/fleet?x=1", "unexpected '?' or '#'"),
        ("http://s3.example/a/../fleet", "'.' or '..' part"),
        ("http://s3.example/${serial}", "read by iPXE as its own syntax"),
        ("http://s3.example:99999", "the host or port is not valid"),
        ("http:///fleet", "names no host"),
    ],
)
def test_a_url_publish_would_write_to_or_put_in_a_script_is_checked(text: str, why: str) -> None:
    with pytest.raises(BadInputError, match=re.escape(why)):
        parse_base_url(text, option="--public-url")


def test_the_network_boot_options_are_the_grub_menus(tmp_path: Path) -> None:
    """The rescue image's options live twice, in GRUB's menu and in Python (drills, publish): they must agree."""
    grub = (ROOT / "iso" / "grub" / "grub.cfg").read_text()
    boot_opts = re.search(r'^set boot_opts="([^"]*)"', grub, re.M)
    rescue_opts = re.search(r'^set rescue_opts="\$boot_opts ([^"]*)"', grub, re.M)
    assert boot_opts and rescue_opts
    default = boot_opts.group(1).split() + rescue_opts.group(1).split()
    medium_only = {"noeject", "rescue.medium=$medium_uuid"}
    assert sorted(set(default) - medium_only) == sorted(IMAGE_OPTIONS)
