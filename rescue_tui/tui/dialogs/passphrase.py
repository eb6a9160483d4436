"""Ask for the passphrase of the LUKS containers a plan creates: typed twice, never shown."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rescue_tui.restore.model import Secret
from rescue_tui.tui.widgets.secret import SecretInput


class PassphraseDialog(ModalScreen[Secret | None]):
    """The passphrase, typed twice (hidden); None when cancelled.

    | Key | Action |
    | :- | :- |
    | enter | next field; accept on the second |
    | escape | cancel (nothing is written) |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="passphrase.cancel", tooltip="Close; nothing is written."),
    ]

    def __init__(self, containers: int) -> None:
        super().__init__()
        self.containers = containers

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "LUKS passphrase"
            box.border_subtitle = "Enter: accept   Esc: cancel"
            yield Static(
                f"The plan creates {self.containers} LUKS container(s). Their passphrase "
                "(the one the restored system's crypttab and its users expect), twice:",
                markup=False,
            )
            for name in ("passphrase", "again"):
                yield SecretInput(placeholder=f"{name}: hidden as you type", id=name)
            yield Static("", id="passphrase-problem", classes="error", markup=False)

    @on(Input.Submitted, "#passphrase")
    def first(self) -> None:
        self.query_one("#again", Input).focus()

    @on(Input.Submitted, "#again")
    def second(self) -> None:
        value, again = self.query_one("#passphrase", Input).value, self.query_one("#again", Input).value
        problem = self.query_one("#passphrase-problem", Static)
        if not value:
            problem.update("Type a passphrase.")
            self.query_one("#passphrase", Input).focus()
        elif value != again:
            problem.update("The two differ: type them again.")
            self.query_one("#passphrase", Input).value = ""
            self.query_one("#again", Input).value = ""
            self.query_one("#passphrase", Input).focus()
        else:
            self.dismiss(Secret(value))

    def action_cancel(self) -> None:
        self.dismiss(None)
