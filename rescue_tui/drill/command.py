"""``rescue-tui drill``: prove a layout and its backup recover, in a throwaway VM on this host.

Every input is checked before a disk image is made (one line and exit 2 for
a bad one); then :func:`rescue_tui.drill.run.run_drill` runs, its progress
on stderr, its report on stdout (text, or JSON with ``--json``) and in the
report directory. Exit 0: every check passed; 1: a check failed or the
recovery stopped.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescue_tui.errors import BadInputError, ExitCode, RescueError
from rescue_tui.layout.model import Disk, Layout, Luks

if TYPE_CHECKING:
    from rescue_tui.drill.machine import Image
    from rescue_tui.drill.run import DrillRequest

SOURCE_TREE = Path(__file__).resolve().parents[2]
"""A source checkout holds ``iso/build`` here: without ``--iso`` the drill builds the image with it."""
MIN_MEMORY_MB = 768
PASSWORD_NAME = "repository-password"
PASSPHRASE_NAME = "luks-passphrase"
RESERVED = frozenset({"layout.json", PASSWORD_NAME, PASSPHRASE_NAME})
"""Names on the backup disk that are the drill's own."""


def add_drill_parser(subparsers: Any) -> None:
    """Register ``drill`` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "drill",
        help="recover a layout and its backup in a throwaway QEMU VM, boot it, check it (needs QEMU; writes only "
        "the report directory)",
        description="Blank virtual disks like the layout's, the rescue image booted unattended with the backup on a "
        "read-only disk, the recovered disks booted alone. Checks: every identity field kept, the restore verified, "
        "a login prompt, every fstab filesystem mounted and swap on by that boot (a probe the drill adds to the "
        "throwaway tree says so), and --ready-command; the report gives the recovery time by phase.",
    )
    p.add_argument("--layout", type=Path, required=True, help="the saved layout to recover")
    p.add_argument("--backend", required=True, metavar="SPEC", help="the backup, on this host (tar:/srv/host.tar.zst)")
    p.add_argument("--iso", type=Path, help="the rescue image (default: build it with iso/build, in a checkout)")
    p.add_argument("--firmware", choices=("bios", "uefi"), help="default: the layout's")
    p.add_argument("--memory", type=int, default=1024, metavar="MiB", help="the VM's memory (default 1024)")
    p.add_argument("--report", type=Path, metavar="DIR", help="where the report and logs go (default: ./drill-HOST)")
    p.add_argument("--password-file", type=Path, help="restic or borg repository password (first line)")
    p.add_argument("--passphrase-file", type=Path, help="LUKS passphrase for the new containers (first line)")
    p.add_argument(
        "--disk",
        action="append",
        default=[],
        metavar="NAME=SIZE",
        help="give the layout's disk NAME a blank disk of SIZE (4G, 768M) instead of its own size: a drill onto "
        "bigger or smaller disks, resized as the plan's policy says (repeat per disk)",
    )
    p.add_argument(
        "--ready-command",
        metavar="CMD",
        help="a command the recovered system runs as root with its sh (dash on Debian) on its first boot, retried "
        "until it exits 0 (each try 2 min at most, 10 min in all): your own proof that it is up, e.g. "
        "'systemctl is-active postgresql'",
    )
    p.add_argument("--keep-disks", action="store_true", help="keep the recovered disk images in the report directory")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=drill_command)


def drill_command(args: argparse.Namespace) -> int:
    request = check_request(args)
    from rich.console import Console

    from rescue_tui.drill.progress import DrillProgress
    from rescue_tui.drill.run import run_drill

    previous = signal.signal(signal.SIGTERM, _interrupt)  # the VMs are ended on the way out, as for Ctrl-C
    try:
        with DrillProgress(Console(stderr=True)) as progress:
            progress(f"drill of {request.layout.machine.hostname} into {request.report_dir}")
            report = run_drill(request, progress)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.json:
        sys.stdout.write(report.to_json())
    else:
        sys.stdout.write(report.text())
    return ExitCode.OK if report.result == "pass" else ExitCode.FAILED


def check_request(args: argparse.Namespace) -> DrillRequest:
    """Every input of the drill, checked before anything is made: BadInputError (one line, exit 2) otherwise."""
    try:
        import pexpect  # noqa: F401  (the consoles' driver: the drill extra)
    except ImportError as exc:
        raise BadInputError("rescue-tui drill needs pexpect", hint="pip install 'rescue-tui[drill]'") from exc
    from rescue_tui.drill.machine import qemu_available
    from rescue_tui.drill.media import GUEST_BACKUP, SAFE_NAME, backup_set, disk_serials, guest_spec
    from rescue_tui.drill.run import DrillRequest
    from rescue_tui.layout.validate import load_valid_layout
    from rescue_tui.restore.spec import parse_spec

    layout = load_valid_layout(args.layout)
    disk_serials(layout)
    spec = parse_spec(args.backend)
    if not spec.is_local:
        raise BadInputError(
            f"{spec.text}: a drill hands the VM a backup on this host (a path); {spec.transport} is not drilled yet"
        )
    backup = Path(spec.path)
    if not backup.exists():
        raise BadInputError(f"{spec.text}: {backup} does not exist")
    files = {}
    for path in backup_set(backup):
        if not SAFE_NAME.fullmatch(path.name):
            raise BadInputError(f"{path}: the drill passes this name on a kernel command line: use A-Z a-z 0-9 . _ + -")
        if path.name in RESERVED:  # the backup would be swapped for the layout or a password on the medium
            raise BadInputError(f"{path}: the drill's own files use this name on the backup disk; rename the backup")
        files[path.name] = path
    in_guest = parse_spec(guest_spec(spec)).text
    files["layout.json"] = args.layout
    options = []
    for given, name, option in (
        (args.password_file, PASSWORD_NAME, "password_file"),
        (args.passphrase_file, PASSPHRASE_NAME, "passphrase_file"),
    ):
        if given is not None:
            if not given.is_file():
                raise BadInputError(f"--{option.replace('_', '-')} {given}: no such file")
            files[name] = given
            options.append(f"rescue.{option}={GUEST_BACKUP}/{name}")
    if layout.of_type(Luks) and args.passphrase_file is None:
        raise BadInputError(f"{args.layout}: the layout has LUKS containers: give --passphrase-file")
    disk_sizes = _disk_sizes(layout, args.disk)
    if args.ready_command is not None and not args.ready_command.strip():
        raise BadInputError("--ready-command: empty; give the shell command that says the system is up")
    if args.memory < MIN_MEMORY_MB:
        raise BadInputError(f"--memory {args.memory}: the rescue image needs at least {MIN_MEMORY_MB} MiB")
    if not qemu_available():
        raise BadInputError("qemu-system-x86_64 and qemu-img are needed", hint="apt install qemu-system-x86 qemu-utils")
    firmware = args.firmware or (layout.boot.firmware if layout.boot else "bios")
    report_dir = (args.report or Path(f"drill-{_file_safe(layout.machine.hostname)}")).absolute()
    if report_dir.exists() and any(report_dir.iterdir()):
        raise BadInputError(f"--report {report_dir}: not empty (a drill never overwrites an earlier report)")
    image = _image(args.iso, report_dir / "image")
    return DrillRequest(
        layout_path=args.layout,
        layout=layout,
        backend=in_guest,
        backend_given=spec.text,
        medium_files=files,
        options=tuple(options),
        image=image,
        firmware=firmware,
        memory_mb=args.memory,
        report_dir=report_dir,
        keep_disks=args.keep_disks,
        ready_command=args.ready_command,
        disk_sizes=disk_sizes,
    )


def _disk_sizes(layout: Layout, given: list[str]) -> dict[str, int]:
    """``--disk NAME=SIZE`` options as sizes by layout disk id; each disk named once and big enough to hold what
    the resize policy cannot shrink."""
    from rescue_tui.mapping.resize import ResizeOptions, disk_needs
    from rescue_tui.units import human_size, parse_size

    disks = {d.name: d for d in layout.of_type(Disk)}
    needs = disk_needs(layout, ResizeOptions())
    sizes: dict[str, int] = {}
    for option in given:
        name, sep, size_text = option.partition("=")
        name = name.strip().removeprefix("/dev/")
        if not sep or not name:
            raise BadInputError(f"--disk {option}: expected NAME=SIZE, such as vda=4G")
        disk = disks.get(name)
        if disk is None:
            raise BadInputError(f"--disk {option}: the layout has no disk {name} (it has {', '.join(disks)})")
        if disk.id in sizes:
            raise BadInputError(f"--disk {option}: {name} is given twice")
        try:
            size = parse_size(size_text)
        except ValueError as exc:
            raise BadInputError(f"--disk {option}: {exc}") from exc
        if size % disk.logical_sector_size:
            raise BadInputError(f"--disk {option}: not a whole number of {disk.logical_sector_size}-byte sectors")
        if size < needs[disk.id]:
            raise BadInputError(f"--disk {option}: too small: {name}'s contents need at least "
                                f"{human_size(needs[disk.id])} after shrinking")  # fmt: skip
        sizes[disk.id] = size
    return sizes


def _image(iso: Path | None, where: Path) -> Image:
    from rescue_tui.drill.machine import image_from_build
    from rescue_tui.drill.media import ensure_image

    if iso is not None:
        if not iso.is_file():
            raise BadInputError(f"--iso {iso}: no such file")
        return ensure_image(iso, where)
    build = SOURCE_TREE / "iso" / "build"
    if not build.is_file():
        raise BadInputError("no --iso given, and no iso/build to make one (not a source checkout)")
    print("building the rescue image (iso/build; minutes on a cache miss)", file=sys.stderr, flush=True)
    done = subprocess.run([str(build), "--json"], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RescueError(f"iso/build failed (exit {done.returncode}); its messages are above", hint="give --iso")
    try:
        return image_from_build(done.stdout)
    except (ValueError, KeyError, IndexError) as exc:
        raise RescueError(f"iso/build printed no image: {exc}") from exc


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "host"
