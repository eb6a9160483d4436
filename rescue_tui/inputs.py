"""One way to read a file the operator gives us: layouts, plans, inventories, mappings, journals, manifests.

On the night of a recovery a file may be truncated, corrupted or hostile. Every
reader goes through here first: the size is capped, the bytes are decoded as
strict UTF-8, and JSON is scanned for nesting depth and number length before it
is parsed (Python's parser recurses, and refuses integers over 4,300 digits with
a ValueError). Each failure is one :class:`BadInputError` line naming the file
and, where known, the line and column; nothing is ever half-read. The typed
validation of each format comes after, in its own reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, BinaryIO

from rescue_tui.errors import BadInputError
from rescue_tui.units import human_size

MAX_BYTES = 64 << 20
"""The largest file read whole: a layout of a server with thousands of devices is a few MiB."""
MAX_DEPTH = 64
"""JSON nesting deeper than any of our formats uses (a layout is about 5 deep)."""
MAX_NUMBER = 40
"""Characters in one JSON number: sizes in bytes of the largest disks have 20 digits."""


def read_text(
    path: str | Path, *, what: str, max_bytes: int = MAX_BYTES, error: type[BadInputError] = BadInputError
) -> str:
    """The file's text; ``error`` (one line naming the file) when it is unreadable, too large, binary or not UTF-8."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = _read_capped(handle, max_bytes)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{path}: larger than {human_size(max_bytes)}: not a {what}")
    return decode(data, where=str(path), what=what, error=error)


def _read_capped(handle: BinaryIO, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes, in chunks: one read of the whole cap would allocate it all up front."""
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = handle.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def decode(data: bytes, *, where: str, what: str, error: type[BadInputError] = BadInputError) -> str:
    """Strict UTF-8 text without NUL bytes, or ``error`` naming the line and column of the first bad byte."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position(data, nul)
        raise error(f"{where}:{line}:{column}: a NUL byte: binary data, not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise error(f"{where}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x}): not a {what}") from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def parse_json(text: str, *, where: str, error: type[BadInputError] = BadInputError) -> Any:
    """JSON with bounded nesting and number length; ``error`` with ``where:line:column`` otherwise."""
    if text.count("[") + text.count("{") > MAX_DEPTH or _NUMBER_RUN.search(text):
        _scan(text, where, error)  # only a text that might pass a limit is scanned token by token (slow)
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise error(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:  # NaN/Infinity, or a number Python refuses
        raise error(f"{where}: not valid JSON: {exc}") from None


def read_json(path: str | Path, *, what: str, error: type[BadInputError] = BadInputError) -> Any:
    """A JSON file, read and parsed under the limits above."""
    return parse_json(read_text(path, what=what, error=error), where=str(path), error=error)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|[0-9+\-.eE]{' + str(MAX_NUMBER + 1) + ",}")
"""Strings (skipped whole), brackets, and runs of number characters too long to be a number we accept."""
_NUMBER_RUN = re.compile(r"[0-9+\-.eE]{" + str(MAX_NUMBER + 1) + ",}")
"""A run of number characters too long for a number, strings included: without one (and with fewer brackets than
the depth allowed), no limit can be passed and the token scan is skipped: a checksum list has millions of lines."""


def _scan(text: str, where: str, error: type[BadInputError]) -> None:
    """Refuse nesting deeper than MAX_DEPTH and numbers longer than MAX_NUMBER, before the parser sees them."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise error(f"{where}:{_at(text, match.start())}: nested deeper than {MAX_DEPTH} levels")
        elif token in ("]", "}"):
            depth -= 1
        elif not token.startswith('"'):
            raise error(f"{where}:{_at(text, match.start())}: a number longer than {MAX_NUMBER} characters")


def _at(text: str, offset: int) -> str:
    return f"{text.count(chr(10), 0, offset) + 1}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"
