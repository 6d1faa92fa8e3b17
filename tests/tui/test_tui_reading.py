"""Reading: opening documents from the library, moving by passage, section and page,
panes, resizing, and the reading position kept across runs."""

from __future__ import annotations

import asyncio
import json
import threading

from textual.app import App
from textual.widgets import Static, Tree
from textual.widgets._footer import FooterKey

from briefreader.core.corpus import Corpus, Document
from briefreader.core.opening import FirstRead, read_opening
from briefreader.tui.app import BriefreaderApp
from briefreader.tui.screens.help import HelpScreen
from briefreader.tui.widgets.document_view import MEASURE, DocumentView
from briefreader.tui.widgets.library import Library
from tests.tui.conftest import WAIT_CAP

AIR_JAN = "air-center-bulletin-2025-01.txt"
AIR_FEB = "air-center-bulletin-2025-02.txt"
BAKU = "baku-dialogues-vol6-no2-winter-2022-2023.txt"
TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"


def walk(node):
    for child in node.children:
        yield child
        yield from walk(child)


def document_node(library: Library, doc_id: str):
    nodes = [
        node
        for node in walk(library.root)
        if node.data is not None and node.data.doc_id == doc_id and node.data.section is None
    ]
    assert len(nodes) == 1, f"{doc_id} is listed {len(nodes)} times in the library"
    return nodes[0]


async def move_cursor_to(pilot, library: Library, line: int) -> None:
    """Move the library's cursor with the arrow keys, as a user would."""
    library.focus()
    await pilot.pause()
    delta = line - library.cursor_line
    await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
    assert library.cursor_line == line


def test_the_first_frame_shows_the_library_and_the_document_read_before_it(tui, monkeypatch):
    """The command starts reading the workspace before Textual loads: what it has read by
    the time the screen mounts is in the first frame, not a frame or two later."""
    first_frame: list[tuple[bool, str | None]] = []
    display = App._display

    def shown(app, screen, renderable) -> None:
        if renderable is not None and not first_frame:
            library = app.query_one(Library)
            document = app.view.document
            first_frame.append((bool(library.root.children), document and document.id))
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", shown)
    run_read_first(tui, lambda app, pilot: asyncio.sleep(0), size=(100, 30))
    assert first_frame == [(True, AIR_JAN)]


def run_read_first(tui, scenario, *, size: tuple[int, int]) -> None:
    """Run the reader with its first read done before the screen mounts, as when Textual
    takes longer to load than the workspace to read."""
    first_read = FirstRead(tui.workspace)
    first_read.opening.result(timeout=30)
    app = BriefreaderApp(tui.workspace, first_read=first_read)

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await tui.started(pilot)
            await scenario(app, pilot)

    asyncio.run(main())


class HeldFirstRead(FirstRead):
    """A first read that is done only once `release` is set (a workspace slow to read), or
    then fails as a bug would."""

    def __init__(self, workspace, release: threading.Event, *, fail: bool = False) -> None:
        self.release, self.fail = release, fail
        super().__init__(workspace)

    def _read(self) -> None:
        opening = read_opening(self.corpus, self.store, self.state)
        self.release.wait(timeout=30)
        if self.fail:
            self.opening.set_exception(RuntimeError("a bug"))
        else:
            self.opening.set_result(opening)


def run_held(tui, scenario, *, fail: bool = False) -> BriefreaderApp:
    release = threading.Event()
    app = BriefreaderApp(tui.workspace, first_read=HeldFirstRead(tui.workspace, release, fail=fail))

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            try:
                await scenario(app, pilot, release)
            finally:
                release.set()

    asyncio.run(main())
    return app


def test_a_first_read_done_after_the_first_frame_shows_once_done(tui):
    async def scenario(app, pilot, release):
        await pilot.press("question_mark")  # keys work meanwhile
        await tui.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.press("escape")
        assert app.view.document is None and not app.query_one(Library).root.children
        release.set()
        await tui.started(pilot)
        assert app.view.document.id == AIR_JAN
        assert isinstance(app.focused, Library)

    run_held(tui, scenario)


