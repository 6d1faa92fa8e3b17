"""Snapshots of the main screens at 100x30 on the bundled corpus (pytest-textual-snapshot).

The workspace is a tmp copy whose index is already current, so no progress bar or
notification races the screenshot; the workspace path (the app's sub_title) is not on
screen, which each test checks, so the SVGs do not depend on the machine.
Update with `pytest --snapshot-update tests/tui`, then look at the SVGs before committing.
"""

from __future__ import annotations

from textual.widgets import Input, OptionList

from briefreader.tui.screens.help import HelpScreen
from briefreader.tui.screens.search import SearchScreen

SIZE = (100, 30)


async def ready(tui, pilot) -> None:
    """Started, with the first document laid out and scrolled the same way every run.

    The view's scroll position at start depends on when its first layouts land (the first
    document is shown before the view has a size, laid out again as the first frame is
    drawn, and revealed after it), which made the snapshots flaky. A resize back and forth
    and a reveal of the passage settle it."""
    await tui.started(pilot)
    width, height = pilot.app.size
    await pilot.resize_terminal(width - 1, height)
    await pilot.resize_terminal(width, height)
    await tui.settle(pilot)
    view = pilot.app.view
    view.go_to_passage(view.passage.number, top=True)
    await tui.settle(pilot)


def no_machine_paths(tui, app) -> None:
    text = tui.screen_text(app)
    assert str(tui.workspace.root) not in text
    assert "/tmp" not in text and "pytest-of" not in text


def test_snapshot_start_screen(tui, snap_compare):
    app = tui.app()

    async def run_before(pilot):
        await ready(tui, pilot)
        no_machine_paths(tui, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_search_results(tui, snap_compare):
    app = tui.app()

    async def run_before(pilot):
        await ready(tui, pilot)
        await pilot.press("slash", *"Khojaly")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        hits = app.screen.query_one("#hits", OptionList)
        await tui.wait_for(pilot, lambda: hits.option_count == 8, "the results")
        app.screen.query_one("#query", Input).cursor_blink = False  # a steady cursor
        await tui.settle(pilot)
        no_machine_paths(tui, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_help_screen(tui, snap_compare):
    app = tui.app()

    async def run_before(pilot):
        await ready(tui, pilot)
        await pilot.press("question_mark")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await tui.settle(pilot)
        no_machine_paths(tui, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_reading_a_hit(tui, snap_compare):
    """The reading view with the search's matches highlighted and the current one marked."""
    app = tui.app()

    async def run_before(pilot):
        await ready(tui, pilot)
        await pilot.press("slash")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        app.screen.query_one("#query", Input).value = "Khojaly"
        hits = app.screen.query_one("#hits", OptionList)
        await tui.wait_for(pilot, lambda: hits.option_count == 8, "the results")
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.matches, "the hit")
        await tui.settle(pilot)
        no_machine_paths(tui, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
