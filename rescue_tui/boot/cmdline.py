"""The rescue system's kernel command line: the ``rescue.*`` options, parsed once.

Options (each optional; the last one given wins, as for any kernel option):

``rescue.layout=PATH|URL``
    The saved layout to recover: an absolute path in the rescue system, or an
    ``http://``, ``https://`` or ``nfs://`` URL, fetched once the network is up
    (:mod:`rescue_tui.remote.fetch`). Without it the embedded layout is used.
``rescue.backend=SPEC``
    The backup to restore, as ``rescue-tui backends`` spells it
    (``tar:/mnt/backup/host.tar.zst``, ``restic:/mnt/backup/repo``, ...): only
    its shape is checked here, the restore stage parses it where it is used.
    Never a secret.
``rescue.backupdisk=LABEL=NAME|UUID=UUID|/dev/PATH``
    The disk holding the backup (and perhaps the layout): mounted read-only
    at ``/mnt/backup`` before anything else is read.
``rescue.unattended[=yes|no]``
    Recover without asking. A bad value means *no*: a typo never starts an
    unattended recovery.
``rescue.wipe=SERIAL[,SERIAL...]|all``
    The target disks an unattended recovery may wipe although they hold data
    (by serial number, as the mapping shows it); without it, it only writes
    to blank disks.
``rescue.password_file=PATH``
    A file (an absolute path, such as one on the backup disk) whose first line is
    the repository password of a restic or borg backup. Never the password itself:
    the kernel command line can be read by anyone on the machine.
``rescue.passphrase_file=PATH``
    A file whose first line is the LUKS passphrase of the containers the recovery
    creates; an unattended recovery of a layout with LUKS does not start without it.
``rescue.credentials_file=PATH``
    A file of ``NAME=value`` lines: the backup's credentials besides its password,
    under the variables ``rescue-tui restore`` reads them from (``AWS_ACCESS_KEY_ID``
    and ``AWS_SECRET_ACCESS_KEY`` for restic on S3, ``RESCUE_TUI_REST_USER`` and
    ``RESCUE_TUI_REST_PASSWORD`` for a REST server...): how an unattended recovery,
    which nobody starts from a shell, gets them (:mod:`rescue_tui.restore.env_credentials`).
``rescue.ca_file=PATH``
    The certificate (PEM) of the CA that signed the backup server's, for a backup
    over HTTPS from a server the system's CAs do not vouch for (the console's ``ca_file``).
``rescue.after=reboot|poweroff|wait``
    What an unattended recovery that worked does next: reboot into the recovered
    disks (the default), power off (the medium is to be taken out first), or wait
    for an operator on the console (a drill checks the disks then). A bad value
    means *wait*: a typo never starts what was not asked for.
``rescue.dryrun[=yes|no]``
    Plan and show, write nothing. A bad value means *yes*: a typo never writes.
``rescue.console=ascii|unicode|auto``
    Glyphs on the consoles; *auto* is ASCII on a serial line, Unicode on a VT.
``rescue.face=tui|plain``
    What the consoles run: the recovery console (Textual, the default), or the
    plain screen that is otherwise only its fallback (keys: validate, shell, reboot).
``rescue.net=...``
    The rescue network, in dracut's ``ip=`` syntax, any number of times:
    parsed by ``rescue_tui.network.cmdline``, which has the forms.
``rescue.ssh_keys=PATH`` or ``rescue.ssh_keys=https://...``
    A file of public keys (authorized_keys lines, no options) that may log in
    over SSH, besides those embedded in the image: read (or fetched, https
    only, checked with ``rescue.ca_file=`` when given) by ``rescue_tui.ssh``.
``rescue.medium=UUID``
    The volume UUID of the medium the rescue system booted from, as GRUB found it
    (``grub/grub.cfg`` sets it): that disk is never offered as a target, even when
    it is no longer mounted (the ``toram`` entry).

Parsing never raises: a bad value becomes one line in ``BootOptions.problems``
(naming the option, what was wrong and what is used instead) and the option
keeps its safe default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TypeVar

from rescue_tui.errors import BadInputError
from rescue_tui.remote.fetch import is_url, parse_url

ConsoleMode = Literal["auto", "ascii", "unicode"]
Face = Literal["tui", "plain"]
After = Literal["reboot", "poweroff", "wait"]

CONSOLE_MODES: Final[tuple[ConsoleMode, ...]] = ("auto", "ascii", "unicode")
PREFIX: Final = "rescue."
MAX_CMDLINE: Final = 64 << 10
FACES: Final[tuple[Face, ...]] = ("tui", "plain")
AFTER: Final[tuple[After, ...]] = ("reboot", "poweroff", "wait")
OPTIONS: Final = (
    "layout",
    "backend",
    "backupdisk",
    "unattended",
    "wipe",
    "password_file",
    "passphrase_file",
    "credentials_file",
    "ca_file",
    "after",
    "dryrun",
    "console",
    "face",
    "medium",
    "net",
    "ssh_keys",
)
IMAGE_OPTIONS: Final = ("boot=live", "init_on_alloc=0", "quiet", "console=tty1", "console=ttyS0,115200n8")
"""The rescue image's own kernel options, as its GRUB menu's default entry gives them (``iso/grub/grub.cfg``; a
test holds the two equal), less what only a medium needs (``noeject``, ``rescue.medium=``): what a kernel booted
directly (a drill) or over the network (``rescue-tui publish``) is given."""
SECRETS: Final = ("password", "passphrase")
"""Options a user may try to give a secret with: refused with a pointer to the ``_file`` option."""
BACKUP_MOUNT: Final = Path("/mnt/backup")
"""Where ``rescue.backupdisk=`` is mounted (read-only)."""
_SPEC: Final = re.compile(r"[a-z][a-z0-9+]{1,15}:\S+")
_SERIAL: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]{0,63}")
_DISK_SOURCE: Final = re.compile(r"(LABEL|UUID)=[0-9A-Za-z_.:-]{1,64}|/dev/[0-9A-Za-z_./:-]{1,200}")
_MEDIUM: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
_YES: Final = frozenset({"", "1", "y", "yes", "true", "on"})
_NO: Final = frozenset({"0", "n", "no", "false", "off"})
T = TypeVar("T", bound=str)


@dataclass(frozen=True, kw_only=True)
class BootOptions:
    """What the kernel command line asked of rescue-tui."""

    layout: str | None = None
    """Absolute path or http(s) URL of the layout to recover; None: use the embedded one."""
    backend: str | None = None
    """The backup's spec (checked by the restore stage's parser); None: the operator's choice."""
    backupdisk: str | None = None
    """``LABEL=``, ``UUID=`` or a /dev path of the disk to mount read-only at /mnt/backup."""
    unattended: bool = False
    """Recover without asking any question."""
    wipe: tuple[str, ...] = ()
    """Serials of the target disks an unattended recovery may wipe though they hold data."""
    wipe_all: bool = False
    """``rescue.wipe=all``: every mapped target disk may be wiped."""
    password_file: Path | None = None
    """File holding the restic or borg repository password (first line)."""
    passphrase_file: Path | None = None
    """File holding the LUKS passphrase for the containers the recovery creates (first line)."""
    credentials_file: Path | None = None
    """File of ``NAME=value`` lines: the backup's other credentials (S3 keys, a REST server's user and password)."""
    ca_file: Path | None = None
    """PEM certificate of the CA that signed the backup server's certificate (tar over HTTPS)."""
    after: After = "reboot"
    """What an unattended recovery that worked does next."""
    dryrun: bool = False
    """Plan and show only; write nothing."""
    console: ConsoleMode = "auto"
    """Glyph mode for the consoles."""
    face: Face = "tui"
    """What the consoles run: the recovery console, or the plain screen."""
    medium: str | None = None
    """Volume UUID of the boot medium (GRUB's probe), or None (network boot, or an older image)."""
    problems: tuple[str, ...] = ()
    """One line per option that could not be used, saying what is used instead."""

    @property
    def layout_is_url(self) -> bool:
        """The layout is to be fetched over the network."""
        return self.layout is not None and is_url(self.layout)

    def summary(self) -> str:
        """The options on one line, for the welcome screen and logs."""
        yes_no = {True: "yes", False: "no"}
        wipe = "all" if self.wipe_all else ",".join(self.wipe) or "-"
        after = f" after={self.after}" if self.unattended else ""  # it only matters then
        return (
            f"layout={self.layout or '-'} backend={self.backend or '-'} "
            f"unattended={yes_no[self.unattended]}{after} wipe={wipe} dryrun={yes_no[self.dryrun]} "
            f"console={self.console} face={self.face}"
        )


