"""Bring the rescue network up at boot: decide, write networkd's files, say what was chosen.

``rescue-network.service`` runs ``python3 -m rescue_tui.network`` after the
consoles drew their first screen and before systemd-networkd and
systemd-resolved start, so the network never delays the first screen and
networkd reads our files on its first start. A fault here (a layout that
does not validate, a backup disk that does not mount) is a line on the
welcome screen and DHCP on every link, never a rescue system without a
network.

``rescue-tui network plan`` prints the same decision and files, writing nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rescue_tui.boot.backupdisk import mount_if_on_backup_disk
from rescue_tui.boot.cmdline import cmdline_text, parse_cmdline, split_cmdline
from rescue_tui.errors import RescueError
from rescue_tui.files import write_atomic
from rescue_tui.layout.embedded import EMBEDDED_DIR, embedded_layouts
from rescue_tui.layout.model import Network
from rescue_tui.network.choose import Choice, choose
from rescue_tui.network.cmdline import net_values, parse_net
from rescue_tui.network.links import SYS_NET, present_links
from rescue_tui.network.networkd import FALLBACK, NETWORK_DIR, RESOLVED_DROPIN, render

log = logging.getLogger(__name__)

STATE = Path("/run/rescue-tui/network.json")
"""What was chosen, for the welcome screen: ``{"source": ..., "summary": ..., "lines": [...]}``."""
OURS = "10-rescue-"


@dataclass(frozen=True)
class Sources:
    """Where the decision reads from: the real system's places by default, a test's otherwise."""

    cmdline: Path = Path("/proc/cmdline")
    embedded: Path = EMBEDDED_DIR
    sys_net: Path = SYS_NET
    mount_backup: bool = True
    """Mount ``rescue.backupdisk=`` when the layout lies on it (the boot does; ``plan`` does not)."""


def _cmdline_text(path: Path) -> str:
    try:
        return cmdline_text(path)
    except OSError as exc:
        log.warning("%s: cannot read the kernel command line (%s)", path, exc.strerror)
        return ""


def _layout_network(text: str, sources: Sources, lines: list[str]) -> tuple[Network | None, str]:
    """The network of the layout this boot recovers (``rescue.layout=`` or the one embedded), and its path."""
    from rescue_tui.layout.validate import load_valid_layout

    options = parse_cmdline(text)
    if options.layout and options.layout_is_url:
        lines.append(f"{options.layout}: a layout fetched over the network cannot set up the network")
        return None, ""
    if options.layout:
        path = Path(options.layout)
        if sources.mount_backup and (mounted := mount_if_on_backup_disk(path, options)):
            lines.append(mounted)
    else:
        found = embedded_layouts(sources.embedded)
        if len(found) != 1:
            return None, ""  # none, or several: the operator picks one in the console
        path = found[0]
    try:
        layout = load_valid_layout(path)
    except RescueError as exc:
        lines.append(f"{path}: not used for the network: {exc.message}")
        return None, str(path)
    except OSError as exc:
        lines.append(f"{path}: not used for the network: {exc.strerror}")
        return None, str(path)
    return layout.network, str(path)


def decide(sources: Sources | None = None) -> Choice:
    """The rescue network for this boot, from the command line, the layout and the links present."""
    sources = sources or Sources()
    text = _cmdline_text(sources.cmdline)
    request = parse_net(net_values(split_cmdline(text)))
    lines: list[str] = []
    network, source = (None, "") if request.given else _layout_network(text, sources, lines)
    choice = choose(network, source, request, present_links(sources.sys_net))
    return dataclasses.replace(choice, lines=(*lines, *choice.lines))


def write_files(choice: Choice, root: Path = Path("/")) -> list[Path]:
    """Replace our networkd files (and resolved's drop-in) under ``root`` with the choice's; the paths written."""
    network_dir = root / NETWORK_DIR.lstrip("/")
    network_dir.mkdir(parents=True, exist_ok=True)
    for old in network_dir.glob(f"{OURS}*"):
        old.unlink()
    stale = [network_dir / FALLBACK, root / RESOLVED_DROPIN.lstrip("/")]
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    written = []
    for name, text in render(choice).items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_atomic(path, text))
    return written


def save_state(choice: Choice, path: Path = STATE) -> None:
    """What was chosen, for the welcome screen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(
        path,
        json.dumps({"source": choice.source, "summary": choice.summary, "lines": list(choice.lines)}, indent=1) + "\n",
    )


def load_state(path: Path = STATE) -> dict[str, Any]:
    """What setup saved (``source``, ``summary``, ``lines``); {} before it ran, or when it is not ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_state(path: Path = STATE) -> tuple[str, ...]:
    """The lines saying what the rescue network was given; none before it was set up."""
    return _lines(load_state(path))


def _lines(data: dict[str, Any]) -> tuple[str, ...]:
    lines = data.get("lines")
    return tuple(str(line) for line in lines) if isinstance(lines, list) else ()


def note_state(line: str, path: Path = STATE) -> None:
    """Add a line to what was chosen, and put it first in the summary (what the screen shows whole)."""
    data = load_state(path)
    summary = str(data.get("summary") or "")
    data.update(lines=[*_lines(data), line], summary=f"{line}; {summary}" if summary else line)
    data.setdefault("source", "set by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=1) + "\n")
