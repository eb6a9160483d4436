"""The drill's probe: the recovered machine itself says what its first boot brought up.

A login prompt is not a recovered machine: ``nofail`` in fstab and crypttab
lets a boot reach its prompt with a filesystem missing (ReaR's recovery of
the bench's source machine does exactly that). So, while the recovered tree
is still mounted in the rescue system, the drill adds one systemd unit to it
(the disks are throwaway). On the first boot the unit waits until the boot
has finished, then writes on ttyS0, each line tagged with a token of this
drill:

- the system's state and every failed unit (reported, not judged: an
  isolated VM has no network, so a network service may fail);
- each fstab filesystem mounted or not, each swap on or not;
- with ``--ready-command``, the operator's own check, run until it succeeds
  or its deadline passes, its exit code and last lines.

The files go in through ``chroot``: a symlink in the restored tree resolves
inside it, never into the rescue system.
"""

from __future__ import annotations

import base64
import secrets
import shlex
from dataclasses import dataclass, field

from rescue_tui.drill.machine import Machine
from rescue_tui.drill.report import DrillReport

TAG = "rescue-tui-probe"
UNIT = "rescue-tui-drill-probe.service"
SCRIPT = "/etc/rescue-tui/drill-probe"
READY = "/etc/rescue-tui/drill-ready"
READY_SECONDS = 600
"""How long the ready command is retried (every 2 s) before its failure counts."""
TRY_SECONDS = 120
"""How long one try of the ready command may take (a hung try counts as failed: exit 124)."""
BOOT_SECONDS = 900
"""How long the probe waits for the boot to finish (a device ``nofail`` waits for times out in 90 s)."""
ANSWER_TIMEOUT = float(BOOT_SECONDS + READY_SECONDS + TRY_SECONDS + 120)
START_TIMEOUT = 300.0
"""From the login prompt to the probe's first line: its unit starts once multi-user.target is reached."""

_SCRIPT = r"""#!/bin/sh
# Written by rescue-tui drill into a throwaway recovery: what this boot brought up, on ttyS0.
token=@TOKEN@
# The unit sets none of these; they let the script run anywhere for its own tests.
fstab=${RESCUE_PROBE_FSTAB:-/etc/fstab}
out=${RESCUE_PROBE_OUT:-/dev/ttyS0}
ready=${RESCUE_PROBE_READY:-@READY@}
ready_seconds=${RESCUE_PROBE_READY_SECONDS:-@READY_SECONDS@}
try_seconds=${RESCUE_PROBE_TRY_SECONDS:-@TRY_SECONDS@}
say() { printf '%s %s %s\n' @TAG@ "$token" "$*" >> "$out"; }

printf '\n' >> "$out"  # off the line a getty's prompt left open
say begin
if command -v systemctl >/dev/null 2>&1; then
    state=$(timeout @BOOT@ systemctl is-system-running --wait 2>/dev/null)
    say "state ${state:-unknown}"
    systemctl --failed --plain --no-legend --no-pager 2>/dev/null | while read -r unit rest; do
        say "failed-unit $unit"
    done
fi
swaps=$(swapon --show=NAME --noheadings --raw 2>/dev/null | while read -r name; do readlink -f "$name"; done)
while read -r spec file type options rest || [ -n "$spec" ]; do
    case "$spec" in ''|'#'*) continue ;; esac
    case ",$options," in *,noauto,*) continue ;; esac
    spec=$(printf '%b' "$spec")
    file=$(printf '%b' "$file")
    if [ "$type" = swap ]; then
        device=$(findfs "$spec" 2>/dev/null || printf '%s' "$spec")
        device=$(readlink -f "$device")
        if printf '%s\n' "$swaps" | grep -qxF "$device"; then say "swap-on $spec"; else say "swap-off $spec"; fi
        continue
    fi
    case "$file" in /*) ;; *) continue ;; esac
    if mountpoint -q "$file"; then say "mounted $file"; else say "not-mounted $file"; fi
done < "$fstab"
if [ -f "$ready" ]; then
    deadline=$(( $(date +%s) + ready_seconds ))
    tries=0
    while :; do
        tries=$((tries + 1))
        output=$(timeout "$try_seconds" sh "$ready" 2>&1 < /dev/null)
        rc=$?
        [ "$rc" -eq 0 ] && break
        [ "$(date +%s)" -ge "$deadline" ] && break
        sleep 2
    done
    say "ready $rc $tries"
    [ -n "$output" ] && printf '%s\n' "$output" | tail -n 5 | while IFS= read -r line; do say "ready-said $line"; done
fi
say end
"""

_UNIT = f"""[Unit]
Description=rescue-tui drill probe: what this boot brought up (a throwaway drill VM)
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/sh {SCRIPT}

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class ProbeSetup:
    """A probe installed into a recovered tree: the token its lines carry, and whether it runs a ready command."""

    token: str
    ready_command: str | None


@dataclass
class ProbeAnswer:
    """What the probe said on the first boot."""

    state: str = "unknown"
    failed_units: list[str] = field(default_factory=list)
    mounted: list[str] = field(default_factory=list)
    not_mounted: list[str] = field(default_factory=list)
    swap_on: list[str] = field(default_factory=list)
    swap_off: list[str] = field(default_factory=list)
    ready: tuple[int, int] | None = None
    """The ready command's last exit code and how many times it ran."""
    ready_said: list[str] = field(default_factory=list)
    begun: bool = False
    ended: bool = False


