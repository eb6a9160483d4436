"""The operator console: a Textual face over the engine (layout -> mapping -> plan).

Importing this package loads no Textual: ``command`` registers ``rescue-tui
tui`` and prepares the console before Textual is imported (Textual reads its
environment once, at import). ``app`` and below are the Textual side.
"""
