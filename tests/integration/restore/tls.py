"""TLS for the tests: a certificate authority made per session, server certificates it signs, an HTTPS server.

Used by the in-host restore tests and by the VM drill that restores over HTTPS (the guest trusts the CA
because the operator gives it, ``ca_file``). Nothing here is trusted by the system.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .helpers import free_port, stop, wait_for_port

HTTPS_SERVE = """
import functools, http.server, ssl, sys
address, port, root, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
handler.log_message = lambda *args: None
server = http.server.ThreadingHTTPServer((address, port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


PLAIN_SERVE = """
import functools, http.server, os, re, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        wanted = re.fullmatch(r"bytes=(\\d+)-(\\d*)", self.headers.get("Range", ""))
        if self.command != "GET" or wanted is None:
            return super().send_head()
        try:
            f = open(self.translate_path(self.path), "rb")
        except OSError:
            self.send_error(404)
            return None
        st = os.fstat(f.fileno())
        start, end = int(wanted[1]), min(int(wanted[2] or st.st_size - 1), st.st_size - 1)
        if start >= st.st_size:
            f.close()
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{st.st_size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.end_headers()
        f.seek(start)
        self.left = end - start + 1
        return f
    def copyfile(self, source, out):
        while self.left is None or self.left > 0:
            chunk = source.read(65536 if self.left is None else min(65536, self.left))
            if not chunk:
                break
            out.write(chunk)
            self.sent += len(chunk)
            if self.left is not None:
                self.left -= len(chunk)
    def log_request(self, code="-", size="-"):
        pass
    def handle_one_request(self):
        self.sent, self.left, self.requestline = 0, None, ""
        try:
            super().handle_one_request()
        finally:
            if self.requestline:
                sys.stderr.write(f'"{self.requestline}" sent={self.sent}\\n')
root, port = sys.argv[1], int(sys.argv[2])
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=root))
server.serve_forever()
"""
"""A static HTTP server that answers single ranges and logs each request with the bytes it sent."""


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


@dataclass(frozen=True)
class TestCa:
    """A certificate authority in ``directory`` (``ca.pem``, ``ca.key``), and the server certificates it signs."""

    __test__ = False
    directory: Path

    @classmethod
    def make(cls, directory: Path) -> TestCa:
        openssl("req", "-x509", *EC_KEY, "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.pem"),
                "-days", "2", "-subj", "/CN=rescue-tui test CA")  # fmt: skip
        return cls(directory)

    @property
    def certificate(self) -> Path:
        return self.directory / "ca.pem"

    def sign(self, name: str, subject_alt_name: str) -> tuple[Path, Path]:
        """(certificate, key) for a server known as ``subject_alt_name`` (``IP:127.0.0.1``, ``DNS:host``)."""
        key, csr, cert, ext = (self.directory / f"{name}.{suffix}" for suffix in ("key", "csr", "pem", "ext"))
        ext.write_text(f"subjectAltName={subject_alt_name}\n")
        openssl("req", "-new", *EC_KEY, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.certificate), "-CAkey", str(self.directory / "ca.key"),
                "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
        return cert, key


@dataclass(frozen=True)
class WebServer:
    """A static web server of ``root`` on 127.0.0.1."""

    port: int
    root: Path
    scheme: str = "http"
    log: Path | None = None
    """The server's request log, where it keeps one."""

    def url(self, name: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/{name}"

    def requests(self, method: str, name: str) -> int:
        """How many ``method`` requests for ``name`` the log shows (the server must keep one)."""
        assert self.log is not None
        return sum(f'"{method} /{name} HTTP/' in line for line in self.log.read_text().splitlines())

    def bytes_sent(self, name: str) -> int:
        """Bytes of ``name`` the server has sent, in every GET (``PLAIN_SERVE`` logs them)."""
        assert self.log is not None
        lines = [line for line in self.log.read_text().splitlines() if f'"GET /{name} HTTP/' in line]
        return sum(int(line.rpartition(" sent=")[2]) for line in lines)


def serve_https(root: Path, certificate: Path, key: Path) -> tuple[WebServer, subprocess.Popen[bytes]]:
    """A static HTTPS server of ``root`` on 127.0.0.1 (a free port); the caller stops the process."""
    port = free_port()
    command = [sys.executable, "-c", HTTPS_SERVE, "127.0.0.1", str(port), str(root), str(certificate), str(key)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc)
    return WebServer(port=port, root=root, scheme="https"), proc


@contextlib.contextmanager
def serving_https(root: Path, ca: TestCa) -> Iterator[WebServer]:
    """``root`` over HTTPS on 127.0.0.1, with a certificate for that address signed by ``ca``, while in the block."""
    server, proc = serve_https(root, *ca.sign("localhost", "IP:127.0.0.1"))
    try:
        yield server
    finally:
        stop(proc)
