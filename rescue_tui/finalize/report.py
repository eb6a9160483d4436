"""The recovery report: what the machine was, where it went, what was done, how long it took.

Written by finalize into the restored system's ``/var/log/rescue-tui/`` as JSON
(for tools) and text (for people): the layout and the disk mapping, the plan
(steps by kind, size changes, its notes), apply's steps with their timings
(from its journal), the restore (a place the restore stage fills), and
everything finalize changed, ran and noticed.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rescue_tui import __version__
from rescue_tui.files import write_atomic
from rescue_tui.finalize.model import Outcome
from rescue_tui.layout.model import Disk
from rescue_tui.plan.model import Plan
from rescue_tui.units import human_size

REPORT_DIR = "/var/log/rescue-tui"
REPORT_FORMAT_VERSION = 1
JOURNAL_TIME = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True)
class StepTiming:
    step: str
    kind: str
    summary: str
    status: str
    """'done', 'failed', 'started' (interrupted) or 'not run'."""
    started: str | None = None
    finished: str | None = None
    seconds: float | None = None
    message: str | None = None


def parse_journal(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Apply's journal (JSON lines) as entries; lines that are not JSON objects are reported, not fatal."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            problems.append(f"line {number} is not JSON (cut short by a power loss?): skipped")
            continue
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            problems.append(f"line {number} is not a JSON object: skipped")
    return entries, problems


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, JOURNAL_TIME)
    except ValueError:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None


def step_timings(plan: Plan, entries: list[dict[str, Any]]) -> list[StepTiming]:
    """Each plan step with its last run in the journal: status, start, end and seconds."""
    out = []
    for step in plan.steps:
        started = finished = None
        status, message = "not run", None
        for entry in entries:
            if entry.get("step") != step.id:
                continue
            event = entry.get("event")
            if event == "started":
                started, finished, status, message = entry.get("at"), None, "started", None
            elif event in ("done", "failed"):
                finished, status = entry.get("at"), str(event)
                message = entry.get("message") if event == "failed" else None
        begin, end = _when(started), _when(finished)
        seconds = (end - begin).total_seconds() if begin and end else None
        out.append(
            StepTiming(
                step=step.id,
                kind=step.kind,
                summary=step.summary(),
                status=status,
                started=started,
                finished=finished,
                seconds=seconds,
                message=message,
            )
        )
    return out


def build_report(
    plan: Plan,
    outcome: Outcome,
    *,
    target: str,
    report_only: bool,
    journal: tuple[str, list[dict[str, Any]], list[str]] | None = None,
    restore: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The report as plain data (JSON-ready)."""
    layout = plan.layout
    disks = {d.id: d for d in layout.of_type(Disk)}
    mapping = []
    for planned in plan.disks:
        original = disks.get(planned.source)
        mapping.append(
            {
                "original": {
                    "id": planned.source,
                    "name": planned.source_name,
                    "path": original.path if original else None,
                    "size": original.size if original else None,
                    "serial": original.serial if original else None,
                    "model": original.model if original else None,
                },
                "target": {"name": planned.name, "path": planned.path, "size": planned.size, "serial": planned.serial},
                "reason": planned.reason,
            }
        )
    apply_part: dict[str, Any] | None = None
    if journal is not None:
        path, entries, problems = journal
        timings = step_timings(plan, entries)
        apply_part = {
            "journal": path,
            "problems": problems,
            "steps": [t.__dict__ for t in timings],
            "seconds": sum(t.seconds or 0.0 for t in timings),
            "done": sum(1 for t in timings if t.status == "done"),
        }
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now))
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "tool": f"rescue-tui {__version__}",
        "created_at": stamp,
        "mode": "report-only" if report_only else "finalize",
        "target": target,
        "hostname": plan.hostname,
        "layout": {
            "source": plan.layout_source,
            "sha256": plan.layout_sha256,
            "firmware": layout.boot.firmware if layout.boot else None,
            "items": len(layout.items),
            "captured_at": layout.machine.captured_at,
            "captured_by": layout.machine.captured_by,
        },
        "mapping": mapping,
        "plan": {
            "created_at": plan.created_at,
            "inventory": plan.inventory_source,
            "steps": len(plan.steps),
            "by_kind": dict(sorted(Counter(s.kind for s in plan.steps).items())),
            "size_changes": [c.__dict__ for c in plan.changes],
            "notes": list(plan.notes),
        },
        "apply": apply_part,
        "restore": dict(restore)
        if restore is not None
        else {
            "backend": None,
            "source": None,
            "verified": None,
            "note": "not recorded: filled in by the restore stage",
        },
        "finalize": {
            "files": [
                {
                    "path": r.path,
                    "created": r.created,
                    "changed": r.changed,
                    "changes": [
                        {"line": c.line, "before": c.before, "after": c.after, "why": c.why} for c in r.changes
                    ],
                }
                for r in outcome.rewrites
            ],
            "commands": [
                {
                    "command": rec.command.text(),
                    "where": rec.command.where,
                    "why": rec.command.why,
                    "ok": rec.ok,
                    "seconds": round(rec.seconds, 3),
                    "error": rec.error,
                }
                for rec in outcome.commands
            ],
            "planned": [c.text() for c in outcome.planned],
            "actions": list(outcome.actions),
            "phases": [{"phase": p, "status": s, "seconds": round(t, 3)} for p, s, t in outcome.phases],
            "notes": [{"level": n.level, "message": n.message, "path": n.path, "line": n.line} for n in outcome.notes],
            "problems": len(outcome.problems),
        },
    }


