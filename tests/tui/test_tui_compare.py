"""Comparing narratives in the reader (issue 8): counter-passages (c), the split view (s),
the topic view (T) and one coder's annotations (A)."""

from __future__ import annotations

import pytest
import yaml
from textual.widgets import Input, OptionList, Static

from briefreader.core.annotations import AnnotationStore, make_annotation
from briefreader.core.corpus import Corpus
from briefreader.core.models import Link
from briefreader.tui.screens.compare import (
    CounterScreen,
    PaneView,
    RelationScreen,
    SideBySideScreen,
    TopicScreen,
)
from briefreader.tui.widgets.annotation_list import AnnotationList
from tests.tui.test_tui_annotating import Recorder

TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
APRI = "apri-armenia-articles-on-azerbaijan.txt"
TERRITORY = 4  # "Baku controls at least 215 square kilometres of Armenia's sovereign territory"


@pytest.fixture
def ws(tui_workspace, monkeypatch):
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "tester")
    return tui_workspace


async def at_territory(tui, app, pilot) -> None:
    app.open_document(TATIKYAN, passage=TERRITORY)
    await tui.wait_for(pilot, lambda: app.view.document and app.view.document.id == TATIKYAN)
    await tui.settle(pilot)
    app.view.focus()
    assert app.view.passage.number == TERRITORY


async def counter_screen(tui, app, pilot) -> CounterScreen:
    await pilot.press("c")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, CounterScreen))
    screen = app.screen
    await tui.wait_for(pilot, lambda: screen.found is not None, "counter-passages")
    await pilot.pause()
    return screen


def span(text, number: int) -> tuple[int, int]:
    passage = text.passage(number)
    return passage.start, passage.end


def tags_in_file(ws, doc_id: str) -> list[str]:
    path = ws.annotations_dir / f"{doc_id}.yaml"
    if not path.exists():
        return []
    return [a["tag"] for a in yaml.safe_load(path.read_text(encoding="utf-8"))["annotations"]]


def test_c_lists_counter_passages_and_enter_opens_one(tui, ws):
    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        screen = await counter_screen(tui, app, pilot)
        passages = screen.found.passages
        assert passages and all(p.hit.doc_id != TATIKYAN for p in passages)
        assert screen.query_one(OptionList).option_count == len(passages)
        text = tui.screen_text(app)
        assert "Key terms:" in text and "sovereign" in text
        assert "Azerbaijan · " in text  # who speaks, and when
        first = passages[0].hit
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.view.document.id == first.doc_id, "the passage")
        await tui.settle(pilot)
        assert app.view.passage.number == first.passage
        assert app.view.matches  # the shared words are highlighted
        await pilot.press("f")  # the reader's keys work again
        await tui.settle(pilot)
        assert tags_in_file(ws, first.doc_id) == ["factual"]

    tui.run(scenario)


def test_reader_keys_do_not_tag_under_the_counter_passages(tui, ws):
    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        await counter_screen(tui, app, pilot)
        await pilot.press("f", "d")
        await tui.settle(pilot)
        assert tags_in_file(ws, TATIKYAN) == []

    tui.run(scenario)


def test_s_shows_both_passages_and_tags_each_in_place(tui, ws):
    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        screen = await counter_screen(tui, app, pilot)
        other = screen.found.passages[0].hit
        await pilot.press("s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, SideBySideScreen))
        await tui.settle(pilot)
        left, right = app.screen.query(PaneView)
        assert left.has_focus and not right.has_focus
        text = tui.screen_text(app)
        assert "215 square" in text and other.title.split(",")[0] in text
        await pilot.press("d")  # the current passage
        await pilot.press("tab", "r")  # the counter-passage
        await tui.settle(pilot)
        assert tags_in_file(ws, TATIKYAN) == ["disputed"]
        assert tags_in_file(ws, other.doc_id) == ["rhetorical"]
        await tui.wait_for(pilot, lambda: "tags: rhetorical" in tui.screen_text(app))
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, CounterScreen))

    tui.run(scenario)


def test_the_split_view_fits_80_columns(tui, ws):
    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        await counter_screen(tui, app, pilot)
        await pilot.press("s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, SideBySideScreen))
        await tui.settle(pilot)
        left, right = app.screen.query(PaneView)
        assert left.region.width >= 38 and right.region.width >= 38
        assert left.region.right <= right.region.x <= 80

    tui.run(scenario, size=(80, 24))


def test_t_shows_what_each_side_says_with_tag_counts(tui, ws):
    store = AnnotationStore(ws)
    text = Corpus(ws).load(TATIKYAN).text
    passage = text.passage(TERRITORY)
    store.add(TATIKYAN, make_annotation(text, passage.start, passage.end, "disputed", "a"))

    async def scenario(app, pilot):
        await pilot.press("T")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, TopicScreen))
        app.screen.query_one(Input).value = "sovereign territory"
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: len(app.screen.query(".topic-side")) == 2, "2 sides")
        await tui.settle(pilot)
        text = tui.screen_text(app)
        assert "Azerbaijan" in text and "Armenia" in text
        assert "disputed 1" in text

    tui.run(scenario)