def test_a_document_chosen_before_the_first_read_is_done_stays(tui):
    async def scenario(app, pilot, release):
        app.open_document(BAKU)
        await tui.wait_for(pilot, lambda: app.view.document is not None, "the chosen document")
        release.set()
        await tui.wait_for(pilot, lambda: app.query_one(Library).root.children, "the library")
        await tui.started(pilot)
        await pilot.pause(0.3)
        assert app.view.document.id == BAKU

    run_held(tui, scenario)


def test_quitting_does_not_wait_for_a_first_read_still_going_on(tui):
    release = threading.Event()
    app = BriefreaderApp(tui.workspace, first_read=HeldFirstRead(tui.workspace, release))

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("q")

    hang = threading.Timer(WAIT_CAP, release.set)  # ends the read, if quitting waits for it
    hang.start()
    try:
        asyncio.run(main())
        assert not release.is_set(), "quitting waited for the first read"
    finally:
        hang.cancel()
        release.set()


def test_a_failed_first_read_is_reported_and_reload_recovers(tui):
    async def scenario(app, pilot, release):
        release.set()
        await tui.wait_for(
            pilot, lambda: any("a bug" in n.message for n in app._notifications), "the report"
        )
        app._reload()
        await tui.started(pilot)
        assert app.view.document.id == AIR_JAN

    run_held(tui, scenario, fail=True)


def test_a_first_document_that_cannot_be_read_says_why_in_its_place(tui):
    (tui.workspace.corpus_dir / "aaa-empty.txt").write_bytes(b"")  # the first by id

    async def scenario(app, pilot):
        empty = app.query_one("#empty", Static)

        def said() -> str:
            return str(empty.content) if empty.display else ""

        await tui.wait_for(pilot, lambda: "aaa-empty.txt" in said(), "why, in the view's place")
        assert "empty file" in said() and "Choose another document" in said()
        assert not app.view.display and app.is_running
        app.open_document(AIR_JAN)
        await tui.wait_for(pilot, lambda: app.view.document is not None, "another document")
        await tui.settle(pilot)
        assert app.view.display and not empty.display

    tui.run(scenario, wait=False)


def test_starts_on_the_first_document_with_the_library_focused(tui):
    async def scenario(app, pilot):
        assert app.view.document.id == AIR_JAN  # no reading history: the first by id
        assert app.view.passage.number == 1
        assert isinstance(app.focused, Library)
        assert app.title == "AIR Center Bulletin, January 2025"
        library = app.query_one(Library)
        labels = [node.label.plain for node in walk(library.root)]
        assert any(label.startswith("Azerbaijan") for label in labels)  # grouped by side
        assert any(label.startswith("Baku Dialogues") for label in labels)
        listed = [n.data.doc_id for n in walk(library.root) if n.data and not n.data.section]
        assert sorted(listed) == sorted(info.id for info in Corpus(tui.workspace).documents)
        tui.assert_current_passage_visible(app)

    tui.run(scenario)


def test_open_a_document_from_the_library_with_the_keys(tui):
    async def scenario(app, pilot):
        library = app.query_one(Library)
        node = document_node(library, BAKU)
        await move_cursor_to(pilot, library, node.line)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.document.id == BAKU, "Baku to open")
        await tui.settle(pilot)
        assert app.title.startswith("Baku Dialogues")
        assert app.view.passage.number == 1
        assert app.state.last_document == BAKU
        # the document's node now lists its sections
        await tui.wait_for(pilot, lambda: node.children, "the sections in the library")
        sections = app.view.sections
        titles = {str(child.label) for child in node.children}
        assert str(sections[0].title) in titles
        tui.assert_current_passage_visible(app)
        assert "¶1/" in tui.screen_text(app)

    tui.run(scenario)


