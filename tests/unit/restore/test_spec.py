"""Backend specs: what each syntax parses to, and the one line a bad spec gets."""

from __future__ import annotations

import pytest

from rescue_tui.errors import ExitCode
from rescue_tui.restore.errors import SpecError
from rescue_tui.restore.spec import SYNTAX, parse_spec, redact

GOOD = {
    "tar:/mnt/usb/host1.tar.zst": dict(kind="tar", transport="file", path="/mnt/usb/host1.tar.zst"),
    "tar+http://10.0.0.5:8000/b/host1.tar.gz": dict(
        kind="tar", transport="http", host="10.0.0.5", port=8000, path="/b/host1.tar.gz",
        url="http://10.0.0.5:8000/b/host1.tar.gz",
    ),
    "tar+https://backup.example/host1.tar": dict(kind="tar", transport="https", host="backup.example", port=None),
    "rsync:/mnt/nfs/host1/": dict(kind="rsync", transport="file", path="/mnt/nfs/host1/"),
    "rsync+ssh://backup@10.0.0.5:2222/srv/host1": dict(
        kind="rsync", transport="ssh", user="backup", host="10.0.0.5", port=2222, path="/srv/host1"
    ),
    "rsync+ssh://[fd00::5]/srv/host1": dict(host="fd00::5", user=None, port=None),
    "restic:/mnt/usb/restic": dict(kind="restic", transport="file", path="/mnt/usb/restic", selector=None),
    "restic:/mnt/usb/restic#latest": dict(selector="latest"),
    "restic+sftp://backup@host/srv/restic#4f2a9c01": dict(
        transport="sftp", user="backup", host="host", path="/srv/restic", selector="4f2a9c01"
    ),
    "restic+rest:http://10.0.0.5:8000/host1": dict(transport="rest", url="http://10.0.0.5:8000/host1", port=8000),
    "restic+s3:https://s3.example/bucket/host1#latest": dict(
        transport="s3", url="https://s3.example/bucket/host1", selector="latest"
    ),
    "borg:/mnt/usb/borg::host1-2024-05-01": dict(kind="borg", path="/mnt/usb/borg", selector="host1-2024-05-01"),
    "borg:/mnt/usb/borg": dict(selector=None),
    "borg+ssh://backup@10.0.0.5:22/srv/borg::host1": dict(transport="ssh", port=22, selector="host1"),
    "tar+nfs://10.0.0.5/backups/host1.tar.zst": dict(
        kind="tar", transport="nfs", host="10.0.0.5", port=None, path="/backups/host1.tar.zst", user=None
    ),
    "tar+nfs://[fd00::5]:2049/host1.tar": dict(host="fd00::5", port=2049, path="/host1.tar"),
    "rsync+nfs://nas.example/backups/host1/": dict(kind="rsync", transport="nfs", path="/backups/host1/"),
    "restic+nfs://nas/backups/restic#latest": dict(kind="restic", path="/backups/restic", selector="latest"),
    "borg+nfs://nas/backups/borg::host1": dict(kind="borg", path="/backups/borg", selector="host1"),
    "tar+cifs://nas:4450/backups/dc1/host1.tar.zst": dict(
        kind="tar", transport="cifs", host="nas", port=4450, path="/backups/dc1/host1.tar.zst", user=None
    ),
    "restic+cifs://nas/backups/restic#4f2a9c01": dict(transport="cifs", path="/backups/restic", selector="4f2a9c01"),
}  # fmt: skip

