"""A minimal S3 client: HEAD, GET and PUT an object, PUT a bucket, signed by curl (``--aws-sigv4``).

Used by ``publish`` (it writes a recovery set into a bucket) and by ``remote.fetch`` (a layout named
``s3://BUCKET/KEY``, read with keys from a private bucket). curl is already how every HTTP(S) transfer of ours
is made, with one policy (``remote.fetch.curl_settings``); its AWS signature covers S3 here without a new
library. The keys reach curl on its standard input as a config file (``-K -``), never on its command line,
where any user could read them in the process list. Every request sends the payload's sha256 (S3 wants it in
``x-amz-content-sha256``), so a body changed in transit is refused by the server; the same digest goes in
``x-amz-meta-sha256``, which is how a later publish knows the image is there.

Where the server is and how to sign for it come from the variables every S3 tool reads: ``AWS_ENDPOINT_URL``
(default AWS itself), ``AWS_REGION`` or ``AWS_DEFAULT_REGION`` (default ``us-east-1``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from rescue_tui.command import run
from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.remote.fetch import curl_settings

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
TIMEOUT = 6 * 3600.0
"""A squashfs of a few hundred MB at the slowest link we would wait on; a stalled transfer ends long before
(curl's speed limit, ``remote.fetch.STALL_SECONDS``)."""
ACCESS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
"""Where the keys come from: the variables restic, the AWS tools and every S3 client read."""
PLACE_ENV = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION")
"""Where the server is and the region to sign for (not secrets)."""
S3_VARIABLES = ACCESS_ENV + PLACE_ENV
"""Every variable an S3 client of ours reads (``rescue.credentials_file=`` may set them for an ``s3://`` layout)."""
DEFAULT_ENDPOINT = "https://s3.amazonaws.com"
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
"""S3's bucket names (3-63 characters: lower case, digits, dots and hyphens; a letter or digit at each end)."""
_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")
_ADVICE = {
    "NoSuchBucket": "the bucket does not exist (publish --create-bucket makes it)",
    "NoSuchKey": "no such object in the bucket",
    "SignatureDoesNotMatch": "the server refused the signature: the secret key (AWS_SECRET_ACCESS_KEY) is wrong",
    "InvalidAccessKeyId": "the server does not know the access key (AWS_ACCESS_KEY_ID)",
    "AccessDenied": "the keys may not write there",
    "BucketAlreadyExists": "the bucket name is taken by another account",
}


class S3Error(RescueError):
    """The S3 server refused a request or could not be reached."""


@dataclass(frozen=True)
class S3Keys:
    access_key: str
    secret_key: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> S3Keys:
        """The keys from ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (of ``environ``, by default the
        process's); BadInputError when one is missing."""
        source = os.environ if environ is None else environ
        values = [source.get(name, "") for name in ACCESS_ENV]
        missing = [name for name, value in zip(ACCESS_ENV, values, strict=True) if not value]
        if missing:
            raise BadInputError(f"no S3 keys: set {' and '.join(missing)} (never on the command line)")
        for name, value in zip(ACCESS_ENV, values, strict=True):
            if any(ord(c) < 32 or c in '"\\' for c in value):
                raise BadInputError(f"{name}: contains a quote, backslash or control character")
        return cls(values[0], values[1])


def client_from_environment(environ: Mapping[str, str] | None = None, *, ca_file: Path | None = None) -> S3Client:
    """A client for the server, region and keys the ``AWS_*`` variables name; BadInputError for a bad one."""
    source = os.environ if environ is None else environ
    endpoint = base_url(source.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT, where="AWS_ENDPOINT_URL")
    region = source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or "us-east-1"
    if not re.fullmatch(r"[a-z0-9-]{1,32}", region):
        raise BadInputError(f"AWS_REGION {region!r}: not a region name")
    return S3Client(endpoint, S3Keys.from_environment(source), region=region, ca_file=ca_file)


def base_url(text: str, *, where: str) -> str:
    """An http(s) URL without credentials, query or fragment, without its trailing slash; BadInputError else."""

    def bad(what: str) -> BadInputError:
        return BadInputError(f"{where} {text!r}: {what}")

    if any(ord(c) <= 32 or ord(c) == 127 for c in text):
        raise bad("contains spaces or control characters")
    try:
        url = urlsplit(text)
        url.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise bad("the host or port is not valid") from None
    if url.scheme not in ("http", "https"):
        raise bad("must be an http:// or https:// URL")
    if not url.hostname:
        raise bad("names no host")
    if url.username is not None or url.password is not None:
        raise bad("credentials in a URL would show in process lists and boot scripts")
    if url.query or url.fragment:
        raise bad("unexpected '?' or '#'")
    if any(part in (".", "..") for part in url.path.split("/")):
        raise bad("the path has a '.' or '..' part")
    return text.rstrip("/")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class S3Client:
    """Path-style requests (``ENDPOINT/BUCKET/KEY``) to one endpoint, signed for ``region``."""

    endpoint: str
    keys: S3Keys
    region: str = "us-east-1"
    ca_file: Path | None = None

    def head(self, bucket: str, key: str) -> Response:
        return self._request("HEAD", f"{bucket}/{key}")

    def get(self, bucket: str, key: str, destination: Path, *, max_bytes: int) -> None:
        """The object's bytes into ``destination`` (at most ``max_bytes``); S3Error with S3's reason else."""
        answer = self._request("GET", f"{bucket}/{key}", output=destination, max_bytes=max_bytes)
        if answer.status != 200:
            raise self._refused("GET", f"{bucket}/{key}", answer)

    def put_bucket(self, bucket: str) -> None:
        """Make ``bucket``; one that is ours already is fine."""
        answer = self._request("PUT", bucket)
        if answer.status != 200 and _code(answer) != "BucketAlreadyOwnedByYou":
            raise self._refused("PUT", bucket, answer)

    def bucket_exists(self, bucket: str) -> bool:
        """Whether ``bucket`` exists (asked for its location: a HEAD's refusal has no body to say why)."""
        answer = self._request("GET", f"{bucket}?location=")
        if answer.status == 404 and _code(answer) == "NoSuchBucket":
            return False
        if answer.status != 200:
            raise self._refused("GET", f"{bucket}?location=", answer)
        return True

    def put(self, bucket: str, key: str, *, source: Path, sha256: str, content_type: str, public: bool) -> None:
        headers = {"Content-Type": content_type, "x-amz-meta-sha256": sha256}
        if public:
            headers["x-amz-acl"] = "public-read"
        answer = self._request("PUT", f"{bucket}/{key}", upload=source, sha256=sha256, headers=headers)
        if answer.status != 200:
            raise self._refused("PUT", f"{bucket}/{key}", answer)

    def _request(
        self,
        method: str,
        path: str,
        *,
        upload: Path | None = None,
        sha256: str = EMPTY_SHA256,
        headers: dict[str, str] | None = None,
        output: Path | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """One signed request; the body goes to ``output`` (kept only on 200) or is read for S3's error code."""
        url = f"{self.endpoint}/{path}"
        config = [f'user = "{self.keys.access_key}:{self.keys.secret_key}"']
        argv = ["curl", "-q", "-K", "-"]
        for name, value in curl_settings(url):
            if name != "fail":  # the status and S3's own error code are read below
                argv += [f"--{name}"] if value is None else [f"--{name}", value]
        argv += ["--aws-sigv4", f"aws:amz:{self.region}:s3", "--path-as-is", "--dump-header", "-"]
        argv += ["-H", f"x-amz-content-sha256: {sha256}"]
        for name, value in (headers or {}).items():
            argv += ["-H", f"{name}: {value}"]
        if self.ca_file is not None:
            argv += ["--cacert", str(self.ca_file)]
        if max_bytes is not None:
            argv += ["--max-filesize", str(max_bytes)]
        if method == "HEAD":
            argv += ["--head"]
        elif upload is not None:
            argv += ["--upload-file", str(upload)]
        else:
            argv += ["--request", method]
        with tempfile.NamedTemporaryFile(prefix="rescue-tui-s3-", dir=output.parent if output else None) as body:
            argv += ["--output", body.name, "--url", url]
            try:
                said = run(argv, error=S3Error, timeout=TIMEOUT, stdin="\n".join(config) + "\n")
            except S3Error as exc:
                reason = exc.message.split(" failed with exit code ", 1)[-1].split(": ", 1)[-1]
                raise S3Error(f"{method} {url}: {reason}") from None
            answer = _response(said, b"")
            if output is not None and answer.status == 200:
                os.link(body.name, output)  # mode 0600, as NamedTemporaryFile made it
                return answer
            with open(body.name, "rb") as kept:
                return replace(answer, body=kept.read(65536))  # enough for S3's error code

    def _refused(self, method: str, path: str, answer: Response) -> S3Error:
        code = _code(answer)
        advice = _ADVICE.get(code, "")
        return S3Error(
            f"{method} {self.endpoint}/{path}: HTTP {answer.status} {code}".rstrip() + (f": {advice}" if advice else "")
        )


def _code(answer: Response) -> str:
    found = _CODE.search(answer.body)
    return found.group(1).decode("ascii", "replace") if found else ""


def _response(dumped: str, body: bytes) -> Response:
    """The last response in curl's dumped headers (an upload first gets ``100 Continue``)."""
    blocks = [b for b in dumped.replace("\r\n", "\n").split("\n\n") if b.strip().startswith("HTTP/")]
    if not blocks:
        raise S3Error("the S3 server sent no HTTP answer")
    lines = blocks[-1].strip().split("\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise S3Error(f"the S3 server sent no HTTP status: {lines[0][:80]!r}") from None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status, headers, body)
