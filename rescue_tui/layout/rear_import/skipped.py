"""Keywords ReaR writes that rescue-tui recognises but does not import.

Why a module of its own: these lines (multipath, TCG Opal, hardware RAID,
DRBD, s390 DASD channels) are read only to be left out with their reason,
together with whatever sits on the devices some of them provide.
"""

from __future__ import annotations

from rescue_tui.layout.rear_import.builder import Decl, _ParseState, _skipping_decl
from rescue_tui.layout.rear_import.records import Record

SKIPPED_KEYWORDS: dict[str, str] = {
    "multipath": "multipath devices are not recreated by rescue-tui",
    "opaldisk": "TCG Opal self-encrypting disk set-up is not recreated by rescue-tui",
    "logicaldrive": "hardware RAID logical drives are not recreated by rescue-tui",
    "smartarray": "HP SmartArray controllers are not configured by rescue-tui",
    "drbd": "DRBD devices are not recreated by rescue-tui",
    "dasd_channel": "s390 DASD channels are not configured by rescue-tui",
}
"""Keywords ReaR writes that we recognise but do not import, with the reason."""

_PROVIDING_SKIPPED = frozenset({"multipath", "drbd"})
"""Skipped keywords whose first field is a device other lines may sit on."""


# --- keywords we do not import -------------------------------------------------------------------


def _parse_skipped(rec: Record, state: _ParseState) -> Decl:
    reason = SKIPPED_KEYWORDS.get(rec.keyword, "unknown keyword")
    first = rec.fields[0] if rec.fields else ""
    provides = [f"dev:{first}"] if rec.keyword in _PROVIDING_SKIPPED and first.startswith("/dev/") else []
    return _skipping_decl(rec, provides, f"{rec.keyword} {first} skipped: {reason}".replace("  ", " "))
