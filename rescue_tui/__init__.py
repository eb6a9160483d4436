"""rescue-tui: bare-metal disaster recovery on blivet, with a Textual console."""

__version__ = "0.1.0"
