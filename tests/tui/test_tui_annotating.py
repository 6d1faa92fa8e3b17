"""Annotating in the reader (issue 4, items 1-4 and 6): tag keys, spans from the keyboard,
notes, delete, undo and redo, the annotation pane, moving between annotations, the tag
filter, files changed on disk, a malformed file, and a codebook with a tag of its own."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest
import yaml
from textual.pilot import Pilot
from textual.widgets import TextArea

from briefreader.core import annotations as annotations_module
from briefreader.core import index_process
from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.sentences import sentence_spans
from briefreader.core.workspace import Workspace
from briefreader.tui.app import BriefreaderApp
from briefreader.tui.screens.note import NoteScreen
from briefreader.tui.widgets.annotation_list import AnnotationList
from briefreader.tui.widgets.library import Library
from tests.tui.conftest import settle, started, wait_for

AIR_JAN = "air-center-bulletin-2025-01.txt"  # the document the reader opens first
SIZE = (120, 36)


class Recorder:
    """Every notification the app shows, kept (the app's own list forgets expired ones)."""

    def __init__(self, app: BriefreaderApp) -> None:
        self.app = app  # for checks once it has exited
        self.seen: list[tuple[str, str]] = []

    def messages(self, severity: str | None = None) -> list[str]:
        return [m for m, s in self.seen if severity is None or s == severity]

    def wrap(self, notify):
        """`notify`, recording each message on its way."""

        def recording(message, *args, **kwargs):
            self.seen.append((str(message), kwargs.get("severity", "information")))
            return notify(message, *args, **kwargs)

        return recording


def run_app(workspace: Workspace, scenario, *, annotator: str | None = None) -> Recorder:
    """Run the reader on `workspace` under Pilot (120x36), once the first document shows and
    the index is ready, with the reading view focused."""
    app = BriefreaderApp(workspace, annotator)
    recorder = Recorder(app)
    app.notify = recorder.wrap(app.notify)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            app.view.focus()
            await pilot.pause()
            await scenario(app, pilot)
            if app.is_running:
                await settle(pilot)

    asyncio.run(main())
    return recorder


@pytest.fixture
def ws(tui_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "tester")
    return tui_workspace


def path_of(ws: Workspace, doc_id: str = AIR_JAN) -> Path:
    return ws.annotations_dir / f"{doc_id}.yaml"


def on_disk(ws: Workspace, doc_id: str = AIR_JAN) -> list[dict]:
    """The annotations in the document's file, as plain YAML ([] without a file)."""
    path = path_of(ws, doc_id)
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8"))["annotations"]


def tags_on_disk(ws: Workspace) -> list[str]:
    return sorted(item["tag"] for item in on_disk(ws))


def marks(app: BriefreaderApp) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.tag) for m in app.view.marks]


def passage_span(app: BriefreaderApp, number: int) -> tuple[int, int]:
    passage = app.view.document.text.passage(number)
    return passage.start, passage.end


async def poll(pilot: Pilot, condition, what: str) -> None:
    await wait_for(pilot, condition, what)


async def type_text(pilot: Pilot, text: str) -> None:
    keys = {" ": "space", "\n": "enter", ",": "comma", ".": "full_stop", ":": "colon"}
    await pilot.press(*(keys.get(char, char) for char in text))


def annotate_on_disk(ws: Workspace, passage: int, tag: str, quote: str | None = None, **kw):
    """An annotation written by someone else (another instance, the CLI, a hand edit)."""
    text = Corpus(ws).load(AIR_JAN).text
    made = make_annotation(text, *span_in_passage(text, passage, quote), tag, "other", **kw)
    AnnotationStore(ws).add(AIR_JAN, made)
    return made


