"""Backend pieces that need no tool: registry, fields, argv/env construction, parsers, exclusions, errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rescue_tui.errors import ExitCode, RefusedError
from rescue_tui.restore.backend import fields_for, open_backend, raise_for_preflight
from rescue_tui.restore.backup import SYSTEM_EXCLUDES, backup_mount, compute_excludes
from rescue_tui.restore.checks import Mount
from rescue_tui.restore.commands import credentials_from_args
from rescue_tui.restore.errors import CredentialsError, PreflightError, UnsafeArchiveError
from rescue_tui.restore.model import (
    Artifact,
    BackupManifest,
    CheckResult,
    CheckStatus,
    Credentials,
    PreflightReport,
    Secret,
)
from rescue_tui.restore.restic import go_mode_bits, parse_time_ns
from rescue_tui.restore.rsync import parse_listing_line, parse_progress
from rescue_tui.restore.tar import compression_from_magic, compression_from_name, create_argv, extract_argv

KNOWN = Credentials(known_hosts=Path("/dev/null"))
"""An ssh server's key from a known_hosts file: opening the backend does not ask the server (hostkeys.resolve)."""


def test_every_scheme_opens_the_backend_of_its_kind() -> None:
    for spec, kind in [("tar:/b.tar", "tar"), ("rsync+ssh://h/x", "rsync"), ("restic+s3:https://h/b", "restic"),
                       ("borg:/r::a", "borg")]:  # fmt: skip
        assert open_backend(spec, KNOWN).kind == kind


def test_the_form_fields_say_which_inputs_are_secret() -> None:
    restic = {f.name: f for f in fields_for("restic+s3:https://s3.example/b")}
    assert restic["password"].secret and restic["password"].required
    assert restic["aws_secret_access_key"].secret and restic["aws_secret_access_key"].env == "AWS_SECRET_ACCESS_KEY"
    assert [f.name for f in fields_for("rsync+ssh://h/x")] == ["ssh_key", "known_hosts", "host_key"]
    assert fields_for("tar:/b.tar") == ()
    assert not {f.name: f for f in fields_for("borg:/r")}["password"].required


def test_restic_gets_its_repository_and_rest_credentials_through_the_environment_only() -> None:
    creds = Credentials(password=Secret("pw"), secrets={"rest_password": Secret("p@ss word")},
                        options={"rest_user": "bob"})  # fmt: skip
    backend = open_backend("restic+rest:https://rest.example:8000/host1", creds)
    assert backend.repository() == "rest:https://bob:p%40ss%20word@rest.example:8000/host1"  # type: ignore[attr-defined]
    sftp = open_backend("restic+sftp://backup@10.0.0.5:2222/srv/restic", KNOWN)
    assert sftp.repository() == "sftp:backup@10.0.0.5:/srv/restic"  # type: ignore[attr-defined]


def test_borg_ssh_repository_keeps_user_host_port_and_absolute_path() -> None:
    backend = open_backend("borg+ssh://backup@10.0.0.5:2222/srv/borg::a", KNOWN)
    assert backend.repository() == "ssh://backup@10.0.0.5:2222/srv/borg"  # type: ignore[attr-defined]


def test_compression_comes_from_the_name_then_the_magic_bytes() -> None:
    assert compression_from_name("/x/host.tar.zst") == "zstd"
    assert compression_from_name("host.TGZ") == "gzip"
    assert compression_from_name("host.tar") == "none"
    assert compression_from_name("host.img") is None
    assert compression_from_magic(b"\x28\xb5\x2f\xfd....") == "zstd"
    assert compression_from_magic(b"\xfd7zXZ\x00") == "xz"
    assert compression_from_magic(b"ustar") == "none"


def test_tar_keeps_owners_xattrs_acls_selinux_and_never_writes_outside() -> None:
    argv = extract_argv(Path("/mnt/target"))
    for flag in ("--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls", "--selinux", "--same-owner"):
        assert flag in argv
    for dangerous in ("--absolute-names", "-P", "--overwrite", "--keep-directory-symlink"):
        assert dangerous not in argv
    create = create_argv(Path("/"), ["proc/*"])
    assert "--sparse" in create and "--exclude=./proc/*" in create and create[-1] == "."


def test_rsync_progress_and_listing_lines_are_parsed() -> None:
    assert parse_progress("    118,908,033  99%  113.96MB/s    0:00:00 (xfr#4911, to-chk=10/5986)") == (
        118908033, 99, 5976, 5986,
    )  # fmt: skip
    assert parse_progress("sending incremental file list") is None
    assert parse_listing_line("-rw-r--r--           6 2026/11/29 12:44:40 d/odd name") == (
        "-rw-r--r--",
        "d/odd name",
        6,
    )
    assert parse_listing_line("lrwxrwxrwx          11 2026/11/29 12:44:40 l -> /etc/passwd") == ("lrwxrwxrwx", "l", 0)
    assert parse_listing_line("crw-r--r--        1,3 2026/11/29 12:44:40 dev/null") == ("crw-r--r--", "dev/null", 0)


def test_restic_times_and_go_file_modes_are_read_exactly() -> None:
    assert parse_time_ns("2020-09-13T12:26:40.123456789Z") == 1_600_000_000_123_456_789
    assert parse_time_ns("2020-09-13T14:26:40.5+02:00") == 1_600_000_000_500_000_000
    assert parse_time_ns("2020-09-13T12:26:40Z") == 1_600_000_000_000_000_000
    assert go_mode_bits(420) == 0o644
    assert go_mode_bits(0x80000000 | (1 << 20) | 0o777) == 0o1777
    assert go_mode_bits((1 << 23) | 0o755) == 0o4755


