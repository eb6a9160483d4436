"""Mapping: which disk present now replaces each original disk; the proposal, its reasons, remapping."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rescue_tui.errors import RefusedError
from rescue_tui.inventory.model import Inventory
from rescue_tui.inventory.source import read_targets
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.tui.dialogs import TargetDialog
from rescue_tui.tui.engine import propose
from rescue_tui.tui.messages import DisksChanged, MappingProposed, MappingRefused, TargetsRead
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.widgets.disks import pair_prompt, present_disk_prompt
from rescue_tui.units import human_size


class MappingScreen(StepScreen):
    """Original disks with the disk each maps onto; every disk present with its state.

    | Key | Action |
    | :- | :- |
    | up/down | highlight an original disk |
    | enter, m | choose its target by hand |
    | a | back to the automatic proposal |
    | n | go on to the plan |
    | tab | move to the disks present (scroll them) |
    | escape | back |
    """

    STEP = "mapping"
    HELP_TITLE = "Mapping"
    HELP = """
Each disk of the saved layout (the original machine's) needs a disk present
now to be recreated on. rescue-tui proposes one, in this order: the same
serial or WWN (the very disk), then a disk of the same size, then the
smallest disk that fits; the reason is shown beside each choice.

Never proposed or accepted: the disk the rescue system runs from, a disk in
use (mounted, active RAID or LVM), a read-only disk, a disk too small for
what must fit on it. Their reason is shown in the list of disks present.

To choose a target yourself: highlight the original disk, press Enter, pick
the disk. A refused choice is explained and nothing changes. a returns to
the automatic proposal. With live disks, plugging a disk in or pulling one
out updates both lists.

The target disks are WIPED by a recovery: check size, model and serial.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "remap", "Choose target", show=False, id="mapping.remap",
                tooltip="Choose the target of the highlighted original disk (as Enter)."),
        Binding("a", "automatic", "Automatic", id="mapping.automatic",
                tooltip="Forget the targets chosen by hand; use the automatic proposal."),
        Binding("n", "next", "Plan", id="mapping.next", tooltip="Go on to the plan for this mapping."),
        Binding("escape", "back", "Back", id="mapping.back", tooltip="Back to the layouts."),
    ]  # fmt: skip
    DEFAULT_CSS = """
    /* At 80x24: the pairs stay short, the disks present below take what is left. */
    MappingScreen #pairs {
        max-height: 10;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watcher: Any = None

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("Reading the disks present...", id="mapping-status", classes="line", markup=False)
        yield OptionList(id="pairs", classes="box", markup=False)
        yield OptionList(id="present", classes="box", markup=False)
        yield self.footer()

    def on_mount(self) -> None:
        pairs = self.query_one("#pairs", OptionList)
        pairs.border_title = "Original disk, and the disk present now that replaces it"
        present = self.query_one("#present", OptionList)
        options = self.session.options
        present.border_title = "Disks present" + (f" (simulated: {options.targets})" if options.simulated else "")
        pairs.focus()
        if self.session.inventory is None:
            self.read_disks()
        elif self.session.mapping is None and not self.session.refusal:
            self.propose_mapping(dict(self.session.overrides), None)
        else:
            self._fill()
        if not options.simulated and options.watch_disks:
            self._watch()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _watch(self) -> None:
        try:
            from rescue_tui.inventory.live import DiskWatcher

            def changed(action: str, name: str) -> None:  # udev's thread: only post
                self.post_message(DisksChanged(action, name))

            self._watcher = DiskWatcher(changed)
            self._watcher.start()
        except Exception as exc:  # no udev here: say so, keep going without live updates
            self._watcher = None
            self._status(f"No live disk updates: {exc}")

    # -- workers: engine calls, messages out ---------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def _read_disks(self, spec: str) -> None:
        self.post_message(TargetsRead(read_targets(spec)))

    def read_disks(self) -> None:
        """Read the disks present (udev or the simulated file) in a worker."""
        self._read_disks(self.session.options.targets)

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def _propose(
        self, layout: Layout, inventory: Inventory, overrides: dict[str, str], override: tuple[str, str] | None
    ) -> None:
        try:
            mapping = propose(layout, inventory, overrides)
        except RefusedError as exc:
            self.post_message(MappingRefused(tuple(exc.lines()), override))
        else:
            self.post_message(MappingProposed(mapping, overrides))

    def propose_mapping(self, overrides: dict[str, str], override: tuple[str, str] | None) -> None:
        """Ask the engine for a mapping with these choices of the operator's (in a worker)."""
        choice, inventory = self.session.layout, self.session.inventory
        if choice is None or choice.layout is None or inventory is None:
            return
        self._propose(choice.layout, inventory, overrides, override)

    # -- handlers: state and widgets ------------------------------------------

    @on(TargetsRead)
    def targets_read(self, message: TargetsRead) -> None:
        self.session.inventory = message.inventory
        names = {d.name for d in message.inventory.disks}
        gone = [f"{orig}={target}" for orig, target in self.session.overrides.items() if target not in names]
        for orig in [o for o, t in self.session.overrides.items() if t not in names]:
            del self.session.overrides[orig]
        if gone:
            self._status(f"Disk gone: dropped your choice {', '.join(gone)}")
        self.propose_mapping(dict(self.session.overrides), None)

    @on(MappingProposed)
    def mapping_proposed(self, message: MappingProposed) -> None:
        session = self.session
        if session.mapping != message.mapping:
            session.plan = None
        session.mapping, session.refusal = message.mapping, ()
        session.overrides = dict(message.overrides)
        self._fill()

    @on(MappingRefused)
    def mapping_refused(self, message: MappingRefused) -> None:
        session = self.session
        if message.override is not None:
            original, target = message.override
            if any(line.startswith(f"--map {original}=") for line in message.problems):
                self._fill()
                self.rescue.show_error(f"Refused: {original} -> {target}", [*message.problems, "Nothing changed."])
                return
            session.overrides[original] = target  # accepted; other disks still have no target
        session.mapping, session.refusal, session.plan = None, message.problems, None
        self._fill()

    @on(DisksChanged)
    def disks_changed(self, message: DisksChanged) -> None:
        self._status(f"udev: disk {message.name} {message.action}; reading the disks again...")
        self.read_disks()

    def _fill(self) -> None:
        session = self.session
        assert session.layout is not None and session.layout.layout is not None
        inventory = session.inventory
        mapping = session.mapping
        found = inventory.by_name() if inventory else {}
        pairs_list = self.query_one("#pairs", OptionList)
        keep = pairs_list.highlighted
        pair_of = {p.source: p for p in mapping.pairs} if mapping else {}
        options = [Option(Content.styled(line, "$error"), disabled=True) for line in session.refusal]
        for disk in session.layout.layout.of_type(Disk):
            pair = pair_of.get(disk.id)
            options.append(Option(pair_prompt(disk, pair, found.get(pair.target) if pair else None), id=disk.name))
        pairs_list.set_options(options)
        first_disk = len(session.refusal)
        pairs_list.highlighted = keep if keep is not None and first_disk <= keep < len(options) else first_disk
        targets = {p.target: p.source_name for p in mapping.pairs} if mapping else {}
        present = self.query_one("#present", OptionList)
        keep_present = present.highlighted
        disks = inventory.disks if inventory else ()
        present.set_options(Option(present_disk_prompt(d, targets.get(d.name)), id=d.name) for d in disks)
        present.highlighted = keep_present if keep_present is not None and keep_present < len(disks) else 0
        if mapping is not None:
            chosen = sum(1 for p in mapping.pairs if p.reason == "operator")
            by_hand = f", {chosen} chosen by you" if chosen else ""
            wiped = ", ".join(p.target for p in mapping.pairs)
            count = f"{len(mapping.pairs)} disk{'s' if len(mapping.pairs) != 1 else ''}"
            self._status(f"{count} mapped{by_hand}; {wiped} will be wiped. n: plan")
        elif session.refusal:
            self._status("No complete mapping (reasons in red): Enter on a disk to choose its target.", error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#mapping-status", Static)
        status.update(text)
        status.set_class(error, "error")

    # -- actions ----------------------------------------------------------------

    @on(OptionList.OptionSelected, "#pairs")
    def pair_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_remap()

    def action_remap(self) -> None:
        session = self.session
        pairs = self.query_one("#pairs", OptionList)
        option = pairs.highlighted_option
        if option is None or option.id is None or session.inventory is None or session.layout is None:
            return
        assert session.layout.layout is not None
        disk = next(d for d in session.layout.layout.of_type(Disk) if d.name == option.id)
        summary = f"Original {disk.name}: {human_size(disk.size)}" + (f", {disk.model}" if disk.model else "")
        summary += (f", serial {disk.serial}" if disk.serial else "") + ". The disk chosen will be wiped."
        current = session.mapping.target_of(disk.id) if session.mapping else None

        def chosen(target: str | None) -> None:
            if target is None or target == current:
                return
            self._status(f"Checking {disk.name} -> {target}...")
            self.propose_mapping({**session.overrides, disk.name: target}, (disk.name, target))

        self.app.push_screen(TargetDialog(disk.name, summary, session.inventory, session.mapping), chosen)

    def action_automatic(self) -> None:
        self.session.overrides.clear()
        self._status("Automatic proposal...")
        self.propose_mapping({}, None)

    def action_next(self) -> None:
        if self.session.mapping is None:
            self.app.bell()
            self._status("No plan without a target for every original disk.", error=True)
            return
        self.done()

    def action_back(self) -> None:
        self.app.pop_screen()
