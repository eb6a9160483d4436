"""Line editing that keeps a file's look: comments, blank lines, line ends and column alignment.

Config files such as fstab are aligned by hand; a rewrite changes one field
and leaves the next columns where they were whenever the gap allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_FIELD = re.compile(r"\S+")


def lines_of(text: str) -> Iterator[tuple[int, str, str]]:
    """(1-based number, line without its end, the end: '\\n', '\\r\\n' or '')."""
    for number, raw in enumerate(text.splitlines(keepends=True), 1):
        body = raw.rstrip("\r\n")
        yield number, body, raw[len(body) :]


def fields(line: str) -> list[str]:
    return _FIELD.findall(line)


def is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def replace_field(line: str, index: int, value: str) -> str:
    """``line`` with its ``index``-th whitespace-separated field replaced, later columns kept in place.

    In an aligned file (more than one space after the field), the spaces after a longer value
    shrink (down to one) and those after a shorter one grow. A single space, or a gap holding
    tabs, is kept as it is.
    """
    spans = list(_FIELD.finditer(line))
    start, end = spans[index].span()
    delta = len(value) - (end - start)
    if index + 1 < len(spans):
        gap_end = spans[index + 1].start()
        gap = line[end:gap_end]
        aligned = len(gap) > 1 and "\t" not in gap
        new_gap = " " * max(1, len(gap) - delta) if aligned else gap
        rest = new_gap + line[gap_end:]
    else:
        rest = line[end:]
    return line[:start] + value + rest


def ensure_final_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
