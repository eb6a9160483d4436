"""The operator's SSH keys named by an https URL at boot (``rescue.ssh_keys=https://...``): fetched, with the
operator's CA when given, and only then allowed in; a server that cannot be trusted gives no key."""

from __future__ import annotations

import stat
from pathlib import Path

from rescue_tui.ssh.setup import gather_keys, setup
from tests.integration.restore.tls import TestCa, WebServer
from tests.unit.ssh.test_keys import make_key


def served_keys(server: WebServer, tmp_path: Path) -> str:
    text = make_key(tmp_path, "ed25519", "operator@desk") + "\n"
    (server.root / "authorized_keys").write_text(text)
    return text


def test_keys_at_an_https_url_checked_with_the_operators_ca_are_the_ones_that_log_in(
    tmp_path: Path, https_server: WebServer, test_ca: TestCa
) -> None:
    text = served_keys(https_server, tmp_path)
    url = https_server.url("authorized_keys")
    run = tmp_path / "run"
    result = setup(
        f"boot=live rescue.ssh_keys={url} rescue.ca_file={test_ca.certificate}", tmp_path / "none", run, tmp_path / "s"
    )
    assert [k.line for k in result.keys] == [text.strip()]
    assert result.lines == (f"{url}: 1 key",)
    authorized = run / "authorized_keys"
    assert authorized.read_text() == text.strip() + "\n"
    assert stat.S_IMODE(authorized.stat().st_mode) == 0o600
    (copy,) = (run / "fetched").iterdir()
    assert copy.name.endswith("-authorized_keys") and stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_without_the_ca_the_certificate_is_refused_and_no_key_gets_in(tmp_path: Path, https_server: WebServer) -> None:
    served_keys(https_server, tmp_path)
    url = https_server.url("authorized_keys")
    keys, lines = gather_keys(f"rescue.ssh_keys={url}", tmp_path / "none", fetch_wait=0, run_dir=tmp_path / "run")
    assert keys == []
    (line,) = lines
    assert line.startswith(f"rescue.ssh_keys={url}: ") and line.endswith("; no key from it"), line
    assert "certificate" in line, line  # curl's own reason
    assert not (tmp_path / "run" / "fetched").exists() or not any((tmp_path / "run" / "fetched").iterdir())


def test_a_file_the_server_does_not_have_is_named_with_the_servers_answer(
    tmp_path: Path, https_server: WebServer, test_ca: TestCa
) -> None:
    url = https_server.url("absent")
    cmdline = f"rescue.ssh_keys={url} rescue.ca_file={test_ca.certificate}"
    keys, lines = gather_keys(cmdline, tmp_path / "none", fetch_wait=0, run_dir=tmp_path / "run")
    assert keys == [] and len(lines) == 1 and "404" in lines[0], lines
