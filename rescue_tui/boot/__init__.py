"""The rescue system's own face: what systemd starts on tty1 and ttyS0.

``cmdline`` reads the ``rescue.*`` kernel options, ``console`` makes the
console usable (size, glyphs, escape delay), ``entry`` is ``rescue-tui boot``.
No Textual here: the TUI, when it exists, is started from ``entry``.
"""
