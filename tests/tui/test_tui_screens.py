"""The help screen, the command palette, and the states a workspace can be in: empty,
with no corpus/, with an unreadable document."""

from __future__ import annotations

import asyncio
import shutil
import threading

import pytest
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, ProgressBar, Static

from briefreader.core import corpus as corpus_module
from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from briefreader.tui.app import BriefreaderApp
from briefreader.tui.screens.help import HelpScreen
from briefreader.tui.screens.search import SearchScreen
from briefreader.tui.widgets.document_view import DocumentView
from briefreader.tui.widgets.library import Library

AIR_JAN = "air-center-bulletin-2025-01.txt"
BAKU = "baku-dialogues-vol6-no2-winter-2022-2023.txt"
TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 8


def messages(app) -> list[str]:
    return [notification.message for notification in app._notifications]


def status(app) -> str:
    return str(app.query_one("#status", Static).render())


async def search(tui, pilot, app, query: str, *, results: bool = True) -> None:
    await pilot.press("slash")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
    app.screen.query_one("#query", Input).value = query
    if results:
        hits = app.screen.query_one("#hits", OptionList)
        await tui.wait_for(pilot, lambda: hits.option_count, "results")


async def palette_options(tui, pilot, app) -> OptionList:
    await tui.wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    options = app.screen.query_one(OptionList)
    return options


async def choose_in_palette(tui, pilot, app, text: str, expect: str) -> None:
    """Type in the open palette, wait for `expect` to be the highlighted option, press enter."""
    options = await palette_options(tui, pilot, app)
    await pilot.press(*text)

    def ready() -> bool:
        index = options.highlighted
        return (
            index is not None
            and options.option_count > 0
            and expect in str(options.get_option_at_index(index).prompt)
        )

    await tui.wait_for(pilot, ready, f"{expect!r} in the palette")
    await pilot.press("enter")


def test_help_screen_lists_the_keys(tui):
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await tui.settle(pilot)
        text = tui.screen_text(app)
        for line in ("open a document", "this help", "quit"):  # the essentials, at the top
            assert line in text
        box = app.screen.query_one("#help-box")
        for y in range(0, int(box.max_scroll_y) + 10, 10):  # read it all, a page at a time
            box.scroll_to(y=y, animate=False)
            await tui.settle(pilot)
            text += tui.screen_text(app)
        for line in (
            "next / previous passage",
            "next / previous section",
            "page down / up",
            "search the whole corpus",
            "find in this document",
        ):
            assert line in text
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("question_mark")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("question_mark")  # ? closes it too
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        assert app.view.document.id == AIR_JAN

    tui.run(scenario)


def test_o_opens_a_document_by_fuzzy_title(tui):
    async def scenario(app, pilot):
        await pilot.press("o")
        await choose_in_palette(tui, pilot, app, "dialog", "Baku Dialogues")
        await tui.wait_for(pilot, lambda: app.view.document.id == BAKU, "Baku to open")
        await tui.settle(pilot)
        assert isinstance(app.focused, DocumentView)
        assert app.view.passage.number == 1
        assert app.query_one(Library).cursor_node.data.doc_id == BAKU

    tui.run(scenario)


def test_the_palette_jumps_to_a_section(tui):
    async def scenario(app, pilot):
        target = app.view.sections[3]
        assert "Overseas Territories" in target.title
        await pilot.press("ctrl+p")
        await choose_in_palette(tui, pilot, app, "jump", "Jump to section")
        await choose_in_palette(tui, pilot, app, "overseas", target.title[:20])
        await tui.wait_for(pilot, lambda: app.view.passage.section == target, "the section")
        assert app.view.passage.number == target.first_passage
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)

    tui.run(scenario)


def test_the_palette_offers_every_action(tui):
    async def scenario(app, pilot):
        await pilot.press("ctrl+p")
        options = await palette_options(tui, pilot, app)
        await tui.wait_for(pilot, lambda: options.option_count >= 8, "the commands")
        await tui.settle(pilot)
        prompts = " ".join(
            str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
        )
        for command in (
            "Open document",
            "Search the corpus",
            "Find in document",
            "Jump to section",
            "Toggle library",
            "Rebuild index",
            "Help",
            "theme",
        ):
            assert command.lower() in prompts.lower(), command
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))

    tui.run(scenario)


def test_an_empty_workspace_says_what_to_do(tui, tui_empty_workspace):
    async def scenario(app, pilot):
        empty = app.query_one("#empty", Static)
        await tui.wait_for(pilot, lambda: empty.display, "the empty-state message")
        await tui.settle(pilot)
        text = str(empty.render())
        assert "No documents" in text
        assert "Add .txt or .md files" in text
        assert not app.view.display
        assert app.view.document is None
        # no key breaks it
        await pilot.press("j", "J", "G", "space", "n", "ctrl+f", "escape", "enter")
        await tui.settle(pilot)
        assert app.is_running
        assert empty.display
        assert "No documents" in tui.screen_text(app)

    tui.run(scenario, workspace=tui_empty_workspace, wait=False)


def test_keys_work_while_the_catalog_is_read(tui, monkeypatch):
    # a catalog of thousands of documents takes a while: the reader must not freeze meanwhile
    read = threading.Event()
    load_catalog = corpus_module.load_catalog

    def slow_load_catalog(*args, **kwargs):
        read.wait(timeout=20)
        return load_catalog(*args, **kwargs)

    monkeypatch.setattr(corpus_module, "load_catalog", slow_load_catalog)

    async def scenario(app, pilot):
        try:
            await pilot.press("question_mark")
            await tui.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
            assert app.view.document is None  # the catalog is still being read
        finally:
            read.set()
        await pilot.press("escape")
        await tui.started(pilot)
        assert app.query_one(Library).root.children

    tui.run(scenario, wait=False)


