"""What the operator chose and what the engine answered, as plain data the screens share.

No Textual here: the screens read and update one ``Session``; workers never
touch it (they post messages, and the ``@on`` handlers store the answers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rescue_tui.console import ConsoleInfo, GlyphRequest
from rescue_tui.errors import BadInputError
from rescue_tui.inventory.model import Inventory
from rescue_tui.layout.embedded import EMBEDDED_DIR
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.recover.interrupted import Interrupted
from rescue_tui.recover.recovery import Recovery
from rescue_tui.restore.model import BackendSpec, Credentials, PreflightReport, Secret
from rescue_tui.restore.spec import parse_spec

LayoutSource = Literal["embedded", "command line", "example", "opened"]


@dataclass(frozen=True, kw_only=True)
class TuiOptions:
    """How the TUI was started (``rescue-tui tui ...``), plus where it looks for things (tests point elsewhere)."""

    dry_run: bool = False
    """Started with --dry-run: the recover choice is not offered; nothing is ever written."""
    layout: Path | None = None
    """--layout FILE."""
    layout_url: str | None = None
    """``rescue.layout=URL``: a layout to fetch (when the layout screen opens: the network is up by then)."""
    ca_file: Path | None = None
    """``rescue.ca_file=``: the CA a layout fetched over HTTPS is checked against."""
    credentials_file: Path | None = None
    """``rescue.credentials_file=``: where an ``s3://`` layout's keys may be (``AWS_*`` variables)."""
    targets: str = "live"
    """'live' (udev) or the path of a simulated inventory JSON file."""
    glyphs: GlyphRequest = "auto"
    console: ConsoleInfo = field(default_factory=ConsoleInfo)
    embedded_dir: Path = EMBEDDED_DIR
    examples_dir: Path | None = None
    """layouts/examples of a checkout, when run from one."""
    root: Path = Path("/")
    """Where /sys and /proc are read from for the welcome screen's facts."""
    watch_disks: bool = True
    """With live targets: follow disks plugged in and removed (udev)."""
    target_root: Path = Path("/mnt/target")
    """Where apply mounts the recreated filesystems, restore writes and finalize works."""
    journal_dir: Path = Path("/run/rescue-tui")
    """Where apply keeps its journal (``rescue-tui apply --journal-dir``); layouts fetched go in ``fetched/``."""
    bootloader: bool = True
    """Finalize installs the boot loader and rebuilds the initramfs (False: files and report only)."""
    notices: tuple[str, ...] = ()
    """What the operator should know before anything else (the kernel command line's problems, on boot)."""
    on_first_frame: Callable[[], object] | None = None
    """Called once the first screen is drawn (the console units tell systemd they are ready)."""

    @property
    def simulated(self) -> bool:
        return self.targets != "live"


@dataclass(frozen=True, kw_only=True)
class LayoutChoice:
    """A layout file the TUI found, where it found it, and (once read) what it holds."""

    path: Path
    source: LayoutSource
    layout: Layout | None = None
    """The layout when it is valid."""
    problems: tuple[str, ...] = ()
    """Why it cannot be used: one line per problem (validation, unreadable file, a fetch that failed)."""
    url: str | None = None
    """Where it is fetched from (``path`` is then the local copy, made when it is checked)."""

    @property
    def checked(self) -> bool:
        return self.layout is not None or bool(self.problems)

    @property
    def label(self) -> str:
        return self.url.rsplit("/", 1)[-1] if self.url else self.path.name

    @property
    def where(self) -> str:
        """Where it is, for the operator: its URL, or its path."""
        return self.url or str(self.path)


@dataclass(frozen=True, kw_only=True)
class RestoreChoice:
    """Where the files come back from after apply: a backend and its credentials, or nothing (storage only)."""

    spec: BackendSpec | None
    credentials: Credentials = field(default_factory=Credentials)
    preflight: PreflightReport | None = None
    """The preflight run on the backend screen (restore runs it again on the mounted target)."""

    @property
    def label(self) -> str:
        return self.spec.text if self.spec else "no restore (storage only)"


@dataclass
class Session:
    """The recovery being prepared: one per app run."""

    options: TuiOptions
    dry_run: bool = True
    """This walk writes nothing (the welcome screen's dry-run choice, or --dry-run)."""
    layouts: list[LayoutChoice] = field(default_factory=list)
    layout: LayoutChoice | None = None
    inventory: Inventory | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    """Operator's choices: original disk name -> target disk name."""
    mapping: Mapping | None = None
    refusal: tuple[str, ...] = ()
    """Why no mapping could be proposed (one line per problem), when none could."""
    plan: Plan | None = None
    saved_to: Path | None = None
    restore: RestoreChoice | None = None
    """The backend chosen on the backend screen; None until chosen. ``RestoreChoice(spec=None)``: storage only."""
    passphrase: Secret | None = None
    """For the LUKS containers the plan creates (asked after the confirmation; never logged)."""
    started: bool = False
    """The recovery started writing (the progress screen ran): quitting no longer says nothing was written."""
    recovery: Recovery | None = None
    """The engine's recovery, from the progress screen's first start on (finish finalizes it)."""
    takeover: Interrupted | None = None
    """A stopped recovery whose holder is gone, taken over from the welcome screen: its plan, resumed."""

    @property
    def journal(self) -> Path | None:
        """Apply's journal once apply ran (the recovery keeps it)."""
        return self.recovery.journal if self.recovery is not None else None

    def take_over(self, stopped: Interrupted) -> None:
        """Go on with a stopped recovery: its plan as applied, its backup proposed again, apply resumed."""
        self.dry_run, self.takeover, self.plan, self.restore = False, stopped, stopped.plan, None
        if stopped.state.backend is not None:
            with contextlib.suppress(BadInputError):  # a damaged state proposes nothing: the operator types it
                self.restore = RestoreChoice(spec=parse_spec(stopped.state.backend))

    def choose_layout(self, choice: LayoutChoice) -> None:
        """A new layout: forget the mapping and plan made for the previous one."""
        if self.layout is None or self.layout.path != choice.path:
            self.overrides.clear()
            self.mapping, self.refusal, self.plan, self.restore = None, (), None, None
        self.layout = choice