def render_text(report: Mapping[str, Any]) -> str:
    """The report for people."""
    out: list[str] = []
    add = out.append
    fin = report["finalize"]
    add(f"rescue-tui recovery report: {report['hostname']}")
    add(f"  made {report['created_at']} by {report['tool']} ({report['mode']}), target {report['target']}")
    lay = report["layout"]
    add(
        f"  layout {lay['source']} (sha256 {str(lay['sha256'])[:16]}...), {lay['items']} items, "
        f"firmware {lay['firmware'] or 'unknown'}"
    )
    add("")
    add("Disks")
    for pair in report["mapping"]:
        o, t = pair["original"], pair["target"]
        add(
            f"  {o['name']} ({human_size(o['size'])}{', ' + o['serial'] if o['serial'] else ''}) -> "
            f"{t['path']} ({human_size(t['size'])}{', ' + t['serial'] if t['serial'] else ''}): {pair['reason']}"
        )
    plan = report["plan"]
    add("")
    add(f"Plan: {plan['steps']} steps ({', '.join(f'{n} {k}' for k, n in plan['by_kind'].items())})")
    for change in plan["size_changes"]:
        add(f"  {change['what']}: {human_size(change['old'])} -> {human_size(change['new'])} ({change['reason']})")
    for note in plan["notes"]:
        add(f"  note: {note}")
    applied = report["apply"]
    add("")
    if applied is None:
        add("Apply: no journal given")
    else:
        add(
            f"Apply: {applied['done']}/{len(applied['steps'])} steps done in {applied['seconds']:.0f} s "
            f"(journal {applied['journal']})"
        )
        for step in applied["steps"]:
            took = f"{step['seconds']:.0f} s" if step["seconds"] is not None else "-"
            extra = f": {step['message']}" if step["message"] else ""
            add(f"  {step['step']} {step['status']:<8} {took:>6}  {step['summary']}{extra}")
        for problem in applied["problems"]:
            add(f"  journal: {problem}")
    restore = report["restore"]
    add("")
    add(f"Restore: backend {restore.get('backend') or 'not recorded'}{', verified' if restore.get('verified') else ''}")
    add("")
    add("Finalize")
    for phase in fin["phases"]:
        add(f"  {phase['phase']:<11} {phase['status']:<8} {phase['seconds']:.1f} s")
    for item in fin["files"]:
        if not item["changed"]:
            continue
        add(f"  {item['path']}{' (created)' if item['created'] else ''}:")
        for change in item["changes"]:
            where = f"line {change['line']}" if change["line"] else "added"
            add(f"    {where}: {change['why']}")
            if change["before"]:
                add(f"      - {change['before']}")
            if change["after"]:
                add(f"      + {change['after']}")
    for rec in fin["commands"]:
        status = "ok" if rec["ok"] else f"FAILED: {rec['error']}"
        add(f"  ran {rec['command']} ({rec['seconds']:.1f} s): {status}")
    if fin["planned"] and not fin["commands"]:
        for command in fin["planned"]:
            add(f"  would run {command}")
    for action in fin["actions"]:
        add(f"  {action}")
    if fin["notes"]:
        add("")
        add("Notes")
        for note in fin["notes"]:
            where = (
                f"{note['path']}:{note['line']}: "
                if note["path"] and note["line"]
                else (f"{note['path']}: " if note["path"] else "")
            )
            add(f"  {note['level']}: {where}{note['message']}")
    add("")
    problems = fin["problems"]
    add("Result: " + ("no problems found" if not problems else f"{problems} problem(s): the system may not boot"))
    return "\n".join(out) + "\n"


def report_name(now: float | None = None) -> str:
    return "recovery-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(now))


def write_report(directory: Path, report: Mapping[str, Any], *, now: float | None = None) -> list[Path]:
    """Write the JSON and text report into ``directory`` (on the restored system); their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o750)
    base = report_name(now)
    paths = [directory / f"{base}.json", directory / f"{base}.txt"]
    texts = [json.dumps(report, indent=2, ensure_ascii=False) + "\n", render_text(report)]
    for path, text in zip(paths, texts, strict=True):
        write_atomic(path, text, mode=0o640)
    return paths