def test_on_first_frame_runs_once_the_first_frame_is_on_screen(tui, monkeypatch):
    """The hook the command uses to resume the garbage collector and Python's thread
    switching: called once, once a frame has been written."""
    frames: list[object] = []
    display = App._display

    def written(app, screen, renderable) -> None:
        if renderable is not None:
            frames.append(renderable)
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", written)
    calls: list[int] = []
    app = BriefreaderApp(tui.workspace, on_first_frame=lambda: calls.append(len(frames)))

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await tui.started(pilot)

    asyncio.run(main())
    assert len(calls) == 1 and calls[0] >= 1


def test_a_current_index_opens_without_a_progress_bar(tui):
    async def scenario(app, pilot):
        assert app.index_ready
        assert "indexing" not in status(app)
        assert not app.query(ProgressBar)

    tui.run(scenario)


def test_an_empty_workspace_does_not_claim_to_be_indexing(tui, tui_empty_workspace):
    async def scenario(app, pilot):
        await tui.wait_for(pilot, lambda: app.query_one("#empty").display)
        await tui.settle(pilot)
        assert "indexing" not in status(app)
        assert not app.query(ProgressBar)

    tui.run(scenario, workspace=tui_empty_workspace, wait=False)


def test_search_in_an_empty_workspace_does_not_wait_for_ever(tui, tui_empty_workspace):
    async def scenario(app, pilot):
        await tui.wait_for(pilot, lambda: app.query_one("#empty").display)
        await search(tui, pilot, app, "Khojaly", results=False)
        line = app.screen.query_one("#search-status", Static)
        await tui.wait_for(pilot, lambda: str(line.render()), "a status line")
        await pilot.pause(0.3)  # past the debounce
        assert "being built" not in str(line.render())

    tui.run(scenario, workspace=tui_empty_workspace, wait=False)


def test_a_workspace_without_corpus_folder_shows_a_message(tui, tmp_path):
    workspace = Workspace((tmp_path / "nothing").resolve())
    workspace.root.mkdir()

    async def scenario(app, pilot):
        empty = app.query_one("#empty", Static)
        await tui.wait_for(pilot, lambda: empty.display, "the message")
        assert "corpus" in str(empty.render())

    tui.run(scenario, workspace=workspace, wait=False)


def test_reload_after_the_corpus_folder_is_gone_does_not_crash(tui):
    async def scenario(app, pilot):
        shutil.move(tui.workspace.corpus_dir, tui.workspace.root / "corpus-moved")
        await pilot.press("ctrl+p")
        await choose_in_palette(tui, pilot, app, "reload", "Reload corpus")
        await tui.settle(pilot)
        assert app.is_running
        assert app.query_one("#empty").display

    tui.run(scenario)


@pytest.fixture
def broken_workspace(tui) -> Workspace:
    """The indexed bundled corpus plus a binary file named like a document, last by id."""
    (tui.workspace.corpus_dir / "zz-scan.txt").write_bytes(BINARY)
    return tui.workspace


def test_an_unreadable_document_is_a_notification_not_a_crash(tui, broken_workspace):
    async def scenario(app, pilot):
        library = app.query_one(Library)
        await tui.wait_for(
            pilot, lambda: any("Not indexed" in m for m in messages(app)), "the index report"
        )
        assert any("zz-scan.txt" in m for m in messages(app))
        assert "zz-scan.txt" in library._documents  # still listed, so it can be found
        app.open_document("zz-scan.txt")
        await tui.wait_for(pilot, lambda: any("binary" in m for m in messages(app)))
        await tui.settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "zz-scan.txt" in errors[-1].message
        assert app.is_running
        assert app.view.document.id == AIR_JAN  # the open document stays
        tui.assert_current_passage_visible(app)
        # the rest of the corpus is searchable
        await search(tui, pilot, app, "Khojaly")

    tui.run(scenario)


def test_an_unreadable_first_document_leaves_the_app_usable(tui):
    (tui.workspace.corpus_dir / "aa-scan.txt").write_bytes(BINARY)  # first by id: opened first

    async def scenario(app, pilot):
        await tui.wait_for(pilot, lambda: any("binary" in m for m in messages(app)))
        await tui.wait_for(pilot, lambda: app.index_ready)
        await tui.settle(pilot)
        assert app.is_running
        app.open_document(TATIKYAN)
        await tui.wait_for(pilot, lambda: app.view.document is not None, "another document")
        assert app.view.document.id == TATIKYAN
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)

    tui.run(scenario, wait=False)


def test_a_corrupt_index_is_rebuilt_with_a_notification(tui):
    for toc in tui.workspace.index_dir.glob("*.toc"):
        toc.write_bytes(b"garbage")

    async def scenario(app, pilot):
        await tui.wait_for(pilot, lambda: app.index_ready, "the rebuilt index")
        await tui.settle(pilot)
        assert any("rebuild" in m.lower() for m in messages(app))
        assert app.is_running
        await search(tui, pilot, app, "Khojaly")

    tui.run(scenario, wait=False)
    assert SearchIndex(Corpus(tui.workspace)).is_current()
