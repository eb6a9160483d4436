"""Archives built to escape the target: refused by preflight (exit 2, one line), and harmless even without it."""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from rescue_tui.restore.backend import open_backend
from rescue_tui.restore.errors import BackendError
from rescue_tui.restore.progress import no_progress

from .helpers import error_lines, run_cli

pytestmark = pytest.mark.root

Builder = Callable[[tarfile.TarFile, Path], None]


def _file(tar: tarfile.TarFile, name: str, data: bytes = b"pwned\n") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _link(tar: tarfile.TarFile, name: str, target: str, *, hard: bool = False) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def _through_symlink(tar: tarfile.TarFile, outside: Path) -> None:
    _link(tar, "escape", str(outside))
    _file(tar, "escape/through-symlink")


def _through_parent(tar: tarfile.TarFile, outside: Path) -> None:
    _link(tar, "up", "..")
    _file(tar, "up/outside/through-parent")


def _through_chain(tar: tarfile.TarFile, outside: Path) -> None:
    _link(tar, "a", "b")
    _link(tar, "b", str(outside))
    _file(tar, "a/through-chain")


CRAFTED: dict[str, Builder] = {
    "absolute path": lambda tar, outside: _file(tar, f"{outside}/absolute"),
    "dot-dot path": lambda tar, outside: _file(tar, "../outside/dotdot"),
    "dot-dot in the middle": lambda tar, outside: _file(tar, "etc/../../outside/middle"),
    "symlink to outside then write through it": _through_symlink,
    "symlink to parent then write through it": _through_parent,
    "symlink chain then write": _through_chain,
    "hard link to an absolute path": lambda tar, outside: _link(tar, "hard", f"{outside}/victim", hard=True),
    "hard link climbing out": lambda tar, outside: _link(tar, "hard", "../outside/victim", hard=True),
}


def tar_of(members: dict[str, bytes]) -> bytes:
    """A PAX archive, in memory, of regular files named and filled as given (names taken as they are)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            _file(tar, name, data)
    return buffer.getvalue()


def crafted_archive(tmp_path: Path, builder: Builder, outside: Path) -> Path:
    archive = tmp_path / "crafted.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        _file(tar, "etc/hostname", b"looks innocent\n")
        builder(tar, outside)
    return archive


def snapshot(path: Path) -> list[tuple[str, float, int]]:
    return sorted((str(p), p.lstat().st_mtime, p.lstat().st_size) for p in path.rglob("*"))


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_a_crafted_archive_is_refused_with_one_line_and_exit_2_and_nothing_is_written(
    case: str, tmp_path: Path, target: Path, outside: Path
) -> None:
    archive = crafted_archive(tmp_path, CRAFTED[case], outside)
    before = snapshot(outside)
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "preflight: safe" in errors[0]
    assert os.listdir(target) == []
    assert snapshot(outside) == before


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_gnu_tar_keeps_a_crafted_archive_inside_the_target_even_without_preflight(
    case: str, tmp_path: Path, target: Path, outside: Path
) -> None:
    archive = crafted_archive(tmp_path, CRAFTED[case], outside)
    before = snapshot(outside)
    backend = open_backend(f"tar:{archive}")
    with contextlib.suppress(BackendError):  # tar reports what it refused; what matters is that nothing escaped
        backend.restore(target, no_progress, threading.Event())
    assert snapshot(outside) == before
    assert (outside / "victim").read_text() == "original\n"
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert os.path.realpath(path).startswith(str(target))


def test_preflight_lists_every_problem_and_names_the_first(tmp_path: Path, target: Path, outside: Path) -> None:
    def several(tar: tarfile.TarFile, out: Path) -> None:
        _file(tar, "../one")
        _file(tar, "/two")

    archive = crafted_archive(tmp_path, several, outside)
    report = open_backend(f"tar:{archive}").preflight(target, no_progress)
    safe = next(c for c in report.checks if c.name == "safe")
    assert safe.detail.startswith("2 member(s) would land outside the target, first '../one': '..' component")


def _archive_with_a_corrupt_header(tmp_path: Path, outside: Path) -> Path:
    """Two harmless members, a header whose checksum is broken, then three more (one escapes).

    Python's tarfile stops quietly at the broken header; GNU tar skips it and extracts the rest.
    """
    archive = tmp_path / "corrupt-header.tar"
    with tarfile.open(archive, "w", format=tarfile.USTAR_FORMAT) as tar:
        _file(tar, "etc/hostname", b"looks innocent\n")
        _file(tar, "etc/motd", b"welcome\n")
        _file(tar, "etc/broken", b"x")
        _link(tar, "escape", str(outside))
        _file(tar, "escape/through-symlink")
    data = bytearray(archive.read_bytes())
    third = 2 * 1024  # each small member: a 512-byte header and one 512-byte block of data
    assert data[third : third + 10].startswith(b"etc/broken")
    data[third + 148 : third + 156] = b"0000000\0"  # a wrong header checksum
    archive.write_bytes(bytes(data))
    return archive


def test_an_archive_gnu_tar_reads_further_than_the_check_is_refused(
    tmp_path: Path, target: Path, outside: Path
) -> None:
    archive = _archive_with_a_corrupt_header(tmp_path, outside)
    with tarfile.open(archive) as tar:
        assert len(tar.getmembers()) == 2  # what a Python-only check would have seen
    before = snapshot(outside)
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "preflight: safe: GNU tar lists" in errors[0], errors
    assert os.listdir(target) == []
    assert snapshot(outside) == before


def test_member_names_are_compared_with_gnu_tars_listing_whatever_their_bytes(tmp_path: Path, target: Path) -> None:
    archive = tmp_path / "names.tar"
    names = ["d ir/a b", "nl\nname", "tab\tx", "back\\slash", "utf\u00e9", "q?mark", '"quote', "bad\udcffbyte"]
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT, errors="surrogateescape") as tar:
        for name in names:
            _file(tar, name, b"ok\n")
    report = open_backend(f"tar:{archive}").preflight(target, no_progress)
    lists = next(c for c in report.checks if c.name == "lists")
    assert lists.status.value == "ok" and lists.detail == f"{len(names)} members", lists


def test_a_symlink_on_the_target_leading_out_is_refused_when_a_member_goes_through_it(
    tmp_path: Path, target: Path, outside: Path
) -> None:
    os.symlink(outside, target / "data")
    archive = tmp_path / "innocent.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        _file(tar, "data/victim", b"overwritten\n")
    before = snapshot(outside)
    result = run_cli("restore", "--backend", f"tar:{archive}", "--target", str(target), "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "a symlink already on the target" in errors[0], errors
    assert (outside / "victim").read_text() == "original\n"
    assert snapshot(outside) == before


def test_a_symlink_leading_out_that_the_archive_replaces_is_no_problem(tmp_path: Path, target: Path) -> None:
    # A half-restored tree: var/run -> /run is on the target, and the archive holds var/run itself.
    (target / "var").mkdir()
    os.symlink("/run", target / "var" / "run")
    archive = tmp_path / "replaces.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        _link(tar, "var/run", "/run")
        _file(tar, "etc/hostname", b"restored\n")
    report = open_backend(f"tar:{archive}").preflight(target, no_progress)
    assert {c.name: c.status.value for c in report.checks}["safe"] == "ok", report.checks
