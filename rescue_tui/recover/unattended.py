"""Unattended recovery (``rescue.unattended``): the whole recovery with no key pressed, or a clear stop.

What ReaR users expect from its unattended mode, with the safety a machine
left alone needs. The recovery starts only when every one of these holds,
checked before anything is written; otherwise it stops, says why in one
line per reason, and waits for an operator (it never answers a question by
timing out):

- one layout: ``rescue.layout=PATH`` or the one layout embedded in the image;
- a backup: ``rescue.backend=SPEC``, whose preflight passes;
- the automatic mapping is complete and unambiguous: no disk is left over
  that the mapping could have chosen instead of one it chose by size;
- the targets do not already hold this layout's storage (its UUIDs, read
  with ``blkid -p``: a second boot of the same medium after a recovery, or
  the machine's own disks): "recovered before, boot from disk";
- every target disk is blank, unless ``rescue.wipe=`` names it by serial
  (or says ``all``);
- apply's own preflight passes (sizes, not mounted, not the rescue medium).

:func:`decide` runs these checks and writes nothing; :func:`carry_out` then
runs the engine's :class:`~.recovery.Recovery` (apply, mount, restore,
verify, finalize). The console face (``rescue_tui.boot.unattended``) shows
it on every console and reboots into the recovered disks.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rescue_tui.apply.executor import Prepared
from rescue_tui.boot.cmdline import BootOptions
from rescue_tui.command import run
from rescue_tui.errors import RefusedError
from rescue_tui.inventory.model import Inventory, TargetDisk
from rescue_tui.layout.embedded import embedded_layouts
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.recover.confirm import read_secret
from rescue_tui.recover.events import RecoveryListener
from rescue_tui.recover.preflight import check_backup
from rescue_tui.recover.recovery import Recovery, RecoveryRequest, Stages
from rescue_tui.remote.s3 import S3_VARIABLES
from rescue_tui.restore.backend import fields_for, raise_for_preflight, status_symbol
from rescue_tui.restore.env_credentials import EnvCredentials, environment_with, read_credentials_file
from rescue_tui.restore.model import BackendSpec, Credentials, Secret

GUESSES = ("same size", "smallest disk that fits")
FETCH_RETRY_SECONDS = 5.0
"""Mapping reasons that chose among disks by size: unambiguous only when no other disk was left to choose."""

Say = Callable[[str], None]
Probe = Callable[[str], dict[str, str]]


@dataclass(frozen=True)
class Settings:
    """Where the unattended recovery looks and writes (the rescue system's places unless a test says)."""

    options: BootOptions
    embedded_dir: Path
    target_root: Path = Path("/mnt/target")
    journal_dir: Path = Path("/run/rescue-tui")
    inventory: Callable[[], Inventory] | None = None
    """The disks present now (udev's view unless a test hands in another)."""
    probe: Probe | None = None
    """What ``blkid -p`` says of one block device (a test hands in recorded answers)."""
    stages: Stages | None = None
    fetch_wait: float = 90.0
    """How long a layout named by URL is tried for (the rescue network comes up beside the recovery)."""


def blkid_probe(device: str) -> dict[str, str]:
    """``blkid -p`` of one device (reads the superblocks, writes nothing); {} when it holds no signature."""
    out = run(["blkid", "-p", "-o", "export", device], quiet_ok=(2,), timeout=60)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _normal(uuid: str) -> str:
    """A UUID compared across notations: mdadm's 8:8:8:8, blkid's dashes, LVM's mixed case."""
    return re.sub(r"[^0-9a-z]", "", uuid.lower())


def choose_layout(options: BootOptions, embedded_dir: Path, fetched: Callable[[str], Path] | None = None) -> Path:
    """``rescue.layout=`` (a local file, or a URL ``fetched`` copies here), else the one embedded layout;
    RefusedError otherwise."""
    if options.layout and options.layout_is_url:
        if fetched is None:
            raise RefusedError(f"rescue.layout={options.layout}: a layout named by URL is fetched by the recovery")
        return fetched(options.layout)
    if options.layout:
        path = Path(options.layout)
        if not path.is_file():
            raise RefusedError(f"rescue.layout={options.layout}: no such file")
        return path
    found = embedded_layouts(embedded_dir)
    if len(found) != 1:
        what = "no layout is embedded" if not found else f"{len(found)} layouts are embedded"
        raise RefusedError(f"{what} in {embedded_dir}: name one with rescue.layout=PATH")
    return found[0]


def fetch_layout(url: str, settings: Settings, say: Say) -> Path:
    """The layout at ``url``, copied under the journal directory; tried again while the network comes up
    (``settings.fetch_wait`` seconds), then the last reason (a URL that cannot be fetched at all: at once)."""
    from rescue_tui.remote.fetch import FetchError, fetch_waiting

    keys = settings.options.credentials_file
    environ = None
    if url.startswith("s3:") and keys is not None:  # a private bucket: its keys, endpoint and region
        environ = environment_with(keys, S3_VARIABLES, where=f"rescue.credentials_file={keys}")
    try:
        path = fetch_waiting(
            url,
            settings.journal_dir / "fetched",
            ca_file=settings.options.ca_file,
            environ=environ,
            wait=settings.fetch_wait,
            retry=FETCH_RETRY_SECONDS,
            say=lambda line: say(f"layout: {line}"),
        )
    except FetchError as exc:
        raise RefusedError(f"rescue.layout={url}: {exc.message}", hint=exc.hint) from None
    say(f"layout: fetched {url}")
    return path


def ambiguity(mapping: Mapping, inventory: Inventory, needs: dict[str, int]) -> list[str]:
    """One line per pair chosen by size while another usable disk could have been chosen instead."""
    used = {p.target for p in mapping.pairs}
    spare = [d for d in inventory.disks if d.refusal() is None and d.name not in used]
    lines = []
    for pair in mapping.pairs:
        if pair.reason not in GUESSES:
            continue
        others = [d.name for d in spare if d.size >= needs[pair.source]]
        if others:
            lines.append(
                f"{pair.source_name} -> {pair.target} was chosen by size, but {', '.join(others)} could take it "
                "too: map the disks in the console"
            )
    return lines


def already_recovered(layout: Layout, targets: Iterable[TargetDisk], probe: Probe) -> list[str]:
    """What on the targets carries this layout's UUIDs (md arrays, PVs, LUKS, filesystems, swap); [] for none."""
    wanted = {_normal(u): item.id for item in layout.items if (u := getattr(item, "uuid", None))}
    found: list[str] = []
    for disk in targets:
        for node in (disk.name, *disk.partitions):
            tags = probe(f"/dev/{node}")
            for key in ("UUID", "UUID_SUB"):
                if (value := tags.get(key)) and _normal(value) in wanted:
                    found.append(f"{node} ({tags.get('TYPE', '?')} of {wanted[_normal(value)]})")
                    break
    return found


def not_blank(targets: Iterable[TargetDisk], options: BootOptions) -> list[str]:
    """One line per target that holds something and that ``rescue.wipe=`` does not name."""
    lines = []
    for disk in targets:
        holds = list(disk.signatures) + [f"partition {p}" for p in disk.partitions]
        if not holds or options.wipe_all or (disk.serial and disk.serial in options.wipe):
            continue
        serial = disk.serial or "no serial"
        lines.append(f"{disk.path} ({serial}) holds {', '.join(holds[:4])}: name it in rescue.wipe= to let it be wiped")
    return lines


def plan_recovery(settings: Settings, say: Say) -> Plan:
    """Layout, disks, mapping and plan, with every check that needs no backup; RefusedError with the reasons."""
    from rescue_tui.files import sha256_file
    from rescue_tui.inventory.live import live_inventory
    from rescue_tui.layout.validate import load_valid_layout
    from rescue_tui.mapping.propose import propose_mapping
    from rescue_tui.mapping.resize import ResizeOptions, disk_needs
    from rescue_tui.plan.build import PlanRequest, plan_for_mapping

    options = settings.options
    path = choose_layout(options, settings.embedded_dir, lambda url: fetch_layout(url, settings, say))
    layout = load_valid_layout(path)
    say(f"layout: {path} ({layout.machine.hostname}, {len(layout.items)} items)")
    inventory = (settings.inventory or live_inventory)()
    needs = disk_needs(layout, ResizeOptions())
    mapping = propose_mapping(layout, inventory, needs)
    for pair in mapping.pairs:
        say(f"mapping: {pair.source_name} -> {pair.target} ({pair.reason})")
    targets = [d for d in inventory.disks if d.name in {p.target for p in mapping.pairs}]
    if recovered := already_recovered(layout, targets, settings.probe or blkid_probe):
        raise RefusedError(
            f"the disks already hold {layout.machine.hostname}'s storage: {', '.join(recovered[:4])}; "
            "it was recovered before (or these are its own disks): boot from disk"
        )
    if problems := ambiguity(mapping, inventory, needs) + not_blank(targets, options):
        raise RefusedError.of(problems)
    request = PlanRequest(layout_path=path, inventory=inventory, target_root=str(settings.target_root))
    plan = plan_for_mapping(layout, mapping, request, sha256=sha256_file(path))
    say(f"plan: {len(plan.steps)} steps onto {', '.join(d.path for d in plan.disks)}")
    return plan


def luks_passphrase(plan: Plan, options: BootOptions) -> Secret | None:
    """The passphrase for the LUKS containers the plan creates, from ``rescue.passphrase_file=``; None without any."""
    containers = plan.luks_containers
    if not containers:
        return None
    if options.passphrase_file is None:
        raise RefusedError(
            f"the plan creates LUKS containers ({', '.join(containers)}): name a file holding their passphrase "
            "with rescue.passphrase_file="
        )
    text = read_secret(options.passphrase_file)
    if not text:
        raise RefusedError(f"rescue.passphrase_file={options.passphrase_file}: its first line is empty")
    return Secret(text)


def backup_credentials(options: BootOptions, spec: BackendSpec) -> Credentials:
    """The repository password's file from ``rescue.password_file=`` (used as it is: never read into argv), the
    backend's other credentials from ``rescue.credentials_file=``, and the CA to trust from ``rescue.ca_file=``."""
    files = (("password_file", options.password_file), ("credentials_file", options.credentials_file),
             ("ca_file", options.ca_file))  # fmt: skip
    for key, path in files:
        if path is not None and not path.is_file():
            raise RefusedError(f"rescue.{key}={path}: no such file (is the disk holding it mounted?)")
    given = EnvCredentials()
    if options.credentials_file is not None:
        where = f"rescue.credentials_file={options.credentials_file}"
        given = read_credentials_file(
            options.credentials_file, fields_for(spec), scheme=spec.scheme, where=where, also=S3_VARIABLES
        )  # the layout's S3 keys may share the file
    extra = {"ca_file": str(options.ca_file)} if options.ca_file is not None else {}
    return Credentials(password_file=options.password_file, secrets=given.secrets, options={**given.options, **extra})


@dataclass
class Decided:
    """An unattended recovery that may start: every check passed, nothing written yet."""

    recovery: Recovery
    prepared: Prepared

    @property
    def plan(self) -> Plan:
        return self.recovery.plan


def decide(settings: Settings, say: Say, listener: RecoveryListener) -> Decided:
    """Every check, before anything is written; RefusedError (or the failed check's error) when it must not start."""
    from rescue_tui.restore.spec import parse_spec

    options = settings.options
    if not options.backend:
        raise RefusedError("rescue.backend= names no backup (rescue.backend=tar:/mnt/backup/HOST.tar.zst, ...)")
    spec: BackendSpec = parse_spec(options.backend)
    plan = plan_recovery(settings, say)
    passphrase = luks_passphrase(plan, options)
    credentials = backup_credentials(options, spec)
    report = check_backup(spec, credentials, lambda event: None, threading.Event())
    for check in report.checks:
        say(f"backup {check.name}: {status_symbol(check.status)} {check.detail}")
    raise_for_preflight(report)
    request = RecoveryRequest(
        plan=plan,
        target_root=settings.target_root,
        journal_dir=settings.journal_dir,
        backend=spec,
        credentials=credentials,
        passphrase=passphrase,
    )
    recovery = Recovery(request, listener, stages=settings.stages)
    return Decided(recovery=recovery, prepared=recovery.prepare())


def carry_out(decided: Decided, say: Say, cancel: threading.Event) -> str:
    """Apply, mount, restore, verify, finalize; one line saying what was done (RescueError where it stopped)."""
    plan = decided.plan
    say(f"recovering {plan.hostname} onto {', '.join(d.path for d in plan.disks)}: do not power off")
    decided.recovery.run(cancel, prepared=decided.prepared)
    outcome = decided.recovery.finalize()
    reports = ", ".join(outcome.report_paths) or "no report"
    return f"recovered {plan.hostname}; report: {reports}"
