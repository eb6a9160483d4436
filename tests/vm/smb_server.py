"""An SMB server on the host's loopback for the VM tests: Samba's smbd in the foreground, on a free port.

One read-only share, ``backups``, for one user (root, in a passdb of the server's own); everything it
keeps (state, locks, logs, the passdb) lives in its work directory. No NetBIOS, no printers, SMB 2.1 and
up. The guest reaches it at port 445 through its user NIC's guestfwd
(:class:`rescue_tui.drill.machine.UserNic`).
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.integration.restore.helpers import stop, wait_for_port

CONFIG = """\
[global]
    server role = standalone server
    security = user
    passdb backend = tdbsam:{work}/private/passdb.tdb
    map to guest = never
    smb ports = {port}
    interfaces = 127.0.0.1
    bind interfaces only = yes
    disable netbios = yes
    load printers = no
    printcap name = /dev/null
    server min protocol = SMB2_10
    private dir = {work}/private
    lock directory = {work}/lock
    state directory = {work}/state
    cache directory = {work}/cache
    pid directory = {work}
    ncalrpc dir = {work}/ncalrpc
    log file = {work}/smbd.log
    log level = 1

[backups]
    path = {share}
    read only = yes
    valid users = {user}
"""


class SmbServer:
    """``smbd`` sharing ``share`` as ``backups`` to ``user`` with ``password``; stopped on :meth:`stop`."""

    def __init__(self, share: Path, workdir: Path, *, user: str = "root", password: str = "smb drill pass") -> None:
        self.share, self.workdir, self.user, self.password = share, workdir, user, password
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.workdir / "smb.conf"

    def start(self, timeout: float = 30.0) -> SmbServer:
        for sub in ("private", "lock", "state", "cache", "ncalrpc"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG.format(work=self.workdir, port=self.port, share=self.share, user=self.user))
        secret = f"{self.password}\n{self.password}\n"
        subprocess.run(["smbpasswd", "-c", str(self.config), "-a", "-s", self.user], input=secret.encode(),
                       check=True, capture_output=True)  # fmt: skip
        command = ["smbd", "--foreground", "--no-process-group", "--configfile", str(self.config)]
        # A session of our making (smbd's own setsid would fail in it): smbd signals its whole process group when
        # it stops, which must not be the tests'.
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=self.workdir, start_new_session=True
        )
        try:
            wait_for_port(self.port, self.process, timeout=timeout)
        except RuntimeError as exc:
            log = self.workdir / "smbd.log"
            raise RuntimeError(f"smbd: {exc}: {log.read_text()[-2000:] if log.exists() else ''}") from None
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)
