"""The order of the step screens, in one place: each screen says it is done, the app asks this module what follows.

welcome -> layout -> mapping -> plan -> backend -> confirm -> recovery -> finish; a dry run goes
from the plan straight to the confirmation (there is nothing to restore), and ends there. Taking
over a stopped recovery goes from the welcome screen to the backend: its plan is the one applied.
"""

from __future__ import annotations

from rescue_tui.tui.messages import Step
from rescue_tui.tui.screens.backend import BackendScreen
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.screens.confirm import ConfirmScreen
from rescue_tui.tui.screens.finish import FinishScreen
from rescue_tui.tui.screens.layout import LayoutScreen
from rescue_tui.tui.screens.mapping import MappingScreen
from rescue_tui.tui.screens.plan import PlanScreen
from rescue_tui.tui.screens.progress import ProgressScreen
from rescue_tui.tui.screens.welcome import WelcomeScreen
from rescue_tui.tui.session import Session

ORDER: tuple[type[StepScreen], ...] = (
    WelcomeScreen,
    LayoutScreen,
    MappingScreen,
    PlanScreen,
    BackendScreen,
    ConfirmScreen,
    ProgressScreen,
    FinishScreen,
)
"""The recovery's steps in order: the one place that says what follows what."""
FIRST: Step = ORDER[0].STEP
SCREENS: dict[Step, type[StepScreen]] = {screen.STEP: screen for screen in ORDER}
FOLLOWS: dict[Step, Step | None] = {
    screen.STEP: following.STEP if following else None
    for screen, following in zip(ORDER, (*ORDER[1:], None), strict=True)
}


def next_step(step: Step, session: Session) -> Step | None:
    """The step after ``step`` for this session; None when the flow ends there."""
    if session.dry_run and step == "plan":
        return "confirm"
    if session.dry_run and step == "confirm":
        return None
    if session.takeover is not None and step == "welcome":
        return "backend"
    return FOLLOWS[step]


def screen_for(step: Step) -> StepScreen:
    """A new screen for ``step`` (each visit starts afresh, as going back pops the screen)."""
    return SCREENS[step]()
