"""Passes 2 and 3 of the ReaR import: parse every record, link the needs across lines, build.

Why a module of its own: it is the one place that knows every record kind
(``PARSERS``, one parser per keyword), puts excluded and skipped components
on record, orders the build steps by what each needs, and turns the ``_Bad``
any kind raises into the ``RearImportError`` that names ``file:LINE``. The
record kinds know only the builder and the records below them.
"""

from __future__ import annotations

from collections.abc import Callable

from rescue_tui.errors import RearImportError
from rescue_tui.layout.rear_import.builder import Decl, Need, Parser, _Builder, _ParseState
from rescue_tui.layout.rear_import.crypt import _parse_crypt
from rescue_tui.layout.rear_import.disks import _implied_md_table, _parse_disk, _parse_part, _parse_raiddisk
from rescue_tui.layout.rear_import.filesystems import (
    _parse_btrfs_mounted,
    _parse_btrfs_subvol,
    _parse_fs,
    _parse_nocow,
    _parse_swap,
)
from rescue_tui.layout.rear_import.lvm import _parse_lvmdev, _parse_lvmgrp, _parse_lvmvol
from rescue_tui.layout.rear_import.md import _parse_raid
from rescue_tui.layout.rear_import.records import Record, _Bad
from rescue_tui.layout.rear_import.skipped import SKIPPED_KEYWORDS, _parse_skipped

PARSERS: dict[str, Parser] = {
    "disk": _parse_disk,
    "part": _parse_part,
    "raidarray": _parse_raid,
    "raid": _parse_raid,
    "raiddisk": _parse_raiddisk,
    "lvmdev": _parse_lvmdev,
    "lvmgrp": _parse_lvmgrp,
    "lvmvol": _parse_lvmvol,
    "crypt": _parse_crypt,
    "fs": _parse_fs,
    "swap": _parse_swap,
    "btrfsdefaultsubvol": _parse_btrfs_subvol,
    "btrfsnormalsubvol": _parse_btrfs_subvol,
    "btrfsmountedsubvol": _parse_btrfs_mounted,
    "btrfsnocopyonwrite": _parse_nocow,
    **{keyword: _parse_skipped for keyword in SKIPPED_KEYWORDS},
}
"""One parser per ReaR keyword."""

KEYWORDS = frozenset(PARSERS) | {"btrfssnapshotsubvol"}
"""Every keyword ReaR writes that we recognise (``btrfssnapshotsubvol`` only ever commented)."""


# --- describing components -----------------------------------------------------------------------


def _describe(rec: Record) -> str:
    """A one-line name for a component, for Origin.excluded and notes."""
    f, kw = rec.fields, rec.keyword
    forms: dict[str, Callable[[], str]] = {
        "part": lambda: f"part {f[5]} on {f[0]}",
        "fs": lambda: f"fs {f[1]} ({f[2]} on {f[0]})",
        "lvmdev": lambda: f"lvmdev {f[1]} (PV of {f[0]})",
        "lvmvol": lambda: f"lvmvol {f[0]}/{f[1]}",
        "crypt": lambda: f"crypt {f[0]} on {f[1]}",
        "swap": lambda: f"swap on {f[0]}",
        "btrfsmountedsubvol": lambda: f"btrfsmountedsubvol {f[1]} on {f[0]}",
        "btrfsnormalsubvol": lambda: f"btrfsnormalsubvol {f[3]} on {f[0]}",
        "btrfsdefaultsubvol": lambda: f"btrfsdefaultsubvol {f[3]} on {f[0]}",
    }
    try:
        return forms[kw]() if kw in forms else " ".join([kw, *f[:1]])
    except IndexError:
        return " ".join([kw, *f])


# --- pass 2 and 3: parse, link, build ------------------------------------------------------------


def _parse(rec: Record, state: _ParseState, where: str) -> Decl:
    parser = PARSERS.get(rec.keyword, _parse_skipped)
    try:
        return parser(rec, state)
    except _Bad as exc:
        raise RearImportError(_located(where, rec, str(exc))) from None


def _located(where: str, rec: Record, message: str) -> str:
    joined = f" (line {', '.join(map(str, rec.joined))} joined to it)" if rec.joined else ""
    return f"{where}:{rec.line}: {rec.keyword}: {message}{joined}"


def _whole_disk_members(records: list[Record]) -> dict[str, str]:
    """Disks (``disk`` lines) that an md array takes whole: member path -> array path."""
    disks = {r.fields[0] for r in records if r.keyword == "disk" and r.fields and not r.excluded}
    members: dict[str, str] = {}
    for rec in records:
        if rec.keyword in ("raid", "raidarray") and rec.fields and not rec.excluded:
            listed = next((f.split("=", 1)[1] for f in rec.fields[1:] if f.startswith("devices=")), "")
            members.update({d: rec.fields[0] for d in listed.split(",") if d in disks})
    return members


