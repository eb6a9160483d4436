"""``rescue-tui boot``: the plain screen, the consoles' fallback when the recovery console cannot run.

The console units run ``rescue_tui.launch``, which starts the Textual console
and shows this screen instead when it cannot (Textual fails to import, the
terminal is too small, the console stopped on an error) or when the kernel
command line says ``rescue.face=plain``. It needs nothing but the standard
library and the engine's readers, so it works where the console does not:
a plain-ASCII screen (the machine, the embedded layouts, the consoles, the
kernel options and their problems, and why the console is not running), then
a few keys: ``v`` validates and shows the layout, ``s`` opens a root shell,
``r`` reboots. Nothing here writes to a disk.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import termios
import textwrap
import tty
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from rescue_tui import __version__
from rescue_tui.boot.cmdline import BootOptions, read_cmdline
from rescue_tui.console import ConsoleInfo, prepare_console
from rescue_tui.errors import BadInputError
from rescue_tui.facts import MachineFacts, read_facts
from rescue_tui.inputs import parse_json, read_text
from rescue_tui.layout.embedded import EMBEDDED_DIR, embedded_layouts

"""Where the image build puts an embedded layout (``layout.json``; any ``*.json`` counts)."""
WIDTH: Final = 78
PROMPT: Final = "Press v, s or r: "
"""The last line of the first screen (tests wait for it)."""

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True, kw_only=True)
class LayoutFile:
    """An embedded (or command-line) layout as seen without validating it."""

    path: Path
    hostname: str | None = None
    items: int | None = None
    problem: str | None = None


def find_layouts(directory: Path, options: BootOptions) -> list[LayoutFile]:
    """Embedded layouts (``*.json`` in ``directory``) and a local ``rescue.layout=`` path."""
    found = embedded_layouts(directory)
    if options.layout and not options.layout_is_url:
        found.append(Path(options.layout))
    return [_peek_layout(p) for p in found]


def render_welcome(
    machine: MachineFacts,
    layouts: Sequence[LayoutFile],
    console: ConsoleInfo,
    options: BootOptions,
    reason: str | None = None,
) -> str:
    """The plain screen: plain ASCII, at most 78 columns, fits 24 rows; ``reason``: why the console is not running."""
    out: list[str] = []
    title = f"rescue-tui {__version__} - bare-metal recovery"
    out.append(f"{title}{f'[{console.name}]':>{WIDTH - len(title)}}")
    out.append("=" * WIDTH)
    out += _field("Machine", [f"{machine.vendor} {machine.product}, {machine.firmware} firmware"])
    out += _field("", [f"{machine.cpus} CPUs, {_size(machine.memory)} RAM, kernel {machine.kernel}"])
    disks = [f"{d.name} {_size(d.size)}" + (f" ({d.model})" if d.model else "") for d in machine.disks]
    out += _field("Disks", _wrap(disks) or ["none found"])
    out += _field("Consoles", [" ".join(machine.consoles) or "?", f"this one: {console.describe()}"])
    layout_lines = [_layout_line(lf) for lf in layouts]
    if options.layout_is_url:
        layout_lines.append(f"{options.layout} (to fetch over the network)")
    out += _field("Layouts", layout_lines or ["none embedded; boot with rescue.layout=PATH|URL"])
    out += _field("Options", [options.summary()])
    out += _field("Problems", _problems(options, layouts) or ["none"])
    out.append("-" * WIDTH)
    why = f"The recovery console is not running: {reason}." if reason else "Plain screen (rescue.face=plain)."
    out += textwrap.wrap(why, WIDTH, break_on_hyphens=False)[:3]
    out.append("Keys:")
    out.append("  v  validate and show the layout")
    out.append("  s  root shell (type exit to come back here)")
    out.append("  r  reboot")
    return "\n".join(_ascii(line) for line in out) + "\n"


def add_boot_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``boot`` to the ``rescue-tui`` command tree (``subparsers`` from add_subparsers)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "boot", help="the rescue system's plain console screen (the fallback of the recovery console)"
    )
    configure_parser(parser)
    return parser


def run_boot(args: argparse.Namespace) -> int:
    """``rescue-tui boot``: the plain screen, asked for."""
    return run_plain(args, reason=None)


def run_plain(args: argparse.Namespace, reason: str | None) -> int:
    """Show the plain screen on stdin's console and answer keys until EOF; ``reason``: why not the console."""
    options = read_cmdline(args.cmdline)
    console = prepare_console(options.console, fd=sys.stdin.fileno(), name=args.console)
    layouts = find_layouts(args.layouts, options)
    screen = render_welcome(read_facts(), layouts, console, options, reason)
    out = sys.stdout
    _write(out, screen)
    notify_ready()
    if args.no_wait:
        return 0
    while True:
        _write(out, PROMPT)
        key = _read_key(sys.stdin)
        if key is None:
            _write(out, "\n")
            return 0
        key = key.lower()
        if key == "v":
            _write(out, "v\n" + show_layouts(layouts, options))
        elif key == "s":
            _write(out, "s\nRoot shell: type exit to come back to rescue-tui.\n")
            os.execv("/bin/bash", ["bash", "--login"])
        elif key == "r":
            _write(out, "r\nReboot now? [y/N] ")
            if (_read_key(sys.stdin) or "n").lower() == "y":
                _write(out, "y\nRebooting.\n")
                subprocess.run(["systemctl", "reboot"], check=False)
                return 0
            _write(out, "\n")
        elif key in ("\x0c", "\r", "\n", " "):
            _write(out, "\n" + screen)
        else:
            _write(out, "\n")


