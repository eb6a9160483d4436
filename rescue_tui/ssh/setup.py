"""Before sshd starts: the keys that may log in, fresh host keys, and what the welcome screen says.

``rescue-ssh.service`` runs ``python3 -m rescue_tui.ssh`` after the first
screen; sshd starts only when it wrote an authorized_keys (no key, no
sshd: there is no password to fall back on). Everything lives in /run, so
nothing of it outlives the boot: a rescue image never carries host keys,
and two machines booted from one medium never share them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rescue_tui.boot.backupdisk import mount_if_on_backup_disk
from rescue_tui.boot.cmdline import BootOptions, option_values, parse_cmdline, split_cmdline
from rescue_tui.errors import RescueError
from rescue_tui.files import write_atomic
from rescue_tui.layout.embedded import EMBEDDED_DIR
from rescue_tui.remote.fetch import fetch_waiting, is_url
from rescue_tui.ssh.keys import PublicKey, parse_keys

RUN_DIR = Path("/run/rescue-tui/ssh")
"""authorized_keys and the host keys (sshd_config.d/00-rescue-tui.conf names them)."""
STATE = Path("/run/rescue-tui/ssh.json")
OPTION = "rescue.ssh_keys"
MAX_BYTES = 1 << 20
"""More than any authorized_keys: the rest of a larger file is not read."""
FETCH_WAIT = 90.0
"""How long keys named by URL are tried for: the rescue network comes up beside this service."""
HOST_KEY_TYPES = ("ed25519", "ecdsa")
"""Host keys made each boot: fast to make under emulation (an RSA key takes seconds there)."""


@dataclass(frozen=True)
class SshState:
    """What setup did: the keys that may log in, the host keys' fingerprints, lines about it."""

    keys: tuple[PublicKey, ...] = ()
    host_keys: tuple[PublicKey, ...] = ()
    lines: tuple[str, ...] = ()


def gather_keys(
    cmdline: str, embedded: Path, *, mount_backup: bool = True, fetch_wait: float = FETCH_WAIT, run_dir: Path = RUN_DIR
) -> tuple[list[PublicKey], list[str]]:
    """The keys embedded in the image and those ``rescue.ssh_keys=`` names (a path, or an https URL), each once,
    and lines about them."""
    keys: list[PublicKey] = []
    lines: list[str] = []
    sources: list[tuple[Path, str]] = []
    """(file to read, how the lines name it)"""
    if (embedded / "ssh" / "authorized_keys").is_file():
        sources.append((embedded / "ssh" / "authorized_keys", str(embedded / "ssh" / "authorized_keys")))
    values = option_values(split_cmdline(cmdline), OPTION)
    if values:
        value = values[-1]  # the last one given wins, as for any kernel option
        if value.startswith("https://"):
            fetched = _fetch_keys(value, parse_cmdline(cmdline), lines, mount_backup, fetch_wait, run_dir)
            if fetched is not None:
                sources.append((fetched, value))
        elif is_url(value):
            lines.append(
                f"{OPTION}={value}: keys let root in, so they come over https only"
                " (rescue.ca_file= for a CA of your own), or from a path; ignored"
            )
        elif not value.startswith("/"):
            lines.append(f"{OPTION}={value}: not an absolute path; ignored")
        else:
            path = Path(value)
            if mount_backup and (mounted := mount_if_on_backup_disk(path, parse_cmdline(cmdline))):
                lines.append(mounted)
            sources.append((path, value))
    for source, shown in sources:
        try:
            if not source.is_file():  # a FIFO, a device: never wait on it or read it whole
                lines.append(f"{shown}: not a regular file; no key from it")
                continue
            with source.open("rb") as handle:
                text = handle.read(MAX_BYTES).decode("utf-8", errors="replace")
        except OSError as exc:
            lines.append(f"{shown}: cannot read ({exc.strerror}); no key from it")
            continue
        found, problems = parse_keys(text, where=shown)
        lines.extend(problems)
        new = [k for k in found if all(k.blob != seen.blob for seen in keys)]
        keys.extend(new)
        lines.append(f"{shown}: {len(new)} key{'s' if len(new) != 1 else ''}")
    return keys, lines


def _fetch_keys(
    url: str, options: BootOptions, lines: list[str], mount_backup: bool, wait: float, run_dir: Path
) -> Path | None:
    """The keys file at ``url``, copied under ``run_dir``, checked against ``rescue.ca_file=`` when given (which
    may lie on the backup disk); None, with the reason in ``lines``, when it cannot be had within ``wait``."""
    ca = options.ca_file
    if ca is not None and mount_backup and (mounted := mount_if_on_backup_disk(ca, options)):
        lines.append(mounted)
    try:
        return fetch_waiting(url, run_dir / "fetched", ca_file=ca, wait=wait)
    except RescueError as exc:
        lines.append(f"{OPTION}={url}: {exc.message}; no key from it")
        return None


def make_host_keys(run_dir: Path = RUN_DIR) -> list[PublicKey]:
    """A new host key of each type (kept if this boot made one already); their public halves."""
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    public = []
    for kind in HOST_KEY_TYPES:
        path = run_dir / f"ssh_host_{kind}_key"
        if not path.exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "rescue-tui", "-f", str(path)],
                check=True,
                capture_output=True,
                timeout=120,
            )
        found, _ = parse_keys(path.with_suffix(".pub").read_text(), where=str(path))
        public.extend(found)
    return public


def setup(cmdline: str, embedded: Path = EMBEDDED_DIR, run_dir: Path = RUN_DIR, state: Path = STATE) -> SshState:
    """Write the authorized keys and host keys sshd needs, or nothing when no key may log in."""
    keys, lines = gather_keys(cmdline, embedded, run_dir=run_dir)
    authorized = run_dir / "authorized_keys"
    if not keys:
        authorized.unlink(missing_ok=True)
        off = "SSH off: no key may log in (make iso SSH_KEYS=FILE, or rescue.ssh_keys=PATH or https URL)"
        result = SshState(lines=(*lines, off))
    else:
        host = make_host_keys(run_dir)
        os.chmod(run_dir, 0o700)
        write_atomic(authorized, "".join(k.line + "\n" for k in keys), mode=0o600)
        result = SshState(keys=tuple(keys), host_keys=tuple(host), lines=tuple(lines))
    save_state(result, state)
    return result


def save_state(result: SshState, path: Path = STATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "keys": len(result.keys),
        "host_keys": [{"type": k.kind, "fingerprint": k.fingerprint} for k in result.host_keys],
        "lines": list(result.lines),
    }
    write_atomic(path, json.dumps(data, indent=1) + "\n")


def ssh_text(path: Path = STATE) -> str:
    """The welcome screen's SSH field: how many keys may log in, and the host key to check; '' before setup."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    count = data.get("keys")
    hosts = [h for h in data.get("host_keys") or [] if isinstance(h, dict)]
    if not count or not hosts:
        return "off (no key may log in)"
    first = hosts[0]
    return f"root with {count} key{'s' if count != 1 else ''}; host key\n{first.get('type')} {first.get('fingerprint')}"
