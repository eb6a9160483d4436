"""A drill's report: passed or not, each check with what it found, and the recovery time by phase.

Written as ``drill.json`` (for machines: the same keys every run) and
``drill.txt`` (for people) into the report directory, beside the consoles' logs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from rescue_tui.drill.stretches import Stretch
from rescue_tui.files import write_atomic
from rescue_tui.units import human_size

Result = Literal["pass", "fail"]

PHASES = ("boot to console", "checks and plan", "apply", "restore", "finalize", "first boot")
"""The recovery time's parts, in order: the RTO an operator would see on the night, by phase."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    differences: tuple[str, ...] = ()


@dataclass
class DrillReport:
    layout: str
    hostname: str
    backend: str
    firmware: str
    image: str
    disks: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Layout disk name -> (its size in the layout, the size of the drill's blank disk)."""
    phases: dict[str, float] = field(default_factory=dict)
    """Phase -> seconds, for the phases the drill got through."""
    checks: list[Check] = field(default_factory=list)
    stopped: str | None = None
    """Why the drill stopped before its end (a console said FAILED, a timeout), or None."""
    logs: dict[str, str] = field(default_factory=dict)
    """Console log name -> path."""
    slowest: list[Stretch] = field(default_factory=list)
    """The rescue console's longest silences, longest first: where the recovery time went."""

    @property
    def result(self) -> Result:
        complete = self.stopped is None and bool(self.checks)
        return "pass" if complete and all(c.ok for c in self.checks) else "fail"

    @property
    def recovery_seconds(self) -> float:
        """Power-on of the rescue image to the recovered system's login prompt (what the drill got through)."""
        return sum(self.phases.values())

    def check(self, name: str, ok: bool, detail: str, differences: list[str] | tuple[str, ...] = ()) -> bool:
        self.checks.append(Check(name=name, ok=ok, detail=detail, differences=tuple(differences)))
        return ok

    def to_json(self) -> str:
        data = {
            "result": self.result,
            "layout": self.layout,
            "hostname": self.hostname,
            "backend": self.backend,
            "firmware": self.firmware,
            "image": self.image,
            "disks": {name: {"layout": old, "drilled": new} for name, (old, new) in self.disks.items()},
            "recovery_seconds": round(self.recovery_seconds, 1),
            "phases": {name: round(seconds, 1) for name, seconds in self.phases.items()},
            "checks": [asdict(c) | {"differences": list(c.differences)} for c in self.checks],
            "stopped": self.stopped,
            "logs": self.logs,
            "slowest": [asdict(s) for s in self.slowest],
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DrillReport:
        """A report read back from its ``drill.json`` (the derived ``result`` and ``recovery_seconds`` recomputed)."""
        data = json.loads(text)
        report = cls(layout=data["layout"], hostname=data["hostname"], backend=data["backend"],
                     firmware=data["firmware"], image=data["image"], phases=dict(data["phases"]),
                     disks={name: (d["layout"], d["drilled"]) for name, d in data.get("disks", {}).items()},
                     stopped=data["stopped"], logs=dict(data["logs"]),
                     slowest=[Stretch(**s) for s in data.get("slowest", [])])  # fmt: skip
        for check in data["checks"]:
            report.check(check["name"], check["ok"], check["detail"], check["differences"])
        return report

    def text(self) -> str:
        lines = [
            f"drill of {self.hostname} ({self.layout}, {self.firmware}) from {self.backend}: {self.result.upper()}",
        ]
        resized = [f"{name} {human_size(new)} (the layout's: {human_size(old)})"
                   for name, (old, new) in self.disks.items() if old != new]  # fmt: skip
        if resized:
            lines.append(f"onto disks of other sizes: {', '.join(resized)}")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        lines.append(f"recovery time: {self.recovery_seconds:.0f} s")
        lines += [f"  {name:<16} {seconds:7.1f} s" for name, seconds in self.phases.items()]
        lines.append("checks:")
        for check in self.checks:
            lines.append(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
            lines += [f"         {line}" for line in check.differences]
        if self.slowest:
            lines.append("slowest stretches of the recovery (after one line, until the next):")
            lines += [f"  {s.seconds:7.1f} s  {s.after!r} -> {s.until!r}" for s in self.slowest]
        lines += [f"log: {path}" for path in self.logs.values()]
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> tuple[Path, Path]:
        """``drill.json`` and ``drill.txt`` in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        as_json, as_text = directory / "drill.json", directory / "drill.txt"
        write_atomic(as_json, self.to_json())
        write_atomic(as_text, self.text())
        return as_json, as_text
