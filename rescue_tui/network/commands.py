"""``rescue-tui network plan`` (what the rescue network would be, writing nothing) and the boot's setup."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path
from typing import Any

from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.layout.embedded import EMBEDDED_DIR
from rescue_tui.network.links import SYS_NET

log = logging.getLogger(__name__)


def add_network_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``network`` to the ``rescue-tui`` command tree."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "network", help="the rescue system's network: what it would bring up (plan) or bring it up (setup)"
    )
    actions = parser.add_subparsers(dest="network_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    for name, help_text, handler in (
        ("plan", "print what each interface would get, and networkd's files; writes nothing", _plan),
        ("setup", "write networkd's files for this boot (the rescue system runs this at boot)", _setup),
    ):
        p = actions.add_parser(name, help=help_text)
        p.add_argument("--cmdline", type=Path, default=Path("/proc/cmdline"), help="kernel command line to read")
        p.add_argument("--layouts", type=Path, default=EMBEDDED_DIR, metavar="DIR", help="embedded layouts")
        p.add_argument("--sys-net", type=Path, default=SYS_NET, metavar="DIR", help=argparse.SUPPRESS)
        p.set_defaults(handler=handler)
    p = actions.add_parser("set", help="give one interface an address by hand (or DHCP) now, keeping the others")
    p.add_argument("interface")
    p.add_argument("address", nargs="?", help="ADDRESS/PREFIX, such as 192.0.2.10/24; without it, DHCP")
    p.add_argument("--gateway", default="", help="the default route's gateway")
    p.add_argument("--dns", action="append", default=[], metavar="IP", help="a name server (repeatable)")
    p.add_argument("--sys-net", type=Path, default=SYS_NET, metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(handler=_set)
    return parser


def _sources(args: argparse.Namespace, *, mount_backup: bool) -> Any:
    from rescue_tui.network.setup import Sources

    return Sources(cmdline=args.cmdline, embedded=args.layouts, sys_net=args.sys_net, mount_backup=mount_backup)


def _plan(args: argparse.Namespace) -> int:
    from rescue_tui.network.networkd import render
    from rescue_tui.network.setup import decide

    choice = decide(_sources(args, mount_backup=False))
    out = [f"rescue network from {choice.source}:", *(f"  {line}" for line in choice.lines)]
    for path, text in render(choice).items():
        out += ["", f"--- {path}", text.rstrip("\n")]
    print("\n".join(out))
    return 0


def _setup(args: argparse.Namespace) -> int:
    from rescue_tui.network.choose import Choice
    from rescue_tui.network.setup import decide, save_state, write_files
    from rescue_tui.udev import settle

    with contextlib.suppress(RescueError):  # the links' names settled; best effort, the rest follows anyway
        settle(15)
    try:
        choice = decide(_sources(args, mount_backup=True))
        write_files(choice)
    except Exception as exc:  # at boot: whatever went wrong, the machine keeps DHCP on every link, and says why
        log.exception("the rescue network could not be set up")
        failed = f"set-up failed ({type(exc).__name__}: {exc}): DHCP on every wired link"
        choice = Choice(source="default", lines=(failed,), summary=failed)
        write_files(choice)
    save_state(choice)
    print(f"rescue network from {choice.source}: " + "; ".join(choice.lines), file=sys.stdout)
    return 0


def _set(args: argparse.Namespace) -> int:
    from rescue_tui.network.links import present_links
    from rescue_tui.network.manual import manual_request, set_by_hand

    if args.address is None and (args.gateway or args.dns):
        raise BadInputError("--gateway and --dns go with an address; DHCP brings its own")
    request = manual_request(args.interface, args.address, args.gateway, args.dns)
    print(set_by_hand(request, present_links(args.sys_net)))
    return 0
