"""authorized_keys, read strictly: plain keys only, fingerprints as ssh-keygen prints them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rescue_tui.cli import main
from rescue_tui.ssh.keys import parse_keys


def make_key(tmp_path: Path, kind: str = "ed25519", comment: str = "op@desk") -> str:
    path = tmp_path / f"id_{kind}_{comment.replace('@', '_')}"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_fingerprints_are_what_ssh_keygen_prints(tmp_path: Path, kind: str) -> None:
    line = make_key(tmp_path, kind)
    (key,), problems = parse_keys(f"# ours\n\n{line}\n", where="keys")
    assert problems == []
    assert key.comment == "op@desk"
    printed = subprocess.run(["ssh-keygen", "-lf", "-"], input=line, capture_output=True, text=True, check=True)
    assert printed.stdout.split()[1] == key.fingerprint


def test_a_key_with_options_or_a_forged_blob_is_left_out_naming_its_line(tmp_path: Path) -> None:
    good = make_key(tmp_path)
    kind, blob, _ = good.split(" ", 2)
    text = "\n".join(
        [
            f'command="cat /etc/shadow",no-pty {good}',
            f"ssh-rsa {blob} a key of another type",
            f"{kind} not*base64 x",
            f"{kind} {blob}\x1b[2J hidden",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP8= old",
            good,
        ]
    )
    keys, problems = parse_keys(text, where="f")
    assert [k.line for k in keys] == [good]
    assert problems == [
        "f:1: 'command=\"cat' is not a key type (ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, ssh-rsa, ...): options before the key are not taken; left out",
        "f:2: its key is not a ssh-rsa key; left out",
        "f:3: its key is not base64; left out",
        "f:4: not a line of printable ASCII; left out",
        "f:5: 'ssh-dss' is not a key type (ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, ssh-rsa, ...): options before the key are not taken; left out",
    ]


def test_ssh_keys_checks_a_file_for_the_image_in_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_key(tmp_path)
    keys = tmp_path / "authorized_keys"
    keys.write_text(good + "\n")
    assert main(["ssh-keys", str(keys)]) == 0
    assert capsys.readouterr().out.startswith("ssh-ed25519 SHA256:")
    keys.write_text(f'from="10.0.0.0/8" {good}\n')
    assert main(["ssh-keys", str(keys)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rescue-tui: {keys}:1: 'from=\"10.0.0.0/8\"' is not a key type")
    keys.write_text("# nobody\n")
    assert main(["ssh-keys", str(keys)]) == 2
    assert capsys.readouterr().err == f"rescue-tui: {keys}: no key in it\n"
