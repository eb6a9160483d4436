"""The engine calls the TUI makes, each one blocking: workers run them and post what they return.

No Textual here, and no logic of the engine's own: this only finds the
layout files to offer and adapts the engine's answers to what a screen shows.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rescue_tui.errors import BadInputError, RescueError
from rescue_tui.inventory.model import Inventory
from rescue_tui.layout.embedded import embedded_layouts
from rescue_tui.layout.model import Layout
from rescue_tui.mapping.model import Mapping
from rescue_tui.plan.model import Plan
from rescue_tui.restore.model import (
    BackendSpec,
    Credentials,
    Field,
    PreflightReport,
    ProgressCallback,
)
from rescue_tui.tui.session import LayoutChoice, TuiOptions


def find_layouts(options: TuiOptions) -> list[LayoutChoice]:
    """Layout files to offer, in this order: --layout, embedded, the checkout's examples; each once."""
    found: list[LayoutChoice] = []
    seen: set[Path] = set()

    def add(path: Path, source: str) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(LayoutChoice(path=path, source=source))  # type: ignore[arg-type]

    if options.layout_url is not None:
        found.append(url_choice(options.layout_url, options, "command line"))
    if options.layout is not None:
        add(options.layout, "command line")
    for path in embedded_layouts(options.embedded_dir):
        add(path, "embedded")
    if options.examples_dir is not None and options.examples_dir.is_dir():
        for path in sorted(options.examples_dir.glob("*.json")):
            add(path, "example")
    return found


def checkout_examples() -> Path | None:
    """layouts/examples when rescue_tui runs from a source checkout, else None."""
    top = Path(__file__).resolve().parents[2]
    examples = top / "layouts" / "examples"
    return examples if (top / "pyproject.toml").is_file() and examples.is_dir() else None


def url_choice(url: str, options: TuiOptions, source: str) -> LayoutChoice:
    """A layout to fetch from ``url``: its local copy's path is known before it is fetched (under the journal)."""
    from rescue_tui.remote.fetch import local_copy, parse_url

    try:
        path = local_copy(parse_url(url), options.journal_dir / "fetched")
    except RescueError as exc:
        name = Path(url.rsplit("/", 1)[-1] or "layout")
        return LayoutChoice(path=name, source=source, url=url, problems=tuple(exc.lines()))  # type: ignore[arg-type]
    return LayoutChoice(path=path, source=source, url=url)  # type: ignore[arg-type]


def check_layout(
    choice: LayoutChoice, ca_file: Path | None = None, credentials_file: Path | None = None
) -> LayoutChoice:
    """Fetch (a URL's), read and validate a layout file; problems come back as lines, never as an exception.
    An ``s3://`` layout's keys come from the environment, or ``credentials_file`` (``rescue.credentials_file=``)."""
    from rescue_tui.layout.validate import load_valid_layout
    from rescue_tui.remote.fetch import fetch
    from rescue_tui.remote.s3 import S3_VARIABLES
    from rescue_tui.restore.env_credentials import environment_with

    try:
        if choice.url is not None:
            environ = None
            if choice.url.startswith("s3:"):
                where = f"rescue.credentials_file={credentials_file}"
                environ = environment_with(credentials_file, S3_VARIABLES, where=where)
            fetch(choice.url, choice.path.parent, ca_file=ca_file, environ=environ)
        layout = load_valid_layout(choice.path)
    except RescueError as exc:
        return LayoutChoice(path=choice.path, source=choice.source, url=choice.url, problems=tuple(exc.lines()))
    return LayoutChoice(path=choice.path, source=choice.source, url=choice.url, layout=layout)


def propose(layout: Layout, inventory: Inventory, overrides: dict[str, str]) -> Mapping:
    """The engine's proposal with the operator's choices; RefusedError (with reasons) when impossible."""
    from rescue_tui.mapping.propose import propose_mapping
    from rescue_tui.mapping.resize import ResizeOptions, disk_needs

    return propose_mapping(layout, inventory, disk_needs(layout, ResizeOptions()), dict(overrides))


def compute_plan(path: Path, layout: Layout, inventory: Inventory, mapping: Mapping, target_root: str) -> Plan:
    """The plan for a decided mapping (blivet, in memory over sparse stand-ins: 0.1-1.5 s).

    ``target_root`` must be the one apply mounts under: apply rebuilds the steps and refuses a plan that differs.
    """
    from rescue_tui.files import sha256_file
    from rescue_tui.plan.build import PlanRequest, plan_for_mapping

    request = PlanRequest(layout_path=path, inventory=inventory, target_root=target_root)
    return plan_for_mapping(layout, mapping, request, sha256=sha256_file(path))


def save_plan(plan: Plan, path: Path) -> Path:
    """Write the plan as JSON, atomically (a temporary file renamed over the target)."""
    from rescue_tui.files import write_atomic
    from rescue_tui.plan.codec import plan_to_json

    path = path.expanduser()
    if path.is_dir():
        raise BadInputError(f"{path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise BadInputError(f"{path.parent}: no such directory")
    return write_atomic(path, plan_to_json(plan))


# -- the backend screen's calls --------------------------------------------------------------------


def parse_backend(text: str) -> BackendSpec:
    """A backend spec as the operator typed it; SpecError (one line) when it does not parse."""
    from rescue_tui.restore.spec import parse_spec

    return parse_spec(text.strip())


def backend_fields(spec: BackendSpec) -> tuple[Field, ...]:
    """What the backend's form asks for (passwords, keys, users)."""
    from rescue_tui.restore.backend import fields_for

    return fields_for(spec)


def backend_credentials(spec: BackendSpec, values: dict[str, str]) -> Credentials:
    """The form's values as credentials; CredentialsError naming every missing field."""
    from rescue_tui.restore.backend import credentials_from_form

    return credentials_from_form(spec, values)


def preflight_backend(
    spec: BackendSpec, credentials: Credentials, progress: ProgressCallback, cancel: threading.Event
) -> PreflightReport:
    """The backup's preflight before apply (the target checks wait for the mounted target)."""
    from rescue_tui.recover.preflight import check_backup

    return check_backup(spec, credentials, progress, cancel)


def reboot() -> None:
    """Restart the machine (``systemctl reboot``); RescueError when systemd refuses."""
    from rescue_tui.command import run

    run(["systemctl", "reboot"], error=RescueError)
