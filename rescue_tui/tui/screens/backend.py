"""Backend: where the files come back from after apply; the backend's fields; its preflight, check by check.

A view over the restore engine: the spec parser says what is wrong with a
spec as it is typed, the backend says which fields its form has, and its
preflight (in a worker) says what it found. Skipped in a dry run.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rescue_tui.errors import RescueError
from rescue_tui.restore.backend import status_symbol
from rescue_tui.restore.env_credentials import read_variables
from rescue_tui.restore.errors import UnknownHostKeyError
from rescue_tui.restore.model import BackendSpec, Credentials, Field, PreflightReport, ProgressEvent
from rescue_tui.restore.progress import format_event
from rescue_tui.restore.spec import SYNTAX
from rescue_tui.tui.dialogs.hostkey import HostKeyDialog
from rescue_tui.tui.engine import backend_credentials, backend_fields, parse_backend, preflight_backend
from rescue_tui.tui.messages import HostKeyOffered, PreflightChecked, RestoreProgressed
from rescue_tui.tui.screens.base import StepScreen
from rescue_tui.tui.session import RestoreChoice
from rescue_tui.tui.throttle import ProgressRelay
from rescue_tui.tui.widgets.secret import SecretInput

NO_RESTORE = "none"


def check_lines(report: PreflightReport) -> list[str]:
    """One line per check: ``ok    lists        5 members``."""
    return [f"{status_symbol(c.status):<5} {c.name:<11} {c.detail}" for c in report.checks]


class BackendScreen(StepScreen):
    """The restore backend, its spec and fields, and its preflight.

    | Key | Action |
    | :- | :- |
    | up/down, enter | choose a backend (or no restore) |
    | (type), enter | the spec, then each field |
    | p, ctrl+r | run the backend's preflight |
    | n, ctrl+n | go on to the confirmation |
    | tab | move between the list and the fields |
    | escape | back to the plan |
    """

    STEP = "backend"
    HELP_TITLE = "Restore backend"
    HELP = """
After apply recreates the disks, restore brings the files back from a
backup. Choose where the backup is, then write its spec: the line below the
field says at once what is wrong with it. tar:/mnt/usb/host1.tar.zst is an
archive on a mounted medium (mount it from the shell first); tar+nfs:// and
tar+https:// are mounted or fetched by rescue-tui itself; restic, borg and
rsync read repositories and copies, local, over ssh or NFS (restic also from
REST and S3 servers).

Some backends need a password or a key: their fields appear below the spec.
Secrets are never shown, logged or put on a command line. Over ssh the
server's key must be known: give its fingerprint, or, when asked, accept one
of the keys it offers once it matches what its administrator reads out.

Run the preflight (p or Ctrl-R): it reaches the backup, lists it, checks
that nothing in it escapes the target and its checksum where there is one.
It writes nothing. Room on the target is checked after apply, on the new
filesystems, before anything is restored.