# --- tag keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, tag",
    [("f", "factual"), ("d", "disputed"), ("r", "rhetorical")],
)
def test_a_tag_key_tags_the_current_passage_and_again_removes_it(ws, key, tag):
    async def scenario(app, pilot):
        span = passage_span(app, 1)
        await pilot.press(key)
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        [item] = on_disk(ws)
        assert item["tag"] == tag
        assert item["annotator"] == "tester"
        assert (item["target"]["start"], item["target"]["end"]) == span
        assert item["target"]["quote"] == app.view.passage.text
        assert marks(app) == [(*span, tag)]
        await pilot.press(key)
        await poll(pilot, lambda: not on_disk(ws), "the tag to be removed")
        assert not path_of(ws).exists()  # no annotations left: no file
        assert marks(app) == []

    run_app(ws, scenario)


@pytest.mark.parametrize("key, tag", [("1", "factual"), ("2", "disputed"), ("3", "rhetorical")])
def test_number_keys_apply_the_built_in_tags_in_order(ws, key, tag):
    async def scenario(app, pilot):
        await pilot.press(key)
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        assert tags_on_disk(ws) == [tag]
        assert marks(app) == [(*passage_span(app, 1), tag)]

    run_app(ws, scenario)


def test_a_passage_can_carry_several_tags_and_other_passages_their_own(ws):
    async def scenario(app, pilot):
        await pilot.press("f", "d")
        await pilot.press("j", "r")
        await poll(pilot, lambda: len(on_disk(ws)) == 3, "three annotations")
        assert tags_on_disk(ws) == ["disputed", "factual", "rhetorical"]
        assert sorted(marks(app)) == sorted(
            [
                (*passage_span(app, 1), "factual"),
                (*passage_span(app, 1), "disputed"),
                (*passage_span(app, 2), "rhetorical"),
            ]
        )
        items = on_disk(ws)
        starts = [item["target"]["start"] for item in items]
        assert starts == sorted(starts)  # the file is in reading order
        await pilot.press("f")  # passage 2 has no factual tag yet: f adds one
        await poll(pilot, lambda: len(on_disk(ws)) == 4, "a fourth")
        await pilot.press("k", "f")  # back on passage 1: f removes its factual tag
        await poll(pilot, lambda: len(on_disk(ws)) == 3, "the factual tag of passage 1 gone")
        remaining = {(i["tag"], i["target"]["start"]) for i in on_disk(ws)}
        assert ("factual", passage_span(app, 1)[0]) not in remaining
        assert ("factual", passage_span(app, 2)[0]) in remaining

    run_app(ws, scenario)


def test_the_annotator_given_to_the_app_is_recorded(ws):
    async def scenario(app, pilot):
        await pilot.press("f")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        assert on_disk(ws)[0]["annotator"] == "alice"

    run_app(ws, scenario, annotator="alice")


# --- spans --------------------------------------------------------------------------------------


def test_v_then_full_stop_selects_the_second_sentence_and_r_tags_only_it(ws):
    async def scenario(app, pilot):
        passage = app.view.passage
        sentences = [
            (passage.start + a, passage.start + b) for a, b in sentence_spans(passage.text)
        ]
        assert len(sentences) >= 2
        await pilot.press("v")
        assert app.view.selection == sentences[0]
        await pilot.press("full_stop")
        assert app.view.selection == sentences[1]
        await pilot.press("r")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        [item] = on_disk(ws)
        start, end = item["target"]["start"], item["target"]["end"]
        assert (start, end) == sentences[1]
        assert passage.start < start < end <= passage.end  # inside the passage
        assert item["target"]["quote"] == app.view.document.text.text[start:end]
        assert item["target"]["prefix"]  # a span carries its context
        assert marks(app) == [(start, end, "rhetorical")]
        assert app.view.selection is None  # tagging ends the selection

    run_app(ws, scenario)


def test_greater_than_grows_the_selection_by_a_word_and_less_than_shrinks_it(ws):
    async def scenario(app, pilot):
        await pilot.press("v")
        first = app.view.selection
        await pilot.press("greater_than_sign")
        grown = app.view.selection
        text = app.view.document.text.text
        assert grown[0] == first[0] and grown[1] > first[1]
        assert text[first[1] : grown[1]].strip() == text[first[1] : grown[1]].split()[0]
        await pilot.press("greater_than_sign", "greater_than_sign")
        three = app.view.selection
        await pilot.press("less_than_sign")
        selected = app.view.selection
        assert grown[1] < selected[1] < three[1]
        assert len(text[first[1] : selected[1]].split()) == 2  # two words more
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        [item] = on_disk(ws)
        assert (item["target"]["start"], item["target"]["end"]) == selected
        assert item["target"]["quote"] == text[selected[0] : selected[1]]

    run_app(ws, scenario)