def show_layouts(layouts: Sequence[LayoutFile], options: BootOptions) -> str:
    """``v``: validate each layout and show it as a tree, or say why it is not valid."""
    from rescue_tui.errors import RescueError
    from rescue_tui.layout.show import render_tree
    from rescue_tui.layout.validate import load_valid_layout

    parts: list[str] = []
    if options.layout_is_url:
        parts.append(f"{options.layout}: fetched by the recovery console's layout screen and by rescue.unattended\n")
    if not layouts and not parts:
        parts.append("No layout embedded in this image and none given with rescue.layout=.\n")
    for layout in layouts:
        try:
            valid = load_valid_layout(layout.path)
        except RescueError as exc:
            parts.append(f"{layout.path}: NOT VALID\n" + "".join(f"  {line}\n" for line in exc.lines()))
            continue
        except OSError as exc:
            parts.append(f"{layout.path}: cannot read ({exc.strerror})\n")
            continue
        parts.append(f"{layout.path}: valid ({len(valid.items)} items)\n{render_tree(valid)}")
    return _ascii("".join(parts))


def notify_ready(environ: dict[str, str] | None = None) -> bool:
    """Tell systemd the first screen is up (the units are Type=notify); True if told.

    The network and logind wait for it, so they do not slow the first screen down.
    NOTIFY_SOCKET is removed afterwards: a shell started from here is no service.
    """
    env = os.environ if environ is None else environ
    address = env.pop("NOTIFY_SOCKET", "")
    if not address.startswith(("/", "@")):
        return False
    target = "\0" + address[1:] if address.startswith("@") else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"READY=1", target)
    except OSError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m rescue_tui.boot``, which the console units run."""
    parser = argparse.ArgumentParser(prog="rescue-tui boot", description="The rescue system's plain console screen.")
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)  # type: ignore[no-any-return]
    except KeyboardInterrupt:
        return 130


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """The options of a console face (``rescue-tui boot`` and ``rescue_tui.launch``)."""
    parser.add_argument("--console", metavar="NAME", help="the console this runs on (tty1, ttyS0); default: stdin's")
    parser.add_argument(
        "--cmdline", type=Path, default=Path("/proc/cmdline"), metavar="FILE", help="kernel command line to read"
    )
    parser.add_argument("--layouts", type=Path, default=EMBEDDED_DIR, metavar="DIR", help="embedded layouts")
    parser.add_argument("--no-wait", action="store_true", help="print the screen and exit")
    parser.set_defaults(handler=run_boot)


def _problems(options: BootOptions, layouts: Sequence[LayoutFile]) -> list[str]:
    lines = list(options.problems)
    lines += [f"{lf.path}: {lf.problem}" for lf in layouts if lf.problem]
    if options.unattended and not layouts and not options.layout_is_url:
        lines.append("rescue.unattended: no layout to recover (none embedded, no rescue.layout=)")
    return lines


def _peek_layout(path: Path) -> LayoutFile:
    if not path.exists():
        return LayoutFile(path=path, problem="no such file")
    try:
        text = read_text(path, what="layout")
    except BadInputError as exc:
        return LayoutFile(path=path, problem=exc.message.removeprefix(f"{path}: "))
    try:
        data = parse_json(text, where="")
    except BadInputError as exc:
        return LayoutFile(path=path, problem=f"not JSON (line {exc.message.lstrip(':')})")
    if not isinstance(data, dict):
        return LayoutFile(path=path, problem="not a layout (no JSON object)")
    machine = data.get("machine")
    hostname = machine.get("hostname") if isinstance(machine, dict) else None
    items = data.get("items")
    return LayoutFile(
        path=path,
        hostname=hostname if isinstance(hostname, str) else None,
        items=len(items) if isinstance(items, list) else None,
    )


def _layout_line(layout: LayoutFile) -> str:
    if layout.problem:
        return f"{layout.path} ({layout.problem})"
    host = layout.hostname or "?"
    items = "?" if layout.items is None else str(layout.items)
    return f"{layout.path} (host {host}, {items} items)"


def _field(label: str, lines: Sequence[str]) -> list[str]:
    """``Label    : line``, continuation lines indented, long lines wrapped at 78 columns."""
    head = f"{label:<9}: " if label else " " * 11
    wrapped = [
        part
        for line in lines
        for part in textwrap.wrap(
            line, WIDTH - 11, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
        )
        or [""]
    ]
    return [(head if i == 0 else " " * 11) + line for i, line in enumerate(wrapped)]


def _wrap(words: Sequence[str], width: int = WIDTH - 11) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 2 + len(word) <= width:
            lines[-1] += ", " + word
        else:
            lines.append(word)
    return lines[:3] + ([f"... and {len(lines) - 3} more lines"] if len(lines) > 3 else [])


def _size(n: int) -> str:
    if n <= 0:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit in ("B", "KiB", "MiB") else f"{value:.1f} {unit}"
        value /= 1024
    return "?"


def _ascii(text: str) -> str:
    """Printable ASCII only: DMI strings and file names can hold anything."""
    return "".join(c if c == "\n" or " " <= c <= "~" else "?" for c in text)


def _read(path: Path) -> str:
    try:
        return _ascii(path.read_text(encoding="utf-8", errors="replace").strip())
    except OSError:
        return ""


def _write(out: TextIO, text: str) -> None:
    out.write(text)
    out.flush()


@contextmanager
def _cbreak(stream: TextIO) -> Iterator[None]:
    """Single keys without Enter and without echo, restored afterwards."""
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        new = termios.tcgetattr(fd)
        new[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, new)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_key(stream: TextIO) -> str | None:
    """One key from the console; None at end of input."""
    if stream.isatty():
        with _cbreak(stream):
            data = os.read(stream.fileno(), 1)
        return data.decode("ascii", errors="replace") if data else None
    char = stream.read(1)
    return char or None
