"""Restore stage: backup backends (tar, rsync, restic, borg) behind one interface.

Entry points: :func:`rescue_tui.restore.spec.parse_spec` (spec syntax table
in its docstring and in ``rescue-tui backends``),
:func:`rescue_tui.restore.backend.open_backend` (a
:class:`~rescue_tui.restore.backend.Backend`),
:func:`rescue_tui.restore.flow.restore_tree` (preflight, restore, verify in
one call, for an apply executor or a TUI worker), and
:mod:`rescue_tui.restore.commands` for the CLI. One module per backend; the
subprocess runner (:mod:`rescue_tui.restore.runner`) knows no screen.
"""
