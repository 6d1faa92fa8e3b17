"""Documents prepared for the index by a second process while Whoosh writes: the same index,
report and problems as when this process prepares them, and the process never outlives
the update."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import threading

import pytest

from briefreader.core import preparing
from briefreader.core.annotations import AnnotationStore, make_annotation
from briefreader.core.corpus import Corpus
from briefreader.core.errors import IndexUnavailable
from briefreader.core.workspace import Workspace
from tests.conftest import TATIKYAN
from tests.core.conftest import SMALL

QUERIES = ("Armenia", '"peace treaty"', "negotiaton~", "side:armenian Azerbaijan", "tag:disputed")
UNTITLED = "untitled-brief.md"  # in no catalog: its first heading is its title


@pytest.fixture
def prepared_here(monkeypatch) -> list[str]:
    """The ids of the documents this process prepares. Any update is large enough for a
    second process, on a machine of two cores."""
    here: list[str] = []
    prepare = preparing.prepare

    def prepare_here(corpus, manifest, info):
        here.append(info.id)
        return prepare(corpus, manifest, info)

    monkeypatch.setattr(preparing, "SECOND_PROCESS_BYTES", 0)
    monkeypatch.setattr(preparing, "usable_cores", lambda: 2)
    monkeypatch.setattr(preparing, "prepare", prepare_here)
    return here


def found(index, query: str) -> list[tuple[str, int, str]]:
    return [(h.doc_id, h.passage, h.title) for h in index.search(query, limit=1000).hits]


def documents(ws: Workspace) -> dict:
    return json.loads((ws.index_dir / "manifest.json").read_text())["docs"]


def tag(ws: Workspace, doc_id: str, number: int) -> None:
    text = Corpus(ws).load(doc_id).text
    passage = text.passages[number - 1]
    made = make_annotation(text, passage.start, passage.end, "disputed", "ana", "why")
    AnnotationStore(ws).add(doc_id, made, text)


def test_a_second_process_prepares_the_index_this_one_would(
    small, tmp_path, open_index, prepared_here, monkeypatch
):
    reference = Workspace(tmp_path / "reference")
    shutil.copytree(small.corpus_dir, reference.corpus_dir)
    for ws in (small, reference):
        (ws.corpus_dir / UNTITLED).write_text("# Quokka Corridor Talks\n\nQuokkas met.\n")
        tag(ws, TATIKYAN, 2)
    with monkeypatch.context() as small_update:
        small_update.setattr(preparing, "SECOND_PROCESS_BYTES", 10**9)
        open_index(reference).update()
    assert sorted(prepared_here) == sorted([*SMALL, UNTITLED])
    prepared_here.clear()
    calls: list[tuple[int, int, str]] = []
    report = open_index(small).update(progress=lambda *call: calls.append(call))
    assert prepared_here == []  # all of it prepared by the second process
    assert sorted(report.added) == sorted([*SMALL, UNTITLED]) and not report.problems
    assert calls[-1][0] == calls[-1][1] > 0
    assert multiprocessing.active_children() == []
    ours, theirs = open_index(small), open_index(reference)
    for query in (*QUERIES, "quokkas"):
        assert found(ours, query) == found(theirs, query), query
    assert [hit[2] for hit in found(ours, "quokkas")] == ["Quokka Corridor Talks"]
    assert [hit[:2] for hit in found(ours, "tag:disputed")] == [(TATIKYAN, 2)]
    fields = ("sha256", "passages", "notes", "meta")
    for doc_id, entry in documents(reference).items():
        mine = documents(small)[doc_id]
        assert {k: mine[k] for k in fields} == {k: entry[k] for k in fields}
        stat = (small.corpus_dir / doc_id).stat()
        assert [mine["size"], mine["mtime_ns"]] == [stat.st_size, stat.st_mtime_ns]
    stat = AnnotationStore(small).path_for(TATIKYAN).stat()
    assert documents(small)[TATIKYAN]["annotations"] == [stat.st_size, stat.st_mtime_ns]


@pytest.mark.parametrize("size, cores", [(10**9, 2), (0, 1)], ids=["small update", "one core"])
def test_an_update_is_prepared_here_when_a_second_process_would_not_gain(
    small, open_index, prepared_here, monkeypatch, size, cores
):
    monkeypatch.setattr(preparing, "SECOND_PROCESS_BYTES", size)
    monkeypatch.setattr(preparing, "usable_cores", lambda: cores)
    assert sorted(open_index(small).update().added) == sorted(SMALL)
    assert sorted(prepared_here) == sorted(SMALL)


def test_a_document_the_second_process_cannot_read_is_a_problem_naming_it(
    small, open_index, prepared_here
):
    (small.corpus_dir / "empty.txt").write_bytes(b"")
    report = open_index(small).update()
    assert [p.path.name for p in report.problems] == ["empty.txt"]
    assert sorted(report.added) == sorted(SMALL)
    assert prepared_here == []


def test_a_cancelled_update_stops_the_second_process_and_resumes_next_time(
    small, open_index, prepared_here
):
    cancel = threading.Event()
    report = open_index(small).update(progress=lambda *_: cancel.set(), cancel=cancel)
    assert report.cancelled
    assert multiprocessing.active_children() == []
    index = open_index(small)
    assert not index.is_current()
    assert sorted(index.update().added) == sorted(SMALL)
    assert index.is_current()
    assert prepared_here == []


def test_a_second_process_that_dies_is_a_clear_error_and_leaves_the_index_as_it_was(
    small_indexed, open_index, prepared_here
):
    for doc_id in SMALL:
        path = small_indexed.corpus_dir / doc_id
        path.write_text(path.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n")

    def kill_it(*_) -> None:
        for child in multiprocessing.active_children():
            child.kill()

    index = open_index(small_indexed)
    with pytest.raises(IndexUnavailable, match="preparing documents stopped") as raised:
        index.update(progress=kill_it)
    assert raised.value.path == small_indexed.index_dir
    assert multiprocessing.active_children() == []
    assert not index.is_current()
    assert sorted(open_index(small_indexed).update().changed) == sorted(SMALL)
