"""Before sshd: keys from the image and from rescue.ssh_keys=, fresh host keys, all in the run directory only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from rescue_tui.ssh.setup import setup, ssh_text
from tests.unit.ssh.test_keys import make_key


def embedded_with(tmp_path: Path, text: str | None) -> Path:
    embedded = tmp_path / "etc-rescue-tui"
    (embedded / "ssh").mkdir(parents=True)
    if text is not None:
        (embedded / "ssh" / "authorized_keys").write_text(text)
    return embedded


def test_no_key_no_sshd_and_the_screen_says_off(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = setup("boot=live", embedded_with(tmp_path, None), run, tmp_path / "ssh.json")
    assert result.keys == () and result.host_keys == ()
    assert result.lines == (
        "SSH off: no key may log in (make iso SSH_KEYS=FILE, or rescue.ssh_keys=PATH or https URL)",
    )
    assert not run.exists() or not any(run.iterdir())
    assert ssh_text(tmp_path / "ssh.json") == "off (no key may log in)"


def test_keys_from_the_image_and_the_command_line_each_once_with_fresh_host_keys(tmp_path: Path) -> None:
    mine, theirs = make_key(tmp_path, comment="a@x"), make_key(tmp_path, comment="b@y")
    given = tmp_path / "given_keys"
    given.write_text(f"{theirs}\n{mine}\nnonsense\n")
    run = tmp_path / "run"
    state = tmp_path / "ssh.json"
    result = setup(f"boot=live rescue.ssh_keys={given}", embedded_with(tmp_path, mine + "\n"), run, state)
    assert [k.comment for k in result.keys] == ["a@x", "b@y"]
    assert result.lines == (
        f"{tmp_path}/etc-rescue-tui/ssh/authorized_keys: 1 key",
        f"{given}:3: 'nonsense' is not a key type (ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, ssh-rsa, ...): options before the key are not taken; left out",
        f"{given}: 1 key",
    )
    authorized = run / "authorized_keys"
    assert authorized.read_text() == f"{mine}\n{theirs}\n"
    assert stat.S_IMODE(authorized.stat().st_mode) == 0o600 and stat.S_IMODE(run.stat().st_mode) == 0o700
    assert sorted(p.name for p in run.iterdir()) == [
        "authorized_keys",
        "ssh_host_ecdsa_key",
        "ssh_host_ecdsa_key.pub",
        "ssh_host_ed25519_key",
        "ssh_host_ed25519_key.pub",
    ]
    saved = json.loads(state.read_text())
    assert saved["keys"] == 2
    assert [h["type"] for h in saved["host_keys"]] == ["ssh-ed25519", "ecdsa-sha2-nistp256"]
    assert ssh_text(state) == f"root with 2 keys; host key\nssh-ed25519 {result.host_keys[0].fingerprint}"


def test_host_keys_are_new_for_each_run_directory(tmp_path: Path) -> None:
    embedded = embedded_with(tmp_path, make_key(tmp_path) + "\n")
    first = setup("", embedded, tmp_path / "run1", tmp_path / "1.json").host_keys
    second = setup("", embedded, tmp_path / "run2", tmp_path / "2.json").host_keys
    assert {k.fingerprint for k in first}.isdisjoint(k.fingerprint for k in second)


def test_a_fifo_named_as_the_keys_is_not_waited_on(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "keys.fifo"
    os.mkfifo(fifo)
    result = setup(f"rescue.ssh_keys={fifo}", embedded_with(tmp_path, None), tmp_path / "run", tmp_path / "s.json")
    assert result.lines[0] == f"{fifo}: not a regular file; no key from it"
    assert result.keys == ()


def test_a_relative_path_or_a_plain_text_url_is_a_line_and_no_key(tmp_path: Path) -> None:
    embedded = embedded_with(tmp_path, None)
    result = setup("rescue.ssh_keys=keys.txt", embedded, tmp_path / "run", tmp_path / "s.json")
    assert result.lines[0] == "rescue.ssh_keys=keys.txt: not an absolute path; ignored"
    for url in ("http://x.example/k", "nfs://x.example/k"):  # keys let root in: not over a plain-text transport
        result = setup(f"rescue.ssh_keys={url}", embedded, tmp_path / "run", tmp_path / "s.json")
        assert result.lines[0].startswith(f"rescue.ssh_keys={url}: keys let root in, so they come over https only")
        assert result.keys == ()
    assert not (tmp_path / "run" / "fetched").exists()


def test_the_forced_command_runs_what_ssh_asked_and_wants_a_terminal_for_the_console() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "SSH_ORIGINAL_COMMAND": "echo asked; exit 3"}
    done = subprocess.run([sys.executable, "-m", "rescue_tui.ssh.login"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (3, "asked\n")
    env.pop("SSH_ORIGINAL_COMMAND")
    done = subprocess.run(
        [sys.executable, "-m", "rescue_tui.ssh.login"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert (done.returncode, done.stderr) == (2, "rescue-tui: no terminal: use 'ssh -t', or give a command\n")
