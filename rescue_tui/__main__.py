"""``python -m rescue_tui`` is the same as the ``rescue-tui`` command."""

from rescue_tui.cli import main

raise SystemExit(main())
