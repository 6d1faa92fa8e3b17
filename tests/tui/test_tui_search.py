"""Searching the corpus (`/`) and finding in the open document (`ctrl+f`)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time

import pytest
from textual.widgets import Input, OptionList, ProgressBar, Static

from briefreader.core import annotations as annotations_module
from briefreader.core import index_process
from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.errors import IndexUnavailable
from briefreader.core.index import SearchIndex
from briefreader.tui.screens.search import PAGE, SearchScreen
from briefreader.tui.widgets.document_view import DocumentView

AIR_JAN = "air-center-bulletin-2025-01.txt"
AIR_FEB = "air-center-bulletin-2025-02.txt"
BAKU = "baku-dialogues-vol6-no2-winter-2022-2023.txt"
QUERY = "Khojaly"


@pytest.fixture
def expected(tui):
    """What the core's own search finds, to check the screen against."""
    index = SearchIndex(Corpus(tui.workspace))
    results = index.search(QUERY, limit=100)
    index.close()
    assert results.total >= 5
    assert {hit.doc_id for hit in results.hits} >= {AIR_FEB, BAKU}
    return results


def highlighted(app, component: str) -> list[str]:
    """The words drawn on screen in the style of `document-view--<component>`."""
    view = app.view
    background = view.get_component_rich_style(f"document-view--{component}").bgcolor
    words = []
    for y in range(view.scrollable_content_region.height):
        for segment in view.render_line(y):
            if segment.style is not None and segment.style.bgcolor == background:
                words.append(segment.text)
    return words


def status(app) -> str:
    return str(app.query_one("#status", Static).render())


async def open_search(tui, app, pilot, query: str = "", *, typed: bool = False):
    """`/`, then the query: typed key by key, or (quicker) put in the box at once."""
    await pilot.press("slash")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "the search screen")
    screen = app.screen
    assert isinstance(app.focused, Input)
    if query and typed:
        await pilot.press(*query)
    elif query:
        screen.query_one("#query", Input).value = query
    return screen


async def results_shown(tui, pilot, screen, count: int) -> None:
    hits = screen.query_one("#hits", OptionList)
    await tui.wait_for(pilot, lambda: hits.option_count == count, f"{count} results")


async def hit_opened(tui, app, pilot, doc_id: str) -> None:
    await tui.wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
    await tui.wait_for(
        pilot, lambda: app.view.document.id == doc_id and app.view.matches, "the hit"
    )
    await tui.settle(pilot)


def test_search_shows_hits_as_you_type(tui, expected):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, QUERY, typed=True)
        assert screen.query_one("#query", Input).value == QUERY
        await results_shown(tui, pilot, screen, len(expected.hits))
        await tui.settle(pilot)
        line = str(screen.query_one("#search-status", Static).render())
        assert f"{expected.total} passages match" in line
        text = tui.screen_text(app)
        first = expected.hits[0]
        assert f"{first.title} › {first.section}  ¶{first.passage}" in text
        assert QUERY in text
        assert app.is_running

    tui.run(scenario)


def test_enter_opens_the_first_hit_at_its_passage_and_n_N_move_between_matches(tui, expected):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, QUERY)
        await results_shown(tui, pilot, screen, len(expected.hits))
        await pilot.press("enter")
        hit = expected.hits[0]
        await hit_opened(tui, app, pilot, hit.doc_id)
        view = app.view
        assert isinstance(app.focused, DocumentView)
        assert view.passage.number == hit.passage
        text = view.document.text.text
        assert {text[start:end] for start, end in view.matches} == {QUERY}
        every = [m.span() for m in re.finditer(rf"\b{QUERY}\b", text, flags=re.IGNORECASE)]
        assert view.matches == every
        # the current match is in the hit's passage and drawn as such, on screen
        start, end = view.matches[view.match_index]
        assert hit.start <= start < end <= hit.end
        assert highlighted(app, "current-match") == [QUERY]
        assert set(highlighted(app, "match")) == {QUERY}
        tui.assert_current_passage_visible(app)
        assert f"hit {view.match_index + 1}/{len(every)}" in status(app)
        assert app.state.queries[-1] == QUERY

        # n and N move between the hits, and the current passage with them
        total, index = len(view.matches), view.match_index
        for key, step in (("n", 1), ("n", 1), ("N", -1), ("N", -1), ("N", -1)):
            await pilot.press(key)
            index = (index + step) % total
            assert view.match_index == index
            assert view.passage == view.document.text.passage_at(view.matches[index][0])
            assert highlighted(app, "current-match") == [QUERY]
            tui.assert_current_passage_visible(app)
        await tui.settle(pilot)
        assert f"hit {index + 1}/{total}" in status(app)
        # from the end of the document, n wraps round to the first hit
        await pilot.press("G", "n")
        assert view.match_index == 0
        assert view.passage == view.document.text.passage_at(view.matches[0][0])

    tui.run(scenario)


