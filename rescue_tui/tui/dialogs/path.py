"""Ask for a file path: save the plan as, open a layout file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PathDialog(ModalScreen[Path | str | None]):
    """A path typed by the operator, checked inline; None when cancelled.

    With ``must_exist`` the file must be there (open); without it, the
    directory must exist and an existing file is overwritten only after a
    second Enter (save as). With ``urls``, a URL of a file to fetch is
    accepted too (its parts checked here) and returned as the text typed.

    | Key | Action |
    | :- | :- |
    | enter | accept the path |
    | escape | cancel |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="path.cancel", tooltip="Close without choosing a file."),
    ]

    def __init__(
        self, title: str, prompt: str, default: Path | str = "", *, must_exist: bool = False, urls: bool = False
    ) -> None:
        super().__init__()
        self.title_text, self.prompt = title, prompt
        self.default = str(default)
        self.must_exist = must_exist
        self.urls = urls
        self._overwrite: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter: accept   Esc: cancel"
            yield Static(self.prompt, markup=False)
            field = Input(self.default, id="path")
            field.cursor_blink = False
            yield field
            yield Static("", id="path-problem", classes="error", markup=False)

    @on(Input.Submitted, "#path")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.urls and "://" in text:
            problem = self._url_problem(text)
            self.query_one("#path-problem", Static).update(problem or "")
            if problem is None:
                self.dismiss(text)
            return
        problem = self._problem(text)
        self.query_one("#path-problem", Static).update(problem or "")
        if problem is None:
            self.dismiss(Path(text).expanduser())

    @on(Input.Changed, "#path")
    def changed(self) -> None:
        self._overwrite = None
        self.query_one("#path-problem", Static).update("")

    @staticmethod
    def _url_problem(text: str) -> str | None:
        from rescue_tui.errors import BadInputError
        from rescue_tui.remote.fetch import parse_url

        try:
            parse_url(text)
        except BadInputError as exc:
            return exc.message
        return None

    def _problem(self, text: str) -> str | None:
        if not text:
            return "Type a path."
        path = Path(text).expanduser()
        if self.must_exist:
            return None if path.is_file() else f"{path}: no such file."
        if path.is_dir():
            return f"{path} is a directory: add a file name."
        if not path.parent.is_dir():
            return f"{path.parent}: no such directory."
        if path.exists() and self._overwrite != path:
            self._overwrite = path
            return f"{path} exists: press Enter again to overwrite it."
        return None

    def action_cancel(self) -> None:
        self.dismiss(None)
