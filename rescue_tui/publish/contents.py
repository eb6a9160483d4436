"""What ``publish`` puts in the bucket, as data: every object's key, bytes (or file), size and digest.

The bucket, for ``s3://fleet/dc1/web1/`` and an image whose files hash to ``K``::

    boot.ipxe                     every machine's first script (ipxe.dispatch_script)
    by-mac/52-54-00-12-34-56.ipxe one per MAC of the layout's ethernet interfaces: chains to dc1/web1/boot.ipxe
    by-serial/SERIAL.ipxe         with --serial: the same, by DMI serial
    images/K/vmlinuz              the rescue image's network-boot files, shared by every machine
    images/K/initrd-net.img         published with it (content-addressed: uploaded once)
    images/K/filesystem.squashfs
    dc1/web1/layout.json          the machine's layout (validated)
    dc1/web1/backup.manifest.json its backup's manifest (with --manifest)
    dc1/web1/boot.ipxe            boots images/K with rescue.layout=.../dc1/web1/layout.json
    dc1/web1/published.json       what was published, with every object's sha256

Machines read these anonymously (iPXE and live-boot send no S3 signature), so every object is
public-read: publish to a bucket on the network the machines boot from. With ``private`` the layout
and the manifest are not: the boot script names the layout ``s3://BUCKET/PREFIX/layout.json``, and
the rescue system signs its GET with the keys of ``rescue.credentials_file=`` (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``). The image and the scripts stay public: iPXE cannot sign.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rescue_tui import __version__
from rescue_tui.errors import BadInputError
from rescue_tui.files import sha256_file
from rescue_tui.layout.model import Layout
from rescue_tui.publish import ipxe
from rescue_tui.publish.bucket import BucketPrefix

IMAGE_FILES = ("vmlinuz", ipxe.NET_INITRD, "filesystem.squashfs")
"""What network boot needs of a built image (``iso/build --out DIR`` or its cache folder)."""
_OPTION = re.compile(r"[A-Za-z0-9_.-]+(=[A-Za-z0-9_.,:/@%+=-]*)?")
"""A kernel option as an operator would add one (``rescue.unattended``, ``rescue.backend=tar+nfs://...``): no
spaces, quotes or ``$`` (iPXE would read ``${...}`` as its own settings)."""
_OURS = ("boot", "fetch", "rescue.layout", "initrd")
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Upload:
    """One object to put: its key, and either its bytes or the file that holds them."""

    key: str
    what: str
    """What it is, for the listing (``layout``, ``rescue image kernel``, ...)."""
    size: int
    sha256: str
    content_type: str
    data: bytes | None = None
    path: Path | None = None
    shared: bool = False
    """Content-addressed (the image): left as it is when the bucket already holds these bytes."""
    private: bool = False
    """Read with keys only (a layout, a manifest with ``--private``); everything else is public-read."""

    @classmethod
    def of_bytes(cls, key: str, what: str, data: bytes, content_type: str, *, private: bool = False) -> Upload:
        digest = hashlib.sha256(data).hexdigest()
        return cls(key, what, len(data), digest, content_type, data=data, private=private)

    @classmethod
    def of_file(cls, key: str, what: str, path: Path, digest: str, *, shared: bool) -> Upload:
        return cls(key, what, path.stat().st_size, digest, "application/octet-stream", path=path, shared=shared)


@dataclass(frozen=True)
class Publication:
    """Everything one ``publish`` puts, in upload order: the image and the machine's files before the scripts that
    point at them, so a machine never boots a script whose files are not there yet."""

    destination: BucketPrefix
    base_url: str
    uploads: tuple[Upload, ...]

    @property
    def entry(self) -> str:
        """The URL a machine's iPXE runs first (DHCP filename, or ``chain`` from another iPXE)."""
        return f"{self.base_url}/boot.ipxe"


def image_files(directory: Path) -> dict[str, Path]:
    """The network-boot files of a built image; BadInputError naming the first one missing."""
    found = {}
    for name in IMAGE_FILES:
        path = directory / name
        if not path.is_file():
            raise BadInputError(
                f"--image {directory}: no {name} (an image built by this version: make iso, or iso/build --out DIR)"
            )
        found[name] = path
    return found


def check_options(options: Sequence[str]) -> tuple[str, ...]:
    """Kernel options the operator adds to the machine's boot; BadInputError for one iPXE or we would misread."""
    for option in options:
        if not _OPTION.fullmatch(option):
            raise BadInputError(f"--boot-option {option!r}: not a plain kernel option (no spaces, quotes or '$')")
        if option.split("=", 1)[0] in _OURS:
            raise BadInputError(f"--boot-option {option!r}: publish sets {option.split('=', 1)[0]}= itself")
    return tuple(options)


def check_serial(serial: str) -> str:
    if not _SERIAL.fullmatch(serial):
        raise BadInputError(
            f"--serial {serial!r}: not a DMI serial publish can name a file by (letters, digits, . _ -)"
        )
    return serial


def publication(
    *,
    destination: BucketPrefix,
    base_url: str,
    layout: Layout,
    layout_bytes: bytes,
    image: Path,
    manifest: bytes | None = None,
    serials: Sequence[str] = (),
    options: Sequence[str] = (),
    private: bool = False,
    now: datetime | None = None,
) -> Publication:
    """The objects that publish ``layout`` (and the file's bytes), ``image`` (a folder, see :func:`image_files`) and
    the backup's ``manifest`` at ``destination``; with ``private``, layout and manifest are read with keys only."""
    files = image_files(image)
    digests = {name: sha256_file(path) for name, path in files.items()}
    image_key = hashlib.sha256("".join(digests[name] for name in IMAGE_FILES).encode()).hexdigest()[:16]
    image_dir = f"images/{image_key}"
    uploads = [
        Upload.of_file(f"{image_dir}/{name}", f"rescue image: {name}", path, digests[name], shared=True)
        for name, path in files.items()
    ]
    layout_key = destination.key("layout.json")
    uploads.append(Upload.of_bytes(layout_key, "layout", layout_bytes, "application/json", private=private))
    if manifest is not None:
        key = destination.key("backup.manifest.json")
        uploads.append(Upload.of_bytes(key, "backup manifest", manifest, "application/json", private=private))
    host_key = destination.key("boot.ipxe")
    script = ipxe.host_script(
        hostname=layout.machine.hostname,
        image=f"{base_url}/{image_dir}",
        layout=f"s3://{destination.bucket}/{layout_key}" if private else f"{base_url}/{layout_key}",
        options=check_options(options),
    )
    uploads.append(Upload.of_bytes(host_key, "boot script", script.encode(), "text/plain"))
    pointer = ipxe.pointer_script(f"{base_url}/{host_key}").encode()
    for mac in macs(layout):
        uploads.append(Upload.of_bytes(f"by-mac/{mac.replace(':', '-')}.ipxe", f"MAC {mac}", pointer, "text/plain"))
    for serial in serials:
        uploads.append(
            Upload.of_bytes(f"by-serial/{check_serial(serial)}.ipxe", f"serial {serial}", pointer, "text/plain")
        )
    uploads.append(Upload.of_bytes("boot.ipxe", "first script", ipxe.dispatch_script(base_url).encode(), "text/plain"))
    record = {
        "published_by": f"rescue-tui {__version__}",
        "published_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "hostname": layout.machine.hostname,
        "entry": f"{base_url}/boot.ipxe",
        "objects": [{"key": u.key, "what": u.what, "size": u.size, "sha256": u.sha256} for u in uploads],
    }
    uploads.append(
        Upload.of_bytes(
            destination.key("published.json"),
            "this list",
            (json.dumps(record, indent=2) + "\n").encode(),
            "application/json",
        )
    )
    return Publication(destination=destination, base_url=base_url, uploads=tuple(uploads))


def macs(layout: Layout) -> list[str]:
    """The MACs of the layout's ethernet interfaces, lower case, each once, in layout order."""
    if layout.network is None:
        return []
    seen: list[str] = []
    for iface in layout.network.interfaces:
        if iface.kind == "ethernet" and iface.mac and iface.mac.lower() not in seen:
            seen.append(iface.mac.lower())
    return seen