def test_escape_cancels_a_selection_and_a_tag_then_applies_to_the_passage(ws):
    async def scenario(app, pilot):
        await pilot.press("v")
        assert app.view.selection is not None
        await pilot.press("escape")
        assert app.view.selection is None
        await pilot.press("f")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        item = on_disk(ws)[0]
        assert (item["target"]["start"], item["target"]["end"]) == passage_span(app, 1)

    run_app(ws, scenario)


def test_a_span_and_its_passage_can_both_be_tagged(ws):
    async def scenario(app, pilot):
        await pilot.press("f")  # the passage
        await pilot.press("v", "f")  # its first sentence
        await poll(pilot, lambda: len(on_disk(ws)) == 2, "two annotations")
        spans = sorted((m.start, m.end) for m in app.view.marks)
        passage = passage_span(app, 1)
        assert passage in spans
        other = next(s for s in spans if s != passage)
        assert passage[0] <= other[0] < other[1] < passage[1]  # overlapping, both shown

    run_app(ws, scenario)


# --- notes --------------------------------------------------------------------------------------


def test_m_opens_the_note_editor_and_ctrl_s_saves_the_note(ws):
    async def scenario(app, pilot):
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        await pilot.press("m")
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        assert app.screen.query_one(TextArea).has_focus
        await type_text(pilot, "Casualty figure differs\nfrom the OSCE report")
        await pilot.press("ctrl+s")
        await poll(pilot, lambda: not isinstance(app.screen, NoteScreen), "the editor to close")
        await poll(pilot, lambda: on_disk(ws)[0].get("note"), "the note on disk")
        item = on_disk(ws)[0]
        assert item["note"].rstrip("\n") == "Casualty figure differs\nfrom the OSCE report"
        assert "  note: |-\n" in path_of(ws).read_text()  # a block scalar, as people write it
        pane = app.query_one(AnnotationList)
        await pilot.press("a")  # the pane lists it with its note
        await poll(pilot, lambda: pane.option_count == 1, "the pane")
        assert "Casualty figure differs" in str(pane.get_option_at_index(0).prompt)
        # editing it again starts from the saved note
        await pilot.press("m")
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        assert "Casualty figure differs" in app.screen.query_one(TextArea).text
        await pilot.press("escape")

    run_app(ws, scenario)


def test_escape_in_the_note_editor_changes_nothing(ws):
    async def scenario(app, pilot):
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        before = path_of(ws).read_bytes()
        await pilot.press("m")
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await type_text(pilot, "not to be kept")
        await pilot.press("escape")
        await poll(pilot, lambda: not isinstance(app.screen, NoteScreen), "the editor to close")
        await settle(pilot)
        assert path_of(ws).read_bytes() == before
        assert "note" not in on_disk(ws)[0]

    run_app(ws, scenario)


def test_saving_a_multi_line_note_unchanged_adds_no_undo_step(ws):
    async def scenario(app, pilot):
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        await pilot.press("m")
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await type_text(pilot, "line one\nline two")
        await pilot.press("ctrl+s")
        await poll(pilot, lambda: on_disk(ws)[0].get("note"), "the note on disk")
        await pilot.press("m")  # open it again and save it as it is
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await pilot.press("ctrl+s")
        await poll(pilot, lambda: not isinstance(app.screen, NoteScreen), "the editor to close")
        await pilot.press("u")  # the last change is the note: undo removes it
        await settle(pilot)
        assert "note" not in on_disk(ws)[0]

    run_app(ws, scenario)


def test_m_where_there_is_no_annotation_says_so(ws):
    async def scenario(app, pilot):
        await pilot.press("m")
        await settle(pilot)
        assert not isinstance(app.screen, NoteScreen)
        assert not path_of(ws).exists()

    recorder = run_app(ws, scenario)
    assert any("No annotation here" in m for m in recorder.messages())


