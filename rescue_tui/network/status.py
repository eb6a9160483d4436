"""The rescue network as the welcome screen shows it: addresses now, and what setup chose.

Read after the first screen is drawn (networkd starts after it), every few
seconds while the welcome screen is up; a screen redraws only when the
text changed, so an idle console stays silent on a serial line.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from rescue_tui.network.setup import STATE, load_state

IP_TIMEOUT = 5


def global_addresses() -> dict[str, list[str]]:
    """Interface name -> its global addresses (with prefix length), from ``ip -j address``; {} when ip fails."""
    try:
        done = subprocess.run(
            ["ip", "-j", "address", "show", "scope", "global"],
            capture_output=True,
            text=True,
            timeout=IP_TIMEOUT,
            check=False,
        )
        entries = json.loads(done.stdout) if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    out: dict[str, list[str]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("ifname"), str):
            continue
        found = [
            f"{a['local']}/{a.get('prefixlen')}"
            for a in entry.get("addr_info") or []
            if isinstance(a, dict) and a.get("local") and a.get("scope") == "global"
        ]
        if found:
            out[entry["ifname"]] = found
    return out


def network_text(state: Path = STATE, addresses_now: Callable[[], dict[str, list[str]]] = global_addresses) -> str:
    """'bond0 192.0.2.10/24, eno3 10.0.0.57/24' and, on a second line, the summary of what was chosen.

    ``addresses_now`` reads the addresses (``ip``); a test's tree of another machine gives its own.
    """
    addresses = addresses_now()
    now = ", ".join(f"{name} {' '.join(found)}" for name, found in sorted(addresses.items())) or "no address yet"
    chosen = summary(state)
    return f"{now}\n{chosen}" if chosen else now


def summary(state: Path = STATE) -> str:
    """The one-line summary setup saved, or ''."""
    text = load_state(state).get("summary")
    return text if isinstance(text, str) else ""
