"""An NFS server on the host's loopback for the VM tests: nfs-ganesha (userspace; the host kernel has no nfsd).

It exports directories read-only, NFSv4 over TCP, each under a pseudo path, with no grace period (a
fresh server would refuse opens for 90 s), no rpcbind, no locking service and no Kerberos. The
guest reaches it through its user NIC's guestfwd (:class:`rescue_tui.drill.machine.UserNic`).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

CONFIG = """\
NFS_CORE_PARAM {{
    Protocols = 4;
    NFS_Port = {port};
    Bind_addr = 127.0.0.1;
    Enable_NLM = false;
    Enable_RQUOTA = false;
}}
NFSV4 {{
    Graceless = true;
    RecoveryRoot = {state};
}}
NFS_KRB5 {{ Active_krb5 = false; }}
{exports}"""
EXPORT = """
EXPORT {{
    Export_Id = {number};
    Path = {path};
    Pseudo = {pseudo};
    Protocols = 4;
    Transports = TCP;
    Access_Type = RO;
    Squash = No_Root_Squash;
    SecType = sys;
    FSAL {{ Name = VFS; }}
}}
"""


class NfsServer:
    """``ganesha.nfsd`` in the foreground, exporting each directory of ``exports`` (pseudo path: directory);
    stopped on :meth:`stop`."""

    def __init__(self, exports: dict[str, Path], workdir: Path) -> None:
        self.exports, self.workdir = exports, workdir
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "ganesha.log"

    def start(self, timeout: float = 30.0) -> NfsServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "state").mkdir(exist_ok=True)
        config = self.workdir / "ganesha.conf"
        exports = "".join(
            EXPORT.format(number=number, path=path, pseudo=pseudo)
            for number, (pseudo, path) in enumerate(self.exports.items(), 1)
        )
        config.write_text(CONFIG.format(port=self.port, state=self.workdir / "state", exports=exports))
        command = ["ganesha.nfsd", "-F", "-f", str(config), "-L", str(self.log), "-p", str(self.workdir / "pid")]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ganesha.nfsd exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ganesha.nfsd does not answer on port {self.port}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
