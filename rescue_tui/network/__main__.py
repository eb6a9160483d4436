"""``python3 -m rescue_tui.network``: what ``rescue-network.service`` runs at boot (``rescue-tui network setup``)."""

from rescue_tui.cli import main

raise SystemExit(main(["network", "setup"]))