def split_cmdline(text: str) -> list[str]:
    """Split a kernel command line into parameters, as the kernel does.

    Spaces separate parameters except inside double quotes, which are removed:
    ``rescue.layout="/media/my disk/l.json"`` is one parameter. An unclosed
    quote runs to the end of the line (the kernel does the same).
    """
    params: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in text:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                params.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        params.append("".join(current))
    return params


def parse_cmdline(text: str) -> BootOptions:
    """The ``rescue.*`` options of a kernel command line; other parameters are ignored."""
    values: dict[str, str | None] = {}
    problems: list[str] = []
    for param in split_cmdline(text):
        if not param.startswith(PREFIX):
            continue
        name, sep, value = param.partition("=")
        key = name[len(PREFIX) :]
        if key in SECRETS:
            problems.append(
                f"{name}: a secret is never given on the kernel command line (anyone on the machine can read it): "
                f"put it in a file and name the file with {name}_file=PATH; ignored"
            )
            continue
        if key not in OPTIONS:
            problems.append(f"{name}: unknown option (known: {', '.join(PREFIX + o for o in OPTIONS)}); ignored")
            continue
        values[key] = value if sep else None

    layout = _layout(values, problems) if "layout" in values else None
    backend = _backend(values, problems) if "backend" in values else None
    backupdisk = _backupdisk(values, problems) if "backupdisk" in values else None
    wipe, wipe_all = _wipe(values, problems) if "wipe" in values else ((), False)
    password_file = _secret_file("password_file", values, problems) if "password_file" in values else None
    passphrase_file = _secret_file("passphrase_file", values, problems) if "passphrase_file" in values else None
    credentials_file = _secret_file("credentials_file", values, problems) if "credentials_file" in values else None
    ca_file = _file("ca_file", values, problems, holding="the CA's certificate") if "ca_file" in values else None
    unattended = _flag("unattended", values, problems, safe=False) if "unattended" in values else False
    after = _after(values, problems) if "after" in values else "reboot"
    dryrun = _flag("dryrun", values, problems, safe=True) if "dryrun" in values else False
    console = _console(values, problems) if "console" in values else "auto"
    face = _face(values, problems) if "face" in values else "tui"
    medium = values.get("medium") or None
    if medium is not None and not _MEDIUM.fullmatch(medium):
        problems.append(f"rescue.medium={medium}: not a volume UUID; ignored")
        medium = None
    return BootOptions(
        layout=layout,
        backend=backend,
        backupdisk=backupdisk,
        unattended=unattended,
        wipe=wipe,
        wipe_all=wipe_all,
        password_file=password_file,
        passphrase_file=passphrase_file,
        credentials_file=credentials_file,
        ca_file=ca_file,
        after=after,
        dryrun=dryrun,
        console=console,
        face=face,
        medium=medium,
        problems=tuple(problems),
    )


