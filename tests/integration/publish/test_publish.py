"""``rescue-tui publish`` against a real S3 server (Ceph's radosgw on the host), read back the way machines read it:
anonymously, over plain HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rescue_tui.remote.fetch import fetch
from rescue_tui.remote.s3 import S3Client, S3Keys
from tests.conftest import ROOT
from tests.integration.restore.s3 import S3Server
from tests.integration.restore.tls import TestCa

LAYOUT = ROOT / "layouts" / "examples" / "raid1-lvm.json"
MAC = "52:54:00:5e:00:50"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", "publish", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**clean, **(env or {})},
    )


def anonymous(url: str) -> bytes | int:
    """The object's bytes as a machine's iPXE or live-boot gets them (no signature), or the HTTP status."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def image(tmp_path: Path) -> Path:
    folder = tmp_path / "image"
    folder.mkdir()
    for name in ("vmlinuz", "initrd-net.img", "filesystem.squashfs"):
        (folder / name).write_bytes(os.urandom(256 << 10))
    return folder


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    document = json.loads(LAYOUT.read_text())
    document["network"] = {"interfaces": [{"id": "eno1", "name": "eno1", "mac": MAC, "dhcp4": True}]}
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    return path


def said(stdout: str) -> dict[str, str]:
    """What publish did with each key: ``put``, ``kept`` or ``would put``."""
    out = {}
    for line in stdout.splitlines():
        if "  (" in line:
            head, _, _ = line.partition("  (")
            words = head.split()
            out[words[-1]] = " ".join(words[:-3])
    return out


def bucket_exists(s3: S3Server, bucket: str) -> bool:
    return S3Client(s3.http, S3Keys(s3.access_key, s3.secret_key)).bucket_exists(bucket)