def probe_script(token: str) -> str:
    """The probe's shell script for this token."""
    values = {"TOKEN": token, "TAG": TAG, "BOOT": str(BOOT_SECONDS), "READY": READY,
              "READY_SECONDS": str(READY_SECONDS), "TRY_SECONDS": str(TRY_SECONDS)}  # fmt: skip
    text = _SCRIPT
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def install_command(root: str, token: str, ready_command: str | None) -> str:
    """The rescue system's shell command that puts the probe (and the ready command) into the tree at ``root``
    and enables it; it exits 3 when ``root`` is not mounted, 4 when the tree has no systemd."""
    files = {SCRIPT: probe_script(token), f"/etc/systemd/system/{UNIT}": _UNIT}
    if ready_command is not None:
        files[READY] = ready_command.rstrip("\n") + "\n"
    steps = [
        f"mountpoint -q {shlex.quote(root)} || exit 3",
        f"{{ [ -x {shlex.quote(root)}/lib/systemd/systemd ] || [ -x {shlex.quote(root)}/usr/lib/systemd/systemd ]; }}"
        " || exit 4",
    ]
    inside = ["umask 022", "mkdir -p /etc/rescue-tui /etc/systemd/system/multi-user.target.wants"]
    for path, text in files.items():
        encoded = base64.b64encode(text.encode()).decode()
        inside.append(f"printf %s {encoded} | base64 -d > {path}")
    inside.append(f"ln -sfn /etc/systemd/system/{UNIT} /etc/systemd/system/multi-user.target.wants/{UNIT}")
    steps.append(f"chroot {shlex.quote(root)} /bin/sh -c {shlex.quote(' && '.join(inside))}")
    return " && ".join(steps)


def install_probe(machine: Machine, root: str, ready_command: str | None) -> ProbeSetup | str:
    """Install the probe into the recovered tree mounted at ``root`` in the rescue system; its setup, or why not."""
    token = secrets.token_hex(6)
    result = machine.run(install_command(root, token, ready_command), timeout=120)
    if result.rc == 3:
        return f"the recovered tree is not mounted at {root} in the rescue system"
    if result.rc == 4:
        return "the recovered system has no systemd to run the probe"
    if result.rc != 0:
        return f"installing the probe failed (exit {result.rc}): {result.output.strip()[-300:]}"
    return ProbeSetup(token=token, ready_command=ready_command)


def parse_answer(text: str, token: str) -> ProbeAnswer:
    """The probe's lines for ``token`` in a console's plain text (others' lines, and earlier boots', ignored)."""
    answer = ProbeAnswer()
    prefix = f"{TAG} {token} "
    for raw in text.splitlines():
        at = raw.find(prefix)
        if at < 0:
            continue
        word, _, rest = raw[at + len(prefix) :].rstrip().partition(" ")
        if word == "state":
            answer.state = rest
        elif word == "failed-unit":
            answer.failed_units.append(rest)
        elif word == "mounted":
            answer.mounted.append(rest)
        elif word == "not-mounted":
            answer.not_mounted.append(rest)
        elif word == "swap-on":
            answer.swap_on.append(rest)
        elif word == "swap-off":
            answer.swap_off.append(rest)
        elif word == "ready":
            code, _, tries = rest.partition(" ")
            answer.ready = (int(code), int(tries)) if code.isdigit() and tries.isdigit() else (-1, 0)
        elif word == "ready-said":
            answer.ready_said.append(rest)
        elif word == "begin":
            answer.begun = True
        elif word == "end":
            answer.ended = True
    return answer


def judge_answer(answer: ProbeAnswer, setup: ProbeSetup, report: DrillReport) -> None:
    """The report's checks from the probe's answer: ``fstab mounted`` and, when asked, ``ready command``."""
    if not answer.ended:
        why = "the boot never finished" if answer.begun else "its unit did not start"
        report.check("fstab mounted", False, f"the probe did not answer ({why})")
        if setup.ready_command is not None:
            report.check("ready command", False, f"no answer: {setup.ready_command!r} was not run to its end")
        return
    missing = [f"not mounted: {path}" for path in answer.not_mounted]
    missing += [f"swap not on: {spec}" for spec in answer.swap_off]
    failed = f"; failed units (not judged): {', '.join(answer.failed_units)}" if answer.failed_units else ""
    if missing:
        detail = f"{len(missing)} of the fstab's entries not up after the boot (state {answer.state}){failed}"
    else:
        detail = (f"{len(answer.mounted)} filesystem(s) mounted and {len(answer.swap_on)} swap(s) on, as the fstab "
                  f"says (state {answer.state}){failed}")  # fmt: skip
    report.check("fstab mounted", not missing, detail, missing)
    if setup.ready_command is None:
        return
    if answer.ready is None:
        report.check("ready command", False, f"{setup.ready_command!r}: the probe did not run it")
        return
    code, tries = answer.ready
    if code == 0:
        report.check("ready command", True, f"{setup.ready_command!r} succeeded (try {tries})")
    else:
        report.check("ready command", False, f"{setup.ready_command!r} exited {code}, {tries} tries over "
                     f"{READY_SECONDS} s", [f"it said: {line}" for line in answer.ready_said])  # fmt: skip


def marker(token: str, word: str) -> str:
    """The probe's line ``word`` (``begin``, ``end``) for ``token``: what the drill waits for."""
    return f"{TAG} {token} {word}"
