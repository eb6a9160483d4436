"""tar backend: GNU tar archives on a mounted medium or over HTTP(S).

Specs: ``tar:/ABS/PATH/NAME.tar[.gz|.zst|.xz|.bz2]``,
``tar+http://HOST[:PORT]/PATH``, ``tar+https://HOST[:PORT]/PATH``.

Compression comes from the name (``.tar.zst``/``.tzst``, ``.tar.gz``/``.tgz``,
``.tar.xz``/``.txz``, ``.tar.bz2``/``.tbz2``, ``.tar``), else from the magic
bytes of a local file; decompression uses the fastest tool present (``zstd``,
``pigz`` before ``gzip``, ``xz -T0``). Restore runs
``decompressor | tar --extract`` (over HTTP: ``curl``, the decompressor and
``tar --extract``, our hash and member gate between them) with GNU tar's
fidelity flags (numeric owners, xattrs of every namespace, ACLs, SELinux
labels; sparse files, hard links, devices, fifos and times come with tar).

A local archive is read whole by preflight, before anything is written: its
sha256 against ``NAME.sha256``, every member name through
:class:`rescue_tui.restore.safety.MemberCheck`, completeness against
``NAME.files.jsonl``, sizes per target filesystem. A recovery checks it before
apply and restore checks it again on the new filesystems; an unchanged file is
not read a second time (:mod:`rescue_tui.restore.tar_scan`). Over HTTP reading
it twice would double the longest phase of a recovery, so preflight reads its
first member (a range), ``NAME.manifest.json`` (length and checksums must
agree) and the checksum files, and the restore checks the rest on its way to
GNU tar (:mod:`rescue_tui.restore.tar_gate`): the first unsafe member stops it,
and a digest, completeness or parse failure fails it. Verify hashes
the restored files against ``NAME.files.jsonl``; without it, ``tar --compare``. HTTP credentials
(``http_user``/``http_password``) and the URL itself reach curl in a 0600
``--config`` file, never argv.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, ClassVar

from rescue_tui import tools
from rescue_tui.errors import BadInputError, CancelledError
from rescue_tui.files import sha256_file
from rescue_tui.remote.fetch import curl_settings
from rescue_tui.restore import codes
from rescue_tui.restore.access import CA_FIELD, SecretDir, ca_file
from rescue_tui.restore.backend import BackendBase, BackupResult, register
from rescue_tui.restore.checks import escaping_symlinks, target_check
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.manifest import (
    CHUNK,
    FILES_SUFFIX,
    MANIFEST_SUFFIX,
    SHA256_SUFFIX,
    HashingReader,
    completeness_check,
    file_digests,
    member_data_size,
    parse_sha256_line,
    read_digests,
    sha256_line,
    stream_members,
    text_lines,
    verify_file_digests,
)
from rescue_tui.restore.model import (
    Artifact,
    BackendSpec,
    BackupManifest,
    CheckResult,
    CheckStatus,
    Credentials,
    Field,
    Phase,
    PreflightReport,
    ProgressCallback,
    RestoreResult,
    VerifyReport,
)
from rescue_tui.restore.progress import Tracker
from rescue_tui.restore.runner import Command, Pipeline, proc_read_bytes, proc_written_bytes, run
from rescue_tui.restore.safety import MemberCheck, normalise
from rescue_tui.restore.tar_gate import GateResult, MemberGate
from rescue_tui.restore.tar_listing import GnuTarLister, NameMatcher, Readable, gnu_quoted
from rescue_tui.restore.tar_scan import (
    ArchiveScan,
    RemoteStamp,
    SizeTally,
    SourceStamp,
    listing_digest,
    recall,
    remember,
)
from rescue_tui.units import human_size

SUFFIXES: tuple[tuple[str, str], ...] = (
    (".tar.zst", "zstd"), (".tzst", "zstd"), (".tar.gz", "gzip"), (".tgz", "gzip"), (".tar.xz", "xz"),
    (".txz", "xz"), (".tar.bz2", "bzip2"), (".tbz2", "bzip2"), (".tbz", "bzip2"), (".tar", "none"),
)  # fmt: skip
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x1f\x8b", "gzip"), (b"\xfd7zXZ\x00", "xz"), (b"BZh", "bzip2"),
)  # fmt: skip

HEAD_BYTES = 1 << 20
"""Bytes of a remote archive preflight reads to see its first member (a range, not the archive)."""

FIDELITY = ("--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--selinux")
"""GNU tar flags for a faithful copy: numeric owners, every xattr namespace, ACLs, SELinux labels."""


def compression_from_name(name: str) -> str | None:
    lower = name.lower()
    for suffix, comp in SUFFIXES:
        if lower.endswith(suffix):
            return comp
    return None


def compression_from_magic(head: bytes) -> str:
    for magic, comp in MAGIC:
        if head.startswith(magic):
            return comp
    return "none"


def decompressor(comp: str) -> tuple[list[str], codes.ReturnCodes] | None:
    """The fastest decompression command present for ``comp`` (None for plain tar)."""
    if comp == "none":
        return None
    if comp == "zstd":
        return [tools.path("zstd"), "-d", "-c", "-q", "-T0"], codes.ZSTD
    if comp == "gzip":
        if tools.available("pigz"):
            return [tools.path("pigz"), "-d", "-c"], codes.PIGZ
        return [tools.path("gzip"), "-d", "-c"], codes.GZIP
    if comp == "xz":
        return [tools.path("xz"), "-d", "-c", "-T0"], codes.XZ
    if comp == "bzip2":
        return [tools.path("bzip2"), "-d", "-c"], codes.BZIP2
    raise ValueError(comp)


def compressor(comp: str) -> tuple[list[str], codes.ReturnCodes] | None:
    """The fastest compression command present for ``comp`` (None for plain tar)."""
    if comp == "none":
        return None
    if comp == "zstd":
        return [tools.path("zstd"), "-c", "-q", "-T0", "-3"], codes.ZSTD
    if comp == "gzip":
        if tools.available("pigz"):
            return [tools.path("pigz"), "-c"], codes.PIGZ
        return [tools.path("gzip"), "-c"], codes.GZIP
    if comp == "xz":
        return [tools.path("xz"), "-c", "-T0"], codes.XZ
    if comp == "bzip2":
        return [tools.path("bzip2"), "-c"], codes.BZIP2
    raise ValueError(comp)


def extract_argv(target: Path, *, verbose: bool = True) -> list[str]:
    """GNU tar reading an archive on stdin into ``target``, keeping everything it can."""
    argv = [tools.path("tar"), "--extract", "--file=-", f"--directory={target}", *FIDELITY,
            "--same-owner", "--preserve-permissions"]  # fmt: skip
    if verbose:
        argv.append("--verbose")
    return argv


def create_argv(source: Path, excludes: Sequence[str]) -> list[str]:
    """GNU tar writing ``source`` to stdout: sparse-aware, numeric owners, xattrs, ACLs, SELinux labels."""
    argv = [tools.path("tar"), "--create", "--file=-", f"--directory={source}", "--format=posix", "--sparse",
            *FIDELITY, "--exclude-caches", "--anchored", "--wildcards"]  # fmt: skip
    argv += [f"--exclude=./{pattern}" for pattern in excludes]
    argv.append(".")
    return argv


@register
class TarBackend(BackendBase):
    """GNU tar archives: local files or HTTP(S) downloads."""

    kind: ClassVar[str] = "tar"

    def __init__(self, spec: BackendSpec, credentials: Credentials) -> None:
        super().__init__(spec, credentials)
        self._remote: RemoteStamp | None = None
        """The last HEAD's answer (size, validator) for an archive over HTTP."""
        self._expected: str | None = None
        """The sha256 the archive had when preflight checked it: the restore over HTTP must read the same."""
        self._listing: str | None = None
        """The checksum list preflight checked the archive against: verify hashes by the same list."""

    @classmethod
    def fields(cls, spec: BackendSpec) -> tuple[Field, ...]:
        if spec.transport in ("http", "https"):
            return (
                Field(name="http_user", label="HTTP user", env="RESCUE_TUI_HTTP_USER"),
                Field(name="http_password", label="HTTP password", secret=True, env="RESCUE_TUI_HTTP_PASSWORD"),
                CA_FIELD,
            )
        return ()

    # -- where the bytes come from -------------------------------------------------------------------------------

    @property
    def compression(self) -> str:
        comp = compression_from_name(self.spec.path)
        if comp is not None:
            return comp
        if self.spec.is_local:
            try:
                with open(self.spec.path, "rb") as f:
                    return compression_from_magic(f.read(8))
            except OSError:
                return "none"
        raise BadInputError(
            f"backend spec {self.spec.text!r}: cannot tell the compression from the name",
            hint="name the archive .tar, .tar.gz, .tar.zst, .tar.xz or .tar.bz2",
        )

    def required_tools(self) -> tuple[str, ...]:
        needed = ["tar"]
        comp = compression_from_name(self.spec.path) or "none"
        if comp == "gzip":
            needed.append("pigz" if tools.available("pigz") else "gzip")
        elif comp != "none":
            needed.append(comp)
        if not self.spec.is_local:
            needed.append("curl")
        return tuple(needed)

    def _curl(
        self,
        secrets: SecretDir,
        url: str,
        *,
        head: bool = False,
        name: str = "curl.conf",
        headers: Sequence[str] = (),
    ) -> Command:
        """curl reading its URL, request headers and credentials from a 0600 config file."""
        lines = [f'url = "{_curl_quote(url)}"']
        lines += [name if value is None else f'{name} = "{value}"' for name, value in curl_settings(url)]
        if head:
            lines += ["head", "include"]
        lines += [f'header = "{_curl_quote(header)}"' for header in headers]
        if (trusted := ca_file(self.credentials)) is not None:
            lines.append(f'cacert = "{_curl_quote(str(trusted))}"')
        user = self.credentials.options.get("http_user")
        password = self.credentials.secrets.get("http_password")
        if user or password:
            creds = f"{user or ''}:{password.reveal() if password else ''}"
            lines.append(f'user = "{_curl_quote(creds)}"')
        conf = secrets.write(name, "\n".join(lines) + "\n")
        return Command(argv=[tools.path("curl"), "-q", "--config", str(conf)], codes=codes.CURL)  # -q: no ~/.curlrc

    def _fetch_small(self, suffix: str, secrets: SecretDir) -> str | None:
        """A sidecar file's text (``.sha256``, ``.files.jsonl``), or None when absent."""
        if self.spec.is_local:
            try:
                return Path(self.spec.path + suffix).read_text()
            except OSError:
                return None
        assert self.spec.url is not None
        cmd = self._curl(secrets, self.spec.url + suffix, name=f"curl{suffix}.conf")
        try:
            return run(cmd.argv, cmd.codes, secrets=self._secrets(), timeout=600).stdout
        except BackendError:
            return None

    def _head(self, secrets: SecretDir) -> RemoteStamp:
        """The archive's size and validator now, from the last response after redirects."""
        assert self.spec.url is not None
        cmd = self._curl(secrets, self.spec.url, head=True, name="curl-head.conf")
        out = run(cmd.argv, cmd.codes, secrets=self._secrets(), timeout=120).stdout
        self._remote = RemoteStamp.from_head(self.spec.url, out)
        return self._remote

    def _source_size(self, secrets: SecretDir) -> int | None:
        if self.spec.is_local:
            return os.stat(self.spec.path).st_size
        if self._remote is None:
            self._head(secrets)
        assert self._remote is not None
        return self._remote.size

    def _stamp(self) -> SourceStamp | None:
        """A local file's identity now: the same stamp later means the archive read before is unchanged."""
        return SourceStamp.of(self.spec.path)

    # -- preflight ----------------------------------------------------------------------------------------------

    def preflight(
        self, target: Path, progress: ProgressCallback, cancel: threading.Event | None = None
    ) -> PreflightReport:
        checks: list[CheckResult] = [target_check(target, members_checked_later=True)]
        with SecretDir() as secrets:
            where = self.spec.path if self.spec.is_local else self.spec.url
            try:
                self._remote = None  # ask again: the server's copy may have changed since the last preflight
                size = self._source_size(secrets)
                checks.append(
                    CheckResult(name="reachable", status=CheckStatus.OK, detail=f"{where}: {human_size(size)}")
                )
            except (OSError, BackendError) as exc:
                detail = exc.strerror if isinstance(exc, OSError) else exc.message
                checks.append(CheckResult(name="reachable", status=CheckStatus.FAIL, detail=f"{where}: {detail}"))
                return PreflightReport(spec=self.spec.text, checks=tuple(checks))
            expected = parse_sha256_line(self._fetch_small(SHA256_SUFFIX, secrets) or "")
            listing = self._listing = self._fetch_small(FILES_SUFFIX, secrets)
            self._expected = expected
            if self.spec.is_local:
                sizes: SizeTally | None = self._local_checks(
                    checks, secrets, target, expected, listing, progress, cancel
                )
            else:
                sizes = self._streamed_checks(checks, secrets, size, expected, listing)
            estimate = sizes.estimate(target) if sizes is not None and target.is_dir() else None
            if estimate is not None:
                checks.append(estimate.check())
            elif target.is_dir() and not self.spec.is_local and listing is None:
                detail = f"sizes are not known before the restore: no {FILES_SUFFIX} beside the archive"
                checks.append(CheckResult(name="fits", status=CheckStatus.WARN, detail=detail))
        return PreflightReport(
            spec=self.spec.text,
            checks=tuple(checks),
            estimated_bytes=estimate.total_bytes if estimate else None,
            estimated_files=estimate.total_files if estimate else None,
        )

    def _local_checks(
        self,
        checks: list[CheckResult],
        secrets: SecretDir,
        target: Path,
        expected: str | None,
        listing: str | None,
        progress: ProgressCallback,
        cancel: threading.Event | None,
    ) -> SizeTally | None:
        """A local archive is read whole before anything is written (or its earlier read reused)."""
        on_target = escaping_symlinks(target) if target.is_dir() else {}
        stamp = self._stamp() if not on_target else None
        scan = recall(stamp, listing) if stamp else None
        if scan is None:
            tracker = Tracker(Phase.PREFLIGHT, progress, bytes_total=self._source_size(secrets))
            try:
                scan = self._scan(secrets, MemberCheck(on_target=on_target), listing, tracker, cancel)
            except (BackendError, tarfile.TarError, EOFError, OSError) as exc:
                detail = exc.message if isinstance(exc, BackendError) else f"not a readable tar archive: {exc}"
                checks.append(CheckResult(name="lists", status=CheckStatus.FAIL, detail=detail))
                return None
            tracker.finish(message="listed")
            if stamp is not None and self._stamp() == stamp:
                remember(stamp, scan)
            read = ""
        else:
            read = "; read before, unchanged since"
        checks += self._archive_checks(scan, expected, read)
        self._expected = expected or scan.digest
        return scan.sizes

    def _streamed_checks(
        self,
        checks: list[CheckResult],
        secrets: SecretDir,
        size: int | None,
        expected: str | None,
        listing: str | None,
    ) -> SizeTally | None:
        """Over HTTP the archive is read once, by the restore (:mod:`rescue_tui.restore.tar_gate`): here only
        its first member, its manifest and its checksum files, so that a wrong URL, a partial upload or
        another archive is refused before anything is written."""
        checks.append(self._first_member(secrets))
        intact, described = self._manifest_check(secrets, size, expected, listing)
        checks.append(intact)
        digest_from = SHA256_SUFFIX
        if expected is None and described is not None:  # no .sha256 beside it: the manifest's digest will do
            expected, digest_from = described, MANIFEST_SUFFIX
            self._expected = expected
        listed = f", completeness against {FILES_SUFFIX}" if listing is not None else ""
        checks.append(
            CheckResult(
                name="safe",
                status=CheckStatus.SKIPPED,
                detail=f"each member{listed}: checked as the restore reads the archive, once;"
                " the first unsafe member stops it before GNU tar sees that member",
            )
        )
        if expected is None:
            detail = f"no {SHA256_SUFFIX} or {MANIFEST_SUFFIX} beside the archive: a damaged download goes unseen"
            checks.append(CheckResult(name="integrity", status=CheckStatus.WARN, detail=detail))
        else:
            detail = f"sha256 {expected} ({digest_from}): checked as the restore reads the archive"
            checks.append(CheckResult(name="integrity", status=CheckStatus.SKIPPED, detail=detail))
        if listing is None:
            return None
        try:
            entries = read_digests(text_lines(listing), where=f"{self.spec.text}{FILES_SUFFIX}")
            return SizeTally.of_files((str(e["path"]), int(str(e["size"]))) for e in entries)
        except BadInputError as exc:
            checks.append(CheckResult(name="complete", status=CheckStatus.FAIL, detail=exc.message))
            return None

    def _first_member(self, secrets: SecretDir) -> CheckResult:
        """``readable``: the archive's first bytes decompress to a tar header (a range of it, not all of it)."""
        assert self.spec.url is not None
        curl = self._curl(secrets, self.spec.url, name="curl-first.conf", headers=[f"Range: bytes=0-{HEAD_BYTES - 1}"])
        commands = [curl]
        dec = decompressor(self.compression)
        if dec is not None:
            commands.append(Command(argv=dec[0], codes=dec[1]))
        with Pipeline(commands, stdout="pipe", secrets=self._secrets()) as pipeline:
            out = pipeline.procs[-1].stdout
            assert out is not None
            try:
                with tarfile.open(fileobj=out, mode="r|") as tar:
                    first = tar.next()
            except (tarfile.TarError, EOFError, OSError) as exc:
                reason = f"not a readable tar archive: {exc}"
                try:
                    pipeline.wait(timeout=60)
                except BackendError as failed:  # the download (first) or the decompression says why
                    download_failed = pipeline.procs[0].returncode != 0
                    reason = failed.message if download_failed else f"not a readable tar archive: {failed.message}"
                return CheckResult(name="readable", status=CheckStatus.FAIL, detail=reason)
        if first is None:
            return CheckResult(name="readable", status=CheckStatus.FAIL, detail="an empty tar archive")
        kind = "plain" if dec is None else self.compression
        return CheckResult(name="readable", status=CheckStatus.OK, detail=f"{kind} tar, first member {first.name!r}")

    def _manifest_check(
        self, secrets: SecretDir, size: int | None, expected: str | None, listing: str | None
    ) -> tuple[CheckResult, str | None]:
        """``intact``: the server's archive is the one ``rescue-tui backup`` described in its manifest; and the
        archive's sha256 the manifest gives (None without one)."""
        where = f"{self.spec.text}{MANIFEST_SUFFIX}"
        text = self._fetch_small(MANIFEST_SUFFIX, secrets)
        if text is None:
            detail = f"no {MANIFEST_SUFFIX} beside the archive: its length is not known before the restore"
            return CheckResult(name="intact", status=CheckStatus.WARN, detail=detail), None
        try:
            manifest = BackupManifest.from_json(text)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            failed = CheckResult(
                name="intact", status=CheckStatus.FAIL, detail=f"{where}: not a backup manifest: {exc}"
            )
            return failed, None
        problems = []
        archive, checksums = manifest.archive, manifest.file_checksums
        if archive is None:
            problems.append("it describes no tar archive")
        else:
            if size is not None and size != archive.size:
                problems.append(
                    f"the server's archive is {size} bytes, the manifest says {archive.size}"
                    " (a partial upload, or another archive)"
                )
            if expected is not None and expected != archive.sha256:
                problems.append(f"{SHA256_SUFFIX} says {expected}, the manifest {archive.sha256}")
        if checksums is not None and listing is not None and listing_digest(listing) != checksums.sha256:
            problems.append(f"{FILES_SUFFIX} is not the checksum list the manifest names")
        described = archive.sha256 if archive is not None else None
        if problems:
            failed = CheckResult(name="intact", status=CheckStatus.FAIL, detail=f"{where}: " + "; ".join(problems))
            return failed, described
        shown = human_size(archive.size) if archive is not None else "?"
        ok = CheckResult(
            name="intact", status=CheckStatus.OK, detail=f"length ({shown}) and checksums agree with {where}"
        )
        return ok, described

    def _archive_checks(self, scan: ArchiveScan, expected: str | None, read: str) -> list[CheckResult]:
        """lists, complete, safe and integrity, from what a read of the archive found."""
        checks = [CheckResult(name="lists", status=CheckStatus.OK, detail=f"{scan.members} members{read}")]
        if scan.complete is not None:
            checks.append(scan.complete)
        if scan.disagreement is not None:
            checks.append(CheckResult(name="safe", status=CheckStatus.FAIL, detail=scan.disagreement))
        elif scan.member_problems:
            shown, n = scan.member_problems[0], len(scan.member_problems)
            detail = f"{n} member(s) would land outside the target, first {shown}"
            checks.append(CheckResult(name="safe", status=CheckStatus.FAIL, detail=detail))
        else:
            checks.append(CheckResult(name="safe", status=CheckStatus.OK, detail="every member stays inside"))
        digest = scan.digest
        if expected is None:
            detail = f"no {SHA256_SUFFIX} beside the archive; sha256 {digest}"
            checks.append(CheckResult(name="integrity", status=CheckStatus.WARN, detail=detail))
        elif expected == digest:
            checks.append(CheckResult(name="integrity", status=CheckStatus.OK, detail=f"sha256 {digest} matches"))
        else:
            detail = f"sha256 {digest} differs from {expected} in {SHA256_SUFFIX}"
            checks.append(CheckResult(name="integrity", status=CheckStatus.FAIL, detail=detail))
        return checks

    def _scan(
        self,
        secrets: SecretDir,
        member_check: MemberCheck,
        listing: str | None,
        tracker: Tracker,
        cancel: threading.Event | None,
    ) -> ArchiveScan:
        """One streaming pass: sha256, member safety, sizes, GNU tar's listing, completeness against ``listing``."""
        files: set[str] = set()
        sizes = SizeTally()

        def on_tar(tar: tarfile.TarFile) -> None:
            for member in stream_members(tar):
                if cancel is not None and cancel.is_set():
                    raise CancelledError("preflight: cancelled")
                lister.matcher.ours(gnu_quoted(member.name))
                name = normalise(member.name)
                if member.isreg():
                    files.add(name)
                member_check.check(
                    member.name, symlink=member.issym(), hardlink=member.islnk(), linkname=member.linkname
                )
                sizes.add(name, member_data_size(member))

        with GnuTarLister(self._secrets()) as lister:
            digest = self._stream(secrets, on_tar, tracker, cancel, lister=lister)
            disagreement = lister.disagreement()
        complete = None
        if listing is not None:
            where = f"{self.spec.text}{FILES_SUFFIX}"
            try:
                complete = completeness_check(listing, files, where=where)
            except BadInputError as exc:
                complete = CheckResult(name="complete", status=CheckStatus.FAIL, detail=exc.message)
        return ArchiveScan(
            digest=digest,
            members=lister.matcher.ours_count,
            disagreement=disagreement,
            member_problems=tuple(member_check.problems),
            complete=complete,
            listing_digest=listing_digest(listing),
            sizes=sizes,
        )

    def _stream(
        self,
        secrets: SecretDir,
        consume: Callable[[tarfile.TarFile], None],
        tracker: Tracker,
        cancel: threading.Event | None,
        *,
        lister: GnuTarLister | None = None,
    ) -> str:
        """Read a local archive once through Python: hash, decompress, hand a stream-mode TarFile to ``consume``.

        With ``lister``, every byte tarfile sees (and the rest, drained) also goes to GNU tar's listing.
        """
        with contextlib.ExitStack() as stack:
            hashing = HashingReader(stack.enter_context(open(self.spec.path, "rb")))
            dec = decompressor(self.compression)
            if dec is None:
                plain: Readable = lister.reader(hashing) if lister else hashing
                with tarfile.open(fileobj=plain, mode="r|", bufsize=CHUNK) as tar:  # type: ignore[call-overload]
                    consume(tar)
                while plain.read(CHUNK):
                    pass
                tracker.update(hashing.count)
            else:
                pipe = stack.enter_context(
                    Pipeline(
                        [Command(argv=dec[0], codes=dec[1])],
                        stdin=subprocess.PIPE,
                        stdout="pipe",
                        secrets=self._secrets(),
                    )
                )
                stdin = pipe.procs[0].stdin
                assert stdin is not None
                feed = _Feed(hashing, stdin, tracker)
                stdout = pipe.procs[-1].stdout
                assert stdout is not None
                out: Readable = lister.reader(stdout) if lister else stdout
                try:
                    with tarfile.open(fileobj=out, mode="r|", bufsize=CHUNK) as tar:  # type: ignore[call-overload]
                        consume(tar)
                finally:
                    while out.read(CHUNK):
                        pass
                    feed.join()
                pipe.wait(cancel=cancel)
                feed.check(self.spec.path)
            return hashing.hash.hexdigest()

    # -- restore ------------------------------------------------------------------------------------------------

    def restore(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        """``decompressor < ARCHIVE | tar --extract``; over HTTP, :meth:`_restore_streamed`."""
        if not self.spec.is_local:
            return self._restore_streamed(target, progress, cancel)
        files = 0

        def on_line(_line: str) -> None:
            nonlocal files
            files += 1

        with open(self.spec.path, "rb") as archive:
            total = os.fstat(archive.fileno()).st_size
            commands: list[Command] = []
            dec = decompressor(self.compression)
            if dec is not None:
                commands.append(Command(argv=dec[0], codes=dec[1]))
            commands.append(Command(argv=extract_argv(target), codes=codes.TAR_EXTRACT))
            tracker = Tracker(Phase.RESTORE, progress, bytes_total=total)
            tracker.update(0, 0, force=True)
            start = time.monotonic()
            with Pipeline(commands, stdin=archive, stdout="lines", on_line=on_line, secrets=self._secrets()) as pipe:
                first = pipe.procs[0].pid
                result = pipe.wait(cancel=cancel, probe=lambda: tracker.update(proc_read_bytes(first, 0), files))
        tracker.finish(bytes_done=total, files_done=files, message="restored")
        return RestoreResult(bytes=total, files=files, seconds=time.monotonic() - start, warnings=result.warnings)

    def _restore_streamed(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> RestoreResult:
        """``curl | [hash] | decompressor | [member gate] | tar --extract``: the archive is read once, checked on
        its way (:mod:`rescue_tui.restore.tar_gate`), and what was extracted must be what preflight described."""
        extracted = NameMatcher()  # GNU tar's names ("theirs") against the gate's ("ours")
        with SecretDir() as secrets, contextlib.ExitStack() as stack:
            total = self._source_size(secrets)
            assert self.spec.url is not None
            headers = self._remote.preconditions() if self._remote is not None else []
            curl = self._curl(secrets, self.spec.url, name="curl-restore.conf", headers=headers)
            download = stack.enter_context(Pipeline([curl], stdout="pipe", secrets=self._secrets()))
            assert download.procs[0].stdout is not None
            hashing = HashingReader(download.procs[0].stdout)
            plain: Readable = hashing
            feed = decode = None
            dec = decompressor(self.compression)
            if dec is not None:
                decode = stack.enter_context(
                    Pipeline([Command(argv=dec[0], codes=dec[1])], stdin=subprocess.PIPE, stdout="pipe",
                             secrets=self._secrets())
                )  # fmt: skip
                assert decode.procs[0].stdin is not None and decode.procs[0].stdout is not None
                feed = _Feed(hashing, decode.procs[0].stdin, None)
                plain = decode.procs[0].stdout
            extract = stack.enter_context(
                Pipeline(
                    [Command(argv=[*extract_argv(target), "--quoting-style=escape"], codes=codes.TAR_EXTRACT,
                             env={"LC_ALL": "C"})],
                    stdin=subprocess.PIPE,
                    stdout="lines",
                    on_line=lambda line: extracted.theirs(line.rstrip("/") or "."),
                    secrets=self._secrets(),
                )
            )  # fmt: skip
            assert extract.procs[0].stdin is not None
            gate = MemberGate(
                plain, extract.procs[0].stdin, MemberCheck(on_target=escaping_symlinks(target)), extracted.ours
            )
            tracker = Tracker(Phase.RESTORE, progress, bytes_total=total)
            tracker.update(0, 0, force=True)
            start = time.monotonic()

            def probe() -> None:
                tracker.update(hashing.count, extracted.theirs_count)

            try:
                result = extract.wait(cancel=cancel, probe=probe)
            except BackendError:  # GNU tar failed: the cause may lie upstream, said first
                if download.procs[0].poll() is not None:
                    download.wait(cancel=cancel)  # the download ended first: curl's reason
                    if feed is not None and feed.finished():
                        self._check_extracted(hashing)  # all read: were these the archive's bytes?
                gate.wait(cancel, probe)
                if gate.result.problem is not None:  # a cut or unreadable stream, or the gate itself
                    raise BackendError(f"{self.spec.url}: {gate.result.problem}") from None
                if decode is not None and decode.procs[0].poll() is not None:
                    decode.wait(cancel=cancel)  # the decompressor's reason
                raise
            gate.wait(cancel, probe)  # the rest of the stream: the digest covers every byte
            outcome = gate.result
            if outcome.refused is not None:
                raise BackendError(f"{self.spec.url}: {outcome.problem}")
            download.wait(cancel=cancel)  # a download cut short says so first
            if feed is not None:
                feed.join()
            if feed is None or feed.finished():  # every byte was read: the digest says whether they were the archive
                self._check_extracted(hashing)
            if decode is not None and feed is not None:
                decode.wait(cancel=cancel)
                feed.check(self.spec.text)
            problems, warnings = self._stream_problems(outcome, extracted)
            if problems:
                raise BackendError(f"{self.spec.url}: {problems[0]}")
        tracker.finish(bytes_done=hashing.count, files_done=extracted.theirs_count, message="restored")
        return RestoreResult(
            bytes=hashing.count,
            files=extracted.theirs_count,
            seconds=time.monotonic() - start,
            warnings=(*result.warnings, *warnings),
        )

    def _stream_problems(self, outcome: GateResult, extracted: NameMatcher) -> tuple[list[str], list[str]]:
        """What makes a streamed restore untrustworthy after the fact, first the most telling; and what is only
        worth a warning (files the checksum list lacks: verify cannot check them)."""
        problems: list[str] = []
        warnings: list[str] = []
        if outcome.problem is not None:
            problems.append(outcome.problem)
        if (difference := extracted.difference(None, verb="extracted")) is not None:
            problems.append(f"{difference}: do not trust the restored files")
        if self._listing is not None:
            where = f"{self.spec.text}{FILES_SUFFIX}"
            try:
                complete = completeness_check(self._listing, outcome.files, where=where)
            except BadInputError as exc:
                problems.append(exc.message)
            else:
                if complete.status is CheckStatus.FAIL:
                    problems.append(f"the archive is not complete: {complete.detail}")
                elif complete.status is CheckStatus.WARN:
                    warnings.append(complete.detail)
        return problems, warnings

    def _check_extracted(self, hashing: HashingReader) -> None:
        """The bytes extracted over HTTP against the digest preflight found (the ``.sha256``, else the manifest's;
        the ``.sha256`` fetched now if preflight did not run)."""
        expected = self._expected
        if expected is None:
            with SecretDir() as secrets:
                expected = parse_sha256_line(self._fetch_small(SHA256_SUFFIX, secrets) or "")
        digest = hashing.hash.hexdigest()
        if expected is not None and digest != expected:
            raise BackendError(
                f"{self.spec.url}: the archive extracted has sha256 {digest}, not the {expected} it was made with;"
                " it changed on the server or in transit: do not trust the restored files"
            )

    # -- verify -------------------------------------------------------------------------------------------------

    def verify(self, target: Path, progress: ProgressCallback, cancel: threading.Event) -> VerifyReport:
        with SecretDir() as secrets:
            listing = self._listing if self._listing is not None else self._fetch_small(FILES_SUFFIX, secrets)
            if listing is not None:
                where = f"{self.spec.text}{FILES_SUFFIX}"
                # Two passes over the text, not a list of millions of entries: the first checks every line and
                # sums what the progress bar needs.
                count = total = 0
                for entry in read_digests(text_lines(listing), where=where):
                    count, total = count + 1, total + int(str(entry["size"]))
                return verify_file_digests(
                    target, read_digests(text_lines(listing), where=where), progress=progress, cancel=cancel,
                    bytes_total=total, files_total=count,
                )  # fmt: skip
            return self._compare(target, secrets, progress, cancel)

    def _compare(
        self, target: Path, secrets: SecretDir, progress: ProgressCallback, cancel: threading.Event
    ) -> VerifyReport:
        """``tar --compare``: contents, modes, owners, times and link targets, against the archive itself."""
        differences: list[str] = []
        commands: list[Command] = []
        with contextlib.ExitStack() as stack:
            stdin: int | IO[bytes] | None
            if self.spec.is_local:
                stdin = stack.enter_context(open(self.spec.path, "rb"))
            else:
                assert self.spec.url is not None
                commands.append(self._curl(secrets, self.spec.url, name="curl-compare.conf"))
                stdin = subprocess.DEVNULL
            dec = decompressor(self.compression)
            if dec is not None:
                commands.append(Command(argv=dec[0], codes=dec[1]))
            argv = [tools.path("tar"), "--compare", "--file=-", f"--directory={target}", "--numeric-owner"]
            commands.append(Command(argv=argv, codes=codes.TAR_COMPARE))
            tracker = Tracker(Phase.VERIFY, progress, bytes_total=self._source_size(secrets))
            pipeline = stack.enter_context(
                Pipeline(commands, stdin=stdin, stdout="lines", on_line=differences.append, secrets=self._secrets())
            )
            first = pipeline.procs[0].pid

            def probe() -> None:
                tracker.update(proc_read_bytes(first, 0) if self.spec.is_local else proc_written_bytes(first))

            result = pipeline.wait(cancel=cancel, probe=probe)
        tracker.finish(message="compared")
        tail = [line for lines in result.stderr[-1:] for line in lines if "differs" in line or "Warning" in line]
        mismatches = tuple((differences + tail)[:200])
        return VerifyReport(
            method="tar --compare", checked=0, mismatches=mismatches, detail=f"{len(mismatches)} differences"
        )

    # -- backup -------------------------------------------------------------------------------------------------

    def backup(
        self, source: Path, excludes: Sequence[str], progress: ProgressCallback, cancel: threading.Event
    ) -> BackupResult:
        if not self.spec.is_local:
            raise BadInputError(
                f"backend spec {self.spec.text!r}: backups are written to a local path only",
                hint="write to tar:/PATH and serve that directory over HTTP",
            )
        archive = Path(self.spec.path)
        if not archive.parent.is_dir():
            raise BadInputError(f"{archive.parent}: no such directory for the archive")
        comp = compression_from_name(archive.name)
        if comp is None:
            raise BadInputError(
                f"backend spec {self.spec.text!r}: cannot tell the compression from the name",
                hint="name the archive .tar, .tar.gz, .tar.zst, .tar.xz or .tar.bz2",
            )
        commands = [Command(argv=create_argv(source, excludes), codes=codes.TAR_CREATE)]
        comp_cmd = compressor(comp)
        if comp_cmd is not None:
            commands.append(Command(argv=comp_cmd[0], codes=comp_cmd[1]))
        tracker = Tracker(Phase.BACKUP, progress)
        partial = archive.with_name(archive.name + ".partial")
        hashing_out = _HashingWriter(partial)
        try:
            with Pipeline(commands, stdout="pipe") as pipeline:
                out = pipeline.procs[-1].stdout
                assert out is not None
                copier = threading.Thread(target=hashing_out.copy_from, args=(out, tracker), daemon=True)
                copier.start()
                result = pipeline.wait(cancel=cancel)
                copier.join()
            if hashing_out.error is not None:
                raise BackendError(f"writing {partial}: {hashing_out.error}")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, archive)
        digest = hashing_out.hash.hexdigest()
        Path(str(archive) + SHA256_SUFFIX).write_text(sha256_line(digest, archive.name))
        # Per-file checksums come from the archive itself, so they match what a restore writes.
        listing_path = Path(str(archive) + FILES_SUFFIX)
        files, data = 0, 0
        with listing_path.open("w") as listing, SecretDir() as secrets:
            import json

            def consume(tar: tarfile.TarFile) -> None:
                nonlocal files, data
                for entry in file_digests(tar):
                    files += 1
                    data += int(str(entry["size"]))
                    listing.write(json.dumps(entry, sort_keys=True) + "\n")

            self._stream(secrets, consume, Tracker(Phase.BACKUP, progress, bytes_total=hashing_out.count), cancel)
        tracker.finish(bytes_done=hashing_out.count, files_done=files, message="archive written")
        listing_digest = sha256_file(listing_path)
        return BackupResult(
            files=files,
            bytes=data,
            archive=Artifact(path=str(archive), size=hashing_out.count, sha256=digest),
            file_checksums=Artifact(path=str(listing_path), size=listing_path.stat().st_size, sha256=listing_digest),
            warnings=result.warnings,
            manifest_path=Path(str(archive) + ".manifest.json"),
        )


class _Feed:
    """A thread copying a hashed source into a tool's stdin; knows whether it stopped at the source's end."""

    def __init__(self, source: HashingReader, sink: IO[bytes], tracker: Tracker | None) -> None:
        self.source = source
        self._sink = sink
        self._tracker = tracker
        self._error: BaseException | None = None
        self._at_end = threading.Event()
        self._thread = threading.Thread(target=self._copy, daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        try:
            for chunk in iter(lambda: self.source.read(CHUNK), b""):
                self._sink.write(chunk)
                if self._tracker is not None:
                    self._tracker.update(self.source.count)
            self._at_end.set()
        except BrokenPipeError:
            pass  # the tool stopped reading: its own exit status says why
        except BaseException as exc:  # pragma: no cover - reported by check()
            self._error = exc
        finally:
            with contextlib.suppress(OSError):
                self._sink.close()

    def finished(self) -> bool:
        """The source ran out (a download that ended, early or not) rather than the tool stopping."""
        self._thread.join(timeout=5)
        return self._at_end.is_set()

    def join(self) -> None:
        self._thread.join()

    def check(self, what: str) -> None:
        if self._error is not None:
            raise BackendError(f"reading {what}: {self._error}")


class _HashingWriter:
    def __init__(self, path: Path) -> None:
        import hashlib

        self.path = path
        self.hash = hashlib.sha256()
        self.count = 0
        self.error: BaseException | None = None

    def copy_from(self, stream: IO[bytes], tracker: Tracker) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: stream.read(CHUNK), b""):
                    self.hash.update(chunk)
                    out.write(chunk)
                    self.count += len(chunk)
                    tracker.update(self.count)
                out.flush()
                os.fsync(out.fileno())
        except BaseException as exc:
            self.error = exc


def _curl_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