# --- delete, undo, redo -------------------------------------------------------------------------


def test_x_deletes_u_undoes_and_ctrl_r_redoes(ws):
    async def scenario(app, pilot):
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        original = on_disk(ws)[0]
        await pilot.press("x")
        await poll(pilot, lambda: not on_disk(ws), "the deletion")
        assert marks(app) == []
        await pilot.press("u")
        await poll(pilot, lambda: on_disk(ws), "the undo")
        assert on_disk(ws) == [original]  # the very same annotation: id, dates and all
        assert marks(app) == [(*passage_span(app, 1), "disputed")]
        await pilot.press("ctrl+r")
        await poll(pilot, lambda: not on_disk(ws), "the redo")
        assert marks(app) == []

    run_app(ws, scenario)


def test_undo_and_redo_of_a_tag_and_of_a_note(ws):
    async def scenario(app, pilot):
        await pilot.press("f")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        await pilot.press("m")
        await poll(pilot, lambda: isinstance(app.screen, NoteScreen), "the note editor")
        await type_text(pilot, "first note")
        await pilot.press("ctrl+s")
        await poll(pilot, lambda: on_disk(ws) and on_disk(ws)[0].get("note"), "the note")
        await pilot.press("u")  # undo the note
        await poll(pilot, lambda: "note" not in on_disk(ws)[0], "the note undone")
        await pilot.press("u")  # undo the tag
        await poll(pilot, lambda: not on_disk(ws), "the tag undone")
        await pilot.press("ctrl+r", "ctrl+r")
        await poll(
            pilot,
            lambda: on_disk(ws) and on_disk(ws)[0].get("note") == "first note",
            "both redone",
        )
        assert tags_on_disk(ws) == ["factual"]

    run_app(ws, scenario)


def test_x_and_u_with_nothing_to_act_on(ws):
    async def scenario(app, pilot):
        await pilot.press("x", "u", "ctrl+r")
        await settle(pilot)
        assert not path_of(ws).exists()

    recorder = run_app(ws, scenario)
    messages = recorder.messages()
    assert any("No annotation here to delete" in m for m in messages)
    assert any("Nothing to undo" in m for m in messages)
    assert any("Nothing to redo" in m for m in messages)


# --- the pane, moving between annotations, the filter ------------------------------------------


def test_a_toggles_the_pane_and_enter_on_an_item_jumps_to_it(ws):
    annotate_on_disk(ws, 2, "factual")
    far = annotate_on_disk(ws, 7, "disputed", note="check this")

    async def scenario(app, pilot):
        pane = app.query_one(AnnotationList)
        library = app.query_one(Library)
        assert not pane.display
        await pilot.press("a")
        await poll(pilot, lambda: pane.display and pane.has_focus, "the pane")
        assert not library.display  # 120 columns: the library makes room
        assert pane.option_count == 2
        assert "disputed" in str(pane.get_option_at_index(1).prompt)
        assert "check this" in str(pane.get_option_at_index(1).prompt)
        pane.highlighted = 0
        await pilot.press("down", "enter")
        await poll(pilot, lambda: app.view.selection is not None, "the jump")
        assert app.view.selection == (far.target.start, far.target.end)
        assert app.view.passage.number == 7
        assert app.view.has_focus
        await pilot.press("a")  # the pane is shown: a hides it (from the view too)
        await poll(pilot, lambda: not pane.display, "the pane to hide")
        assert library.display

    run_app(ws, scenario)


def test_braces_move_to_the_next_and_previous_annotation(ws):
    second = annotate_on_disk(ws, 2, "factual")
    fourth = annotate_on_disk(ws, 4, "rhetorical")
    inner = annotate_on_disk(ws, 4, "disputed", quote="Russian President Vladimir Putin")

    async def scenario(app, pilot):
        assert app.view.passage.number == 1
        spans = []
        for _ in range(3):
            await pilot.press("right_curly_bracket")
            spans.append(app.view.selection)
        expected = [
            (second.target.start, second.target.end),
            (fourth.target.start, fourth.target.end),
            (inner.target.start, inner.target.end),
        ]
        assert spans == expected
        assert app.view.passage.number == 4
        await pilot.press("left_curly_bracket")
        assert app.view.selection == expected[1]
        await pilot.press("left_curly_bracket")
        assert app.view.selection == expected[0]
        assert app.view.passage.number == 2

    run_app(ws, scenario)


