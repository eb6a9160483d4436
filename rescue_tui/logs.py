"""Where log records go: details to the log file, only our own warnings and errors to the screen.

blivet and libblockdev log every sysfs read and program they run, and log as
ERROR things they recover from themselves ("failed to update sysfs path");
the operator's terminal (a 115200-baud serial line, perhaps) gets none of it.
Everything from INFO up (DEBUG with ``--debug``) goes to ``/run/rescue-tui/rescue-tui.log``: on
tmpfs, so a command documented as writing nothing writes no disk, and on the
rescue system the operator (or a support engineer) reads it from the shell.
``--debug`` shows everything on the screen as well.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

LOG_PATH = Path("/run/rescue-tui/rescue-tui.log")
ENV = "RESCUE_TUI_LOG"
"""Another log file (or 'none')."""
LIBRARY_LOGGERS = ("blivet", "program", "testdata", "py.warnings", "parted", "gi")
"""Libraries' loggers (blivet sets their levels itself when imported; Python warnings come through py.warnings)."""
FORMAT = "%(levelname)s %(name)s: %(message)s"


def is_library(record: logging.LogRecord) -> bool:
    return any(record.name == name or record.name.startswith(f"{name}.") for name in LIBRARY_LOGGERS)


def _ours_only(record: logging.LogRecord) -> bool:
    """On screen: our own warnings and errors; a library's records, whatever their level, stay in the log."""
    return not is_library(record)


def configure(*, debug: bool = False, screen: bool = True) -> Path | None:
    """Set up the handlers once per process; the log file's path (None when it cannot be written).

    ``screen=False``: nothing on stderr (a full-screen face owns the terminal; it shows what matters).
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.handlers = []
    if screen:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter(FORMAT))
        stderr.setLevel(logging.DEBUG if debug else logging.WARNING)
        if not debug:
            stderr.addFilter(_ours_only)
        root.addHandler(stderr)
    path = log_path()
    if path is None:
        return None
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(path, maxBytes=8 << 20, backupCount=2, encoding="utf-8")
        file.setFormatter(logging.Formatter(f"%(asctime)s [{os.getpid()}] {FORMAT}"))
        file.setLevel(logging.DEBUG if debug else logging.INFO)
        root.addHandler(file)
        return path
    return None


def log_path() -> Path | None:
    value = os.environ.get(ENV)
    if value == "none":
        return None
    return Path(value) if value else LOG_PATH