def test_a_hit_s_annotation_file_is_parsed_off_the_ui_thread(tui, expected, monkeypatch):
    """Opening a hit reads its document's annotation file in the worker that reads the
    document (a fifth of a second for 1,000 annotations), not on the UI thread that shows
    them."""
    hit = expected.hits[0]
    parsed_on: list[bool] = []
    parse = annotations_module.parse

    def recorded(text, path, doc_id):
        if doc_id == hit.doc_id:
            parsed_on.append(threading.current_thread() is threading.main_thread())
        return parse(text, path, doc_id)

    monkeypatch.setattr(annotations_module, "parse", recorded)

    async def scenario(app, pilot):
        # written after start-up, so that no earlier read has the file parsed already
        text = Corpus(tui.workspace).load(hit.doc_id).text
        start, end = span_in_passage(text, hit.passage, None)
        AnnotationStore(tui.workspace).add(
            hit.doc_id, make_annotation(text, start, end, "disputed", "")
        )
        parsed_on.clear()
        screen = await open_search(tui, app, pilot, QUERY)
        await results_shown(tui, pilot, screen, len(expected.hits))
        await pilot.press("enter")
        await hit_opened(tui, app, pilot, hit.doc_id)
        assert [p.annotation.tag for p in app.placed] == ["disputed"]
        assert parsed_on and not any(parsed_on)

    tui.run(scenario)


def test_a_hit_chosen_in_the_list_opens_at_its_passage_in_a_long_document(tui, expected):
    rank = next(i for i, hit in enumerate(expected.hits) if hit.doc_id == BAKU)
    hit = expected.hits[rank]

    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, QUERY)
        await results_shown(tui, pilot, screen, len(expected.hits))
        await pilot.press("down")  # from the box (no newer query) on to the results
        hits = screen.query_one("#hits", OptionList)
        assert app.focused is hits
        await pilot.press("end", *["up"] * (len(expected.hits) - 1 - rank))
        assert hits.highlighted == rank
        await pilot.press("enter")
        await hit_opened(tui, app, pilot, BAKU)
        view = app.view
        assert view.passage.number == hit.passage
        assert app.title.startswith("Baku Dialogues")
        tui.assert_current_passage_visible(app)
        assert highlighted(app, "current-match") == [QUERY]

    tui.run(scenario)


def test_escape_from_a_hit_returns_to_the_results_with_query_and_selection_kept(tui, expected):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, QUERY)
        await results_shown(tui, pilot, screen, len(expected.hits))
        await pilot.press("down", "down", "down")  # on to the results, third hit
        await pilot.press("enter")
        chosen = expected.hits[2]
        await hit_opened(tui, app, pilot, chosen.doc_id)
        assert app.view.passage.number == chosen.passage
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert screen.query_one("#query", Input).value == QUERY
        await results_shown(tui, pilot, screen, len(expected.hits))
        await tui.settle(pilot)
        assert screen.query_one("#hits", OptionList).highlighted == 2  # the selection too
        # and escape from the results goes back to reading, where we were
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        assert app.view.document.id == chosen.doc_id
        assert app.view.passage.number == chosen.passage

    tui.run(scenario)


def test_a_query_error_shows_inline(tui):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, '"Khojaly')
        line = screen.query_one("#search-status", Static)
        await tui.wait_for(pilot, lambda: line.has_class("-error"), "the error")
        assert "quote" in str(line.render())
        assert app.is_running and app.screen is screen
        assert screen.query_one("#hits", OptionList).option_count == 0
        await pilot.press("quotation_mark")  # mending the query clears the error
        await tui.wait_for(pilot, lambda: not line.has_class("-error"))
        await tui.wait_for(pilot, lambda: screen.query_one("#hits", OptionList).option_count)
        # an unknown field says which fields there are
        screen.query_one("#query", Input).value = "Khojaly colour:red"
        await tui.wait_for(pilot, lambda: line.has_class("-error"), "the field error")
        assert "unknown field" in str(line.render())
        # the previous query's hits are gone, and enter opens none of them
        assert screen.query_one("#hits", OptionList).option_count == 0
        await pilot.press("enter")
        await tui.settle(pilot)
        assert app.is_running and app.screen is screen

    tui.run(scenario)


