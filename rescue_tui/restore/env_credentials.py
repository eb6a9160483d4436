"""A backend's credentials from environment variables, or from a file of them (an unattended boot's only way).

Each field of a backend names the variable it is read from (``Field.env``: ``AWS_ACCESS_KEY_ID``,
``RESCUE_TUI_REST_PASSWORD``...). ``rescue-tui restore`` reads them from its environment; an
unattended recovery, which nobody starts from a shell, reads the same names from the file
``rescue.credentials_file=`` names (on the backup disk, say): ``NAME=value`` lines, as in a
systemd ``EnvironmentFile`` or the ``.env`` file an operator keeps for restic. The repository
password, ssh key and known_hosts are not among them: each has its own file option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rescue_tui.inputs import read_text
from rescue_tui.restore.errors import CredentialsError
from rescue_tui.restore.model import Field, Secret

OWN_OPTIONS = ("password", "ssh_key", "known_hosts")
"""Fields given by a file option of their own (``--password-file``, ``--ssh-key``, ``--known-hosts``)."""
MAX_BYTES = 64 << 10
_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")


@dataclass(frozen=True)
class EnvCredentials:
    """Field values by field name: the secret ones apart from the rest."""

    secrets: dict[str, Secret] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


def by_variable(fields: Iterable[Field]) -> dict[str, Field]:
    """The fields read from a variable, by the variable's name."""
    return {f.env: f for f in fields if f.env is not None and f.name not in OWN_OPTIONS}


def from_environment(fields: Iterable[Field], environ: Mapping[str, str]) -> EnvCredentials:
    """The values of ``fields`` that ``environ`` holds under their variables."""
    found = EnvCredentials()
    for variable, f in by_variable(fields).items():
        value = environ.get(variable)
        if value is None:
            continue
        if f.secret:
            found.secrets[f.name] = Secret(value)
        else:
            found.options[f.name] = value
    return found


def read_credentials_file(
    path: Path, fields: Iterable[Field], *, scheme: str, where: str, also: Iterable[str] = ()
) -> EnvCredentials:
    """The values of ``fields`` the file sets (see :func:`read_variables`); CredentialsError naming ``where`` and
    the line for a variable that is neither theirs nor one of ``also`` (read by someone else: the layout's S3 keys)."""
    wanted = by_variable(fields)
    others = set(also)
    values: dict[str, str] = {}
    for name, (value, number) in read_variables(path, where=where).items():
        if name in wanted:
            values[name] = value
        elif name not in others:
            known = ", ".join(sorted(wanted)) or "none"
            raise CredentialsError(f"{where}:{number}: {name} is not a credential of {scheme} (it takes: {known})")
    return from_environment(wanted.values(), values)


def read_variables(path: Path, *, where: str) -> dict[str, tuple[str, int]]:
    """``NAME=value`` lines (``#`` comments, blank lines, ``export``, one pair of quotes around a value): each
    variable's value and line; CredentialsError naming ``where`` and the line for anything else. The file must
    not be readable by others, like every file of secrets we read."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise CredentialsError(f"{where}: {exc.strerror}") from None
    if mode & 0o077:
        raise CredentialsError(f"{where}: readable by others (mode {mode & 0o777:o})", hint=f"chmod 600 {path}")
    text = read_text(path, what="credentials file", max_bytes=MAX_BYTES, error=CredentialsError)
    values: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        matched = _LINE.fullmatch(line)
        if matched is None:
            raise CredentialsError(f"{where}:{number}: not a NAME=value line")
        values[matched.group(1)] = (_unquoted(matched.group(2).strip()), number)
    return values


def environment_with(path: Path | None, names: Iterable[str], *, where: str) -> dict[str, str]:
    """This process's environment, with the variables of ``names`` that the file sets (the file wins)."""
    environ = dict(os.environ)
    if path is not None:
        wanted = set(names)
        given = read_variables(path, where=where)
        environ.update({name: value for name, (value, _) in given.items() if name in wanted})
    return environ


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
