"""The restored systems' backups: a minimal bootable Debian per machine, as tar archives on a read-only medium.

Built by ``tests/vm/target-debian/build`` on a cache miss (a few minutes) and cached outside the
clone; the console drill (``test_console_drill``), the unattended recovery (``test_unattended``) and
``rescue-tui drill`` (``test_drill``, from the host's copy of the files) restore them.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.vm import timings
from tests.vm.timings import record_timing

BUILD = ROOT / "tests" / "vm" / "target-debian" / "build"
BUILD_TIMEOUT = 45 * 60


@dataclass(frozen=True)
class TargetArchive:
    medium: Path
    """ext4 image holding MACHINE.tar.zst (vm-raid, vm-uefi) and their sidecar files."""
    kernel: str
    """Such as vmlinuz-6.1.0-28-amd64."""
    info: dict[str, Any]

    @property
    def backups(self) -> Path:
        """The medium's files, on the host."""
        return self.medium.parent / "backups"

    @property
    def version(self) -> str:
        return self.kernel.removeprefix("vmlinuz-")


@pytest.fixture(scope="session")
def target_archive(tmp_path_factory: pytest.TempPathFactory) -> TargetArchive:
    """The restored system's backup (built on a cache miss: a few minutes)."""
    log = tmp_path_factory.mktemp("target") / "build.log"
    with log.open("w") as err:
        try:
            result = subprocess.run(
                [str(BUILD), "--json"], stdout=subprocess.PIPE, stderr=err, text=True, timeout=BUILD_TIMEOUT
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{BUILD} took over {BUILD_TIMEOUT} s; log: {log}")
    if result.returncode != 0:
        pytest.fail(f"{BUILD} failed ({result.returncode}):\n{log.read_text()[-6000:]}")
    info = json.loads(result.stdout.strip().splitlines()[-1])
    if not info["cached"]:
        record_timing(f"{timings.CACHE_PREFIX}target archive build", info["seconds"])
    return TargetArchive(medium=Path(info["medium"]), kernel=info["target"]["kernel"], info=info)