No restore recreates the storage only: partitions, RAID, LVM, filesystems.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p,ctrl+r", "preflight", "Preflight", id="backend.preflight",
                tooltip="Run the backend's preflight checks (writes nothing)."),
        Binding("n,ctrl+n", "next", "Go on", id="backend.next",
                tooltip="Go on to the confirmation (after a passed preflight, or with no restore)."),
        Binding("escape", "back", "Back", id="backend.back", tooltip="Back to the plan; nothing is written."),
    ]  # fmt: skip
    DEFAULT_CSS = """
    /* The form scrolls, the preflight stays in view. */
    BackendScreen #backend-form {
        height: 1fr;
    }
    BackendScreen #backends {
        max-height: 7;
    }
    BackendScreen #fields {
        height: auto;
    }
    BackendScreen #checks {
        max-height: 10;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.none_chosen = False
        self.fields: tuple[Field, ...] = ()
        self.report: PreflightReport | None = None
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield self.header()
        with VerticalScroll(id="backend-form"):
            yield OptionList(*self._choices(), id="backends", classes="box", markup=False)
            spec = Input(
                placeholder="backend spec, such as tar:/mnt/usb/host1.tar.zst", id="spec", select_on_focus=False
            )
            spec.cursor_blink = False
            yield spec
            yield Static("", id="spec-problem", classes="note error", markup=False)
            yield Vertical(id="fields")
        yield Static("Not checked yet: p runs the preflight.", id="checks", classes="note box", markup=False)
        yield self.footer()

    def _choices(self) -> list[Option]:
        options = [Option("No restore: recreate the storage only", id=NO_RESTORE)]
        options += [Option(f"{s.scheme:<12} {s.summary}", id=s.scheme) for s in SYNTAX]
        return options

    def on_mount(self) -> None:
        backends = self.query_one("#backends", OptionList)
        backends.border_title = "Restore from (Enter: choose)"
        self.query_one("#spec", Input).border_title = "Backend spec"
        self.query_one("#checks", Static).border_title = "Preflight"
        chosen = self.session.restore
        if chosen is not None and chosen.spec is not None:
            self.query_one("#spec", Input).value = chosen.spec.text
            backends.highlighted = next((i for i, s in enumerate(SYNTAX, 1) if s.scheme == chosen.spec.scheme), 0)
        else:
            backends.highlighted = 0 if chosen is not None else 1
        backends.focus()

    # -- the spec and its fields ----------------------------------------------------------------

    @on(OptionList.OptionSelected, "#backends")
    def backend_chosen(self, event: OptionList.OptionSelected) -> None:
        spec = self.query_one("#spec", Input)
        if event.option.id == NO_RESTORE:
            self.none_chosen = True
            self._show_checks(["No restore: only the storage is recreated.", "n goes on to the confirmation."])
            return
        self.none_chosen = False
        syntax = next(s for s in SYNTAX if s.scheme == event.option.id)
        if not spec.value.startswith(f"{syntax.scheme}:"):
            spec.value = f"{syntax.scheme}:"
        spec.cursor_position = len(spec.value)
        spec.placeholder = syntax.example
        spec.border_title = f"Backend spec: {syntax.syntax}"
        spec.focus()

    @on(Input.Changed, "#spec")
    async def spec_changed(self, event: Input.Changed) -> None:
        self.report = None
        spec = self._spec(quiet=not event.value.strip())
        await self._set_fields(backend_fields(spec) if spec is not None else ())

    def _spec(self, *, quiet: bool = False) -> BackendSpec | None:
        """The spec as typed, or None with the reason on the line below it."""
        problem = self.query_one("#spec-problem", Static)
        try:
            spec = parse_backend(self.query_one("#spec", Input).value)
        except RescueError as exc:
            problem.update("" if quiet else exc.message)
            return None
        problem.update("")
        return spec

    async def _set_fields(self, fields: tuple[Field, ...]) -> None:
        """The fields' inputs, mounted before the next key is handled: an Enter typed right after the spec
        (a fast serial line, a paste) moves to the first field rather than to one not mounted yet."""
        if [f.name for f in fields] == [f.name for f in self.fields]:
            return
        self.fields = fields
        box = self.query_one("#fields", Vertical)
        await box.remove_children()
        given = self._given_at_boot()
        inputs = []
        for field in fields:
            entry: Input
            if field.secret:
                entry = SecretInput(placeholder=f"{field.label}: hidden as you type", id=f"field-{field.name}")
            else:
                entry = Input(placeholder=field.label, id=f"field-{field.name}")
                entry.cursor_blink = False
                if field.name == "ca_file" and self.session.options.ca_file is not None:
                    entry.value = str(self.session.options.ca_file)  # rescue.ca_file= given at boot
            entry.border_title = field.label + (" (required)" if field.required else "")
            if field.env is not None and field.env in given:
                entry.value = given[field.env]
                entry.border_title += " (from the credentials file)"
            inputs.append(entry)
        await box.mount_all(inputs)

    def _given_at_boot(self) -> dict[str, str]:
        """The variables of ``rescue.credentials_file=`` (the fields' values, as an unattended recovery reads
        them); a file that cannot be read is said under the spec, and nothing is filled in."""
        path = self.session.options.credentials_file
        if path is None:
            return {}
        try:
            given = read_variables(path, where=f"rescue.credentials_file={path}")
        except RescueError as exc:
            self.query_one("#spec-problem", Static).update(exc.message)
            return {}
        return {name: value for name, (value, _) in given.items()}

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter in a field: on to the next one; after the last, run the preflight."""
        order = ["spec", *(f"field-{f.name}" for f in self.fields)]
        current = event.input.id or ""
        if current == "spec" and self._spec() is None:
            return
        if current in order and order.index(current) + 1 < len(order):
            self.query_one(f"#{order[order.index(current) + 1]}", Input).focus()
        else:
            self.action_preflight()

    def _filled_in(self) -> tuple[BackendSpec, Credentials] | None:
        """The spec and its credentials when both are valid (the problem is shown under the spec otherwise)."""
        spec = self._spec()
        credentials = self._credentials(spec) if spec is not None else None
        if spec is None or credentials is None:
            self.app.bell()
            return None
        return spec, credentials

    def _credentials(self, spec: BackendSpec) -> Credentials | None:
        values = {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}
        try:
            return backend_credentials(spec, values)
        except RescueError as exc:
            self.query_one("#spec-problem", Static).update("; ".join(exc.lines()))
            return None

    # -- preflight ------------------------------------------------------------------------------

    def action_preflight(self) -> None:
        if self.none_chosen:
            self.app.bell()
            return
        filled = self._filled_in()
        if filled is None:
            return
        spec, credentials = filled
        self.report = None
        self._show_checks([f"Checking {spec.text} ..."])
        self.cancel = threading.Event()
        self.run_preflight(spec, credentials, self.cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="storage")
    def run_preflight(self, spec: BackendSpec, credentials: Credentials, cancel: threading.Event) -> None:
        """The backend's preflight (it reads the whole archive for tar: seconds to minutes)."""
        relay = ProgressRelay(self._hand_over_progress)
        try:
            report = preflight_backend(spec, credentials, relay, cancel)
        except UnknownHostKeyError as unknown:  # not a failure: a question for the operator
            self.post_message(HostKeyOffered(unknown.server, unknown.offered))
            return
        self.post_message(PreflightChecked(report))

    @on(HostKeyOffered)
    def host_key_offered(self, message: HostKeyOffered) -> None:
        self._show_checks([f"The ssh server {message.server} is not known here: accept its key, or nothing is read."])

        def accepted(fingerprint: str | None) -> None:
            if fingerprint is None or not any(f.name == "host_key" for f in self.fields):
                self._show_checks([f"No key of {message.server} accepted: nothing was read from it."], error=True)
                return
            self.query_one("#field-host_key", Input).value = fingerprint
            self.action_preflight()  # the fingerprint is pinned now, and the checks run

        self.app.push_screen(HostKeyDialog(message.server, message.offered), accepted)

    def _hand_over_progress(self, event: ProgressEvent) -> None:
        """The preflight's progress (throttled by the relay), in the worker thread."""
        self.post_message(RestoreProgressed(event))

    @on(RestoreProgressed)
    def preflight_progressed(self, message: RestoreProgressed) -> None:
        if self.report is None:
            self._show_checks([format_event(message.event)])

    @on(PreflightChecked)
    def preflight_checked(self, message: PreflightChecked) -> None:
        report = message.report
        self.report = report
        failed = f"Preflight FAILED ({len(report.failures)} checks): nothing can be restored from it."
        verdict = "Preflight passed: n goes on." if report.ok else failed
        # the verdict first: on an 80x24 serial console a long list of checks is cut at the box's bottom
        self._show_checks([verdict, *check_lines(report)], error=not report.ok)

    def worker_failed(self, error: BaseException | None) -> None:
        self._show_checks(["The preflight could not run (the error says why): nothing was checked."], error=True)

    def _show_checks(self, lines: list[str], *, error: bool = False) -> None:
        checks = self.query_one("#checks", Static)
        checks.update("\n".join(lines))
        checks.set_class(error, "error")

    # -- on -------------------------------------------------------------------------------------

    def action_next(self) -> None:
        if self.none_chosen:
            self.session.restore = RestoreChoice(spec=None)
            self.done()
            return
        filled = self._filled_in()
        if filled is None:
            return
        spec, credentials = filled
        if self.report is None or self.report.spec != spec.text or not self.report.ok:
            self.app.bell()
            self.query_one("#spec-problem", Static).update(
                "Run the preflight first (p), and go on once it passed; or choose No restore."
            )
            return
        self.session.restore = RestoreChoice(spec=spec, credentials=credentials, preflight=self.report)
        self.done()

    def action_back(self) -> None:
        self.cancel.set()
        self.app.pop_screen()
