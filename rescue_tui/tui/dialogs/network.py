"""Give one interface an address by hand: the machine moved, or the layout's address is wrong here."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rescue_tui.errors import BadInputError
from rescue_tui.network.cmdline import NetRequest
from rescue_tui.network.manual import manual_request
from rescue_tui.text import printable

FIELDS = (
    ("iface", "Interface"),
    ("address", "Address/prefix (empty: DHCP)"),
    ("gateway", "Gateway (optional)"),
    ("dns", "DNS servers (optional, blanks between)"),
)


class NetworkDialog(ModalScreen[NetRequest | None]):
    """The request typed by the operator, checked as ``rescue.net=`` is; None when cancelled.

    | Key | Action |
    | :- | :- |
    | tab, up/down | next or previous field |
    | enter | in the last field: set it |
    | escape | cancel |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="network.cancel", tooltip="Close without changing the network."),
        Binding("down", "app.focus_next", "Next", show=False, id="network.next"),
        Binding("up", "app.focus_previous", "Previous", show=False, id="network.previous"),
    ]

    def __init__(self, interfaces: list[str]) -> None:
        super().__init__()
        self.interfaces = interfaces

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Set an address by hand"
            box.border_subtitle = "Enter: next / set   Esc: cancel"
            here = ", ".join(self.interfaces) or "none"
            yield Static(printable(f"Wired interfaces here: {here}"), markup=False)
            for field_id, label in FIELDS:
                yield Static(label, markup=False)
                field = Input(self.interfaces[0] if field_id == "iface" and self.interfaces else "", id=field_id)
                field.cursor_blink = False
                yield field
            yield Static("", id="network-problem", classes="error", markup=False)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.input.id != FIELDS[-1][0]:
            self.focus_next()
            return
        values = {field_id: self.query_one(f"#{field_id}", Input).value.strip() for field_id, _ in FIELDS}
        try:
            if not values["address"] and (values["gateway"] or values["dns"]):
                raise BadInputError("a gateway and DNS servers go with an address; DHCP brings its own")
            request = manual_request(
                values["iface"], values["address"] or None, values["gateway"], values["dns"].split()
            )
        except BadInputError as exc:
            self.query_one("#network-problem", Static).update(printable(exc.message))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)
