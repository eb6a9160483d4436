"""The rescue.* kernel options: one test per option and per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.boot.cmdline import BootOptions, parse_cmdline, read_cmdline, split_cmdline

DEBIAN = "BOOT_IMAGE=/live/vmlinuz boot=live noeject quiet console=tty1 console=ttyS0,115200n8"


def test_a_command_line_without_rescue_options_gives_the_defaults() -> None:
    assert parse_cmdline(DEBIAN) == BootOptions()


def test_an_empty_command_line_gives_the_defaults() -> None:
    assert parse_cmdline("") == BootOptions()


def test_parameters_split_on_spaces_but_not_inside_double_quotes() -> None:
    assert split_cmdline('a=1  b="two words" c\n') == ["a=1", "b=two words", "c"]


def test_an_unclosed_quote_runs_to_the_end_of_the_line() -> None:
    assert split_cmdline('a b="c d') == ["a", "b=c d"]


def test_layout_takes_an_absolute_path() -> None:
    options = parse_cmdline(f"{DEBIAN} rescue.layout=/media/usb/web01.json")
    assert options.layout == "/media/usb/web01.json"
    assert not options.layout_is_url
    assert options.problems == ()


def test_layout_takes_a_quoted_path_with_spaces() -> None:
    assert parse_cmdline('rescue.layout="/media/my disk/l.json"').layout == "/media/my disk/l.json"


def test_layout_takes_an_https_url() -> None:
    options = parse_cmdline("rescue.layout=https://backup.example.org/web01/layout.json")
    assert options.layout == "https://backup.example.org/web01/layout.json"
    assert options.layout_is_url
    assert options.problems == ()


def test_layout_takes_an_http_url() -> None:
    assert parse_cmdline("rescue.layout=http://10.0.0.5:8080/l.json").layout_is_url


def test_layout_with_a_relative_path_is_a_problem_and_ignored() -> None:
    options = parse_cmdline("rescue.layout=layout.json")
    assert options.layout is None
    assert options.problems == (
        "rescue.layout=layout.json: not an absolute path nor a URL (http, https, nfs); ignored",
    )


def test_layout_with_another_url_scheme_is_a_problem_and_ignored() -> None:
    options = parse_cmdline("rescue.layout=ftp://host/l.json")
    assert options.layout is None
    assert options.problems == (
        "rescue.layout=ftp://host/l.json: only http://, https://, nfs://, s3:// can be fetched; ignored",
    )


def test_layout_with_a_url_without_host_is_a_problem_and_ignored() -> None:
    options = parse_cmdline("rescue.layout=https:///l.json")
    assert options.layout is None
    assert options.problems == ("rescue.layout=https:///l.json: the URL names no host; ignored",)


@pytest.mark.parametrize("param", ["rescue.layout", "rescue.layout="])
def test_layout_without_a_value_is_a_problem_and_ignored(param: str) -> None:
    options = parse_cmdline(param)
    assert options.layout is None
    assert options.problems == ("rescue.layout: needs an absolute path or a URL (http, https, nfs); ignored",)


@pytest.mark.parametrize("spec", ["tar:/mnt/backup/host.tar.zst", "restic:/mnt/backup/repo", "borg:/srv/borg::host-1"])
def test_backend_takes_a_backup_spec(spec: str) -> None:
    assert parse_cmdline(f"rescue.backend={spec}") == BootOptions(backend=spec)


@pytest.mark.parametrize("value", ["tar", "/mnt/backup/x.tar", ":x", "TAR:/x", "tar:"])
def test_a_backend_that_is_not_a_spec_is_a_problem_and_ignored(value: str) -> None:
    options = parse_cmdline(f"rescue.backend={value}")
    assert options.backend is None
    assert options.problems == (
        f"rescue.backend={value}: needs a backup spec such as tar:/mnt/backup/host.tar.zst; ignored",
    )


def test_backend_without_a_value_is_a_problem_and_ignored() -> None:
    options = parse_cmdline("rescue.backend")
    assert options.backend is None
    assert options.problems == ("rescue.backend: needs a backup spec such as tar:/mnt/backup/host.tar.zst; ignored",)


@pytest.mark.parametrize(
    ("value", "wipe", "wipe_all"),
    [
        ("all", (), True),
        ("ALL", (), True),
        ("S1", ("S1",), False),
        ("QM00001,drive-scsi0", ("QM00001", "drive-scsi0"), False),
    ],
)
def test_wipe_names_serials_or_all(value: str, wipe: tuple[str, ...], wipe_all: bool) -> None:
    options = parse_cmdline(f"rescue.wipe={value}")
    assert (options.wipe, options.wipe_all, options.problems) == (wipe, wipe_all, ())


@pytest.mark.parametrize("value", ["", "a;b", "-rf", "S1,../x", "x" * 70])
def test_a_bad_wipe_is_a_problem_and_wipes_nothing(value: str) -> None:
    options = parse_cmdline(f"rescue.wipe={value}")
    assert (options.wipe, options.wipe_all) == ((), False)
    (problem,) = options.problems
    assert problem.endswith("no disk may be wiped")


@pytest.mark.parametrize("value", ["LABEL=backup", "UUID=1234-ABCD", "/dev/disk/by-id/virtio-backup", "/dev/sdb1"])
def test_backupdisk_takes_a_label_a_uuid_or_a_dev_path(value: str) -> None:
    assert parse_cmdline(f"rescue.backupdisk={value}") == BootOptions(backupdisk=value)


@pytest.mark.parametrize("value", ["", "backup", "/etc/passwd", "/dev/../etc/shadow", '"LABEL=a b"', "PARTUUID=x"])
def test_a_backupdisk_that_names_no_disk_is_a_problem_and_ignored(value: str) -> None:
    options = parse_cmdline(f"rescue.backupdisk={value}")
    assert options.backupdisk is None and len(options.problems) == 1


@pytest.mark.parametrize("param", ["rescue.unattended", "rescue.unattended=yes", "rescue.unattended=1"])
def test_unattended_is_on_when_given_bare_or_yes(param: str) -> None:
    assert parse_cmdline(param) == BootOptions(unattended=True)


def test_unattended_is_off_when_given_no() -> None:
    assert parse_cmdline("rescue.unattended=no") == BootOptions(unattended=False)


def test_unattended_with_a_bad_value_is_a_problem_and_stays_off() -> None:
    options = parse_cmdline("rescue.unattended=maybe")
    assert options.unattended is False
    assert options.problems == ("rescue.unattended=maybe: expected no value, yes or no; using no",)


@pytest.mark.parametrize("param", ["rescue.dryrun", "rescue.dryrun=on", "rescue.dryrun=TRUE"])
def test_dryrun_is_on_when_given_bare_or_yes(param: str) -> None:
    assert parse_cmdline(param) == BootOptions(dryrun=True)


def test_dryrun_is_off_when_given_no() -> None:
    assert parse_cmdline("rescue.dryrun=off") == BootOptions(dryrun=False)


def test_dryrun_with_a_bad_value_is_a_problem_and_turns_on_so_nothing_is_written() -> None:
    options = parse_cmdline("rescue.dryrun=ture")
    assert options.dryrun is True
    assert options.problems == ("rescue.dryrun=ture: expected no value, yes or no; using yes",)


@pytest.mark.parametrize("mode", ["ascii", "unicode", "auto"])
def test_console_takes_a_glyph_mode(mode: str) -> None:
    assert parse_cmdline(f"rescue.console={mode}") == BootOptions(console=mode)  # type: ignore[arg-type]


def test_console_with_a_bad_value_is_a_problem_and_uses_auto() -> None:
    options = parse_cmdline("rescue.console=fancy")
    assert options.console == "auto"
    assert options.problems == ("rescue.console=fancy: expected ascii, unicode or auto; using auto",)


def test_console_without_a_value_is_a_problem_and_uses_auto() -> None:
    options = parse_cmdline("rescue.console")
    assert options.problems == ("rescue.console: expected ascii, unicode or auto; using auto",)


@pytest.mark.parametrize("face", ["tui", "plain", "PLAIN"])
def test_face_chooses_the_console_or_the_plain_screen(face: str) -> None:
    assert parse_cmdline(f"rescue.face={face}") == BootOptions(face=face.lower())  # type: ignore[arg-type]


@pytest.mark.parametrize("param", ["rescue.face=fancy", "rescue.face"])
def test_face_with_a_bad_value_is_a_problem_and_uses_the_console(param: str) -> None:
    options = parse_cmdline(param)
    assert options.face == "tui"
    assert options.problems == (f"{param}: expected tui or plain; using tui",)


@pytest.mark.parametrize("after", ["reboot", "poweroff", "wait", "PowerOff"])
def test_after_says_what_a_recovery_that_worked_does_next(after: str) -> None:
    assert parse_cmdline(f"rescue.after={after}") == BootOptions(after=after.lower())  # type: ignore[arg-type]
    assert parse_cmdline("rescue.unattended").after == "reboot"


@pytest.mark.parametrize("param", ["rescue.after=halt", "rescue.after"])
def test_after_with_a_bad_value_is_a_problem_and_waits_for_an_operator(param: str) -> None:
    options = parse_cmdline(param)
    assert options.after == "wait"
    assert options.problems == (f"{param}: expected reboot, poweroff or wait; waiting for an operator",)


def test_an_unknown_rescue_option_is_a_problem_and_ignored() -> None:
    options = parse_cmdline("rescue.colour=blue")
    assert options == BootOptions(problems=(options.problems[0],))
    assert options.problems[0].startswith("rescue.colour: unknown option (known: rescue.layout,")


def test_the_last_of_a_repeated_option_wins() -> None:
    assert parse_cmdline("rescue.backend=tar:/a.tar rescue.backend=tar:/b.tar").backend == "tar:/b.tar"


def test_every_option_at_once() -> None:
    options = parse_cmdline(
        f"{DEBIAN} rescue.layout=/l.json rescue.backend=tar:/mnt/backup/h.tar rescue.backupdisk=LABEL=bk "
        "rescue.unattended rescue.wipe=S1 rescue.dryrun rescue.console=ascii rescue.face=plain rescue.medium=2026-12-05"
    )
    assert options == BootOptions(
        layout="/l.json",
        backend="tar:/mnt/backup/h.tar",
        backupdisk="LABEL=bk",
        unattended=True,
        wipe=("S1",),
        dryrun=True,
        console="ascii",
        face="plain",
        medium="2026-12-05",
    )


def test_several_problems_are_all_reported_one_line_each() -> None:
    options = parse_cmdline("rescue.console=x rescue.backend=y rescue.layout=z")
    assert len(options.problems) == 3
    assert all("\n" not in line for line in options.problems)


def test_the_summary_is_one_line_with_every_option() -> None:
    summary = BootOptions(layout="/l.json", dryrun=True).summary()
    assert summary == "layout=/l.json backend=- unattended=no wipe=- dryrun=yes console=auto face=tui"


def test_reading_the_command_line_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "cmdline"
    path.write_text(f"{DEBIAN} rescue.backend=tar:/b.tar\n")
    assert read_cmdline(path) == BootOptions(backend="tar:/b.tar")


def test_an_unreadable_command_line_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    options = read_cmdline(tmp_path / "missing")
    assert options.layout is None
    assert len(options.problems) == 1
    assert "cannot read the kernel command line" in options.problems[0]


def test_garbage_never_raises() -> None:
    for text in [
        '"',
        "rescue.",
        "rescue.=",
        "=",
        "rescue.layout==",
        "\x00\xff rescue.console=\u00e9",
        "rescue.layout=://",
    ]:
        assert isinstance(parse_cmdline(text), BootOptions)


def test_secrets_are_named_by_file_and_a_secret_given_as_a_value_is_refused_without_echoing_it() -> None:
    options = parse_cmdline("rescue.password_file=/mnt/backup/repo.pw rescue.passphrase_file=/mnt/backup/luks.pw")
    assert options.password_file == Path("/mnt/backup/repo.pw")
    assert options.passphrase_file == Path("/mnt/backup/luks.pw")
    assert options.problems == ()
    given = parse_cmdline("rescue.password=hunter2 rescue.passphrase=s3cret")
    assert given.password_file is None and given.passphrase_file is None
    assert len(given.problems) == 2
    assert "rescue.password: a secret is never given on the kernel command line" in given.problems[0]
    assert "rescue.password_file=PATH" in given.problems[0]
    assert not any("hunter2" in p or "s3cret" in p for p in given.problems)


@pytest.mark.parametrize("key", ["password_file", "passphrase_file", "credentials_file"])
@pytest.mark.parametrize("value", ["", "repo.pw", "/mnt/backup/../etc/shadow"])
def test_a_secret_file_that_is_not_an_absolute_path_is_a_problem_and_ignored(key: str, value: str) -> None:
    options = parse_cmdline(f"rescue.{key}={value}")
    assert getattr(options, key) is None
    assert options.problems and "needs the absolute path of a file holding the secret" in options.problems[0]
    assert parse_cmdline(f"rescue.{key}=/mnt/backup/s.env").problems == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/mnt/backup/ca.pem", Path("/mnt/backup/ca.pem")), ("ca.pem", None), ("/mnt/../ca.pem", None), ("", None)],
)
def test_the_ca_file_for_https_backups_is_an_absolute_path_or_a_problem(value: str, expected: Path | None) -> None:
    options = parse_cmdline(f"rescue.ca_file={value}")
    assert options.ca_file == expected
    if expected is None:
        assert "needs the absolute path of a file holding the CA's certificate" in options.problems[0]