def test_a_query_with_no_hits_says_so(tui):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, "xylophone")
        line = screen.query_one("#search-status", Static)
        await tui.wait_for(pilot, lambda: "No passage matches" in str(line.render()))
        assert screen.query_one("#hits", OptionList).option_count == 0
        await pilot.press("enter")
        await tui.settle(pilot)
        assert app.screen is screen

    tui.run(scenario)


def test_typing_reader_keys_in_the_search_box_types_them(tui):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, "qjn", typed=True)  # quit, next ¶, next hit
        assert app.is_running
        assert screen.query_one("#query", Input).value == "qjn"

    tui.run(scenario)


def test_up_and_down_in_the_search_box_recall_recent_queries(tui):
    tui.remember({"queries": ["Lachin", "Zangezur corridor"]})

    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot)
        box = screen.query_one("#query", Input)
        assert box.value == ""
        await pilot.press("up")
        assert box.value == "Zangezur corridor"
        await pilot.press("up")
        assert box.value == "Lachin"
        await pilot.press("up")  # the oldest stays
        assert box.value == "Lachin"
        await pilot.press("down")
        assert box.value == "Zangezur corridor"
        await tui.wait_for(pilot, lambda: screen.query_one("#hits", OptionList).option_count)
        await pilot.press("down")  # past the newest: on to the results
        assert app.focused is screen.query_one("#hits", OptionList)
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        # a query searched is remembered, most recent last, without duplicates
        screen = await open_search(tui, app, pilot)
        box = screen.query_one("#query", Input)
        assert box.value == "Zangezur corridor"  # the last query is kept in the box
        box.value = "Lachin"
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        assert app.state.queries == ["Zangezur corridor", "Lachin"]

    tui.run(scenario)
    saved = json.loads((tui.workspace.state_dir / "reader.json").read_text(encoding="utf-8"))
    assert saved["queries"] == ["Zangezur corridor", "Lachin"]


def test_results_that_arrive_after_escape_closed_the_search_are_dropped(tui):
    """A search can end just after escape: its worker then hands its results to a screen
    that is gone, which must drop them (it once crashed the reader)."""

    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, "Lachin")
        await tui.wait_for(pilot, lambda: screen.query_one("#hits", OptionList).option_count)
        generation, results = screen._generation, app.search_index.search("Lachin")
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen))
        await tui.settle(pilot)
        screen._show(generation, results)  # as the worker's call_from_thread does
        screen._show_error(generation, "too late")
        assert app.is_running
        assert app.state.queries[-1] == "Lachin"

    tui.run(scenario)


def test_results_that_arrive_while_the_search_screen_is_removed_are_dropped(tui):
    """Textual removes a closed screen's widgets before the screen itself: results handed
    over in between found no list to fill, and the failed search ended the reader."""

    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, "Lachin")
        await tui.wait_for(pilot, lambda: screen.query_one("#hits", OptionList).option_count)
        generation, results = screen._generation, app.search_index.search("Lachin")
        app.pop_screen()
        for _ in range(50):  # at every step of the removal
            screen._show(generation, results)
            screen._show_error(generation, "too late")
            await asyncio.sleep(0)
        assert app.is_running and not isinstance(app.screen, SearchScreen)

    tui.run(scenario)


def test_a_search_that_fails_unexpectedly_is_reported_and_the_reader_goes_on(tui):
    async def scenario(app, pilot):
        def broken(query, limit, cancelled):
            raise RuntimeError("a bug")

        notified, notify = [], app.notify
        app.notify = lambda message, **kwargs: notified.append(message) or notify(message, **kwargs)
        app._search = broken
        screen = await open_search(tui, app, pilot, "Lachin")
        await tui.wait_for(pilot, lambda: notified)
        assert notified == ["The search failed: a bug"]
        assert app.is_running and app.screen is screen

    tui.run(scenario)


