"""An input for secrets that masks with ``*``: Textual's own mask is a bullet, not in the console's ASCII."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input


class SecretInput(Input):
    """A password field: each character drawn as ``*`` (ASCII on every console); never a cursor blink."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(password=True, placeholder=placeholder, id=id, select_on_focus=False)
        self.cursor_blink = False

    @property
    def _value(self) -> Text:
        return Text("*" * len(self.value), no_wrap=True, overflow="ignore", end="")
