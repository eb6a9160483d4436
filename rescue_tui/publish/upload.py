"""Put a :class:`~rescue_tui.publish.contents.Publication` in its bucket, in order, skipping an image already there."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rescue_tui.publish.contents import Publication, Upload
from rescue_tui.remote.s3 import S3Client, S3Error


@dataclass(frozen=True)
class Outcome:
    put: tuple[Upload, ...]
    kept: tuple[Upload, ...]
    """Shared objects the bucket already held with the same sha256."""


def upload(
    publication: Publication, client: S3Client, *, create_bucket: bool, say: Callable[[str, Upload], None]
) -> Outcome:
    """Put every object (``say("put"|"kept", upload)`` after each); S3Error at the first refusal, with what was put
    before it left in place (a later run puts the rest: the scripts go last, so no machine boots a half set)."""
    bucket = publication.destination.bucket
    if create_bucket:
        client.put_bucket(bucket)
    elif not client.bucket_exists(bucket):
        raise S3Error(f"{client.endpoint}/{bucket}: the bucket does not exist (--create-bucket makes it)")
    put: list[Upload] = []
    kept: list[Upload] = []
    for item in publication.uploads:
        if item.shared and _holds(client, bucket, item):
            kept.append(item)
            say("kept", item)
            continue
        _put(client, bucket, item)
        put.append(item)
        say("put", item)
    return Outcome(tuple(put), tuple(kept))


def _holds(client: S3Client, bucket: str, item: Upload) -> bool:
    answer = client.head(bucket, item.key)
    return (
        answer.status == 200
        and answer.headers.get("x-amz-meta-sha256") == item.sha256
        and answer.headers.get("content-length") == str(item.size)
    )


def _put(client: S3Client, bucket: str, item: Upload) -> None:
    if item.path is not None:
        _put_file(client, bucket, item, item.path)
        return
    with tempfile.NamedTemporaryFile(prefix="rescue-tui-publish-") as staged:
        staged.write(item.data or b"")
        staged.flush()
        _put_file(client, bucket, item, Path(staged.name))


def _put_file(client: S3Client, bucket: str, item: Upload, source: Path) -> None:
    client.put(
        bucket, item.key, source=source, sha256=item.sha256, content_type=item.content_type, public=not item.private
    )