def test_open_a_section_from_the_library(tui):
    async def scenario(app, pilot):
        library = app.query_one(Library)
        node = document_node(library, AIR_FEB)
        await move_cursor_to(pilot, library, node.line)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.document.id == AIR_FEB)
        await tui.wait_for(pilot, lambda: len(node.children) > 2, "the sections")
        await tui.settle(pilot)
        third = node.children[2]
        section = third.data.section
        await move_cursor_to(pilot, library, third.line)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.passage.number == section.first_passage)
        await tui.settle(pilot)
        assert app.view.passage.section == section
        assert isinstance(app.focused, DocumentView)  # a section is chosen to be read
        tui.assert_current_passage_visible(app)
        rows = [row.strip() for row in tui.view_rows(app)]
        assert section.title.split()[0] in " ".join(rows)  # its heading shows too

    tui.run(scenario)


def test_clicking_a_document_in_the_library_opens_it(tui):
    async def scenario(app, pilot):
        library = app.query_one(Library)
        node = document_node(library, TATIKYAN)
        await pilot.click(Library, offset=(8, node.line - int(library.scroll_y)))
        await tui.wait_for(pilot, lambda: app.view.document.id == TATIKYAN)

    tui.run(scenario)


def test_next_and_previous_passage(tui):
    async def scenario(app, pilot):
        view = app.view
        view.focus()
        for expected in range(2, 9):  # far enough to scroll: the passage stays in view
            await pilot.press("j")
            assert view.passage.number == expected
            tui.assert_current_passage_visible(app)
        assert view.scroll_y > 0
        await pilot.press("k")
        assert view.passage.number == 7
        await pilot.press("down", "down")
        assert view.passage.number == 9
        await pilot.press("up")
        assert view.passage.number == 8
        tui.assert_current_passage_visible(app)
        assert app.state.positions[AIR_JAN] == 8
        await tui.settle(pilot)
        assert "¶8/50" in tui.screen_text(app)

    tui.run(scenario)


def test_next_and_previous_section(tui):
    async def scenario(app, pilot):
        view = app.view
        view.focus()
        sections = view.sections
        assert view.passage.section == sections[0]
        await pilot.press("J")
        assert view.passage.section == sections[1]
        assert view.passage.number == sections[1].first_passage
        await pilot.press("right_square_bracket")
        assert view.passage.section == sections[2]
        tui.assert_current_passage_visible(app)
        await pilot.press("j", "j")
        # K first goes back to the top of this section, then to the one before
        await pilot.press("K")
        assert view.passage.number == sections[2].first_passage
        await pilot.press("left_square_bracket")
        assert view.passage.number == sections[1].first_passage
        assert view.passage.section == sections[1]
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)
        assert sections[1].title in tui.screen_text(app)  # the status bar names it

    tui.run(scenario)


def test_next_section_walks_every_section_of_a_long_document(tui):
    async def scenario(app, pilot):
        app.open_document(BAKU)
        await tui.wait_for(pilot, lambda: app.view.document.id == BAKU)
        await tui.settle(pilot)
        view = app.view
        view.focus()
        visited = [view.passage.number]
        for _ in range(len(view.sections) + 2):
            view.action_next_section()  # the key is tested elsewhere; this is quicker
            if view.passage.number == visited[-1]:
                break  # the last section: J rings the bell and stays
            visited.append(view.passage.number)
            # J lands on the first passage of a section
            assert view.passage.section is not None
            assert view.passage.number == view.passage.section.first_passage
        assert visited == sorted(set(visited)), "J went backwards or repeated a section"
        with_passages = {
            s.first_passage for s in view.sections if s.first_passage <= len(view.passages)
        }
        assert set(visited[1:]) == with_passages - {1}
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)
        # K from a section right under an essay title (no passage of its own between the
        # title and the section heading) goes on to the section before the essay
        view.go_to_passage(104, top=True)
        assert view.passage.section.title == "Realities and Misunderstandings"
        assert view.passage.section.first_passage == 104
        await pilot.press("K")
        assert view.passage.number == 96
        assert view.passage.section.title == "New Strategic Opportunities"

    tui.run(scenario)


