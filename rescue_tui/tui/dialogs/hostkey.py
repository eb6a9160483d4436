"""Accept an ssh server's host key, by its fingerprint, for this recovery."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class HostKeyDialog(ModalScreen[str | None]):
    """The keys a server nothing here knows offers; the fingerprint the operator accepts, or None.

    Accepting is the operator's comparison, not ours: the text says what to compare with. The
    fingerprint chosen goes into the form's host key field, so the preflight pins it (and shows it).

    | Key | Action |
    | :- | :- |
    | up/down | move |
    | enter | accept this key |
    | escape | accept none |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="hostkey.cancel", tooltip="Accept no key; nothing is reached."),
    ]

    def __init__(self, server: str, offered: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.server, self.offered = server, offered

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = f"Unknown ssh server {self.server}"
            box.border_subtitle = "Enter: accept this key   Esc: none"
            yield Static(
                "Nothing here knows this server's key. Compare a fingerprint below with the one its"
                " administrator reads out (ssh-keygen -l on the server); accept it only if they match.",
                markup=False,
            )
            options = [Option(f"{kind:<20} {fingerprint}", id=fingerprint) for kind, fingerprint in self.offered]
            yield OptionList(*options, id="host-keys", classes="box", markup=False)

    def on_mount(self) -> None:
        self.query_one("#host-keys", OptionList).focus()

    @on(OptionList.OptionSelected, "#host-keys")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
