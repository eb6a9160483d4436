"""Getting credentials to the tools without showing them: 0600 files on tmpfs, ssh command lines.

A secret the operator typed (TUI) or named by env var (CLI) is written to a
mode-0600 file in a mode-0700 directory on tmpfs (``/dev/shm`` when there is
one) and removed when the operation ends; a ``--password-file`` is used as
it is. Tools get the file's *path* (``RESTIC_PASSWORD_FILE``,
``BORG_PASSCOMMAND="cat PATH"``, ``curl --config PATH``), never the value.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rescue_tui import tools
from rescue_tui.restore.errors import CredentialsError
from rescue_tui.restore.model import BackendSpec, Credentials, Field, Secret

PASSWORD_FIELD = Field(
    name="password",
    label="Repository password",
    secret=True,
    required=True,
    env="RESCUE_TUI_PASSWORD",
    help="from --password-file FILE or the env var named by --password-env (default RESCUE_TUI_PASSWORD)",
)
CA_FIELD = Field(
    name="ca_file",
    label="CA certificate to trust (PEM file)",
    env="RESCUE_TUI_CA_FILE",
    help="--set ca_file=FILE: the server's certificate is checked against it, not the system's CAs",
)
"""For a server over TLS whose certificate a CA of the operator's own signed (tar over https, restic rest and s3)."""
SSH_FIELDS = (
    Field(name="ssh_key", label="SSH private key file", help="--ssh-key FILE (mode 0600)"),
    Field(name="known_hosts", label="known_hosts file", help="--known-hosts FILE; or --accept-new-host-key"),
    Field(
        name="host_key",
        label="or the host key's fingerprint (SHA256:...)",
        env="RESCUE_TUI_HOST_KEY",
        help="--set host_key=SHA256:...: the server must offer the key with this fingerprint (ssh-keygen -l)",
    ),
)


SECRETS_ENV = "RESCUE_TUI_SECRETS_DIR"
"""Where secret files' private directories go instead of /dev/shm (tests that check each is removed)."""


class SecretDir:
    """A private directory for secret files (in memory: /dev/shm), removed on close."""

    def __init__(self) -> None:
        base = os.environ.get(SECRETS_ENV) or None
        if base is None and os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            base = "/dev/shm"
        self.path = Path(tempfile.mkdtemp(prefix="rescue-tui-", dir=base))
        os.chmod(self.path, 0o700)
        self._written: dict[tuple[str, str], Path] = {}

    def write(self, name: str, value: str) -> Path:
        """A new 0600 file holding ``value`` (the same file again for the same name and value)."""
        key = (name, value)
        if key in self._written:
            return self._written[key]
        fd, raw = tempfile.mkstemp(prefix=f"{name}.", dir=self.path)  # mode 0600, O_EXCL
        with os.fdopen(fd, "w") as f:
            f.write(value)
        path = Path(raw)
        self._written[key] = path
        return path

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> SecretDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def password_file(creds: Credentials, secrets: SecretDir, *, required: bool = True) -> Path | None:
    """A file holding the repository password: the operator's file, or a private copy of the given secret."""
    if creds.password_file is not None:
        path = creds.password_file
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise CredentialsError(f"password file {path}: {exc.strerror}") from None
        if mode & 0o077:
            raise CredentialsError(
                f"password file {path} is readable by others (mode {mode & 0o777:o})", hint=f"chmod 600 {path}"
            )
        return path
    if creds.password:
        return secrets.write("password", creds.password.reveal())
    if required:
        raise CredentialsError("a repository password is needed", hint="use --password-file FILE or --password-env VAR")
    return None


def secret_value(creds: Credentials, name: str) -> Secret | None:
    value = creds.secrets.get(name)
    return value if value else None


def ssh_command(spec: BackendSpec, creds: Credentials, *, with_host: bool = False) -> list[str]:
    """The ssh argv every ssh transport uses: batch mode, our key, our known_hosts, the spec's port."""
    argv = [tools.path("ssh"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=15"]
    if creds.ssh_key is not None:
        argv += ["-i", str(creds.ssh_key), "-o", "IdentitiesOnly=yes"]
    if creds.known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={creds.known_hosts}"]
    argv += ["-o", "StrictHostKeyChecking=" + ("accept-new" if creds.accept_new_host_key else "yes")]
    if spec.port is not None:
        argv += ["-p", str(spec.port)]
    if with_host:
        argv.append(ssh_destination(spec))
    return argv


def ssh_destination(spec: BackendSpec) -> str:
    assert spec.host is not None
    host = f"[{spec.host}]" if ":" in spec.host else spec.host
    return f"{spec.user}@{host}" if spec.user else host


def ssh_command_string(spec: BackendSpec, creds: Credentials, *, with_host: bool = False) -> str:
    """The same as one shell-quoted string (rsync -e, BORG_RSH, restic's sftp.command)."""
    return shlex.join(ssh_command(spec, creds, with_host=with_host))


def check_ssh_key(creds: Credentials) -> None:
    if creds.ssh_key is None:
        return
    try:
        mode = creds.ssh_key.stat().st_mode
    except OSError as exc:
        raise CredentialsError(f"ssh key {creds.ssh_key}: {exc.strerror}") from None
    if mode & 0o077:
        raise CredentialsError(
            f"ssh key {creds.ssh_key} is readable by others (ssh refuses it)", hint=f"chmod 600 {creds.ssh_key}"
        )


def ca_file(creds: Credentials) -> Path | None:
    """The CA certificate the operator gave (``--set ca_file=FILE``), checked to be a readable PEM file."""
    name = creds.options.get("ca_file")
    if not name:
        return None
    path = Path(name)
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except OSError as exc:
        raise CredentialsError(f"CA certificate {path}: {exc.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise CredentialsError(f"CA certificate {path}: not a PEM certificate (no BEGIN CERTIFICATE line)")
    return path


def on_read_only_filesystem(spec: BackendSpec) -> bool:
    """Whether a local repository lies on a read-only filesystem (an NFS share we mounted, a write-protected
    stick, a DVD): restic and borg must then read it without taking their lock, which is a file they write."""
    if not spec.is_local:
        return False
    try:
        return bool(os.statvfs(spec.path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@contextlib.contextmanager
def secret_dir() -> Iterator[SecretDir]:
    d = SecretDir()
    try:
        yield d
    finally:
        d.close()


_CREDENTIAL_MARKERS = (
    "host key verification failed",
    "permission denied",
    "no key found",
    "wrong password",
    "passphrase",
    "unauthorized",
    "access denied",
    "forbidden",
    "empty password",
    "signature you provided",  # S3: SignatureDoesNotMatch (the secret key is wrong)
    "access key id you provided does not exist",  # S3: InvalidAccessKeyId
)


def failed_check_name(message: str) -> str:
    """Which preflight check a tool's failure belongs to: ``credentials`` or ``reachable``."""
    lower = message.lower()
    return "credentials" if any(marker in lower for marker in _CREDENTIAL_MARKERS) else "reachable"