def test_start_and_end_of_the_document_and_moving_past_them(tui):
    async def scenario(app, pilot):
        view = app.view
        view.focus()
        await pilot.press("k")  # before the first passage: stays
        assert view.passage.number == 1
        await pilot.press("G")
        last = len(view.passages)
        assert view.passage.number == last
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)
        assert view.scroll_y == view.max_scroll_y > 0
        await pilot.press("j")  # after the last: stays
        assert view.passage.number == last
        await pilot.press("g")
        assert view.passage.number == 1
        assert view.scroll_y == 0
        await pilot.press("end")
        assert view.passage.number == last
        await pilot.press("home")
        assert view.passage.number == 1

    tui.run(scenario)


def test_page_down_and_up(tui):
    async def scenario(app, pilot):
        view = app.view
        view.focus()
        height = view.scrollable_content_region.height
        await pilot.press("space")
        assert view.scroll_y == height - 2
        after_one_page = view.passage.number
        assert after_one_page > 1
        tui.assert_current_passage_visible(app)
        await pilot.press("space")
        assert view.passage.number > after_one_page
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)
        await pilot.press("b")
        assert view.passage.number == after_one_page
        await pilot.press("b")
        assert view.scroll_y == 0
        assert view.passage.number == 1
        await pilot.press("pagedown")
        assert view.passage.number == after_one_page
        await pilot.press("pageup")
        assert view.passage.number == 1

    tui.run(scenario)


def test_tab_moves_between_the_panes_and_ctrl_b_hides_the_library(tui):
    async def scenario(app, pilot):
        assert isinstance(app.focused, Library)
        await pilot.press("tab")
        assert isinstance(app.focused, DocumentView)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, Library)
        library = app.query_one(Library)
        width = app.view.size.width
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not library.display
        assert isinstance(app.focused, DocumentView)
        assert app.view.size.width > width
        await pilot.press("j")  # the keys now move the text
        assert app.view.passage.number == 2
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert library.display
        assert app.view.size.width == width

    tui.run(scenario)


def test_the_footer_shows_the_keys_of_the_pane_in_focus(tui):
    """It is composed again only when its keys change: after each move of focus here."""

    def footer_text(app) -> str:
        return tui.screen_text(app).splitlines()[-1]

    async def scenario(app, pilot):
        assert "Search" in footer_text(app) and "Next ¶" not in footer_text(app)
        await pilot.press("tab")
        await tui.wait_for(pilot, lambda: "Next ¶" in footer_text(app), "the view's keys")
        assert "Search" in footer_text(app)
        await pilot.press("shift+tab")
        await tui.wait_for(pilot, lambda: "Next ¶" not in footer_text(app), "the library's")

    tui.run(scenario)


