"""Welcome: the machine, the layouts found, the consoles; dry run, recover, or a shell."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rescue_tui import __version__
from rescue_tui.errors import RescueError
from rescue_tui.facts import read_facts
from rescue_tui.network.cmdline import NetRequest
from rescue_tui.network.links import SYS_NET, present_links
from rescue_tui.network.manual import networkctl, set_by_hand
from rescue_tui.network.setup import STATE as NETWORK_STATE
from rescue_tui.network.status import global_addresses, network_text
from rescue_tui.recover.interrupted import Interrupted, find_interrupted
from rescue_tui.ssh.setup import STATE as SSH_STATE
from rescue_tui.ssh.setup import ssh_text
from rescue_tui.text import printable
from rescue_tui.tui.dialogs.message import MessageDialog
from rescue_tui.tui.dialogs.network import NetworkDialog
from rescue_tui.tui.engine import find_layouts
from rescue_tui.tui.screens.base import StepScreen

NETWORK_POLL_SECONDS = 5.0


def _field(label: str, text: str) -> str:
    return f"{label:<9} {text}"


class WelcomeScreen(StepScreen):
    """The first screen: what this machine is and what was found; the choice of what to do.

    | Key | Action |
    | :- | :- |
    | up/down, enter | choose |
    | d | dry run |
    | r | recover |
    | s | shell |
    | f | follow the recovery another console runs |
    | t | take over a recovery that stopped with its console gone |
    | n | set a network address by hand (not in a dry run) |
    """

    STEP = "welcome"
    HELP_TITLE = "Welcome"
    HELP = """
rescue-tui recreates a machine's disks from a saved layout: partitions, RAID,
LUKS, LVM and filesystems, restores the backup and makes the system boot.

Dry run walks through every step (layout, disk mapping, plan) and writes
nothing to any disk: use it to rehearse, or to check a layout.
Recover takes the same steps, then asks where the backup is and for the
host name typed; then it applies, restores and finalizes, with progress.
Shell opens a root shell on this console; type exit to come back.
Take over (t) appears when a recovery stopped and the console that ran it
is gone (crashed, killed, its line lost): it goes on with the same plan,
skipping the steps done before, once the backup is checked and the host
name typed again.