def test_capital_a_shows_one_coder_then_another_then_all(tui, ws):
    store = AnnotationStore(ws)
    text = Corpus(ws).load(TATIKYAN).text
    for number, who in ((1, "alice"), (2, "bob")):
        passage = text.passage(number)
        store.add(TATIKYAN, make_annotation(text, passage.start, passage.end, "factual", who))

    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        seen = []
        for _ in range(3):
            await pilot.press("A")
            await tui.settle(pilot)
            seen.append(sorted({mark.id for mark in app.view.marks}))
        assert [len(ids) for ids in seen] == [1, 1, 2]
        assert seen[0] != seen[1]

    tui.run(scenario)


def test_l_links_the_annotation_here_to_one_on_a_counter_passage(tui, ws):
    async def scenario(app, pilot):
        await at_territory(tui, app, pilot)
        await pilot.press("d")  # the annotation here
        await tui.settle(pilot)
        screen = await counter_screen(tui, app, pilot)
        other = screen.found.passages[0].hit
        await pilot.press("l")  # nothing to link to there yet
        await tui.settle(pilot)
        assert isinstance(app.screen, CounterScreen)
        await pilot.press("s", "tab", "f", "escape")  # tag it side by side
        await tui.wait_for(pilot, lambda: isinstance(app.screen, CounterScreen))
        await pilot.press("l")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, RelationScreen), "relations")
        await pilot.press("enter")  # the first: contradicts
        await tui.settle(pilot)
        [here] = AnnotationStore(ws).load(TATIKYAN).annotations
        [there] = AnnotationStore(ws).load(other.doc_id).annotations
        assert [(link.doc, link.id, link.relation) for link in here.links] == [
            (other.doc_id, there.id, "contradicts")
        ]
        await pilot.press("escape")
        app.open_document(other.doc_id, passage=other.passage)
        await tui.wait_for(pilot, lambda: app.view.document.id == other.doc_id)
        await tui.settle(pilot)
        await pilot.press("a")  # the pane shows the link made to it
        await tui.settle(pilot)
        pane = app.query_one(AnnotationList)
        title = app.corpus.find(TATIKYAN).title
        assert pane.incoming == {there.id: [f"contradicted by disputed in {title}"]}
        assert "← contradicted by" in tui.screen_text(app)

    tui.run(scenario, size=(160, 40))


def test_deleting_an_annotation_others_link_to_warns(tui, ws):
    store = AnnotationStore(ws)
    corpus = Corpus(ws)
    here, there = corpus.load(TATIKYAN).text, corpus.load(APRI).text
    target = make_annotation(there, *span(there, 24), "factual", "a")
    source = make_annotation(here, *span(here, TERRITORY), "disputed", "a")
    store.add(APRI, target)
    store.add(TATIKYAN, source)
    store.link(TATIKYAN, source.id, Link(APRI, target.id, "supports"))

    async def scenario(app, pilot):
        recorder = Recorder(app)
        app.notify = recorder.wrap(app.notify)
        app.open_document(APRI, passage=24)
        await tui.wait_for(pilot, lambda: app.view.document and app.view.document.id == APRI)
        await tui.wait_for(pilot, lambda: app.query_one(AnnotationList).incoming, "the links")
        app.view.focus()
        await pilot.press("x")
        await tui.settle(pilot)
        assert store.load(APRI).annotations == []
        warnings = recorder.messages("warning")
        assert any("1 link from other annotations led to it" in w for w in warnings)

    tui.run(scenario)


def a_bug(*_args, **_kwargs):
    raise RuntimeError("a bug")


async def to_stats(tui, app, pilot) -> None:
    await pilot.press("S")


async def to_counter_passages(tui, app, pilot) -> None:
    await at_territory(tui, app, pilot)
    await pilot.press("c")


async def to_topic(tui, app, pilot) -> None:
    await pilot.press("T")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, TopicScreen))
    app.screen.query_one(Input).value = "sovereign territory"
    await pilot.press("enter")


async def to_side_by_side(tui, app, pilot) -> None:
    await at_territory(tui, app, pilot)
    await counter_screen(tui, app, pilot)
    app.shared_spans = a_bug
    await pilot.press("s")


@pytest.mark.parametrize(
    "broken, go, work, status",
    [
        ("briefreader.core.stats.summarize", to_stats, "Counting the annotations", "#stats-table"),
        (
            "briefreader.core.compare.counter_passages",
            to_counter_passages,
            "The search for counter-passages",
            "#counter-status",
        ),
        ("briefreader.core.compare.topic", to_topic, "The topic search", "#topic-status"),
        (None, to_side_by_side, "Highlighting the shared words", None),
    ],
    ids=["statistics", "counter-passages", "topic", "side by side"],
)
def test_a_screens_work_that_fails_unexpectedly_is_reported_and_the_reader_goes_on(
    tui, ws, monkeypatch, broken, go, work, status
):
    if broken is not None:
        monkeypatch.setattr(broken, a_bug)

    async def scenario(app, pilot):
        notified, notify = [], app.notify
        app.notify = lambda message, **kwargs: notified.append(message) or notify(message, **kwargs)
        await go(tui, app, pilot)
        await tui.wait_for(pilot, lambda: notified, "a notice")
        assert notified == [f"{work} failed: a bug"]
        screen = app.screen
        if status is not None:  # where it said what it was doing, it says what failed
            assert str(screen.query_one(status, Static).content) == f"{work} failed: a bug"
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: app.screen is not screen, "the screen closed")
        assert app.is_running

    tui.run(scenario)