BAD = {
    "": "backend spec is empty",
    "   ": "backend spec is empty",
    "/srv/x.tar": "missing a scheme",
    "zip:/x.zip": "unknown backend 'zip'",
    "TAR:/x.tar": "unknown backend",
    "tar:": "nothing after the scheme",
    "tar:x.tar": "path 'x.tar' must be absolute",
    "tar://srv/x.tar": "one slash",
    "tar:/srv/dir/": "names an archive file",
    "tar:/srv/x\n.tar": "control characters",
    "tar+http://host/": "must name an archive file",
    "tar+http:/host/x.tar": "the URL has no host",
    "tar+http://host:0/x.tar": "port 0",
    "tar+http://host:70000/x.tar": "not a number from 1 to 65535",
    "tar+http://host:abc/x.tar": "not a number from 1 to 65535",
    "tar+http://u:p@host/x.tar": "credentials in the URL",
    "tar+http://host/x.tar#frag": "unexpected fragment",
    "tar+https://host/x.tar?a#b": "unexpected fragment",
    "rsync+ssh:/srv/x": "expected //[USER@]HOST",
    "rsync+ssh://host": "missing the path",
    "rsync+ssh://host/": "missing the path",
    "rsync+ssh://u:pw@host/srv": "a password in the spec",
    "rsync+ssh://ho st/srv": "not valid",
    "restic:/repo#": "empty snapshot",
    "restic:/repo#LATEST": "neither 'latest' nor a hex id",
    "restic:/repo#abc": "neither 'latest' nor a hex id",
    "restic+rest:ftp://host/x": "http:// or https://",
    "restic+s3:https://s3.example/": "must name a bucket",
    "borg:/repo::": "empty archive",
    "borg:/repo::a/b": "archive name 'a/b' is not valid",
    "borg:repo::a": "must be absolute",
    # ssh reads a destination starting with '-' as an option: ProxyCommand runs anything
    "borg+ssh://-oProxyCommand=touch${IFS}x@host/repo::a": "user '-oProxyCommand=touch${IFS}x' is not valid",
    "restic+sftp://-oProxy@h/repo": "user '-oProxy' is not valid",
    "rsync+ssh://a$(id)@h/srv": "is not valid",
    "rsync+ssh://-evil/srv": "host '-evil' is not valid",
    "borg+ssh://-oProxyCommand/repo": "host '-oProxyCommand' is not valid",
    "tar+nfs:/backups/x.tar": "expected //HOST[:PORT]/PATH",
    "tar+nfs://[fd00::5/x.tar": "an IPv6 address goes in [brackets]",
    "rsync+ssh://[/srv": "an IPv6 address goes in [brackets]",
    "tar+http://[::1/x.tar": "an IPv6 address goes in [brackets]",
    "tar+nfs://nas": "missing the path on the server",
    "tar+nfs://nas/": "missing the path on the server",
    "tar+nfs://nas/backups/": "names an archive file",
    "tar+nfs://bob@nas/x.tar": "has no user",
    "tar+nfs://nas/x.tar?ro": "unexpected '?' or '#'",
    "tar+nfs://-o/x.tar": "host '-o' is not valid",
    "tar+nfs://nas:0/x.tar": "port 0",
    # the path decides what is mounted and where the file is read: no step out of it
    "tar+nfs://nas/backups/../etc/x.tar": "'.' or '..' part",
    "rsync+nfs://nas/backups//host1/": "an empty, '.' or '..' part",
    "rsync+nfs://nas/./host1/": "'.' or '..' part",
    "tar+nfs://nas//x.tar": "an empty, '.' or '..' part",
    "restic+nfs://nas/repo#nope": "neither 'latest' nor a hex id",
    "borg+nfs://nas/repo::a/b": "archive name 'a/b' is not valid",
}


@pytest.mark.parametrize(("text", "expected"), sorted(GOOD.items()))
def test_a_documented_spec_parses_into_its_parts(text: str, expected: dict[str, object]) -> None:
    spec = parse_spec(text)
    assert spec.text == text
    for key, value in expected.items():
        assert getattr(spec, key) == value, key


@pytest.mark.parametrize(("text", "problem"), sorted(BAD.items()))
def test_a_bad_spec_raises_one_line_naming_the_problem_with_exit_2(text: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    assert problem in caught.value.message
    assert caught.value.lines() == [caught.value.message]
    assert "\n" not in caught.value.message
    assert caught.value.exit_code is ExitCode.BAD_INPUT


def test_every_example_in_the_syntax_table_parses_to_its_own_scheme() -> None:
    for row in SYNTAX:
        assert parse_spec(row.example).scheme == row.scheme


def test_the_module_docstring_table_lists_every_scheme() -> None:
    import rescue_tui.restore.spec as module

    assert module.__doc__ is not None
    for row in SYNTAX:
        assert f"``{row.scheme}``" in module.__doc__


def test_a_password_in_a_spec_is_redacted_from_the_error() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec("rsync+ssh://bob:hunter2@host/srv")
    assert "hunter2" not in caught.value.message
    assert redact("tar+http://u:pw@h/x") == "tar+http://u:***@h/x"
