"""Credentials from the TUI's form: each field to its slot, blanks left out, required fields enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescue_tui.restore.backend import credentials_from_form
from rescue_tui.restore.errors import CredentialsError
from rescue_tui.restore.spec import parse_spec


def test_restic_over_sftp_fields_land_in_their_slots_and_secrets_stay_hidden() -> None:
    spec = parse_spec("restic+sftp://backup@10.0.0.5/srv/restic")
    creds = credentials_from_form(spec, {"password": "s3cret", "ssh_key": " /root/.ssh/id ", "known_hosts": ""})
    assert creds.password is not None and creds.password.reveal() == "s3cret"
    assert repr(creds.password) == "<secret>"
    assert creds.ssh_key == Path("/root/.ssh/id")
    assert creds.known_hosts is None


def test_http_user_is_an_option_and_http_password_a_secret() -> None:
    spec = parse_spec("tar+http://10.0.0.5:8000/host1.tar.gz")
    creds = credentials_from_form(spec, {"http_user": "bob", "http_password": "pw"})
    assert creds.options == {"http_user": "bob"}
    assert creds.secrets["http_password"].reveal() == "pw"
    assert creds.password is None


def test_a_blank_required_field_and_an_unknown_field_are_refused_together() -> None:
    spec = parse_spec("restic:/mnt/usb/restic")
    with pytest.raises(CredentialsError) as info:
        credentials_from_form(spec, {"password": "  ", "colour": "blue"})
    assert info.value.lines() == ["colour: not a field of restic", "Repository password: required"]


def test_a_local_tar_archive_needs_no_field() -> None:
    assert credentials_from_form(parse_spec("tar:/mnt/usb/host1.tar"), {}).password is None
