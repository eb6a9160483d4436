"""A layout in a private bucket (``s3://BUCKET/KEY``), fetched from a real S3 server (Ceph's radosgw on the host)
with the keys an unattended boot reads from ``rescue.credentials_file=``; refused, one line, without them."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rescue_tui.errors import BadInputError
from rescue_tui.files import sha256_file
from rescue_tui.remote.fetch import MAX_BYTES, FetchError, fetch
from rescue_tui.remote.s3 import S3_VARIABLES, S3Client, S3Keys
from rescue_tui.restore.env_credentials import environment_with
from tests.conftest import ROOT
from tests.integration.restore.s3 import S3Server
from tests.integration.restore.tls import TestCa

LAYOUT = ROOT / "layouts" / "examples" / "raid1-lvm.json"
BUCKET = "private-layouts"
URL = f"s3://{BUCKET}/dc1/web01/layout.json"


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> S3Client:
    """The layout, and one too big to be one, in a bucket nobody reads without keys."""
    client = S3Client(s3_server.http, S3Keys(s3_server.access_key, s3_server.secret_key))
    client.put_bucket(BUCKET)
    huge = tmp_path_factory.mktemp("huge") / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    for key, source in (("dc1/web01/layout.json", LAYOUT), ("huge.json", huge)):
        digest = sha256_file(source)
        client.put(BUCKET, key, source=source, sha256=digest, content_type="application/json", public=False)
    return client


def keys_file(path: Path, s3: S3Server, endpoint: str, *, secret: str | None = None) -> Path:
    """A credentials file as an operator writes it: the S3 variables, and the backend's (ignored here)."""
    path.write_text(
        f"AWS_ACCESS_KEY_ID={s3.access_key}\n"
        f"export AWS_SECRET_ACCESS_KEY='{secret or s3.secret_key}'\n"
        f"AWS_ENDPOINT_URL={endpoint}\n"
        "RESCUE_TUI_HTTP_USER=backup\n"
    )
    path.chmod(0o600)
    return path


def test_a_private_layout_is_fetched_with_the_keys_from_the_credentials_file(
    s3_server: S3Server, bucket: S3Client, tmp_path: Path
) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.http}/{BUCKET}/dc1/web01/layout.json", timeout=30)
    assert refused.value.code == 403, "the bucket is private: the test would prove nothing"

    environ = environment_with(keys_file(tmp_path / "keys", s3_server, s3_server.http), S3_VARIABLES, where="keys")
    into = tmp_path / "fetched"
    copy = fetch(URL, into, environ=environ)
    assert copy.read_bytes() == LAYOUT.read_bytes()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(into) == [copy.name], "no partial file is left beside it"


def test_over_https_the_servers_certificate_is_checked_against_the_ca_given(
    s3_server: S3Server, bucket: S3Client, test_ca: TestCa, tmp_path: Path
) -> None:
    assert s3_server.https is not None
    environ = environment_with(keys_file(tmp_path / "keys", s3_server, s3_server.https), S3_VARIABLES, where="k")
    copy = fetch(URL, tmp_path / "fetched", environ=environ, ca_file=test_ca.certificate)
    assert copy.read_bytes() == LAYOUT.read_bytes()
    with pytest.raises(FetchError, match="SSL certificate problem"):
        fetch(URL, tmp_path / "untrusted", environ=environ)


def test_without_keys_it_is_one_line_naming_the_variables(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with pytest.raises(BadInputError, match="no S3 keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        fetch(URL, tmp_path / "fetched", environ=environ)


def test_a_wrong_secret_a_missing_object_and_an_oversized_one_say_why_and_keep_nothing(
    s3_server: S3Server, bucket: S3Client, tmp_path: Path
) -> None:
    into = tmp_path / "fetched"
    wrong = environment_with(
        keys_file(tmp_path / "wrong", s3_server, s3_server.http, secret="not-the-secret"), S3_VARIABLES, where="k"
    )
    with pytest.raises(FetchError, match=r"SignatureDoesNotMatch.*the secret key"):
        fetch(URL, into, environ=wrong)
    right = environment_with(keys_file(tmp_path / "keys", s3_server, s3_server.http), S3_VARIABLES, where="k")
    with pytest.raises(FetchError, match="HTTP 404 NoSuchKey: no such object in the bucket"):
        fetch(f"s3://{BUCKET}/dc1/web02/layout.json", into, environ=right)
    with pytest.raises(FetchError, match=r"huge\.json: cannot fetch"):
        fetch(f"s3://{BUCKET}/huge.json", into, environ=right)
    assert os.listdir(into) == []
