"""files.sha256_file: the one digest of a file the engine records (layouts in plans, checksum lists)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from rescue_tui.files import sha256_file


def test_the_digest_covers_every_chunk_of_a_file_bigger_than_one_read(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    path = tmp_path / "big"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert sha256_file(path) != hashlib.sha256(data).hexdigest()


def test_an_empty_file_has_the_digest_of_no_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.touch()
    assert sha256_file(path) == hashlib.sha256(b"").hexdigest()
