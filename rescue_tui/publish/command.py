"""``rescue-tui publish``: a machine's recovery set into an S3 bucket, for network boot (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rescue_tui.errors import ExitCode

DEFAULT_IMAGE = Path("iso/out")
"""Where ``make iso`` puts the image (``ISO_OUT``)."""


def add_publish_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``publish`` to the ``rescue-tui`` command tree."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "publish",
        help="put a machine's layout, backup manifest and the rescue image into an S3 bucket for network boot",
        description=(
            "Machines network-boot BASE/boot.ipxe (the DHCP filename, or 'chain' from iPXE) and find their own "
            "recovery set there by MAC or DMI serial. Keys: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Every "
            "object is public-read (iPXE and live-boot read anonymously): use a bucket on the boot network; "
            "--private keeps the layout and manifest to those with keys."
        ),
    )
    p.add_argument("--to", required=True, metavar="s3://BUCKET/PREFIX/", help="the machine's folder in the bucket")
    p.add_argument(
        "--endpoint", required=True, metavar="URL", help="the S3 server to write to (https://s3.example:443)"
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the bucket as the machines reach it, in the boot scripts (default: ENDPOINT/BUCKET)",
    )
    p.add_argument("--layout", required=True, type=Path, help="the machine's saved layout (validated first)")
    p.add_argument(
        "--image", type=Path, default=DEFAULT_IMAGE, help=f"the built rescue image's folder (default: {DEFAULT_IMAGE})"
    )
    p.add_argument("--manifest", type=Path, help="the backup's manifest (rescue-tui backup writes it)")
    p.add_argument("--serial", action="append", default=[], help="the machine's DMI serial, to be found by it too")
    p.add_argument(
        "--boot-option",
        action="append",
        default=[],
        metavar="OPTION",
        help="a kernel option for the machine's rescue boot (rescue.backend=..., rescue.unattended); repeatable",
    )
    p.add_argument(
        "--private",
        action="store_true",
        help="layout and manifest readable with keys only: the rescue system reads the layout as s3://BUCKET/KEY "
        "with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL from rescue.credentials_file=",
    )
    p.add_argument("--region", default="us-east-1", help="the region the signature names (default: us-east-1)")
    p.add_argument("--ca-file", type=Path, help="the CA certificate that signed the S3 server's (PEM)")
    p.add_argument("--create-bucket", action="store_true", help="make the bucket when it does not exist")
    p.add_argument("--dry-run", action="store_true", help="list what would be put; no request is made")
    p.set_defaults(handler=_publish)
    return p


def _publish(args: argparse.Namespace) -> int:
    from rescue_tui.errors import LayoutError
    from rescue_tui.inputs import parse_json, read_text
    from rescue_tui.layout.validate import parse_valid_layout
    from rescue_tui.publish.bucket import parse_base_url, parse_destination
    from rescue_tui.publish.contents import publication

    destination = parse_destination(args.to)
    endpoint = parse_base_url(args.endpoint, option="--endpoint")
    base = (
        parse_base_url(args.public_url, option="--public-url")
        if args.public_url
        else f"{endpoint}/{destination.bucket}"
    )
    layout_text = read_text(args.layout, what="layout", error=LayoutError)
    layout = parse_valid_layout(layout_text, where=str(args.layout))  # the bytes checked are the bytes put
    manifest = None
    if args.manifest is not None:
        text = read_text(args.manifest, what="backup manifest")
        parse_json(text, where=str(args.manifest))
        manifest = text.encode()
    plan = publication(
        destination=destination,
        base_url=base,
        layout=layout,
        layout_bytes=layout_text.encode(),
        image=args.image,
        manifest=manifest,
        serials=args.serial,
        options=args.boot_option,
        private=args.private,
    )
    if args.dry_run:
        for item in plan.uploads:
            _line("would put", item)
        print(f"machines boot: {plan.entry}")
        return ExitCode.OK

    from rescue_tui.publish.upload import upload
    from rescue_tui.remote.s3 import S3Client, S3Keys

    client = S3Client(endpoint, S3Keys.from_environment(), region=args.region, ca_file=args.ca_file)
    upload(plan, client, create_bucket=args.create_bucket, say=_line)
    print(f"machines boot: {plan.entry}")
    return ExitCode.OK


def _line(verb: str, item: Any) -> None:
    from rescue_tui.units import human_size

    private = ", private" if item.private else ""
    print(f"{verb:>9}  {human_size(item.size):>10}  {item.key}  ({item.what}{private})")
    sys.stdout.flush()