def test_the_footer_s_keys_are_styled_once_each_time_they_are_composed(tui, monkeypatch):
    """Their `compact` is settled before they mount, as Textual would leave it (the palette's
    key compact, the others as the footer), and no CSS class changes after: each change
    restyles a key at once. Counted from the start, over the first compose and another."""
    restyled = []

    def counting(app, node, animate=True):
        if isinstance(node, FooterKey):
            restyled.append(node)
        App.update_styles(app, node, animate)

    monkeypatch.setattr(BriefreaderApp, "update_styles", counting)

    async def scenario(app, pilot):
        assert "Search" in tui.screen_text(app) and restyled == []
        await pilot.press("tab")  # the footer composes its keys again, with the view's
        await tui.wait_for(pilot, lambda: "Next ¶" in tui.screen_text(app), "the view's keys")
        keys = list(app.query(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        assert len(palette) == 1 and len(keys) > 5
        assert palette[0].compact and palette[0].has_class("-compact")
        for key in set(keys) - set(palette):
            assert not key.compact and not key.has_class("-compact"), key.description
        assert restyled == []
        keys[0].toggle_class("-probe")  # a class change is counted: the count can fail
        assert restyled == [keys[0]]

    tui.run(scenario)


async def open_at(tui, app, pilot, doc_id: str, passage: int | None = None) -> None:
    app.open_document(doc_id, passage)
    await tui.wait_for(pilot, lambda: app.view.document.id == doc_id, doc_id)
    await tui.settle(pilot)
    app.view.focus()
    await pilot.pause()


def test_previous_section_walks_back_over_every_section(tui):
    async def scenario(app, pilot):
        await open_at(tui, app, pilot, AIR_FEB)
        view = app.view
        await pilot.press("G")
        back = [view.passage.number]
        for _ in range(len(view.sections) + 2):
            view.action_previous_section()
            if view.passage.number == back[-1]:
                break
            back.append(view.passage.number)
        assert back[-1] == 1, f"K stopped at passage {back[-1]}"
        assert back == sorted(back, reverse=True)
        starts = {s.first_passage for s in view.sections}
        assert set(back[1:-1]) <= starts
        await tui.settle(pilot)
        tui.assert_current_passage_visible(app)

    tui.run(scenario)


def test_resize_keeps_the_current_passage_in_view(tui):
    async def scenario(app, pilot):
        await open_at(tui, app, pilot, BAKU)
        view = app.view
        for _ in range(6):
            view.action_next_section()
        await pilot.press("j", "j")  # moving down shows the passage in the bottom rows
        number = view.passage.number
        tui.assert_current_passage_visible(app)
        for size in ((80, 24), (200, 60), (100, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await tui.settle(pilot)
            assert app.size == size
            assert view.passage.number == number
            tui.assert_current_passage_visible(app)
            rows = tui.view_rows(app)
            assert max(len(row.rstrip()) for row in rows) <= view.scrollable_content_region.width
        await pilot.press("j")  # and reading goes on at the new width
        assert view.passage.number == number + 1
        tui.assert_current_passage_visible(app)

    tui.run(scenario, size=(100, 30))


def test_at_80x24_the_library_can_be_hidden_to_show_just_the_text(tui):
    async def scenario(app, pilot):
        app.view.focus()
        await pilot.press("J", "j")
        number = app.view.passage.number
        tui.assert_current_passage_visible(app)
        assert "Search" in tui.screen_text(app)  # the footer still shows
        await pilot.press("ctrl+b")
        await tui.settle(pilot)
        assert app.view.size.width >= 78
        tui.assert_current_passage_visible(app)
        await pilot.press("j")
        assert app.view.passage.number == number + 1
        tui.assert_current_passage_visible(app)

    tui.run(scenario, size=(80, 24))


def test_reading_position_is_remembered_across_runs(tui):
    state: dict = {}

    async def first(app, pilot):
        library = app.query_one(Library)
        await move_cursor_to(pilot, library, document_node(library, BAKU).line)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.document.id == BAKU)
        await tui.settle(pilot)
        app.view.focus()
        await pilot.press("J", "J", "j")
        state["passage"] = app.view.passage.number
        await pilot.press("q")

    app = tui.run(first)
    assert app.return_code == 0
    saved = json.loads((tui.workspace.state_dir / "reader.json").read_text(encoding="utf-8"))
    assert saved["last_document"] == BAKU
    assert saved["positions"][BAKU] == state["passage"] > 3

    async def second(app, pilot):
        assert app.view.document.id == BAKU
        assert app.view.passage.number == state["passage"]
        # whether it is on screen too is test_a_remembered_position_is_on_screen_at_start

    tui.run(second)


def test_a_remembered_position_is_on_screen_at_start(tui):
    tui.remember({"last_document": BAKU, "positions": {BAKU: 17}})

    async def scenario(app, pilot):
        assert app.view.document.id == BAKU
        assert app.view.passage.number == 17
        tui.assert_current_passage_visible(app)

    for _ in range(3):
        tui.run(scenario)


def test_no_document_is_written_out_whole_to_describe_a_worker(tui, monkeypatch):
    """Textual describes a worker by the reprs of its arguments unless told otherwise: that
    of the Baku Dialogues issue is 0.5 MB, made on the UI thread as the reader starts."""
    tui.remember({"last_document": BAKU})
    written = []
    monkeypatch.setattr(Document, "__repr__", lambda self: written.append(self) or "Document")

    async def scenario(app, pilot):
        assert app.view.document.id == BAKU
        await tui.settle(pilot)
        await open_at(tui, app, pilot, AIR_JAN)
        assert written == []
        assert repr(app.view.document) == "Document" and written  # the probe counts

    tui.run(scenario)


def test_the_first_document_is_drawn_laid_out_for_the_view_s_width(tui, monkeypatch):
    """The reader shows its first document before the screen's first layout, when the view
    has no width yet. It was laid out for a width of 10 then (29,105 lines for the Baku
    Dialogues issue, 0.1 s) and drawn so in the first frames; now it is laid out for the
    widest measure, then for the view's width as the first frame is drawn, with the
    passage the reader left in view."""
    tui.remember({"last_document": BAKU, "positions": {BAKU: 30}})
    layouts = []  # (width, lines) of each layout made
    layout = DocumentView._layout

    def recording(view):
        width = view._laid_out_width
        layout(view)
        if view._laid_out_width != width:
            layouts.append((view._laid_out_width, len(view._lines)))

    first_frame = []
    display = App._display

    def shown(app, screen, renderable) -> None:
        view = app.view
        if renderable is not None and view.document is not None and not first_frame:
            in_view = view._is_visible(view.current)
            first_frame.append((view._laid_out_width, view.show_horizontal_scrollbar, in_view))
        display(app, screen, renderable)

    monkeypatch.setattr(DocumentView, "_layout", recording)
    monkeypatch.setattr(App, "_display", shown)

    async def scenario(app, pilot):
        assert app.view.document.id == BAKU
        width = app.view._text_width()
        assert width < MEASURE  # the widest measure was too wide here: laid out twice
        assert [w for w, _ in layouts] == [MEASURE, width]
        assert layouts[0][1] <= layouts[1][1]  # the wider, the fewer lines
        assert first_frame == [(width, False, True)]  # ¶30 in view, not a frame later
        tui.assert_current_passage_visible(app)

    run_read_first(tui, scenario, size=(120, 40))


def test_library_cursor_starts_on_the_open_document(tui):
    async def scenario(app, pilot):
        assert app.view.document.id == AIR_JAN
        node = app.query_one(Tree).cursor_node
        assert node is not None and node.data is not None
        assert node.data.doc_id == AIR_JAN

    tui.run(scenario)


def test_each_document_keeps_its_own_position(tui):
    async def scenario(app, pilot):
        app.view.focus()
        await pilot.press("j", "j")  # AIR January, passage 3
        app.open_document(AIR_FEB)
        await tui.wait_for(pilot, lambda: app.view.document.id == AIR_FEB)
        await tui.settle(pilot)
        assert app.view.passage.number == 1
        app.view.focus()
        await pilot.press("J")
        feb = app.view.passage.number
        app.open_document(AIR_JAN)
        await tui.wait_for(pilot, lambda: app.view.document.id == AIR_JAN)
        await tui.settle(pilot)
        assert app.view.passage.number == 3
        tui.assert_current_passage_visible(app)
        assert app.state.positions == {AIR_JAN: 3, AIR_FEB: feb}

    tui.run(scenario)
