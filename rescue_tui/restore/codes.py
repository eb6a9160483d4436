"""Return codes of every tool we run, mapped explicitly.

A tool's return code is looked up in the table of the operation it ran. A
code missing from the table is a failure ("unknown return code N"), never a
success (restic's scripting guide asks exactly that). A negative code or
128+N is a signal. Sources: GNU tar, gzip, xz, bzip2, zstd and curl manual
pages, rsync(1) EXIT VALUES, restic's ``075_scripting`` page, borg's
``constants.py`` (0 ok, 1 warning, 2 error, 128+N signal).
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class Outcome(str, Enum):
    OK = "ok"
    WARNING = "warning"
    """Done, with something the operator should read (collected, not raised)."""
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class ReturnCodes:
    """What each return code of one tool operation means."""

    tool: str
    operation: str
    meanings: Mapping[int, tuple[Outcome, str]]

    def classify(self, rc: int) -> tuple[Outcome, str]:
        """The outcome and a few words for ``rc``; unknown codes are failures."""
        if rc < 0:
            return Outcome.FAILED, f"killed by signal {_signame(-rc)}"
        if rc in self.meanings:
            return self.meanings[rc]
        if rc > 128 and _signame(rc - 128) != str(rc - 128):
            return Outcome.FAILED, f"killed by signal {_signame(rc - 128)}"
        return Outcome.FAILED, f"unknown return code {rc}"


def _signame(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _table(tool: str, operation: str, meanings: Mapping[int, tuple[Outcome, str]]) -> ReturnCodes:
    return ReturnCodes(tool=tool, operation=operation, meanings=meanings)


OK, WARN, FAIL = Outcome.OK, Outcome.WARNING, Outcome.FAILED

TAR_EXTRACT = _table("tar", "extract", {0: (OK, "ok"), 1: (FAIL, "some files differ"), 2: (FAIL, "fatal error")})
TAR_LIST = _table("tar", "list", {0: (OK, "ok"), 2: (FAIL, "fatal error")})
TAR_CREATE = _table(
    "tar", "create", {0: (OK, "ok"), 1: (WARN, "some files changed while being read"), 2: (FAIL, "fatal error")}
)
TAR_COMPARE = _table("tar", "compare", {0: (OK, "no differences"), 1: (WARN, "files differ"), 2: (FAIL, "fatal error")})

ZSTD = _table("zstd", "(de)compress", {0: (OK, "ok"), 1: (FAIL, "error (corrupt or truncated data?)")})
GZIP = _table(
    "gzip", "(de)compress", {0: (OK, "ok"), 1: (FAIL, "error (corrupt or truncated data?)"), 2: (WARN, "warning")}
)
PIGZ = _table(
    "pigz", "(de)compress", {0: (OK, "ok"), 1: (FAIL, "error (corrupt or truncated data?)"), 2: (WARN, "warning")}
)
XZ = _table(
    "xz", "(de)compress", {0: (OK, "ok"), 1: (FAIL, "error (corrupt or truncated data?)"), 2: (WARN, "warning")}
)
BZIP2 = _table(
    "bzip2",
    "(de)compress",
    {
        0: (OK, "ok"),
        1: (FAIL, "environmental problem"),
        2: (FAIL, "corrupt compressed data"),
        3: (FAIL, "internal consistency error"),
    },
)

CURL = _table(
    "curl",
    "download",
    {
        0: (OK, "ok"),
        6: (FAIL, "could not resolve the host"),
        7: (FAIL, "could not connect to the server"),
        18: (FAIL, "the transfer ended early"),
        22: (FAIL, "the server answered with an HTTP error (missing file? credentials?)"),
        23: (FAIL, "could not write the data (the reader stopped)"),
        28: (FAIL, "timed out"),
        35: (FAIL, "TLS handshake failed"),
        56: (FAIL, "network receive error"),
        60: (FAIL, "the server's TLS certificate is not trusted"),
        67: (FAIL, "login denied"),
    },
)

_RSYNC_COMMON: dict[int, tuple[Outcome, str]] = {
    0: (OK, "ok"),
    1: (FAIL, "syntax or usage error"),
    2: (FAIL, "protocol incompatibility"),
    3: (FAIL, "errors selecting input/output files or directories"),
    4: (FAIL, "requested action not supported"),
    5: (FAIL, "error starting the client-server protocol"),
    10: (FAIL, "error in socket I/O"),
    11: (FAIL, "error in file I/O"),
    12: (FAIL, "error in the rsync protocol data stream"),
    13: (FAIL, "errors with program diagnostics"),
    14: (FAIL, "error in IPC code"),
    20: (FAIL, "received SIGUSR1 or SIGINT"),
    21: (FAIL, "some error returned by waitpid()"),
    22: (FAIL, "error allocating core memory buffers"),
    23: (FAIL, "partial transfer due to error (some files or attributes were not copied)"),
    25: (FAIL, "the --max-delete limit stopped deletions"),
    30: (FAIL, "timeout in data send/receive"),
    35: (FAIL, "timeout waiting for daemon connection"),
    255: (FAIL, "ssh failed (host unreachable, key or host key rejected)"),
}
RSYNC_RESTORE = _table("rsync", "restore", {**_RSYNC_COMMON, 24: (FAIL, "source files vanished during the restore")})
RSYNC_BACKUP = _table("rsync", "backup", {**_RSYNC_COMMON, 24: (WARN, "some source files vanished while copying")})
RSYNC_VERIFY = _table("rsync", "verify", {**_RSYNC_COMMON, 24: (FAIL, "source files vanished during the compare")})

_RESTIC_COMMON: dict[int, tuple[Outcome, str]] = {
    0: (OK, "ok"),
    1: (FAIL, "fatal error"),
    10: (FAIL, "the repository does not exist"),
    11: (FAIL, "the repository is locked"),
    12: (FAIL, "wrong password"),
    130: (FAIL, "interrupted"),
}
RESTIC = _table("restic", "command", _RESTIC_COMMON)
RESTIC_BACKUP = _table("restic", "backup", {**_RESTIC_COMMON, 3: (WARN, "some source files could not be read")})

BORG = _table("borg", "command", {0: (OK, "ok"), 1: (WARN, "warning"), 2: (FAIL, "error")})

SSH = _table("ssh", "command", {0: (OK, "ok"), 255: (FAIL, "ssh failed (host unreachable, key or host key rejected)")})

SHA256SUM = _table("sha256sum", "check", {0: (OK, "ok"), 1: (FAIL, "checksum mismatch or unreadable file")})

DECOMPRESSOR_CODES: Mapping[str, ReturnCodes] = {"zstd": ZSTD, "pigz": PIGZ, "gzip": GZIP, "xz": XZ, "bzip2": BZIP2}
