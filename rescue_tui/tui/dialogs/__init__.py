"""Modal dialogs, each a ``ModalScreen[T]`` that answers through ``dismiss``."""

from rescue_tui.tui.dialogs.confirm import ConfirmDialog
from rescue_tui.tui.dialogs.help import HelpDialog
from rescue_tui.tui.dialogs.message import ErrorDialog, MessageDialog
from rescue_tui.tui.dialogs.network import NetworkDialog
from rescue_tui.tui.dialogs.passphrase import PassphraseDialog
from rescue_tui.tui.dialogs.path import PathDialog
from rescue_tui.tui.dialogs.target import TargetDialog

__all__ = [
    "ConfirmDialog",
    "ErrorDialog",
    "HelpDialog",
    "MessageDialog",
    "NetworkDialog",
    "PassphraseDialog",
    "PathDialog",
    "TargetDialog",
]
