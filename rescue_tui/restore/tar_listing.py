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
        self.names: list[str] = []
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
            on_line=lambda line: self.names.append(line.rstrip("/") or "."),
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

    def disagreement(self, checked: list[str]) -> str | None:
        """Why GNU tar would extract something other than the ``checked`` names (already quoted), or None."""
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
        return names_difference(self.names, checked, complaint, verb="lists")


def names_difference(gnu: list[str], checked: list[str], complaint: str | None, *, verb: str) -> str | None:
    """Why GNU tar's names (it ``verb`` them) are not the ``checked`` ones, or its ``complaint``; None if neither."""
    if gnu != checked:
        first = next(
            (i for i, (a, b) in enumerate(zip(gnu, checked, strict=False)) if a != b), min(len(gnu), len(checked))
        )
        theirs = gnu[first] if first < len(gnu) else "(nothing)"
        ours = checked[first] if first < len(checked) else "(nothing)"
        return (
            f"GNU tar {verb} {len(gnu)} members, the safety check read {len(checked)} "
            f"(first difference at member {first + 1}: {theirs!r} against {ours!r}): a corrupt or crafted archive"
            + (f"; {complaint}" if complaint else "")
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
