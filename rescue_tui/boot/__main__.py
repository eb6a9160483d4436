"""``python3 -m rescue_tui.boot``: what the rescue system's console units run.

The same as ``rescue-tui boot``, without loading the whole command tree.
"""

from rescue_tui.boot.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