def test_a_backup_of_root_leaves_out_pseudo_filesystems_caches_and_its_own_destination() -> None:
    excludes = compute_excludes(Path("/"), Path("/var/backups/host.tar.zst"), ["srv/scratch/*"])
    for pattern in ("proc/*", "sys/*", "dev/*", "run/*", "tmp/*", "root/.cache/*"):
        assert pattern in excludes
    assert "proc" not in excludes  # the mount point itself stays
    assert "var/backups/host.tar.zst" in excludes and "var/backups/host.tar.zst.*" in excludes
    assert excludes[-1] == "srv/scratch/*"
    assert len(excludes) == len(set(excludes))


def test_a_backup_of_a_directory_only_leaves_out_what_lies_inside_it(tmp_path: Path) -> None:
    assert compute_excludes(tmp_path, tmp_path.parent / "elsewhere.tar") == []
    assert not set(SYSTEM_EXCLUDES) & set(compute_excludes(tmp_path, None))
    with pytest.raises(Exception, match="is the source itself"):
        compute_excludes(tmp_path, tmp_path)


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = dict(password_file=None, password_env=None, ssh_key=None, known_hosts=None,
                                   accept_new_host_key=False, set=None)  # fmt: skip
    base.update(kw)
    return argparse.Namespace(**base)


def test_credentials_come_from_files_and_named_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    from rescue_tui.restore.spec import parse_spec

    monkeypatch.setenv("MY_PW", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    creds = credentials_from_args(_args(password_env="MY_PW"), parse_spec("restic+s3:https://h/b"))
    assert creds.password == Secret("s3cret")
    assert creds.secrets["aws_secret_access_key"] == Secret("aws-secret")
    with pytest.raises(CredentialsError, match="NOPE: the variable is not set"):
        credentials_from_args(_args(password_env="NOPE"), parse_spec("restic:/r"))


def test_a_secret_field_on_the_command_line_is_refused_and_unknown_fields_are_named() -> None:
    from rescue_tui.restore.spec import parse_spec

    spec = parse_spec("tar+http://h/b.tar")
    with pytest.raises(CredentialsError, match="secret fields are not taken from the command line"):
        credentials_from_args(_args(set=["http_password=x"]), spec)
    with pytest.raises(CredentialsError, match="non-secret fields: http_user"):
        credentials_from_args(_args(set=["colour=blue"]), spec)
    assert credentials_from_args(_args(set=["http_user=bob"]), spec).options == {"http_user": "bob"}


@pytest.mark.parametrize(
    ("failed", "error", "code"),
    [
        ("safe", UnsafeArchiveError, ExitCode.BAD_INPUT),
        ("credentials", CredentialsError, ExitCode.BAD_INPUT),
        ("fits", RefusedError, ExitCode.BAD_INPUT),
        ("integrity", PreflightError, ExitCode.FAILED),
        ("reachable", PreflightError, ExitCode.FAILED),
    ],
)
def test_a_failed_preflight_check_becomes_one_error_with_its_exit_code(
    failed: str, error: type[Exception], code: ExitCode
) -> None:
    report = PreflightReport(
        spec="tar:/b.tar",
        checks=(
            CheckResult(name="target", status=CheckStatus.WARN, detail="not empty"),
            CheckResult(name=failed, status=CheckStatus.FAIL, detail="the detail"),
        ),
    )
    with pytest.raises(error) as caught:
        raise_for_preflight(report)
    assert caught.value.exit_code is code  # type: ignore[attr-defined]
    assert caught.value.message == f"preflight: {failed}: the detail"  # type: ignore[attr-defined]


def test_when_several_checks_fail_an_escape_is_named_first() -> None:
    report = PreflightReport(
        spec="tar:/b.tar",
        checks=tuple(
            CheckResult(name=name, status=CheckStatus.FAIL, detail=name) for name in ("fits", "integrity", "safe")
        ),
    )
    with pytest.raises(UnsafeArchiveError) as caught:
        raise_for_preflight(report)
    assert caught.value.message == "preflight: safe: safe (also failed: fits, integrity)"


def test_the_backup_manifest_round_trips_through_json() -> None:
    manifest = BackupManifest(
        created="2024-05-01T00:00:00+00:00", seconds=1.5, hostname="h", backend="tar:/b.tar", source="/",
        excludes=("proc/*",), tools={"tar": "tar (GNU tar) 1.34"}, files=3, bytes=10,
        archive=Artifact(path="/b.tar", size=10, sha256="0" * 64),
    )  # fmt: skip
    assert BackupManifest.from_json(manifest.to_json()) == manifest


def test_a_backup_onto_a_disk_mounted_for_it_leaves_that_disk_out_of_the_layout_but_never_the_machines_own() -> None:
    mounts = [Mount(point=p, fstype="ext4") for p in ("/", "/srv", "/backup", "/backup/deeper", "/media/usb")]
    fstab_points = ["/", "/srv"]
    assert backup_mount(Path("/backup/web01.tar.zst"), mounts, fstab_points) == "/backup"
    assert backup_mount(Path("/backup/deeper/web01.tar.zst"), mounts, fstab_points) == "/backup/deeper"
    assert backup_mount(Path("/media/usb"), mounts, fstab_points) == "/media/usb"
    # On the machine's own storage: the root, a filesystem its fstab mounts, a name that only starts alike.
    assert backup_mount(Path("/var/backups/web01.tar.zst"), mounts, fstab_points) is None
    assert backup_mount(Path("/srv/backups/web01.tar.zst"), mounts, fstab_points) is None
    assert backup_mount(Path("/backupx/web01.tar.zst"), mounts, fstab_points) is None