def test_publish_puts_a_recovery_set_machines_read_anonymously_and_shares_the_image(
    s3_server: S3Server, image: Path, layout: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "host.manifest.json"
    manifest.write_text('{"format": "rescue-tui-manifest"}\n')
    args = ("--endpoint", s3_server.http, "--layout", str(layout), "--image", str(image), "--serial", "SN-1")
    first = cli("--to", "s3://published/dc1/web1/", *args, "--manifest", str(manifest), "--create-bucket",
                env=s3_server.env)  # fmt: skip
    assert first.returncode == 0, first.stderr
    base = f"{s3_server.http}/published"
    assert first.stdout.splitlines()[-1] == f"machines boot: {base}/boot.ipxe"
    record = json.loads(anonymous(f"{base}/dc1/web1/published.json"))  # type: ignore[arg-type]
    keys = [o["key"] for o in record["objects"]]
    assert {"dc1/web1/layout.json", "dc1/web1/backup.manifest.json", "dc1/web1/boot.ipxe", "boot.ipxe",
            "by-mac/52-54-00-5e-00-50.ipxe", "by-serial/SN-1.ipxe"} <= set(keys)  # fmt: skip
    for item in record["objects"]:
        got = anonymous(f"{base}/{item['key']}")
        assert isinstance(got, bytes), f"{item['key']}: HTTP {got} to an anonymous reader"
        assert (len(got), hashlib.sha256(got).hexdigest()) == (item["size"], item["sha256"]), item["key"]
    assert anonymous(f"{base}/dc1/web1/layout.json") == layout.read_bytes()
    images = [k for k in keys if k.startswith("images/")]
    assert len(images) == 3 and all(said(first.stdout)[k] == "put" for k in images)
    # A second machine on the same image: the image is kept, its own files are put.
    second = cli("--to", "s3://published/dc1/web2/", *args, env=s3_server.env)
    assert second.returncode == 0, second.stderr
    done = said(second.stdout)
    assert [done[k] for k in images] == ["kept"] * 3
    assert done["dc1/web2/layout.json"] == "put"
    # The serial now leads to the machine published last with it; the MAC too.
    assert anonymous(f"{base}/by-serial/SN-1.ipxe") == f"#!ipxe\nchain --autofree {base}/dc1/web2/boot.ipxe\n".encode()


def test_with_private_the_layout_needs_keys_and_the_rescue_system_reads_it_by_its_s3_url(
    s3_server: S3Server, image: Path, layout: Path, tmp_path: Path
) -> None:
    args = ("--endpoint", s3_server.http, "--layout", str(layout), "--image", str(image), "--private")
    done = cli("--to", "s3://private-set/web1/", *args, "--create-bucket", env=s3_server.env)
    assert done.returncode == 0, done.stderr
    assert "dc1" not in done.stdout and "web1/layout.json  (layout, private)" in done.stdout
    base = f"{s3_server.http}/private-set"
    assert anonymous(f"{base}/web1/layout.json") == 403
    script = anonymous(f"{base}/web1/boot.ipxe")
    assert isinstance(script, bytes) and b"rescue.layout=s3://private-set/web1/layout.json" in script
    environ = {**s3_server.env, "AWS_ENDPOINT_URL": s3_server.http}
    assert fetch("s3://private-set/web1/layout.json", tmp_path, environ=environ).read_bytes() == layout.read_bytes()


def test_a_dry_run_lists_what_it_would_put_and_makes_no_request(s3_server: S3Server, image: Path, layout: Path) -> None:
    """No keys in the environment: a dry run never builds a client, let alone reaches the server."""
    done = cli("--to", "s3://never-made/web1/", "--endpoint", s3_server.http, "--layout", str(layout),
               "--image", str(image), "--create-bucket", "--dry-run")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert set(said(done.stdout).values()) == {"would put"} and len(said(done.stdout)) == 8
    assert not bucket_exists(s3_server, "never-made")


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "wrong"}, "SignatureDoesNotMatch: the server refused the signature"),
        ({"AWS_ACCESS_KEY_ID": "NOBODY"}, "InvalidAccessKeyId: the server does not know the access key"),
    ],
)
def test_refused_keys_are_one_line_and_nothing_is_written(
    s3_server: S3Server, image: Path, layout: Path, env: dict[str, str], why: str
) -> None:
    done = cli("--to", "s3://refused-keys/web1/", "--endpoint", s3_server.http, "--layout", str(layout),
               "--image", str(image), "--create-bucket", env={**s3_server.env, **env})  # fmt: skip
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("rescue-tui: PUT ") and why in line, line
    assert not bucket_exists(s3_server, "refused-keys")


def test_bad_input_is_refused_before_any_request(s3_server: S3Server, image: Path, layout: Path) -> None:
    common = ("--endpoint", s3_server.http, "--layout", str(layout), "--image", str(image), "--create-bucket")
    for args, why in [
        (("--to", "s3://bad-input/web1/../images/x/", *common), "folder part '..' is not a plain name"),
        (("--to", "s3://bad-input/web1/", *common, "--boot-option", "fetch=http://x/y.squashfs"), "sets fetch="),
        (("--to", "s3://bad-input/web1/", *common[:-1], "--serial", "../x"), "--serial '../x'"),
    ]:
        done = cli(*args, env=s3_server.env)
        assert done.returncode == 2 and why in done.stderr and "Traceback" not in done.stderr, done.stderr
    missing = cli("--to", "s3://bad-input/web1/", *common)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "rescue-tui: no S3 keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (never on the command line)"
    )
    assert not bucket_exists(s3_server, "bad-input")


def test_publish_over_https_checks_the_servers_certificate(
    s3_server: S3Server, image: Path, layout: Path, test_ca: TestCa
) -> None:
    assert s3_server.https is not None
    common = ("--to", "s3://over-https/web1/", "--endpoint", s3_server.https, "--layout", str(layout),
              "--image", str(image), "--create-bucket")  # fmt: skip
    refused = cli(*common, env=s3_server.env)
    assert refused.returncode == 1 and "SSL certificate problem" in refused.stderr, refused.stderr
    trusted = cli(*common, "--ca-file", str(test_ca.certificate), env=s3_server.env)
    assert trusted.returncode == 0, trusted.stderr
    assert bucket_exists(s3_server, "over-https")
