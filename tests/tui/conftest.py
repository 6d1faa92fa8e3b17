"""Fixtures for the reader's Pilot and snapshot tests: every path points at tmp_path.

The bundled corpus is copied once per session and indexed there; each test gets its own copy
of that workspace (corpus and `.briefreader/` index), so the app finds its index current and
shows search results without waiting for a rebuild. Tests are plain functions that drive the
app through `tui.run(scenario)`: no async test plugin is needed.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot

from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from briefreader.tui.app import BriefreaderApp

BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SIZE = (100, 30)
WAIT_CAP = 20.0  # seconds: a generous cap on any wait, so a hang fails instead of blocking
STEP = 0.02

Scenario = Callable[[BriefreaderApp, Pilot], Awaitable[None]]


@pytest.fixture(autouse=True)
def _tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app never reads or writes the user's home or data dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    return home


@pytest.fixture(scope="session")
def tui_indexed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding the bundled corpus and its index, built once; never modified."""
    root = tmp_path_factory.mktemp("tui-indexed") / "workspace"
    root.mkdir()
    shutil.copytree(BUNDLED_CORPUS, root / "corpus")  # copy2: file times kept to the ns
    index = SearchIndex(Corpus(Workspace(root)))
    index.update()
    index.close()
    return root


@pytest.fixture
def tui_workspace(tui_indexed_root: Path, tmp_path: Path) -> Workspace:
    """A writable copy of the bundled corpus with an up-to-date index."""
    root = tmp_path / "workspace"
    shutil.copytree(tui_indexed_root, root)
    ws = Workspace(root.resolve())
    assert SearchIndex(Corpus(ws)).is_current()  # else the app would rebuild and notify
    return ws


@pytest.fixture
def tui_empty_workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "empty"
    (root / "corpus").mkdir(parents=True)
    return Workspace(root.resolve())


async def wait_for(pilot: Pilot, condition: Callable[[], object], what: str = "") -> None:
    """Let the app run until `condition()` is true; fail after WAIT_CAP seconds."""
    for _ in range(int(WAIT_CAP / STEP)):
        if condition():
            return
        await pilot.pause(STEP)
    if not condition():
        raise AssertionError(f"timed out waiting for {what or condition}")


async def settle(pilot: Pilot) -> None:
    """Let pending messages, workers and refreshes run out (not indexing, which a test may
    hold back on purpose)."""
    workers = [worker for worker in pilot.app.workers if worker.group != "index"]
    if workers:  # an empty list would mean "all of them", the indexing worker included
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()
    await pilot.pause()


async def started(pilot: Pilot, *, index: bool = True) -> None:
    """Wait for the first document to show and (if asked) the index to be ready."""
    app = pilot.app
    assert isinstance(app, BriefreaderApp)
    await wait_for(pilot, lambda: app.view.document is not None, "the first document")
    if index:
        await wait_for(pilot, lambda: app.index_ready, "the index")
    await settle(pilot)


def screen_text(app: BriefreaderApp) -> str:
    """The whole terminal as plain text, as a user would see it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def view_rows(app: BriefreaderApp) -> list[str]:
    """The rows the reading view draws now (its Line API), as text."""
    view = app.view
    return [
        "".join(segment.text for segment in view.render_line(y))
        for y in range(view.scrollable_content_region.height)
    ]


def marked_text(app: BriefreaderApp) -> str:
    """The text of the rows drawn with the current-passage marker, joined by spaces."""
    rows = [row.strip() for row in view_rows(app)]
    return " ".join(row.removeprefix("▌").strip() for row in rows if row.startswith("▌"))


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_current_passage_visible(app: BriefreaderApp) -> None:
    """The current passage is on screen, drawn with its marker, and nothing else is marked."""
    passage = app.view.passage
    assert passage is not None
    shown = squash(marked_text(app))
    assert shown, f"passage {passage.number} is not on screen"
    assert shown in squash(passage.text), f"marked rows are not passage {passage.number}"


class Tui:
    """Runs the reader under Pilot. `run` builds the app on a workspace, waits for it to be
    ready and hands it to the scenario; it returns the app (exited) for checks after."""

    wait_for = staticmethod(wait_for)
    settle = staticmethod(settle)
    started = staticmethod(started)
    screen_text = staticmethod(screen_text)
    view_rows = staticmethod(view_rows)
    marked_text = staticmethod(marked_text)
    assert_current_passage_visible = staticmethod(assert_current_passage_visible)

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def app(self, workspace: Workspace | None = None) -> BriefreaderApp:
        return BriefreaderApp(workspace or self.workspace)

    def remember(self, state: dict) -> None:
        """The reader's state as a session before this one left it."""
        self.workspace.prepare_state()
        (self.workspace.state_dir / "reader.json").write_text(json.dumps(state), encoding="utf-8")

    def run(
        self,
        scenario: Scenario,
        *,
        workspace: Workspace | None = None,
        size: tuple[int, int] = SIZE,
        wait: bool = True,
    ) -> BriefreaderApp:
        app = self.app(workspace)

        async def main() -> None:
            async with app.run_test(size=size) as pilot:
                if wait:
                    await started(pilot)
                await scenario(app, pilot)
                if app.is_running:
                    # let messages already posted run before the app shuts down
                    await settle(pilot)

        asyncio.run(main())
        return app


@pytest.fixture
def tui(tui_workspace: Workspace) -> Tui:
    return Tui(tui_workspace)
