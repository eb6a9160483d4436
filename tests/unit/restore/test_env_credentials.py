"""A backend's credentials from a file of NAME=value lines: what an unattended recovery reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.boot.cmdline import parse_cmdline
from rescue_tui.recover.unattended import backup_credentials
from rescue_tui.remote.s3 import S3_VARIABLES
from rescue_tui.restore.backend import fields_for
from rescue_tui.restore.env_credentials import environment_with, from_environment, read_credentials_file
from rescue_tui.restore.errors import CredentialsError
from rescue_tui.restore.spec import parse_spec

S3 = "restic+s3:https://s3.example/repo#latest"


def secrets_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "s3.env"
    path.write_text(text)
    path.chmod(mode)
    return path


def read(path: Path, spec: str = S3) -> tuple[dict[str, str], dict[str, str]]:
    parsed = parse_spec(spec)
    got = read_credentials_file(path, fields_for(parsed), scheme=parsed.scheme, where=f"F={path}")
    return {k: v.reveal() for k, v in got.secrets.items()}, got.options


def test_the_file_takes_the_variables_the_cli_reads_with_comments_export_and_quotes(tmp_path: Path) -> None:
    path = secrets_file(
        tmp_path,
        "# the fleet's S3 keys\n\nexport AWS_ACCESS_KEY_ID=AKIAEXAMPLE\n"
        "AWS_SECRET_ACCESS_KEY=\"s3cret with = and 'quotes'\"\nRESCUE_TUI_CA_FILE='/mnt/backup/ca.pem'\n",
    )
    secrets, options = read(path)
    assert secrets == {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "s3cret with = and 'quotes'"}
    assert options == {"ca_file": "/mnt/backup/ca.pem"}
    # The same names, read from an environment, give the same values: one mapping of names for both.
    environ = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cret with = and 'quotes'"}
    from_env = from_environment(fields_for(parse_spec(S3)), environ)
    assert {k: v.reveal() for k, v in from_env.secrets.items()} == secrets


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("AWS_ACCESS_KEY_ID=a\nRESCUE_TUI_REST_PASSWORD=b\n",
         ":2: RESCUE_TUI_REST_PASSWORD is not a credential of restic+s3 (it takes: AWS_ACCESS_KEY_ID, "
         "AWS_SECRET_ACCESS_KEY, RESCUE_TUI_BACKUP_HOST, RESCUE_TUI_CA_FILE)"),
        ("RESCUE_TUI_PASSWORD=hunter2\n", ":1: RESCUE_TUI_PASSWORD is not a credential of restic+s3"),
        ("AWS_ACCESS_KEY_ID a\n", ":1: not a NAME=value line"),
        ("AWS_ACCESS_KEY_ID=a; rm -rf /\n=x\n", ":2: not a NAME=value line"),
    ],
)  # fmt: skip
def test_a_line_the_backend_does_not_take_is_refused_naming_the_file_and_line(
    tmp_path: Path, text: str, said: str
) -> None:
    path = secrets_file(tmp_path, text)
    with pytest.raises(CredentialsError) as raised:
        read(path)
    assert raised.value.message.startswith(f"F={path}{said}"), raised.value.message
    assert "hunter2" not in raised.value.message


def test_a_credentials_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "AWS_ACCESS_KEY_ID=a\n", mode=0o644)
    with pytest.raises(CredentialsError, match=r"readable by others \(mode 644\)"):
        read(path)


def test_an_unattended_recovery_gets_its_s3_keys_from_rescue_credentials_file(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, "AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=s3cret\n")
    options = parse_cmdline(f"rescue.backend={S3} rescue.credentials_file={path} rescue.ca_file={path}")
    assert options.problems == () and options.credentials_file == path
    credentials = backup_credentials(options, parse_spec(S3))
    assert {k: v.reveal() for k, v in credentials.secrets.items()} == {
        "aws_access_key_id": "AKIAEXAMPLE",
        "aws_secret_access_key": "s3cret",
    }
    assert credentials.options == {"ca_file": str(path)}
    missing = parse_cmdline(f"rescue.credentials_file={tmp_path / 'gone.env'}")
    with pytest.raises(Exception, match=r"rescue.credentials_file=.*gone.env: no such file \(is the disk holding it"):
        backup_credentials(missing, parse_spec(S3))
    wrong = secrets_file(tmp_path, "BORG_PASSPHRASE=x\n")
    with pytest.raises(CredentialsError, match=rf"rescue.credentials_file={wrong}:1: BORG_PASSPHRASE is not"):
        backup_credentials(parse_cmdline(f"rescue.credentials_file={wrong}"), parse_spec(S3))


def test_one_file_holds_a_tar_backends_credentials_and_its_s3_layouts_keys_each_reader_takes_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rescue.layout=s3://...`` with ``rescue.backend=tar+https://...``: the layout's AWS_* lines are not the
    backend's, and the backend's are not the layout's; neither reader refuses the other's."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    path = secrets_file(
        tmp_path,
        "RESCUE_TUI_HTTP_USER=backup\nAWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=s3cret\n"
        "AWS_ENDPOINT_URL=https://s3.example\n",
    )
    tar = "tar+https://backup.example/web01.tar.zst"
    options = parse_cmdline(f"rescue.backend={tar} rescue.credentials_file={path}")
    credentials = backup_credentials(options, parse_spec(tar))
    assert credentials.options == {"http_user": "backup"} and credentials.secrets == {}
    environ = environment_with(path, S3_VARIABLES, where="F")
    assert environ["AWS_ENDPOINT_URL"] == "https://s3.example" and environ["AWS_SECRET_ACCESS_KEY"] == "s3cret"
    assert environ["AWS_REGION"] == "eu-west-1", "what the file does not set comes from the environment"
    assert "RESCUE_TUI_HTTP_USER" not in environ
    with pytest.raises(CredentialsError, match=r"F:2: not a NAME=value line"):
        environment_with(secrets_file(tmp_path, "AWS_ACCESS_KEY_ID=a\nAWS_SECRET\n"), S3_VARIABLES, where="F")
