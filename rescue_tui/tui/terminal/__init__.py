"""The terminal under the TUI: what console it is, and a lean output stage for slow lines."""
