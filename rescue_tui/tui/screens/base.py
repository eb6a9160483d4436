"""What every step screen has: the header, the footer, its help, the session."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from rescue_tui.tui.messages import Step, StepDone
from rescue_tui.tui.session import Session
from rescue_tui.tui.theme import Glyphs

if TYPE_CHECKING:
    from rescue_tui.tui.app import RescueApp


class StepScreen(Screen[None]):
    """A step of the recovery; subclasses set ``HELP_TITLE``, ``HELP`` and ``STEP``."""

    HELP_TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    STEP: ClassVar[Step]
    """Which step this is: the header shows it, and the app's flow table knows it."""

    @property
    def rescue(self) -> RescueApp:
        return cast("RescueApp", self.app)

    @property
    def session(self) -> Session:
        return self.rescue.session

    def header(self) -> Header:
        return Header(icon=self.rescue.glyphs.header_icon)

    def footer(self) -> Footer:
        return Footer(compact=True)

    def done(self) -> None:
        """This step is done: the app pushes the one that follows (it owns the order, see ``tui/flow.py``)."""
        self.post_message(StepDone(self.STEP))

    def on_screen_resume(self) -> None:
        self.title = f"rescue-tui: {self.STEP}"
        self.sub_title = "dry run: nothing is written" if self.session.dry_run else "RECOVERY"

    def glyphs_changed(self, glyphs: Glyphs) -> None:
        """The glyph mode changed: redraw what is drawn in Python (tree guides)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app renders a failed worker's error (the message does not bubble); then the screen's own hook."""
        self.rescue.worker_state_changed(event)
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker.error)

    def worker_failed(self, error: BaseException | None) -> None:
        """A worker of this screen failed (the app shows the error): say what it means here."""
