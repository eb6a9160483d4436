"""Which snapshot (restic) or archive (borg) a restore takes when the spec names none.

A repository is often shared by many machines. "The newest" must mean the
newest of *this* machine, chosen once, in preflight, and restored by its id:
asking the tool for ``latest`` again at restore time could take another
machine's snapshot, or one made after preflight checked it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.model import Field

HOST_FIELD = Field(
    name="host",
    label="Host name of the backed-up machine",
    env="RESCUE_TUI_BACKUP_HOST",
    help="--set host=NAME: its newest snapshot is restored (needed when the repository serves several hosts)",
)


@dataclass(frozen=True)
class Snapshot:
    """One snapshot or archive as the tool lists it."""

    id: str
    """What the restore names: restic's snapshot id, borg's archive name."""
    host: str
    time: str
    """ISO 8601, as restic prints it and borg is asked to (so that times compare as text)."""


def newest_of_host(snapshots: list[Snapshot], host: str | None, *, what: str = "snapshot") -> Snapshot:
    """The newest snapshot of ``host``; without a host, the repository must hold one host's only."""
    if not snapshots:
        raise BackendError(f"the repository holds no {what}")
    hosts = sorted({s.host for s in snapshots})
    if host is None:
        if len(hosts) > 1:
            shown = ", ".join(hosts[:5]) + (", ..." if len(hosts) > 5 else "")
            raise BackendError(
                f"the repository holds {what}s of {len(hosts)} hosts ({shown}): "
                f"name this machine's with --set host=NAME, or a {what} in the spec"
            )
        host = hosts[0]
    mine = [s for s in snapshots if s.host == host]
    if not mine:
        raise BackendError(f"no {what} of host {host!r} in the repository (it holds: {', '.join(hosts[:5])})")
    # the tools list oldest first: on equal times the later entry is the newer one
    return max(enumerate(mine), key=lambda pair: (pair[1].time, pair[0]))[1]
