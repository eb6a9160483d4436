"""Members checked as they stream, so that a restore over HTTP reads its archive once.

Reading a remote archive fully before apply (to know it is whole and safe) and again to restore it
doubles the time of the longest phase of a recovery: a 500 GB backup over a 1 Gb/s link is more than
an hour per read. So over HTTP the restore checks the archive on its way to GNU tar instead.

:class:`MemberGate` sits between the decompressor and ``tar --extract``. It parses the stream with
Python's tarfile and hands GNU tar only bytes that belong to members already checked: a member's
header, pax/GNU extension headers and data go through once :class:`rescue_tui.restore.safety.MemberCheck`
has accepted it. The first unsafe member ends the stream there (GNU tar never sees its header) and the
restore fails naming it. What tarfile cannot parse is never passed on either: after the last member
only zero padding may follow, else the restore fails (GNU tar would skip a corrupt header and go on;
we would silently restore less). The two parsers could still read one accepted header differently (a
size field, say); GNU tar's own listing of what it extracted is compared with the accepted names
afterwards, and GNU tar still refuses ``..`` and absolute names on its own.
"""

from __future__ import annotations

import contextlib
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from rescue_tui.errors import CancelledError
from rescue_tui.restore.manifest import CHUNK, stream_members
from rescue_tui.restore.safety import MemberCheck, normalise
from rescue_tui.restore.tar_listing import Readable, gnu_quoted

END_OF_ARCHIVE = bytes(1024)
"""Two zero blocks: GNU tar's end of an archive, written after the last member let through."""


class _Window:
    """What tarfile reads from ``source``; bytes before the accepted horizon go on to ``sink`` as they come."""

    def __init__(self, source: Readable, sink: IO[bytes]) -> None:
        self.source = source
        self.sink = sink
        self.read_bytes = 0
        """Bytes tarfile has taken from the stream."""
        self.sent = 0
        """Bytes handed to GNU tar: always at or before the horizon."""
        self.horizon = 0
        self.held = bytearray()
        """Bytes read but not yet accepted: ``[sent, read_bytes)``."""

    def read(self, size: int = -1, /) -> bytes:
        data = self.source.read(size)
        self.read_bytes += len(data)
        if not self.held and self.read_bytes <= self.horizon:
            self.sink.write(data)
            self.sent = self.read_bytes
        else:
            self.held += data
            self._send()
        return data

    def tell(self) -> int:
        return self.read_bytes

    def seek(self, offset: int, whence: int = 0, /) -> int:
        """Forward only: tarfile skips a member's data by seeking, and the data goes on to GNU tar in large reads
        (tarfile's own stream mode would copy it through its buffers several times)."""
        if whence != 0 or offset < self.read_bytes:
            raise OSError(f"the archive streams: cannot seek back from {self.read_bytes} to {offset}")
        while self.read_bytes < offset and self.read(min(CHUNK, offset - self.read_bytes)):
            pass
        return self.read_bytes

    def accept(self, horizon: int) -> None:
        """Every byte before ``horizon`` (the offset of the next header) belongs to accepted members."""
        self.horizon = horizon
        self._send()

    def _send(self) -> None:
        count = min(self.horizon, self.read_bytes) - self.sent
        if count > 0:
            with memoryview(self.held) as view:
                self.sink.write(view[:count])
            del self.held[:count]
            self.sent += count


@dataclass
class GateResult:
    """What went through the gate: enough to say afterwards whether the restore is whole."""

    accepted: int = 0
    """Members let through to GNU tar."""
    files: set[str] = field(default_factory=set)
    """Regular files accepted, names normalised."""
    refused: str | None = None
    """The unsafe member that stopped the stream (one line)."""
    unparsed: str | None = None
    """Why the stream did not end cleanly after the last member tarfile could read."""
    error: BaseException | None = None
    """An unexpected failure of the gate itself (reported, never swallowed)."""

    @property
    def problem(self) -> str | None:
        if self.refused is not None:
            return f"a member would land outside the target: {self.refused}; the restore stopped before it"
        if self.unparsed is not None:
            return self.unparsed
        if self.error is not None:
            return f"checking the archive as it streamed: {self.error}"
        return None


class MemberGate:
    """A thread reading the decompressed archive from ``source`` and feeding GNU tar's stdin ``sink``."""

    def __init__(
        self, source: Readable, sink: IO[bytes], member_check: MemberCheck, accepted: Callable[[str], None]
    ) -> None:
        """``accepted`` is told each member let through, as GNU tar prints its name (``tar_listing.gnu_quoted``)."""
        self.result = GateResult()
        self._accepted = accepted
        self._source = source
        self._sink = sink
        self._check = member_check
        self._thread = threading.Thread(target=self._run, daemon=True, name="tar-gate")
        self._thread.start()

    def wait(self, cancel: threading.Event, probe: Callable[[], None], interval: float = 0.5) -> None:
        """Until the gate has read the whole stream (or stopped); cancel stops waiting, the caller stops the tools."""
        while self._thread.is_alive():
            if cancel.is_set():
                raise CancelledError("restore: cancelled; the tools were stopped")
            self._thread.join(interval)
            probe()

    def _run(self) -> None:
        window = _Window(self._source, self._sink)
        try:
            self._pass_members(window)
            self._sink.write(END_OF_ARCHIVE)  # GNU tar ends cleanly with what was let through
        except BrokenPipeError:
            pass  # GNU tar stopped reading: its exit status says why
        except (tarfile.TarError, EOFError) as exc:
            self.result.unparsed = f"not a readable tar archive past member {self.result.accepted}: {exc}"
        except BaseException as exc:
            self.result.error = exc
        finally:
            with contextlib.suppress(OSError):
                self._sink.close()
        if self.result.refused is None and self.result.error is None:
            self._drain(window)

    def _pass_members(self, window: _Window) -> None:
        result = self.result
        with tarfile.open(fileobj=window, mode="r:") as tar:  # type: ignore[call-overload]
            for member in stream_members(tar):
                problem = self._check.check(
                    member.name, symlink=member.issym(), hardlink=member.islnk(), linkname=member.linkname
                )
                if problem is not None:
                    result.refused = problem
                    return
                name = normalise(member.name)
                self._accepted(gnu_quoted(member.name))
                result.accepted += 1
                if member.isreg():
                    result.files.add(name)
                window.accept(tar.offset)

    def _drain(self, window: _Window) -> None:
        """Read the rest (the digest covers every byte); after the end of the archive only zeros may follow."""
        tail = bytes(window.held)
        nonzero = tail.strip(b"\0") != b""
        try:
            for chunk in iter(lambda: window.source.read(CHUNK), b""):
                nonzero = nonzero or chunk.strip(b"\0") != b""
        except OSError as exc:
            self.result.error = exc
            return
        if nonzero and self.result.unparsed is None:
            self.result.unparsed = (
                f"bytes follow the end of the archive after member {self.result.accepted}"
                " (a corrupt header there, or data appended): what follows was not restored"
            )