The lines above the choices say what rescue-tui found: the machine, the
saved layouts and where they came from, the consoles, the network (its
addresses, and where they came from) and SSH (the host key to check before
logging in). n gives an interface an address by hand, or DHCP.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "choose('dry')", "Dry run", id="welcome.dry", tooltip="Walk to the plan; write nothing."),
        Binding("r", "choose('recover')", "Recover", id="welcome.recover",
                tooltip="Recover this machine from a saved layout."),
        Binding("s", "choose('shell')", "Shell", id="welcome.shell",
                tooltip="A root shell on this console; exit it to come back."),
        Binding("n", "network", "Network", id="welcome.network", show=False,
                tooltip="Give an interface an address by hand (or DHCP)."),
        Binding("f", "app.follow", "Follow", id="welcome.follow", show=False,
                tooltip="Watch the recovery another console runs, read-only."),
        Binding("t", "choose('takeover')", "Take over", id="welcome.takeover", show=False,
                tooltip="Go on with a recovery whose console is gone (typed host name first)."),
    ]  # fmt: skip
    DEFAULT_CSS = """
    WelcomeScreen #facts {
        margin-bottom: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.stopped: Interrupted | None = None
        """A recovery that stopped with its holder gone, found when the screen was drawn."""
        self.shown = False
        """The screen was shown once: a later resume is a return, and looks again."""
        self.remote: tuple[str, str] = ("", "")
        """The Network field's text (addresses now, what the rescue network was given) and the SSH field's."""

    def _remote_fields(self) -> tuple[str, str]:
        root = self.session.options.root
        addresses = global_addresses if root == Path("/") else dict  # another machine's tree: no live addresses
        return network_text(self._here(NETWORK_STATE), addresses), ssh_text(self._here(SSH_STATE))

    def _here(self, path: Path) -> Path:
        """``path`` in the tree the console describes (``/``, or another machine's tree in tests and the demo)."""
        return self.session.options.root / path.relative_to("/")

    def _find_stopped(self) -> Interrupted | None:
        """A stopped recovery to offer (never in a dry run, which writes nothing)."""
        return None if self.session.options.dry_run else find_interrupted(self.session.options.journal_dir)

    def compose(self) -> ComposeResult:
        self.stopped = self._find_stopped()
        self.remote = self._remote_fields()
        yield self.header()
        yield Static(self._facts(), id="facts", classes="note", markup=False)
        yield OptionList(*self._choices(), id="choices", classes="box", markup=False)
        yield self.footer()

    def on_screen_resume(self) -> None:
        """Back from another screen (following a recovery, a dialog): what runs or stopped may have changed."""
        super().on_screen_resume()
        if not self.shown:  # the first show: compose just looked
            self.shown = True
            return
        self.stopped = self._find_stopped()
        self.query_one("#facts", Static).update(self._facts())
        choices = self.query_one("#choices", OptionList)
        highlighted = choices.highlighted_option.id if choices.highlighted_option else None
        choices.clear_options()
        choices.add_options(self._choices())
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        # a takeover on offer comes first and is what Enter does; otherwise the highlight stays where it was
        choices.highlighted = 0 if self.stopped is not None or highlighted not in ids else ids.index(highlighted)

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.border_title = "What do you want to do?"
        choices.highlighted = 0
        choices.focus()
        self.set_interval(NETWORK_POLL_SECONDS, self._poll_network)

    async def _poll_network(self) -> None:
        """The network comes up after this screen is drawn: show it when it does (redrawn only on a change)."""
        fields = await asyncio.to_thread(self._remote_fields)
        if fields != self.remote:
            self.remote = fields
            self.query_one("#facts", Static).update(self._facts())

    def _facts(self) -> str:
        options = self.session.options
        facts = read_facts(options.root)
        layouts = find_layouts(options)
        where: dict[str, int] = {}
        for choice in layouts:
            where[choice.source] = where.get(choice.source, 0) + 1
        found = ", ".join(f"{n} {source}{'s' if n > 1 and source == 'example' else ''}" for source, n in where.items())
        found = found or "none"
        embedded = options.embedded_dir
        if not any(c.source == "embedded" for c in layouts):
            found += f" (none embedded in {embedded})"
        console = options.console
        targets = "udev (live)" if options.targets == "live" else f"simulated: {options.targets}"
        lines = [
            f"rescue-tui {__version__}: bare-metal recovery from a saved layout",
            "",
            _field("Machine", facts.summary()),
            _field("", f"kernel {facts.kernel}"),
            _field("Layouts", found),
            _field("Disks", targets),
            _field("Consoles", f"{' '.join(facts.consoles) or '?'}; this one {console.describe()}"),
        ]
        for label, text in zip(("Network", "SSH"), self.remote, strict=True):
            for j, part in enumerate(text.splitlines()[:2]):
                shown = printable(textwrap.shorten(part, 68, placeholder="..."))
                lines.append(_field(label if j == 0 else "", shown))
        if holder := self.rescue.running_elsewhere():
            lines.append(_field("Running", printable(f"{holder.describe()}: f follows it")))
        elif self.stopped is not None:
            left = self.stopped.still_running
            then = f"; its tools still run: {', '.join(left)}" if left else ": t takes it over"
            for j, part in enumerate(textwrap.wrap(printable(self.stopped.describe() + then), 68)[:3]):
                lines.append(_field("Stopped" if j == 0 else "", part))
        if options.dry_run:
            lines.append(_field("Mode", "dry run only (--dry-run, rescue.dryrun): nothing will be written"))
        for i, notice in enumerate(options.notices[:3]):
            wrapped = textwrap.wrap(printable(notice), 68, break_on_hyphens=False) or [""]
            lines += [_field("Problems" if i == 0 and j == 0 else "", part) for j, part in enumerate(wrapped[:2])]
        if len(options.notices) > 3:
            lines.append(_field("", f"... and {len(options.notices) - 3} more: rescue-tui boot --no-wait shows all"))
        return "\n".join(lines)

    def _choices(self) -> list[Option]:
        recover = "Recover this machine from a saved layout"
        if self.session.options.dry_run:
            recover += "  (not in a dry run)"
        stopped = []
        if self.stopped is not None:
            stopped = [
                Option(printable(f"Take over the stopped recovery of {self.stopped.plan.hostname}"), id="takeover")
            ]
        return [
            *stopped,
            Option("Dry run: walk from layout to plan, write nothing", id="dry"),
            Option(recover, id="recover", disabled=self.session.options.dry_run),
            Option("Shell: a root shell on this console", id="shell"),
            Option(Content("Quit"), id="quit"),
        ]

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_choose(event.option.id or "")

    def action_choose(self, choice: str) -> None:
        holder = self.rescue.running_elsewhere() if choice in ("recover", "takeover") else None
        if holder is not None:
            self.rescue.show_error(
                "A recovery is running",
                [f"{holder.describe()}: one recovery at a time.", "Press f to follow it from this console."],
            )
        elif choice == "takeover":
            self._take_over()
        elif choice == "dry" or (choice == "recover" and not self.session.options.dry_run):
            self.session.dry_run = choice == "dry"
            self.session.takeover = None  # back from a takeover's backend screen: this walk starts at the layout
            self.done()
        elif choice == "recover":
            self.rescue.show_error("Not in a dry run", ["rescue-tui was started for a dry run: choose Dry run."])
        elif choice == "shell":
            self.rescue.action_shell()
        elif choice == "quit":
            self.rescue.action_quit_app()

    def action_network(self) -> None:
        """Set an address by hand: the rescue system's network, never in a dry run (it may run on a live system)."""
        if self.session.options.dry_run:
            self.rescue.show_error(
                "Not in a dry run", ["A dry run changes nothing on this machine, its network included."]
            )
            return
        links = present_links(self._here(SYS_NET))
        self.app.push_screen(NetworkDialog([link.name for link in links]), self._network_set)

    def _network_set(self, request: NetRequest | None) -> None:
        if request is not None:
            self.run_worker(lambda: self._apply_network(request), thread=True, group="network")

    def _apply_network(self, request: NetRequest) -> None:
        root = self.session.options.root
        reload = networkctl if root == Path("/") else (lambda name: None)  # another machine's tree: no networkd
        try:
            line = set_by_hand(
                request,
                present_links(self._here(SYS_NET)),
                root=root,
                state=self._here(NETWORK_STATE),
                reload=reload,
            )
        except RescueError as exc:
            self.app.call_from_thread(self.rescue.show_error, "The network was not changed", exc.lines())
            return
        self.app.call_from_thread(self.app.push_screen, MessageDialog("Network", [line]))

    def _take_over(self) -> None:
        """The stopped recovery, looked for again (it may have been taken over since the screen was drawn)."""
        stopped = self._find_stopped()
        if stopped is None:
            self.rescue.show_error("Nothing to take over", ["No stopped recovery is waiting on this machine."])
            return
        if stopped.still_running:  # a takeover now would write beside the dead console's tools
            self.rescue.show_error(
                "Not yet: its tools still run",
                [f"The {stopped.describe()}.", f"Still running: {', '.join(stopped.still_running)}.",
                 "Wait for them to end (or end them from a shell), then press t again."],
            )  # fmt: skip
            return
        self.session.take_over(stopped)
        self.done()
