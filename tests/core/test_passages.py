"""Documents prepared for the index in a second process while Whoosh writes: the same index,
report and problems as when this process prepares them."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from briefreader.core import passages
from briefreader.core.annotations import AnnotationStore, make_annotation
from briefreader.core.corpus import Corpus
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_JAN, TATIKYAN
from tests.core.conftest import SMALL

QUERIES = ("Armenia", '"peace treaty"', "negotiaton~", "side:armenian Azerbaijan", "tag:disputed")


@pytest.fixture
def prepared_here(monkeypatch) -> list[str]:
    """The ids of the documents this process prepares; a second process is used for any
    update, whatever its size, as on a machine of two cores or more."""
    here: list[str] = []
    prepare = passages.prepare
    monkeypatch.setattr(passages, "SECOND_PROCESS_BYTES", 0)
    monkeypatch.setattr(passages, "usable_cores", lambda: 2)
    monkeypatch.setattr(
        passages,
        "prepare",
        lambda corpus, manifest, info: here.append(info.id) or prepare(corpus, manifest, info),
    )
    return here


def found(index, query: str) -> list[tuple[str, int]]:
    return [(hit.doc_id, hit.passage) for hit in index.search(query, limit=1000).hits]


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
        tag(ws, TATIKYAN, 2)
    with monkeypatch.context() as here:
        here.setattr(passages, "SECOND_PROCESS_BYTES", 10**9)
        open_index(reference).update()
    assert sorted(prepared_here) == sorted(SMALL)
    prepared_here.clear()
    calls: list[tuple[int, int, str]] = []
    report = open_index(small).update(progress=lambda *call: calls.append(call))
    assert prepared_here == []  # all of it prepared by the second process
    assert sorted(report.added) == sorted(SMALL) and not report.problems
    assert calls[-1][0] == calls[-1][1] > 0
    ours, theirs = open_index(small), open_index(reference)
    for query in QUERIES:
        assert found(ours, query) == found(theirs, query), query
    assert found(ours, "tag:disputed") == [(TATIKYAN, 2)]
    fields = ("sha256", "passages", "notes", "meta")
    for doc_id, entry in documents(reference).items():
        mine = documents(small)[doc_id]
        assert {k: mine[k] for k in fields} == {k: entry[k] for k in fields}
    stat = AnnotationStore(small).path_for(TATIKYAN).stat()
    assert documents(small)[TATIKYAN]["annotations"] == [stat.st_size, stat.st_mtime_ns]


def test_a_small_update_is_prepared_here(small_indexed, open_index, prepared_here, monkeypatch):
    monkeypatch.setattr(passages, "SECOND_PROCESS_BYTES", 10**9)
    path = small_indexed.corpus_dir / AIR_JAN
    path.write_text(path.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n")
    assert open_index(small_indexed).update().changed == [AIR_JAN]
    assert prepared_here == [AIR_JAN]


def test_a_document_the_second_process_cannot_read_is_a_problem_naming_it(
    small, open_index, prepared_here
):
    (small.corpus_dir / "empty.txt").write_bytes(b"")
    report = open_index(small).update()
    assert [p.path.name for p in report.problems] == ["empty.txt"]
    assert sorted(report.added) == sorted(SMALL)
    assert prepared_here == []


def test_an_update_prepared_by_a_second_process_can_be_cancelled_and_resumed(
    small, open_index, prepared_here
):
    cancel = threading.Event()
    report = open_index(small).update(progress=lambda *_: cancel.set(), cancel=cancel)
    assert report.cancelled
    index = open_index(small)
    assert not index.is_current()
    assert sorted(index.update().added) == sorted(SMALL)
    assert found(index, "Armenia")
