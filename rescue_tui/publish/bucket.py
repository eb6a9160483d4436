"""Where a recovery set is published: a bucket, a key prefix, the endpoint we write to and the URL machines read.

Every key is checked here, before any request: a prefix with an empty, ``.`` or ``..`` part would be
collapsed by an HTTP client or a server into another key than the one shown (``s3://fleet/a/../b/``
writing into ``b/``), so it is refused rather than normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rescue_tui.errors import BadInputError
from rescue_tui.remote.s3 import BUCKET, base_url

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
"""One part of a key: a plain name (a host name, a data centre), never '.' or '..' and nothing to escape."""


@dataclass(frozen=True)
class BucketPrefix:
    """``s3://BUCKET/PREFIX/``: the bucket, and the machine's folder in it (no leading or trailing slash)."""

    bucket: str
    prefix: str

    def key(self, name: str) -> str:
        """The key of ``name`` in the machine's folder."""
        return f"{self.prefix}/{name}"


def parse_destination(text: str) -> BucketPrefix:
    """``s3://BUCKET/PREFIX/`` (one or more plain parts); BadInputError naming what is wrong."""

    def bad(what: str) -> BadInputError:
        return BadInputError(f"--to {text!r}: {what}")

    if not text.startswith("s3://"):
        raise bad("must be s3://BUCKET/PREFIX/ (the machine's folder in the bucket)")
    bucket, _, rest = text[len("s3://") :].partition("/")
    if not BUCKET.fullmatch(bucket) or ".." in bucket:
        raise bad(f"bucket {bucket!r} is not an S3 bucket name (3-63 of a-z 0-9 . -)")
    parts = rest.removesuffix("/").split("/")
    if parts == [""]:
        raise bad("names no folder for the machine (s3://BUCKET/HOST/)")
    for part in parts:
        if not _SEGMENT.fullmatch(part):
            raise bad(f"folder part {part!r} is not a plain name (letters, digits, '.', '_', '-'; not '.' or '..')")
    prefix = "/".join(parts)
    if prefix.split("/", 1)[0] in RESERVED:
        raise bad(f"{prefix.split('/', 1)[0]}/ is where publish keeps what machines share; choose another folder")
    return BucketPrefix(bucket=bucket, prefix=prefix)


RESERVED = ("images", "by-mac", "by-serial")
"""Top-level folders of the bucket that publish keeps for what every machine shares (see ``contents``)."""


def parse_base_url(text: str, *, option: str) -> str:
    """An http(s) URL without credentials, query or fragment (``remote.s3.base_url``) that iPXE reads as written."""
    url = base_url(text, where=option)
    if "${" in text or '"' in text or "\\" in text:
        raise BadInputError(f"{option} {text!r}: '${{', quotes and backslashes would be read by iPXE as its own syntax")
    return url
