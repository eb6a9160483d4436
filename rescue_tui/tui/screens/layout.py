"""Layout: pick the saved layout; see it as a tree with sizes, or its problems, plainly."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from rescue_tui.layout.show import tree_rows
from rescue_tui.tui.dialogs import PathDialog
from rescue_tui.tui.engine import check_layout, find_layouts, url_choice
from rescue_tui.tui.messages import LayoutsChecked
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.session import LayoutChoice
from rescue_tui.tui.theme import Glyphs
from rescue_tui.tui.widgets import LayoutTree


def layout_prompt(choice: LayoutChoice) -> Content:
    """One line: file, host, where it came from, valid or how many problems."""
    host = choice.layout.machine.hostname if choice.layout else "?"
    head = f"{choice.label[:26]:<27}{host[:12]:<13}{choice.source:<13}"
    if choice.layout is not None:
        return Content(head + f"valid, {len(choice.layout.items)} items")
    if choice.problems:
        count = len(choice.problems)
        return Content(head) + Content.styled(f"{count} problem{'s' if count > 1 else ''}", "$error")
    return Content(head + "not read yet")


class LayoutScreen(StepScreen):
    """The saved layouts found; the highlighted one's tree below.

    | Key | Action |
    | :- | :- |
    | up/down | highlight a layout (its tree shows below) |
    | enter | use the highlighted layout |
    | o | open a layout file by path (USB stick) or URL (https://, nfs://, s3://) |
    | tab | move to the tree (scroll it) |
    | escape | back |
    """

    STEP = "layout"
    HELP_TITLE = "Layout"
    HELP = """
Pick the saved layout of the machine to recover. rescue-tui looks for it in
/etc/rescue-tui (embedded in the rescue image), in --layout or
rescue.layout=, and in the examples of a source checkout. A layout on a USB
stick: mount it from the shell, then press o and type its path. On a web or
NFS server: press o and type its URL (https://host/web01.json,
nfs://host/export/web01.json); rescue-tui fetches a copy (rescue.ca_file=
names a CA of your own for https). In a private bucket: s3://BUCKET/KEY,
with the AWS_* keys (and AWS_ENDPOINT_URL) in rescue.credentials_file=.

The tree shows what the layout holds: disks, partitions, RAID, LUKS, LVM,
filesystems and mount points, with sizes. A layout that cannot be used
shows its problems instead, one per line, each naming where it is.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open", "Open file", id="layout.open", tooltip="Open a layout file by its path."),
        Binding("n", "next", "Use it", id="layout.next", tooltip="Use the highlighted layout (as Enter)."),
        Binding("escape", "back", "Back", id="layout.back", tooltip="Back to the welcome screen."),
    ]
    DEFAULT_CSS = """
    /* At 80x24: the layouts list stays short, the tree below takes what is left. */
    LayoutScreen #layouts {
        max-height: 8;
    }
    """

    def compose(self) -> ComposeResult:
        yield self.header()
        yield OptionList(id="layouts", classes="box", markup=False)
        yield Static("Reading the layouts...", id="layout-status", classes="line", markup=False)
        yield LayoutTree(id="tree", classes="box")
        yield self.footer()

    def on_mount(self) -> None:
        layouts = self.query_one("#layouts", OptionList)
        layouts.border_title = "Saved layouts (Enter: use it)"
        self.query_one("#tree", LayoutTree).border_title = "Contents"
        layouts.focus()
        if self.session.layouts:
            self._fill()
        else:
            self.check_layouts(find_layouts(self.session.options))

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def check_layouts(self, choices: list[LayoutChoice]) -> None:
        """Read and validate every layout found (milliseconds each)."""
        options = self.session.options
        checked = [c if c.checked else check_layout(c, options.ca_file, options.credentials_file) for c in choices]
        if not get_current_worker().is_cancelled:  # a newer check (a layout opened meanwhile) has the last word
            self.post_message(LayoutsChecked(checked))

    @on(LayoutsChecked)
    def layouts_checked(self, message: LayoutsChecked) -> None:
        self.session.layouts = message.layouts
        self._fill()

    def _fill(self) -> None:
        layouts = self.query_one("#layouts", OptionList)
        choices = self.session.layouts
        layouts.set_options(Option(layout_prompt(c), id=str(i)) for i, c in enumerate(choices))
        current = self.session.layout
        index = next((i for i, c in enumerate(choices) if current and c.path == current.path), 0)
        if choices:
            layouts.highlighted = index
            self._show(choices[index])
        else:
            self._status("No saved layout found: press o to open one by its path.")

    @on(OptionList.OptionHighlighted, "#layouts")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(self.session.layouts[int(event.option.id or 0)])

    def _show(self, choice: LayoutChoice) -> None:
        tree = self.query_one("#tree", LayoutTree)
        if choice.layout is not None:
            layout = choice.layout
            boot = f", {layout.boot.firmware.upper()} boot" if layout.boot else ""
            when = f", saved {layout.machine.captured_at[:10]}" if layout.machine.captured_at else ""
            self._status(f"{layout.machine.hostname}{boot}{when}: {choice.where}")
            tree.border_title = "Contents"
            tree.show_rows(tree_rows(layout), self.rescue.glyphs)
        else:
            self._status(f"{choice.where}: cannot be used", error=True)
            tree.border_title = f"Problems ({len(choice.problems)})"
            tree.show_lines([Content.styled(line, "$error") for line in choice.problems])

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#layout-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def glyphs_changed(self, glyphs: Glyphs) -> None:
        self.query_one("#tree", LayoutTree).set_glyphs(glyphs)

    @on(OptionList.OptionSelected, "#layouts")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.action_next()

    def action_next(self) -> None:
        layouts = self.query_one("#layouts", OptionList)
        if layouts.highlighted is None or not self.session.layouts:
            return
        choice = self.session.layouts[layouts.highlighted]
        if choice.layout is None:
            self.app.bell()
            self._status(f"{choice.label} cannot be used: its problems are listed below.", error=True)
            return
        self.session.choose_layout(choice)
        self.done()

    def action_open(self) -> None:
        def opened(where: Path | str | None) -> None:
            if where is None:
                return
            if isinstance(where, str):  # a URL: fetched by the check below
                choice = url_choice(where, self.session.options, "opened")
            else:
                choice = LayoutChoice(path=where, source="opened")
            known = [c for c in self.session.layouts if c.where != choice.where]
            self.session.layout = None
            self.session.layouts = [choice, *known]
            self._status(f"Reading {choice.where} ...")
            self.check_layouts(self.session.layouts)

        dialog = PathDialog(
            "Open a layout",
            "Path of the layout file (JSON), or its URL (https://, http://, nfs://, s3://):",
            "",
            must_exist=True,
            urls=True,
        )
        self.app.push_screen(dialog, opened)

    def action_back(self) -> None:
        self.app.pop_screen()
