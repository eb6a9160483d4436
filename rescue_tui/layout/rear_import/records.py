"""Pass 1 of the ReaR import: the lines of ``disklayout.conf`` become records.

Why a module of its own: reading knows nothing of the layout model. It splits
the text into ``Record`` s (comments dropped, excluded components marked,
wrapped lines joined) and holds the field checks that every record kind's
parser uses, with ``_Bad``, the error they raise. The keywords it recognises
are the parsers' (``driver.KEYWORDS``), passed in, so that this module
depends on nothing else in the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rescue_tui.errors import RearImportError

_KEYWORDISH = re.compile(r"[a-z][a-z_]*")
_EXCLUDED_RE = re.compile(r"#([a-z_]+)(?:\s|$)")
_OLD_EXCLUDED_RE = re.compile(r"# ([a-z_]+) +/dev/")
_DATED_RE = re.compile(r"^# Disk layout dated (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\b")
SECTOR = 512


class _Bad(Exception):
    """What is wrong with one record; the driver adds the file and line."""


# --- pass 1: records -----------------------------------------------------------------------------


@dataclass
class Record:
    """One ReaR component: a keyword and its fields, possibly joined from several lines."""

    line: int
    keyword: str
    fields: list[str]
    excluded: bool = False
    joined: list[int] = field(default_factory=list)


def _read_records(text: str, where: str, keywords: frozenset[str]) -> list[Record]:
    """Split the file into records: drop comments, mark exclusions, join wrapped lines."""
    records: list[Record] = []
    last: Record | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            last = None
        elif line.startswith("#"):
            last = _commented_record(line, number, keywords)
            if last is not None:
                records.append(last)
        else:
            tokens = line.split()
            if last is not None and tokens[0] not in keywords and _continues(last, tokens[0]):
                last.fields.extend(tokens)
                last.joined.append(number)
            elif tokens[0] in keywords or _KEYWORDISH.fullmatch(tokens[0]):
                last = Record(number, tokens[0], tokens[1:])
                records.append(last)
            else:
                raise RearImportError(
                    f"{where}:{number}: this looks like the rest of a wrapped line, "
                    f"but no component line comes right before it: {line[:60]!r}"
                )
    return records


def _continues(last: Record, first_token: str) -> bool:
    """Whether a line starting with ``first_token`` is the wrapped rest of ``last``."""
    return last.keyword == "crypt" or not _KEYWORDISH.fullmatch(first_token)


def _commented_record(line: str, number: int, keywords: frozenset[str]) -> Record | None:
    """An excluded component (``#part ...``, or ``# part /dev/...`` as old ReaR wrote it), else None.

    ReaR's headers (``# lvmdev <volume_group> ...``) and the lsblk and mdadm
    output it embeds never have a device path right after a keyword.
    """
    match = _EXCLUDED_RE.match(line) or _OLD_EXCLUDED_RE.match(line)
    if match is None or match.group(1) not in keywords:
        return None
    return Record(number, match.group(1), line[match.end(1) :].split(), excluded=True)


def _captured_at(text: str) -> str | None:
    """The ``# Disk layout dated`` header as ISO 8601 (the original machine's local time)."""
    for line in text.splitlines()[:5]:
        match = _DATED_RE.match(line)
        if match:
            y, mo, d, h, mi, s = match.groups()
            return f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    return None


# --- field helpers -------------------------------------------------------------------------------


def _count(rec: Record, low: int, high: int | None = None, *, want: str | None = None) -> None:
    n = len(rec.fields)
    if n < low or (high is not None and n > high):
        want = want or (f"{low}" if high == low else f"{low} or more" if high is None else f"{low} to {high}")
        raise _Bad(f"{n} fields after '{rec.keyword}', expected {want}")


def _int(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise _Bad(f"{what} {text!r} is not a whole number")
    return int(text)


def _path(text: str, what: str = "device") -> str:
    if not text.startswith("/dev/") or len(text) <= len("/dev/"):
        raise _Bad(f"{what} {text!r} is not a device path under /dev")
    return text


def _short(path: str) -> str:
    """``/dev/sda1`` -> ``sda1``; ``/dev/mapper/x`` -> ``x``; ``/dev/cciss/c0d0`` -> ``cciss-c0d0``."""
    name = path.removeprefix("/dev/").removeprefix("mapper/")
    return _slug(name)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_@]+", "-", text).strip("-") or "x"


def _key_values(tokens: Iterable[str], *, sep: str = "=") -> dict[str, str]:
    out: dict[str, str] = {}
    for token in tokens:
        key, found, value = token.partition(sep)
        if not found or not key:
            raise _Bad(f"expected key{sep}value, found {token!r}")
        out[key] = value
    return out
