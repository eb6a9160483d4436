"""External tools are declared once and checked before anything runs."""

from __future__ import annotations

import pytest

from rescue_tui import tools
from rescue_tui.tools import MissingToolError


def test_every_backup_tool_is_declared_with_its_debian_package() -> None:
    for name in ("tar", "zstd", "pigz", "gzip", "xz", "rsync", "ssh", "restic", "borg", "curl", "sha256sum"):
        assert tools.get(name).package


def test_declaring_a_tool_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        tools.declare("tar", package="tar", purpose="again")


def test_require_names_every_missing_tool_and_the_packages_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "rescue_tui.tools.shutil.which", lambda exe: None if exe in ("restic", "borg") else f"/usr/bin/{exe}"
    )
    with pytest.raises(MissingToolError) as caught:
        tools.require(["tar", "restic", "borg", "restic"], why="restic backend")
    assert caught.value.message == "restic backend: missing tools: restic, borg"
    assert caught.value.hint == "install the packages: borgbackup restic"


def test_an_undeclared_tool_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="not declared"):
        tools.which("no-such-tool")


def test_path_and_version_of_a_present_tool() -> None:
    assert tools.path("tar").endswith("/tar")
    version = tools.version("tar")
    assert version is not None and "tar" in version