def _declare(records: list[Record], b: _Builder, where: str) -> list[Decl]:
    """Parse the active records; put the excluded ones on record and mark what they would provide."""
    state = _ParseState(whole_disk_members=_whole_disk_members(records))
    through = [r for r in records if r.keyword == "part" and r.fields[:1] and r.fields[0] in state.whole_disk_members]
    for rec in through:  # the array's partitions seen through a member: the array's own part lines say them
        b.note(rec.line, f"partition of {rec.fields[0]} seen through {state.whole_disk_members[rec.fields[0]]}: "
                         "left to the array's part lines")  # fmt: skip
    active = [_parse(rec, state, where) for rec in records if not rec.excluded and rec not in through]
    _check_unique_providers(active, where)
    provided = {key for decl in active for key in decl.provides}
    lvs = {tuple(r.fields[:2]) for r in records if r.keyword == "lvmvol" and not r.excluded}
    snapshots = 0
    for rec in (r for r in records if r.excluded and r not in through):
        if rec.keyword == "btrfssnapshotsubvol":
            snapshots += 1
        elif rec.keyword == "lvmvol" and tuple(rec.fields[:2]) in lvs:
            b.note(rec.line, f"further segment of LV {rec.fields[0]}/{rec.fields[1]}: the LV is made as one segment")
        else:
            _exclude(rec, b, provided)
    if snapshots:
        b.note(0, f"{snapshots} btrfs snapshot subvolume(s) listed by ReaR for documentation only: not recreated")
    return active


def _exclude(rec: Record, b: _Builder, provided: set[str]) -> None:
    b.excluded.append((rec.line, f"line {rec.line}: {_describe(rec)}"))
    try:
        decl = PARSERS.get(rec.keyword, _parse_skipped)(rec, _ParseState())
    except _Bad:
        return  # a broken excluded line is kept on record but provides nothing
    for key in decl.provides:
        if key not in provided:
            b.skip(key, f"excluded on line {rec.line}", excluded=True)


def _check_unique_providers(decls: list[Decl], where: str) -> None:
    first: dict[str, Record] = {}
    for decl in decls:
        for key in decl.provides:
            if key in first:
                what = f"{key.split(':', 1)[1]} is already declared on line {first[key].line}"
                raise RearImportError(_located(where, decl.rec, what))
            first[key] = decl.rec


def _link(decls: list[Decl], records: list[Record], where: str) -> list[Decl]:
    """Cross-line needs: a VG needs its PVs; a partitioned md array without raiddisk gets a guessed table."""
    pv_lines: dict[str, list[str]] = {}
    for rec in records:
        if rec.keyword == "lvmdev" and len(rec.fields) > 1:
            pv_lines.setdefault(rec.fields[0], []).append(rec.fields[1])
    for decl in decls:
        if decl.rec.keyword == "lvmgrp":
            vg = decl.rec.fields[0]
            devices = pv_lines.get(vg, [])
            if not devices:
                raise RearImportError(_located(where, decl.rec, f"volume group {vg} has no lvmdev line"))
            decl.needs += [(f"pv:{d}", f"PV {d}") for d in devices]
    return decls + _implied_md_tables(decls, records)


def _implied_md_tables(decls: list[Decl], records: list[Record]) -> list[Decl]:
    with_raiddisk = {r.fields[0] for r in records if r.keyword == "raiddisk" and r.fields}
    out: list[Decl] = []
    for decl in decls:
        rec = decl.rec
        if rec.keyword not in ("raid", "raidarray") or rec.fields[0] in with_raiddisk:
            continue
        parts = [r for r in records if r.keyword == "part" and not r.excluded and r.fields[:1] == rec.fields[:1]]
        if parts:
            out.append(_implied_md_table(rec, parts))
    return out


def _build_all(decls: list[Decl], b: _Builder, where: str) -> None:
    """Build each declaration once what it needs exists; leave out what sits on skipped components."""
    have: set[str] = set()
    pending = sorted(decls, key=lambda d: d.rec.line)
    while pending:
        waiting: list[Decl] = []
        for decl in pending:
            blocked = next((n for n in decl.needs if n[0] in b.skipped), None)
            if blocked is not None:
                _leave_out(decl, blocked, b)
            elif all(key in have for key, _ in decl.needs):
                _run(decl, b, where)
                have.update(k for k in decl.provides if k not in b.skipped)
            else:
                waiting.append(decl)
        if len(waiting) == len(pending):
            raise RearImportError(_unresolved(waiting, have, b, where))
        pending = waiting


def _run(decl: Decl, b: _Builder, where: str) -> None:
    try:
        decl.build(b)
    except _Bad as exc:
        raise RearImportError(_located(where, decl.rec, str(exc))) from None


def _leave_out(decl: Decl, need: Need, b: _Builder) -> None:
    skip = b.skipped[need[0]]
    text = f"line {decl.rec.line}: {_describe(decl.rec)} (on {need[1]}, {skip.why})"
    if skip.excluded:
        b.excluded.append((decl.rec.line, text))
    else:
        b.notes.append((decl.rec.line, f"{text}: skipped"))
    for key in decl.provides:
        b.skip(key, skip.why, excluded=skip.excluded)


def _unresolved(waiting: list[Decl], have: set[str], b: _Builder, where: str) -> str:
    promised = {key for decl in waiting for key in decl.provides}
    for decl in waiting:
        for key, what in decl.needs:
            if key not in have and key not in b.skipped and key not in promised:
                return _located(where, decl.rec, f"{what} is never declared")
    lines = ", ".join(str(d.rec.line) for d in waiting)
    return _located(where, waiting[0].rec, f"circular references among lines {lines}")