def test_t_filters_the_view_and_the_pane_by_tag(ws):
    annotate_on_disk(ws, 1, "factual")
    annotate_on_disk(ws, 2, "disputed")
    annotate_on_disk(ws, 3, "disputed")

    async def scenario(app, pilot):
        pane = app.query_one(AnnotationList)
        assert len(app.view.marks) == 3
        await pilot.press("t")
        assert app.tag_filter == "factual"
        assert {m.tag for m in app.view.marks} == {"factual"} and len(app.view.marks) == 1
        assert len(pane.items) == 1  # what the pane lists once shown
        await pilot.press("t")
        assert app.tag_filter == "disputed"
        assert {m.tag for m in app.view.marks} == {"disputed"} and len(app.view.marks) == 2
        assert len(pane.items) == 2
        await pilot.press("t", "t")  # rhetorical (none), then all again
        assert app.tag_filter == ""
        assert len(app.view.marks) == 3 and len(pane.items) == 3
        assert len(on_disk(ws)) == 3  # filtering never touches the file

    recorder = run_app(ws, scenario)
    assert any("Showing factual annotations" in m for m in recorder.messages())


def test_the_library_counts_tags_per_document(ws):
    annotate_on_disk(ws, 1, "factual")
    annotate_on_disk(ws, 2, "disputed")
    annotate_on_disk(ws, 3, "disputed")
    tatikyan = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
    text = Corpus(ws).load(tatikyan).text
    AnnotationStore(ws).add(
        tatikyan, make_annotation(text, *span_in_passage(text, 1, None), "rhetorical", "x")
    )

    async def scenario(app, pilot):
        library = app.query_one(Library)

        def label(doc_id: str) -> str:
            def walk(node):
                for child in node.children:
                    data = child.data
                    if data is not None and data.doc_id == doc_id and data.section is None:
                        return child
                    found = walk(child)
                    if found is not None:
                        return found
                return None

            node = walk(library.root)
            return str(node.label) if node is not None else ""

        await poll(pilot, lambda: label(AIR_JAN).endswith(" d2 f1"), "the open document's")
        await poll(pilot, lambda: label(tatikyan).endswith(" r1"), "another document's")
        await pilot.press("r")
        await poll(pilot, lambda: label(AIR_JAN).endswith(" d2 f1 r1"), "the new count")

    run_app(ws, scenario)


def test_annotation_files_are_counted_once_the_first_document_shows(ws, monkeypatch):
    """Counting tags reads every annotation file (a fifth of a second for one of 1,000
    annotations): it waits for the first document to be on screen."""
    other = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"  # not the one opened
    text = Corpus(ws).load(other).text
    made = make_annotation(text, *span_in_passage(text, 1, None), "rhetorical", "x")
    AnnotationStore(ws).add(other, made)
    counted_once_shown: list[bool] = []
    set_counts = Library.set_counts

    def counted(library, doc_id, *args):
        if doc_id == other:  # counted by the count of every file, not by the open document
            counted_once_shown.append(library.app._document_shown.is_set())
        return set_counts(library, doc_id, *args)

    monkeypatch.setattr(Library, "set_counts", counted)
    app = BriefreaderApp(ws)
    shown = app._document_shown
    painted: list[bool] = []
    shown.set = lambda: painted.append(True)  # the first document's paint, held back

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            try:
                await wait_for(pilot, lambda: painted, "the first document's paint")
                await pilot.pause(0.5)  # ample for counting one small file, were it not waiting
                assert counted_once_shown == []
            finally:
                threading.Event.set(shown)  # else the reader's workers wait for it at exit
            await wait_for(pilot, lambda: counted_once_shown, "the counts")

    asyncio.run(main())
    assert counted_once_shown == [True]


