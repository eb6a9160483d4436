"""Import ReaR's ``disklayout.conf`` into a rescue-tui layout.

Why: ReaR users arrive with a ``disklayout.conf`` and nothing else. Its
format changed from release to release without a version marker (units of
``lvmdev``, the ``lvmvol`` and ``raid`` forms, the ``part`` field count), real
files are pasted, mail-wrapped and hand-edited, and ReaR's own bugs split
``crypt`` lines in two. So this reader is defensive: it recognises every
known form, joins what was wrapped, keeps what ReaR marked as excluded out of
the items but on record, notes every guess, and names ``file:LINE`` in the
one error it raises when it cannot go on.

How, in three passes:

1. read: physical lines become records. ``# ...`` is a comment, ``#keyword``
   is an excluded component, and a line that does not start with a keyword
   is joined to the record above it.
2. parse: one parser per keyword (``PARSERS``) checks the fields and returns
   a ``Decl``: what the component needs (by device path), what it provides,
   and how to build its items.
3. build: a declaration is built once all it needs exists, so file order
   does not matter (ReaR writes ``crypt`` after the LVM that sits on it).
   What depends on an excluded or unsupported component is left out with it.

The package has one module per job, and each imports only modules named
before it here (pyproject.toml's import-linter contract holds them to it):
``records`` (pass 1 and the field checks), ``builder`` (the state the build
steps share, and ``Decl``), one module per record kind or family (``disks``,
``md``, ``lvm``, ``crypt``, ``filesystems``, ``skipped``) and ``boot``
(machine and boot facts, guessed from the built layout), none of which
imports another, then ``driver`` (passes 2 and 3, and ``PARSERS``). This
module runs them in order, in ``import_rear``.
"""

from __future__ import annotations

from pathlib import Path

from rescue_tui.errors import RearImportError
from rescue_tui.inputs import read_text
from rescue_tui.layout.graph import LayoutGraph
from rescue_tui.layout.model import FORMAT_VERSION, Layout, Origin
from rescue_tui.layout.rear_import.boot import _boot, _machine
from rescue_tui.layout.rear_import.builder import _Builder
from rescue_tui.layout.rear_import.disks import _widen_extended
from rescue_tui.layout.rear_import.driver import KEYWORDS, _build_all, _declare, _link
from rescue_tui.layout.rear_import.records import _captured_at, _read_records

__all__ = ["import_rear", "read_rear"]


# --- public API ----------------------------------------------------------------------------------


def import_rear(text: str, *, where: str, hostname: str | None = None) -> Layout:
    """Convert the text of a ReaR ``disklayout.conf``; ``where`` names the source in messages."""
    records = _read_records(text, where, KEYWORDS)
    if not records:
        raise RearImportError(f"{where}: no records (disk, part, raid, lvm...): not a ReaR disklayout.conf")
    b = _Builder()
    decls = _link(_declare(records, b, where), records, where)
    _build_all(decls, b, where)
    _widen_extended(b)
    items = b.sorted_items()
    machine = _machine(b, hostname, _captured_at(text))
    boot = _boot(b, LayoutGraph(Layout(format_version=FORMAT_VERSION, machine=machine, items=items)))
    origin = Origin(
        kind="rear-import",
        source=where,
        excluded=tuple(entry for _, entry in sorted(b.excluded, key=lambda e: e[0])),
        notes=tuple(entry for _, entry in sorted(b.notes, key=lambda n: n[0])),
    )
    return Layout(format_version=FORMAT_VERSION, machine=machine, boot=boot, origin=origin, items=items)


def read_rear(path: str | Path) -> Layout:
    """Read and convert a ReaR ``disklayout.conf`` file."""
    path = Path(path)
    return import_rear(read_text(path, what="ReaR disklayout.conf", error=RearImportError), where=str(path))
