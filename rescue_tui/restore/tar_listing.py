"""GNU tar's own listing of the bytes preflight reads, so that what is checked is what will be extracted.

Preflight reads the archive with Python's tarfile (hash, member safety, sizes).
tarfile stops quietly at a corrupt header; GNU tar skips it and goes on, so a
crafted archive could show two safe members to the check and hand five to the
extraction. Every byte tarfile reads is therefore also fed to ``tar --list``;
when GNU tar lists other members, or complains, the archive is refused.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from rescue_tui import tools
from rescue_tui.restore import codes
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.runner import Command, Pipeline


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


_C_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v", 0x5C: "\\\\"}


def gnu_quoted(name: str) -> str:
    """A member name as ``tar --list --quoting-style=escape`` prints it in the C locale (no trailing '/')."""
    out = []
    for byte in name.encode("utf-8", "surrogateescape"):
        if byte in _C_ESCAPES:
            out.append(_C_ESCAPES[byte])
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out).rstrip("/") or "."


class GnuTarLister:
    """``tar --list`` fed by :meth:`reader`; :meth:`disagreement` compares its names with the checked ones."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        """``secrets``: values the tool's environment must not carry (see ``runner.base_env``)."""
        self.matcher = NameMatcher()
        self._pipe = Pipeline(
            [
                Command(
                    argv=[tools.path("tar"), "--list", "--file=-", "--quoting-style=escape"],
                    codes=codes.TAR_LIST,
                    env={"LC_ALL": "C"},
                )
            ],
            stdin=subprocess.PIPE,
            stdout="lines",
            on_line=lambda line: self.matcher.theirs(line.rstrip("/") or "."),
            secrets=secrets,
        )
        self._closed = False

    def __enter__(self) -> GnuTarLister:
        self._pipe.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pipe.__exit__(*exc)

    def feed(self, data: bytes) -> None:
        stdin = self._pipe.procs[0].stdin
        if data and stdin is not None and not self._closed:
            try:
                stdin.write(data)
            except (BrokenPipeError, ValueError):
                self._closed = True  # GNU tar stopped reading (end of archive): it has what it lists

    def reader(self, source: Readable) -> Readable:
        """A file object reading ``source`` and feeding every byte it returns to GNU tar."""
        return _Tee(source, self)

    def disagreement(self) -> str | None:
        """Why GNU tar would extract something other than the names given to ``matcher.ours``, or None."""
        stdin = self._pipe.procs[0].stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()
        self._closed = True
        complaint = None
        try:
            self._pipe.wait(timeout=600)
        except BackendError as exc:
            complaint = exc.message
        return self.matcher.difference(complaint, verb="lists")


class NameMatcher:
    """GNU tar's member names ("theirs") and the checked ones ("ours"), compared as they arrive, from two threads.

    Only the names one side has and the other has not reached yet are held (both read the same bytes, so
    that is a few thousand at most): two full lists would be about 200 bytes a member, kept to the end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ahead: deque[str] = deque()
        self._ahead_is_ours = False
        self._first: tuple[int, str, str] | None = None
        """(member number, theirs, ours) of the first difference."""
        self.ours_count = 0
        self.theirs_count = 0

    def ours(self, name: str) -> None:
        self._add(name, ours=True)

    def theirs(self, name: str) -> None:
        self._add(name, ours=False)

    def _add(self, name: str, *, ours: bool) -> None:
        with self._lock:
            if ours:
                self.ours_count += 1
            else:
                self.theirs_count += 1
            if self._first is not None:
                return  # the first difference is found: only the counts go on
            if not self._ahead or self._ahead_is_ours == ours:
                self._ahead.append(name)
                self._ahead_is_ours = ours
                return
            other = self._ahead.popleft()
            if other != name:
                number = self.ours_count if ours else self.theirs_count
                self._first = (number, other, name) if ours else (number, name, other)
                self._ahead.clear()

    def difference(self, complaint: str | None, *, verb: str) -> str | None:
        """Why GNU tar's names (it ``verb`` them) are not the checked ones, or its ``complaint``; None if neither."""
        with self._lock:
            first = self._first
            if first is None and self.ours_count != self.theirs_count:
                pending = self._ahead[0] if self._ahead else "(nothing)"
                theirs, ours = ("(nothing)", pending) if self._ahead_is_ours else (pending, "(nothing)")
                first = (min(self.ours_count, self.theirs_count) + 1, theirs, ours)
            if first is not None:
                number, theirs, ours = first
                return (
                    f"GNU tar {verb} {self.theirs_count} members, the safety check read {self.ours_count} "
                    f"(first difference at member {number}: {theirs!r} against {ours!r}): a corrupt or crafted"
                    " archive" + (f"; {complaint}" if complaint else "")
                )
        if complaint is not None:
            return f"GNU tar cannot list it: {complaint}"
        return None


class _Tee:
    def __init__(self, source: Readable, lister: GnuTarLister) -> None:
        self.source = source
        self.lister = lister

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.lister.feed(data)
        return data