# --- files changed on disk, other instances, bad files ------------------------------------------


def test_an_annotation_file_changed_on_disk_is_picked_up(ws):
    async def scenario(app, pilot):
        assert marks(app) == []
        made = annotate_on_disk(ws, 3, "rhetorical")  # by another instance, or git
        app.poll_annotation_file()
        await poll(pilot, lambda: marks(app), "the new annotation")
        assert marks(app) == [(made.target.start, made.target.end, "rhetorical")]
        AnnotationStore(ws).delete(AIR_JAN, made.id)
        app.poll_annotation_file()
        await poll(pilot, lambda: not marks(app), "the annotation to go")

    run_app(ws, scenario)


def test_the_reader_polls_for_changes_by_itself(ws):
    async def scenario(app, pilot):
        made = annotate_on_disk(ws, 3, "rhetorical")
        await poll(pilot, lambda: marks(app), "the interval to pick it up")
        assert marks(app) == [(made.target.start, made.target.end, "rhetorical")]

    run_app(ws, scenario)


def test_tagging_never_overwrites_what_another_instance_saved_meanwhile(ws):
    async def scenario(app, pilot):
        made = annotate_on_disk(ws, 3, "rhetorical")  # the reader has not seen it yet
        await pilot.press("f")
        await poll(pilot, lambda: len(on_disk(ws)) == 2, "both annotations")
        assert {item["id"] for item in on_disk(ws)} >= {made.id}
        assert len(app.view.marks) == 2

    run_app(ws, scenario)


def test_a_malformed_annotation_file_is_reported_and_never_overwritten(ws):
    ws.annotations_dir.mkdir()
    path = path_of(ws)
    path.write_text("document: x\nannotations:\n- id: a1\n  tag: factual\n  target: [1, 2]\n")
    before = path.read_bytes()

    async def scenario(app, pilot):
        assert marks(app) == []
        await pilot.press("f", "d", "v", "r", "x")
        await settle(pilot)
        assert path.read_bytes() == before

    recorder = run_app(ws, scenario)
    errors = recorder.messages("error")
    assert any(f"{path}:5" in m for m in errors), errors
    assert path.read_bytes() == before