def test_a_newer_key_cancels_the_search_still_running_for_the_last_one(tui, expected):
    """A slow search for "Khojal" is given up when "y" arrives; only "Khojaly" shows."""
    started, gave_up = threading.Event(), threading.Event()

    async def scenario(app, pilot):
        search = app._search

        def slow_for_the_prefix(query, limit, cancelled):
            if query == QUERY[:-1]:
                started.set()
                deadline = time.monotonic() + 10
                while not cancelled():  # what a long Whoosh search asks between matches
                    assert time.monotonic() < deadline, "the outdated search was never cancelled"
                    time.sleep(0.005)
                gave_up.set()
            return search(query, limit, cancelled)

        app._search = slow_for_the_prefix
        screen = await open_search(tui, app, pilot)
        await pilot.press(*QUERY[:-1])
        await tui.wait_for(pilot, started.is_set, "the search for the prefix")
        await pilot.press(QUERY[-1])
        await results_shown(tui, pilot, screen, len(expected.hits))
        assert gave_up.is_set()
        assert screen._results.query == QUERY

    tui.run(scenario)


def test_rebuild_during_a_build_stops_it_and_reports_once(tui, monkeypatch):
    """The build under way is told to stop (a child process would otherwise run on and
    hold the index's lock); only the rebuild's outcome reaches the reader."""
    started, stopped = threading.Event(), threading.Event()
    calls: list[bool] = []
    update = index_process.update_in_child

    def first_runs_until_stopped(*args, rebuild=False, cancelled=None, **kwargs):
        calls.append(rebuild)
        if len(calls) == 1:  # the start's update: long, until told to stop
            started.set()
            deadline = time.monotonic() + 30
            while not cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            stopped.set()
            raise IndexUnavailable("would fail if it still reported", tui.workspace.index_dir)
        return update(*args, rebuild=rebuild, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(index_process, "update_in_child", first_runs_until_stopped)
    document = tui.workspace.corpus_dir / AIR_JAN
    os.utime(document, ns=(0, document.stat().st_mtime_ns + 1))  # the index must be checked
    failures: list[str] = []

    async def scenario(app, pilot):
        app._index_failed = failures.append
        await tui.started(pilot, index=False)
        await tui.wait_for(pilot, started.is_set, "the first update")
        app.action_reindex(rebuild=True)
        await tui.wait_for(pilot, stopped.is_set, "the first update told to stop")
        await tui.wait_for(pilot, lambda: app.index_ready, "the rebuilt index")
        assert calls == [False, True]
        assert not failures

    tui.run(scenario, wait=False)


def test_search_says_so_until_the_index_is_ready(tui, monkeypatch):
    """The corpus shows at once; search waits for the index, then shows results."""
    release = threading.Event()
    update = index_process.update_in_child

    def slow_update(*args, progress=None, **kwargs):
        if progress is not None:  # indexing under way: the first document is being read
            progress(0, 10, "")
        release.wait(timeout=30)
        return update(*args, progress=progress, **kwargs)

    monkeypatch.setattr(index_process, "update_in_child", slow_update)
    document = tui.workspace.corpus_dir / AIR_JAN
    os.utime(document, ns=(0, document.stat().st_mtime_ns + 1))  # the index must be checked

    async def scenario(app, pilot):
        try:
            await tui.started(pilot, index=False)
            assert not app.index_ready
            assert app.view.document.id == AIR_JAN  # readable before the index is
            assert app.query_one("#index-progress", ProgressBar).display
            assert "indexing" in status(app)
            screen = await open_search(tui, app, pilot, QUERY)
            line = screen.query_one("#search-status", Static)
            await tui.wait_for(pilot, lambda: "being built" in str(line.render()))
            assert screen.query_one("#hits", OptionList).option_count == 0
        finally:
            release.set()
        await tui.wait_for(pilot, lambda: app.index_ready, "the index")
        await tui.wait_for(pilot, lambda: screen.query_one("#hits", OptionList).option_count)
        assert "passages match" in str(line.render())
        await pilot.press("escape")
        await tui.settle(pilot)
        assert not app.query(ProgressBar)
        assert "indexing" not in status(app)

    tui.run(scenario, wait=False)


def test_results_listed_before_a_tag_reached_the_index_are_listed_again_with_it(tui, monkeypatch):
    release = threading.Event()
    update = index_process.update_in_child

    def held(*args, **kwargs):  # the tag's way to the index, held until the search is made
        release.wait(timeout=30)
        return update(*args, **kwargs)

    async def scenario(app, pilot):
        monkeypatch.setattr(index_process, "update_in_child", held)
        try:
            app.view.focus()
            await pilot.press("d")
            await tui.wait_for(pilot, lambda: app.view.marks, "the tag")
            screen = await open_search(tui, app, pilot, "tag:disputed")
            line = screen.query_one("#search-status", Static)
            await tui.wait_for(pilot, lambda: "No passage matches" in str(line.render()))
        finally:
            release.set()
        await results_shown(tui, pilot, screen, 1)
        assert "1 passage match" in str(line.render())

    tui.run(scenario)


def occurrences(text: str, word: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(re.escape(word), text, flags=re.IGNORECASE)]


def test_find_in_document_highlights_every_occurrence_and_n_N_move(tui):
    async def scenario(app, pilot):
        view = app.view
        view.focus()
        await pilot.press("J")  # start from the second section
        await pilot.press("ctrl+f")
        find = app.query_one("#find", Input)
        assert find.display and app.focused is find
        await pilot.press(*"aliy")  # typed as is: letters that are keys elsewhere
        text = view.document.text.text
        every = occurrences(text, "Aliy")
        assert len(every) >= 3
        assert view.matches == every
        # the first match at or after the current passage is current
        assert view.matches[view.match_index][0] >= view.passage.start
        await pilot.press("enter")
        assert not find.display
        assert app.focused is view
        first = view.match_index
        await pilot.press("n")
        assert view.match_index == (first + 1) % len(every)
        assert view.passage == view.document.text.passage_at(every[view.match_index][0])
        await tui.settle(pilot)
        assert highlighted(app, "current-match") == ["Aliy"]
        tui.assert_current_passage_visible(app)
        await pilot.press("N", "N")
        assert view.match_index == (first - 1) % len(every)
        assert view.passage == view.document.text.passage_at(every[view.match_index][0])
        await pilot.press("escape")  # escape clears the highlights
        assert view.matches == []

    tui.run(scenario)


def test_find_ignores_case_and_follows_the_typing(tui):
    async def scenario(app, pilot):
        app.view.focus()
        await pilot.press("ctrl+f", *"russia")
        text = app.view.document.text.text
        assert app.view.matches == occurrences(text, "russia")
        await pilot.press("n")
        assert app.view.matches == occurrences(text, "russian")
        assert 0 < len(app.view.matches) < len(occurrences(text, "russia"))
        await pilot.press("escape")  # escape closes the box and drops its text
        find = app.query_one("#find", Input)
        assert not find.display
        assert find.value == ""
        assert app.view.matches == []
        assert app.focused is app.view

    tui.run(scenario)


def test_find_with_no_occurrence_says_so(tui):
    async def scenario(app, pilot):
        app.view.focus()
        await pilot.press("ctrl+f", *"xyz", "enter")
        assert app.view.matches == []
        messages = [notification.message for notification in app._notifications]
        assert any("does not occur" in message for message in messages)
        await pilot.press("n")  # no hits: n says what to do, and nothing breaks
        await tui.settle(pilot)
        messages = [notification.message for notification in app._notifications]
        assert any("ctrl+f" in message for message in messages)
        assert app.is_running

    tui.run(scenario)


def test_scrolling_to_the_end_of_the_hits_lists_more(tui):
    async def scenario(app, pilot):
        screen = await open_search(tui, app, pilot, "Armenia")
        hits = screen.query_one("#hits", OptionList)
        await tui.wait_for(pilot, lambda: hits.option_count == PAGE, "the first page")
        first = [hit.doc_id for hit in screen._results.hits]
        assert screen._results.total > 2 * PAGE
        assert "more below" in str(screen.query_one("#search-status", Static).render())
        hits.focus()
        await pilot.press("end")
        await tui.wait_for(pilot, lambda: hits.option_count == 2 * PAGE, "the next page")
        assert [hit.doc_id for hit in screen._results.hits][:PAGE] == first
        assert hits.highlighted == PAGE - 1  # still where the reader was

    tui.run(scenario)
