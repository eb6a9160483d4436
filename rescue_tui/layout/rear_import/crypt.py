"""``crypt`` lines: LUKS containers.

Why a module of its own: the ``crypt`` line is the one ReaR breaks over two
lines (a LUKS2 bug; the reader joins them), it carries options that must not
be kept (passwords, key files), and before ReaR 2.7 it named no LUKS type.
"""

from __future__ import annotations

from typing import Literal

from rescue_tui.layout.model import Luks
from rescue_tui.layout.rear_import.builder import Decl, _Builder, _Device, _need, _note_unknown_keys, _ParseState
from rescue_tui.layout.rear_import.records import Record, _Bad, _count, _int, _path, _slug

# --- LUKS ----------------------------------------------------------------------------------------

_CRYPT_KEYS = frozenset({"type", "cipher", "key_size", "hash", "uuid", "pbkdf"})


def _parse_crypt(rec: Record, state: _ParseState) -> Decl:
    _count(rec, 2)
    target = _path(rec.fields[0], "crypt target")
    if not target.startswith("/dev/mapper/"):
        raise _Bad(f"crypt target {target!r} is not under /dev/mapper")
    source = _path(rec.fields[1], "crypt source")
    opts, extra = _crypt_options(rec.fields[2:])
    version = _luks_version(opts.get("type"))
    key_size = _int(opts["key_size"], "key_size") if opts.get("key_size") else None
    name = target.removeprefix("/dev/mapper/")

    def build(b: _Builder) -> None:
        src = b.use(rec, source)
        luks_id = b.claim(f"luks-{_slug(name)}")
        b.add(
            rec,
            Luks(
                id=luks_id,
                device=src.id,
                name=name,
                version=version,
                uuid=opts.get("uuid") or None,
                cipher=opts.get("cipher") or None,
                key_size=key_size,
                hash=opts.get("hash") or None,
                pbkdf=opts.get("pbkdf") or None,
                path=target,
            ),
        )
        b.devices[target] = _Device(luks_id, src.size)
        _crypt_remarks(b, rec, opts, extra)

    return Decl(rec, [_need(source, "crypt source")], [f"dev:{target}"], build)


def _crypt_options(tokens: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """key=value options; a bare word is another value of the key before it (ReaR's split LUKS2 line)."""
    opts: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    last: str | None = None
    for token in tokens:
        key, found, value = token.partition("=")
        if found and key:
            opts[key], last = value, key
        elif last is not None:
            extra.setdefault(last, []).append(token)
        else:
            raise _Bad(f"expected key=value, found {token!r}")
    return opts, extra


def _luks_version(text: str | None) -> Literal[1, 2]:
    if text is None or text == "luks1":
        return 1  # before ReaR 2.7 only LUKS1 existed and no type= was written
    if text == "luks2":
        return 2
    raise _Bad(f"crypt type {text!r} is not luks1 or luks2")


def _crypt_remarks(b: _Builder, rec: Record, opts: dict[str, str], extra: dict[str, list[str]]) -> None:
    if rec.joined:
        b.note(rec.line, f"crypt line broken over lines {rec.line}-{rec.joined[-1]} (a ReaR LUKS2 bug) joined")
    for key, values in extra.items():
        b.note(rec.line, f"crypt {key} had several values ({', '.join([opts[key], *values])}): kept the first")
    if "type" not in opts:
        b.note(rec.line, "crypt line without type=: taken as LUKS1 (ReaR < 2.7)")
    if "password" in opts:
        b.note(rec.line, "crypt password= dropped: rescue-tui never stores passphrases")
    if opts.get("keyfile"):
        b.note(rec.line, f"crypt keyfile={opts['keyfile']} not kept: provide the key when recovering")
    _note_unknown_keys(b, rec, opts, _CRYPT_KEYS | {"password", "keyfile"})