def cmdline_text(path: Path = Path("/proc/cmdline")) -> str:
    """The text of the kernel's command line (or of a file holding one); OSError when it cannot be read."""
    with open(path, "rb") as handle:  # the kernel's is at most a few KiB: a larger file is cut, never refused
        return handle.read(MAX_CMDLINE).decode("utf-8", errors="replace")


def option_values(params: list[str], name: str) -> list[str]:
    """Every value of the option ``name`` (``rescue.net``) in a split command line, in order."""
    prefix = name + "="
    return [p[len(prefix) :] for p in params if p.startswith(prefix)]


def read_cmdline(path: Path = Path("/proc/cmdline")) -> BootOptions:
    """Parse the running kernel's command line (or a file holding one)."""
    try:
        text = cmdline_text(path)
    except OSError as exc:
        return BootOptions(problems=(f"{path}: cannot read the kernel command line ({exc.strerror}); no options",))
    return parse_cmdline(text)


def _layout(values: dict[str, str | None], problems: list[str]) -> str | None:
    value = values["layout"]
    if not value:
        problems.append("rescue.layout: needs an absolute path or a URL (http, https, nfs); ignored")
        return None
    if "://" in value:
        try:
            parse_url(value)
        except BadInputError as exc:
            problems.append(f"rescue.layout={value}: {exc.message.split(': ', 1)[-1]}; ignored")
            return None
        return value
    if not value.startswith("/"):
        problems.append(f"rescue.layout={value}: not an absolute path nor a URL (http, https, nfs); ignored")
        return None
    return value


