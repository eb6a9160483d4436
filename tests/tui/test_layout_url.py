"""A layout named by URL in the console: typed after o, or given as rescue.layout=URL; fetched, checked, used."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from rescue_tui.tui.dialogs import PathDialog
from rescue_tui.tui.screens.layout import LayoutScreen
from rescue_tui.tui.screens.mapping import MappingScreen
from tests.integration.restore.tls import TestCa, WebServer
from tests.tui.conftest import settle
from tests.tui.factory import DEMO_LAYOUT, demo_app


@pytest.fixture
def server(https_server: WebServer) -> WebServer:
    (https_server.root / "web01.json").write_text(DEMO_LAYOUT.read_text())
    return https_server


async def test_a_layout_typed_as_a_url_is_fetched_checked_and_used(
    tmp_path: Path, server: WebServer, test_ca: TestCa
) -> None:
    app = demo_app(layout=None, examples_dir=None, journal_dir=tmp_path / "run", ca_file=test_ca.certificate)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, LayoutScreen)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, PathDialog)
        field = app.screen.query_one("#path", Input)
        field.value = "ftp://127.0.0.1/web01.json"
        await pilot.press("enter")
        await settle(pilot)
        problem = str(app.screen.query_one("#path-problem", Static).render())
        assert "only http://, https://, nfs://, s3:// can be fetched" in problem, "a bad URL is refused in the dialog"
        field.value = server.url("web01.json")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LayoutScreen)
        (choice,) = app.session.layouts
        assert choice.url == server.url("web01.json") and choice.layout is not None, choice.problems
        assert choice.path.parent == tmp_path / "run" / "fetched"
        assert choice.path.read_text() == DEMO_LAYOUT.read_text()
        status = str(app.screen.query_one("#layout-status", Static).render())
        assert status.endswith(f": {server.url('web01.json')}"), status
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MappingScreen)
        assert app.session.layout is not None and app.session.layout.url == server.url("web01.json")


async def test_a_url_given_at_boot_that_cannot_be_fetched_shows_why_in_place_of_its_tree(
    tmp_path: Path, server: WebServer
) -> None:
    """No CA given: the certificate is refused, and the layout screen says so with curl's reason."""
    url = server.url("web01.json")
    app = demo_app(layout=None, examples_dir=None, journal_dir=tmp_path / "run", layout_url=url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await settle(pilot)
        (choice,) = app.session.layouts
        assert choice.layout is None
        assert (
            choice.problems[0]
            == f"{url}: cannot fetch: SSL certificate problem: unable to get local issuer certificate"
        )
        assert str(app.screen.query_one("#layout-status", Static).render()) == f"{url}: cannot be used"
        assert not (tmp_path / "run" / "fetched").exists() or not any((tmp_path / "run" / "fetched").iterdir())
