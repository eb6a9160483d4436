"""The apply journal: which steps of which plan are done, one JSON line each, synced to disk.

blivet's ``do_it`` rolls nothing back, so knowing exactly how far an apply
got is ours to keep. The journal lives on the rescue system's RAM disk by
default and can be mirrored to other places (a USB stick) that survive a
power loss. A journal belongs to one plan (by digest) and to the disks it
was written on (their identity as found then): resuming it for another plan,
or on other disks, is refused.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rescue_tui.errors import RefusedError
from rescue_tui.inputs import parse_json, read_text

DEFAULT_DIR = Path("/run/rescue-tui")


@dataclass
class Journal:
    """An append-only record of one apply."""

    path: Path
    plan_digest: str
    mirrors: list[Path] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        path: Path,
        plan_digest: str,
        *,
        resume: bool,
        mirrors: list[Path] | None = None,
        disks: list[dict[str, Any]] | None = None,
    ) -> Journal:
        """A new journal, or (``resume``) the existing one of the same plan on the same ``disks``."""
        journal = cls(path=path, plan_digest=plan_digest, mirrors=list(mirrors or []))
        if path.exists():
            journal.entries = _read(path)
            first = journal.entries[0] if journal.entries else {}
            if not resume:
                raise RefusedError(
                    f"{path}: an earlier apply of {'this' if first.get('plan') == plan_digest else 'another'} plan "
                    "left this journal",
                    hint="run again with --resume to continue it, or remove the journal to start over",
                )
            if first.get("plan") != plan_digest:
                raise RefusedError(
                    f"{path}: the journal belongs to another plan (digest {str(first.get('plan'))[:12]})"
                )
            if disks is not None and isinstance(first.get("disks"), list) and first["disks"] != disks:
                was = {d.get("path"): d for d in first["disks"] if isinstance(d, dict)}
                changed = next((d for d in disks if was.get(d["path"]) != d), disks[0])
                raise RefusedError(
                    f"{path}: the journal was written on other disks: {changed['path']} was "
                    f"{_identity(was.get(changed['path']))}, is {_identity(changed)} now",
                    hint="these disks hold nothing of that apply: run apply without --resume (and remove the journal)",
                )
            return journal
        if resume:
            raise RefusedError(f"{path}: no journal to resume", hint="run apply without --resume")
        path.parent.mkdir(parents=True, exist_ok=True)
        journal.record("opened", plan=plan_digest, **({"disks": disks} if disks is not None else {}))
        return journal

    def record(self, event: str, **data: Any) -> None:
        """Append one event and make it durable before going on."""
        entry = {"event": event, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **data}
        if event == "opened":
            entry["plan"] = self.plan_digest
        self.entries.append(entry)
        line = json.dumps(entry, sort_keys=True) + "\n"
        for target in [self.path, *self.mirrors]:
            try:
                with open(target, "a", encoding="utf-8") as handle:
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError:
                if target == self.path:
                    raise
                # a mirror that went away (stick pulled) must not stop the recovery

    def done(self) -> set[str]:
        """Steps recorded as finished."""
        return {e["step"] for e in self.entries if e.get("event") == "done" and "step" in e}

    def phase_done(self, phase: str) -> bool:
        return any(e.get("event") == "phase-done" and e.get("phase") == phase for e in self.entries)


def _identity(disk: dict[str, Any] | None) -> str:
    if not disk:
        return "absent"
    return ", ".join(f"{k} {disk.get(k)}" for k in ("serial", "by_path", "size") if disk.get(k) is not None) or "?"


def _read(path: Path) -> list[dict[str, Any]]:
    entries = []
    lines = read_text(path, what="journal", error=RefusedError).splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = parse_json(line, where=f"{path}:{number}", error=RefusedError)
        except RefusedError:
            # a power loss can cut the last line short; anything earlier is corruption
            if number == len(lines):
                break
            raise RefusedError(f"{path}:{number}: the journal is damaged") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("event"), str):
            raise RefusedError(f"{path}:{number}: the journal is damaged (not an event)")
        entries.append(entry)
    return entries