def _backend(values: dict[str, str | None], problems: list[str]) -> str | None:
    """The spec's shape only (``scheme:rest``): the restore stage parses it when it is used."""
    value = values["backend"]
    if value and _SPEC.fullmatch(value):
        return value
    shown = f"rescue.backend={value}" if value else "rescue.backend"
    problems.append(f"{shown}: needs a backup spec such as tar:/mnt/backup/host.tar.zst; ignored")
    return None


def _backupdisk(values: dict[str, str | None], problems: list[str]) -> str | None:
    value = values["backupdisk"]
    if value and _DISK_SOURCE.fullmatch(value) and ".." not in value:
        return value
    shown = f"rescue.backupdisk={value}" if value else "rescue.backupdisk"
    problems.append(f"{shown}: expected LABEL=NAME, UUID=UUID or a /dev path; ignored")
    return None


def _wipe(values: dict[str, str | None], problems: list[str]) -> tuple[tuple[str, ...], bool]:
    value = values["wipe"] or ""
    if value.lower() == "all":
        return (), True
    serials = tuple(s for s in value.split(",") if s)
    bad = [s for s in serials if not _SERIAL.fullmatch(s)]
    if not serials or bad:
        shown = f"rescue.wipe={value}" if value else "rescue.wipe"
        problems.append(f"{shown}: expected all or disk serials separated by commas; no disk may be wiped")
        return (), False
    return serials, False


def _secret_file(key: str, values: dict[str, str | None], problems: list[str]) -> Path | None:
    return _file(key, values, problems, holding="the secret")


def _file(key: str, values: dict[str, str | None], problems: list[str], *, holding: str) -> Path | None:
    """An absolute path with no ``..``: what it holds is read where it is used, never here."""
    value = values[key]
    if value and value.startswith("/") and ".." not in Path(value).parts and "\0" not in value:
        return Path(value)
    shown = f"rescue.{key}={value}" if value else f"rescue.{key}"
    problems.append(f"{shown}: needs the absolute path of a file holding {holding}; ignored")
    return None


def _flag(key: str, values: dict[str, str | None], problems: list[str], *, safe: bool) -> bool:
    value = values[key]
    word = "" if value is None else value.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    fallback = "yes" if safe else "no"
    problems.append(f"rescue.{key}={value}: expected no value, yes or no; using {fallback}")
    return safe


def _one_of(
    key: str, choices: tuple[T, ...], values: dict[str, str | None], problems: list[str], *, fallback: T, said: str
) -> T:
    """The choice ``rescue.KEY=`` names (any case), or ``fallback`` with a problem line: the value, then ``said``."""
    value = values[key]
    for choice in choices:
        if (value or "").lower() == choice:
            return choice
    shown = f"rescue.{key}={value}" if value else f"rescue.{key}"
    problems.append(f"{shown}: {said}")
    return fallback


def _console(values: dict[str, str | None], problems: list[str]) -> ConsoleMode:
    return _one_of(
        "console", CONSOLE_MODES, values, problems, fallback="auto", said="expected ascii, unicode or auto; using auto"
    )


def _after(values: dict[str, str | None], problems: list[str]) -> After:
    said = "expected reboot, poweroff or wait; waiting for an operator"
    return _one_of("after", AFTER, values, problems, fallback="wait", said=said)


def _face(values: dict[str, str | None], problems: list[str]) -> Face:
    return _one_of("face", FACES, values, problems, fallback="tui", said="expected tui or plain; using tui")
