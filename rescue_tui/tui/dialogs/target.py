"""Choose the disk present now that replaces one original disk."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rescue_tui.inventory.model import Inventory
from rescue_tui.mapping.model import Mapping
from rescue_tui.tui.widgets.disks import present_disk_prompt


class TargetDialog(ModalScreen[str | None]):
    """Every disk present, refused ones too (choosing one shows the engine's reason); the name chosen or None.

    | Key | Action |
    | :- | :- |
    | up/down | move |
    | enter | choose this disk |
    | escape | cancel |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="target.cancel", tooltip="Keep the current target."),
    ]

    def __init__(self, original: str, summary: str, inventory: Inventory, mapping: Mapping | None) -> None:
        super().__init__()
        self.original, self.summary = original, summary
        self.inventory, self.mapping = inventory, mapping

    def compose(self) -> ComposeResult:
        targets = {p.target: p.source_name for p in self.mapping.pairs} if self.mapping else {}
        with Vertical(classes="dialog") as box:
            box.border_title = f"Target for {self.original}"
            box.border_subtitle = "Enter: choose   Esc: cancel"
            yield Static(self.summary, markup=False)
            options = [Option(present_disk_prompt(d, targets.get(d.name)), id=d.name) for d in self.inventory.disks]
            yield OptionList(*options, id="targets", classes="box", markup=False)

    def on_mount(self) -> None:
        targets = self.query_one("#targets", OptionList)
        current = (
            next((p.target for p in self.mapping.pairs if p.source_name == self.original), None)
            if self.mapping
            else None
        )
        names = [d.name for d in self.inventory.disks]
        targets.highlighted = names.index(current) if current in names else 0
        targets.focus()

    @on(OptionList.OptionSelected, "#targets")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