def test_a_change_that_cannot_be_saved_is_kept_in_memory_and_saved_later(ws, monkeypatch):
    from briefreader.core import atomic

    async def scenario(app, pilot):
        warning = app.query_one("#unsaved")
        assert not warning.display

        def full(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(atomic.os, "fsync", full)
        await pilot.press("f")
        await settle(pilot)
        assert not path_of(ws).exists()
        assert warning.display and "NOT saved" in str(warning.render())
        assert marks(app) == [(*passage_span(app, 1), "factual")]  # still shown
        monkeypatch.undo()  # space again
        app.retry_unsaved()
        await poll(pilot, lambda: on_disk(ws), "the change saved")
        assert tags_on_disk(ws) == ["factual"]
        assert not warning.display

    recorder = run_app(ws, scenario)
    assert any("No space left" in m for m in recorder.messages("error"))


def test_a_change_blocked_by_a_broken_file_is_saved_once_it_is_fixed(ws):
    ws.annotations_dir.mkdir()
    path = path_of(ws)
    path.write_text("document: x\nannotations:\n- id: a1\n  tag: factual\n  target: [1, 2]\n")

    async def scenario(app, pilot):
        await pilot.press("d")
        await settle(pilot)
        assert app.query_one("#unsaved").display
        assert "target: [1, 2]" in path.read_text()
        # the user fixes the file by hand, keeping a correct annotation of their own
        path.unlink()
        mine = annotate_on_disk(ws, 3, "rhetorical", note="hand-made")
        app.retry_unsaved()
        await poll(pilot, lambda: len(on_disk(ws)) == 2, "both annotations")
        assert {i["id"] for i in on_disk(ws)} >= {mine.id}
        assert tags_on_disk(ws) == ["disputed", "rhetorical"]
        assert not app.query_one("#unsaved").display

    run_app(ws, scenario)


def test_quitting_with_unsaved_changes_asks_first(ws):
    from briefreader.tui.screens.confirm import ConfirmScreen

    ws.annotations_dir.mkdir()
    path = path_of(ws)
    path.write_text("document: x\nannotations: 7\n")

    async def scenario(app, pilot):
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("q")
        await poll(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("escape")  # keep working
        await poll(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the answer")
        assert app.is_running
        await pilot.press("q")
        await poll(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.click("#confirm-yes")
        await poll(pilot, lambda: not app.is_running, "the app to quit")

    run_app(ws, scenario)
    assert path.read_text() == "document: x\nannotations: 7\n"


def test_a_codebook_tag_gets_its_key_its_number_and_its_colour(ws):
    ws.annotations_dir.mkdir()
    (ws.annotations_dir / "codebook.yaml").write_text(
        "tags:\n"
        "- name: propaganda\n  description: state messaging\n  key: p\n  color: '#ff8800'\n"
        "- name: euphemism\n  description: softened wording\n  key: j\n"  # j is a reader key
    )

    async def scenario(app, pilot):
        await pilot.press("p")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        assert tags_on_disk(ws) == ["propaganda"]
        assert marks(app) == [(*passage_span(app, 1), "propaganda")]
        assert app.view.tag_styles["propaganda"].bgcolor.triplet.hex == "#ff8800"
        await pilot.press("4")  # the fourth tag: propaganda again, so it is removed
        await poll(pilot, lambda: not on_disk(ws), "the tag to be removed")
        await pilot.press("5")
        await poll(pilot, lambda: on_disk(ws), "the fifth tag")
        assert tags_on_disk(ws) == ["euphemism"]
        await pilot.press("j")  # still the reader's: next passage, not a tag
        assert app.view.passage.number == 2
        assert tags_on_disk(ws) == ["euphemism"]
        await pilot.press("9")  # no ninth tag
        await settle(pilot)
        assert tags_on_disk(ws) == ["euphemism"]

    recorder = run_app(ws, scenario)
    warnings = recorder.messages("warning")
    assert any("euphemism" in m and "'j'" in m for m in warnings), warnings
    assert any("No tag 9" in m for m in recorder.messages())


def test_an_orphaned_annotation_is_listed_and_not_drawn(ws):
    gone = annotate_on_disk(ws, 2, "disputed")
    raw_path = ws.corpus_dir / AIR_JAN
    raw = raw_path.read_text(encoding="utf-8")
    assert raw.count(gone.target.quote) == 1
    raw_path.write_text(raw.replace(gone.target.quote + "\n", ""), encoding="utf-8")
    from briefreader.core.index import SearchIndex

    SearchIndex(Corpus(ws)).update()  # keep the index current: the app would rebuild it

    async def scenario(app, pilot):
        pane = app.query_one(AnnotationList)
        assert marks(app) == []
        await pilot.press("a")
        await poll(pilot, lambda: pane.option_count == 1, "the pane")
        assert "orphaned" in str(pane.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert app.view.selection is None
        await pilot.press("f")  # a save of this document keeps the orphan as it was
        await poll(pilot, lambda: len(on_disk(ws)) == 2, "the new annotation")
        kept = next(i for i in on_disk(ws) if i["id"] == gone.id)
        assert kept["target"]["quote"] == gone.target.quote
        assert kept["target"]["start"] == gone.target.start

    recorder = run_app(ws, scenario)
    assert any("orphaned" in m for m in recorder.messages())


# --- search ------------------------------------------------------------------------------------


async def index_settled(app, pilot) -> None:
    await poll(
        pilot,
        lambda: not [w for w in app.workers if w.group == "index" and w.is_running],
        "the index update",
    )


def test_a_tag_made_in_the_reader_is_searchable(ws):
    async def scenario(app, pilot):
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        await index_settled(app, pilot)

        def found():
            hits = app.search_index.search("tag:disputed").hits
            return [(h.doc_id, h.passage) for h in hits]

        await poll(pilot, lambda: found() == [(AIR_JAN, 1)], "the tag in the index")

    run_app(ws, scenario)


def test_a_tag_saved_while_the_index_is_built_is_searchable_after_it(ws, monkeypatch):
    """The build read the document's annotations before the tag: it is indexed once the
    build is done, not left out until the next change."""
    built, release = threading.Event(), threading.Event()
    update = index_process.update_in_child

    def held(*args, **kwargs):  # the build is on disk; the reader hears of it on release
        report = update(*args, **kwargs)
        built.set()
        release.wait(timeout=30)
        return report

    monkeypatch.setattr(index_process, "update_in_child", held)
    document = ws.corpus_dir / AIR_JAN
    os.utime(document, ns=(0, document.stat().st_mtime_ns + 1))  # the index must be checked
    app = BriefreaderApp(ws)

    def found() -> list[tuple[str, int]]:
        return [(h.doc_id, h.passage) for h in app.search_index.search("tag:disputed").hits]

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            try:
                await started(pilot, index=False)
                app.view.focus()
                await poll(pilot, built.is_set, "the index built")
                await pilot.press("d")
                await poll(pilot, lambda: on_disk(ws), "the annotation file")
                assert not app.index_ready
            finally:
                release.set()
            await poll(pilot, lambda: app.index_ready, "the index ready")
            await index_settled(app, pilot)
            await poll(pilot, lambda: found() == [(AIR_JAN, 1)], "the tag in the index")

    asyncio.run(main())


def test_a_tagged_passage_is_found_once_by_search(ws):
    async def scenario(app, pilot):
        before = [(h.doc_id, h.passage) for h in app.search_index.search("Aktau").hits]
        assert before.count((AIR_JAN, 1)) == 1
        await pilot.press("d")
        await poll(pilot, lambda: on_disk(ws), "the annotation file")
        await index_settled(app, pilot)
        await poll(pilot, lambda: app.search_index.search("tag:disputed").total, "the tag indexed")
        hits = [(h.doc_id, h.passage) for h in app.search_index.search("Aktau").hits]
        assert hits.count((AIR_JAN, 1)) == 1, hits

    run_app(ws, scenario)


def test_an_annotation_file_is_parsed_off_the_ui_thread(ws, monkeypatch):
    """Parsing a file of 1,000 annotations takes a fifth of a second: never while the UI
    waits for it."""
    doc = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
    text = Corpus(ws).load(doc).text
    passage = text.passage(2)
    made = make_annotation(text, passage.start, passage.end, "rhetorical", "tester")
    parse = annotations_module.parse
    on_ui_thread: list[bool] = []

    def watched(text, path, doc_id):
        if doc_id == doc:
            on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return parse(text, path, doc_id)

    monkeypatch.setattr(annotations_module, "parse", watched)

    async def scenario(app, pilot):
        AnnotationStore(ws).add(doc, made, text)  # written by someone else, after the start
        app.open_document(doc)
        await poll(pilot, lambda: [m.tag for m in app.view.marks] == ["rhetorical"], "the mark")

    run_app(ws, scenario)
    assert on_ui_thread and not any(on_ui_thread)


def test_the_reader_moves_the_annotations_of_a_renamed_document(ws):
    doc = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
    text = Corpus(ws).load(doc).text
    passage = text.passage(3)
    AnnotationStore(ws).add(
        doc, make_annotation(text, passage.start, passage.end, "disputed", "tester"), text
    )
    (ws.corpus_dir / doc).rename(ws.corpus_dir / "renamed.txt")

    async def scenario(app, pilot):
        await wait_for(pilot, lambda: path_of(ws, "renamed.txt").exists(), "the move")
        app.open_document("renamed.txt")
        await wait_for(pilot, lambda: app.view.document.id == "renamed.txt")
        await settle(pilot)
        assert [p.annotation.tag for p in app.placed] == ["disputed"]
        assert [m.tag for m in app.view.marks] == ["disputed"]

    recorder = run_app(ws, scenario)
    assert not path_of(ws, doc).exists()
    assert [a["tag"] for a in on_disk(ws, "renamed.txt")] == ["disputed"]
    assert any("renamed.txt: its annotations follow it" in m for m in recorder.messages())
