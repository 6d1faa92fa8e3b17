"""The passage index: build, incremental update, rebuild of a stale or corrupt index,
locking, and the search semantics a reader relies on (issue 2, items 5 and 9)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from briefreader.core import index as index_module
from briefreader.core import manifest as manifest_module
from briefreader.core.annotations import AnnotationStore, make_annotation
from briefreader.core.corpus import Corpus
from briefreader.core.errors import DocumentError, IndexUnavailable, QueryError, SearchCancelled
from briefreader.core.index import SearchIndex
from briefreader.core.models import NORMALIZER_VERSION, Hit
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_FEB, AIR_JAN, APRI, BAKU, BUNDLED_CORPUS, DOC_IDS, TATIKYAN
from tests.core.conftest import SMALL

ARMENIAN = {APRI, TATIKYAN}
AZERBAIJANI = {AIR_JAN, AIR_FEB, BAKU}
NEW_WORD = "quokkaflorescence"  # in no document of the corpus


def manifest_path(ws: Workspace) -> Path:
    return ws.index_dir / "manifest.json"


def doc_ids(hits: tuple[Hit, ...]) -> set[str]:
    return {hit.doc_id for hit in hits}


def passage_text(index: SearchIndex, hit: Hit) -> str:
    return index.corpus.load(hit.doc_id).text.text[hit.start : hit.end]


def everything(index: SearchIndex, query: str) -> tuple[Hit, ...]:
    results = index.search(query, limit=10_000)
    assert len(results.hits) == results.total
    return results.hits


def keys(hits: tuple[Hit, ...]) -> set[tuple[str, int]]:
    return {(hit.doc_id, hit.passage) for hit in hits}


def within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


# --- building and updating ----------------------------------------------------------------


def test_first_update_builds_the_whole_index(workspace, open_index):
    index = open_index(workspace)
    assert not index.is_current()
    report = index.update()
    assert report.rebuilt  # a one-line reason: there was no index
    assert "\n" not in report.rebuilt
    assert sorted(report.added) == sorted(DOC_IDS)
    assert report.changed == report.removed == report.unchanged == []
    expected = sum(len(index.corpus.load(doc_id).text.passages) for doc_id in DOC_IDS)
    assert report.passages == expected
    assert report.problems == []
    assert manifest_path(workspace).is_file()
    assert index.is_current()
    assert index.search("Khojaly").total > 0


def test_second_update_reindexes_nothing(small_indexed, open_index):
    index = open_index(small_indexed)
    assert index.is_current()  # a copied workspace keeps its index
    report = index.update()
    assert report.rebuilt == ""
    assert sorted(report.unchanged) == sorted(SMALL)
    assert report.added == report.changed == report.removed == []
    assert report.passages == 0


def test_unchanged_files_are_not_even_read(small_indexed, open_index, monkeypatch):
    index = open_index(small_indexed)
    monkeypatch.setattr(
        Corpus, "load", lambda *a, **k: pytest.fail("an unchanged file was read again")
    )
    report = index.update()
    assert sorted(report.unchanged) == sorted(SMALL)


def test_changed_file_is_reindexed_alone(small_indexed, open_index):
    path = small_indexed.corpus_dir / TATIKYAN
    path.write_text(
        path.read_text(encoding="utf-8") + f"\nA closing remark on {NEW_WORD}.\n",
        encoding="utf-8",
    )
    index = open_index(small_indexed)
    assert not index.is_current()
    loaded: list[str] = []
    real_load = Corpus.load

    def spy(self, doc, *args, **kwargs):
        loaded.append(doc if isinstance(doc, str) else doc.id)
        return real_load(self, doc, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Corpus, "load", spy)
        report = index.update()
    assert report.changed == [TATIKYAN]
    assert sorted(report.unchanged) == sorted(set(SMALL) - {TATIKYAN})
    assert report.added == report.removed == []
    assert loaded == [TATIKYAN]
    passages = index.corpus.load(TATIKYAN).text.passages
    assert report.passages == len(passages)
    hits = index.search(NEW_WORD).hits
    assert [(hit.doc_id, hit.passage) for hit in hits] == [(TATIKYAN, passages[-1].number)]
    # the old passages of the file were replaced, not duplicated
    assert index.search(f"doc:{TATIKYAN}", limit=1000).total == len(passages)
    assert index.is_current()


def test_added_file_is_indexed(small_indexed, open_index):
    (small_indexed.corpus_dir / "new-statement.md").write_text(
        f"# Joint Statement\n\nThe sides discussed the {NEW_WORD} accord.\n", encoding="utf-8"
    )
    index = open_index(small_indexed)
    report = index.update()
    assert report.added == ["new-statement.md"]
    assert sorted(report.unchanged) == sorted(SMALL)
    hits = index.search(NEW_WORD).hits
    assert [(hit.doc_id, hit.title, hit.section) for hit in hits] == [
        ("new-statement.md", "Joint Statement", "Joint Statement")
    ]


def test_removed_file_leaves_the_index(small_indexed, open_index):
    index = open_index(small_indexed)
    assert index.search(f"doc:{TATIKYAN}").total > 0
    (small_indexed.corpus_dir / TATIKYAN).unlink()
    index = open_index(small_indexed)
    report = index.update()
    assert report.removed == [TATIKYAN]
    assert report.added == report.changed == []
    assert index.search(f"doc:{TATIKYAN}").total == 0
    assert TATIKYAN not in doc_ids(everything(index, "Azerbaijan"))
    assert index.is_current()


def test_touched_file_with_the_same_content_is_not_reindexed(small_indexed, open_index):
    path = small_indexed.corpus_dir / TATIKYAN
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    index = open_index(small_indexed)
    assert not index.is_current()  # judged by size and time, it might have changed
    report = index.update()
    assert TATIKYAN in report.unchanged
    assert report.changed == report.added == report.removed == []
    assert report.passages == 0
    assert index.is_current()  # and the new time is remembered


def test_a_tag_saved_while_its_document_is_indexed_is_indexed_by_the_next_update(
    small_indexed, open_index, monkeypatch
):
    place = AnnotationStore.place

    def place_then_tag(store, doc_id, text):  # another process tags just after the read
        placed = place(store, doc_id, text)
        if doc_id == AIR_JAN and not store.load(AIR_JAN).annotations:
            passage = text.passages[0]
            made = make_annotation(text, passage.start, passage.end, "disputed", "other")
            store.add(AIR_JAN, made, text)
        return placed

    monkeypatch.setattr(AnnotationStore, "place", place_then_tag)
    index = open_index(small_indexed)
    index.update(rebuild=True)
    assert not index.search("tag:disputed").hits
    assert not index.is_current()
    assert index.update().changed == [AIR_JAN]
    assert [(hit.doc_id, hit.passage) for hit in index.search("tag:disputed").hits] == [
        (AIR_JAN, 1)
    ]


def tag(ws: Workspace, doc_id: str, number: int, name: str = "disputed") -> int:
    """Tag passage `number` of a document; the number of its passages."""
    text = Corpus(ws).load(doc_id).text
    passage = text.passages[number - 1]
    made = make_annotation(text, passage.start, passage.end, name, "ana")
    AnnotationStore(ws).add(doc_id, made, text)
    return len(text.passages)


def test_a_tag_reindexes_only_its_passage(small_indexed, open_index):
    index = open_index(small_indexed)
    text = index.corpus.load(AIR_JAN).text
    store = AnnotationStore(small_indexed)
    passage = text.passages[2]
    made = make_annotation(text, passage.start, passage.end, "disputed", "ana", NEW_WORD)
    store.add(AIR_JAN, made, text)
    assert not index.is_current()

    report = index.update()
    assert report.changed == [AIR_JAN]
    assert report.passages == 1
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 3)}
    assert keys(index.search(f"note:{NEW_WORD} annotator:ana").hits) == {(AIR_JAN, 3)}
    assert index.search(f"doc:{AIR_JAN}").total == len(text.passages)  # replaced, not added
    assert index.is_current()

    store.update(AIR_JAN, made.id, text, tag="factual")
    assert index.update().passages == 1
    assert not index.search("tag:disputed").hits
    assert keys(index.search("tag:factual").hits) == {(AIR_JAN, 3)}

    store.delete(AIR_JAN, made.id, text)
    assert index.update().passages == 1
    assert not index.search("tag:factual").hits
    assert index.search(f"doc:{AIR_JAN}").total == len(text.passages)


def test_one_update_can_retag_reindex_and_drop_together(small_indexed, open_index):
    tag(small_indexed, AIR_JAN, 2)
    changed = small_indexed.corpus_dir / TATIKYAN
    changed.write_text(changed.read_text(encoding="utf-8") + f"\n\nA {NEW_WORD} ends it.\n")
    (small_indexed.corpus_dir / APRI).unlink()
    index = open_index(small_indexed)
    report = index.update()
    assert sorted(report.changed) == sorted([AIR_JAN, TATIKYAN])
    assert report.removed == [APRI]
    assert report.passages == 1 + len(index.corpus.load(TATIKYAN).text.passages)
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 2)}
    assert doc_ids(index.search(NEW_WORD).hits) == {TATIKYAN}
    assert index.search(f"doc:{APRI}").total == 0
    assert index.search(f"doc:{AIR_JAN}").total == len(index.corpus.load(AIR_JAN).text.passages)
    assert index.is_current()


def test_a_document_edited_while_its_tags_are_read_is_reindexed_next_time(
    small_indexed, open_index, monkeypatch
):
    count = tag(small_indexed, AIR_JAN, 2)
    path = small_indexed.corpus_dir / AIR_JAN
    load = Corpus.load

    def edit_then_load(corpus, doc):  # after the update hashed the file, before it reads it
        if path.read_text(encoding="utf-8").count(NEW_WORD) == 0:
            path.write_text(path.read_text(encoding="utf-8") + f"\n\nA {NEW_WORD}.\n")
        return load(corpus, doc)

    monkeypatch.setattr(Corpus, "load", edit_then_load)
    index = open_index(small_indexed)
    report = index.update()
    assert report.changed == [] and report.passages == 0
    assert not index.is_current()
    monkeypatch.setattr(Corpus, "load", load)
    report = open_index(small_indexed).update()
    assert report.changed == [AIR_JAN]
    assert report.passages == count + 1  # all of it, with its new paragraph
    assert doc_ids(index.search(NEW_WORD).hits) == {AIR_JAN}
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 2)}


def test_a_document_that_cannot_be_read_keeps_its_tags_as_indexed(
    small_indexed, open_index, monkeypatch
):
    tag(small_indexed, AIR_JAN, 2)

    def unreadable(corpus, doc):
        raise DocumentError("cannot read it (Permission denied)", corpus.workspace.corpus_dir)

    monkeypatch.setattr(Corpus, "load", unreadable)
    index = open_index(small_indexed)
    report = index.update()
    assert report.changed == [] and report.passages == 0
    assert [problem.message for problem in report.problems] == [
        "cannot read it (Permission denied)"
    ]
    assert not index.is_current()
    monkeypatch.undo()
    assert index.update().passages == 1
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 2)}


def test_an_annotation_file_rewritten_as_it_was_reindexes_nothing(small_indexed, open_index):
    tag(small_indexed, AIR_JAN, 1, "factual")
    index = open_index(small_indexed)
    index.update()
    path = AnnotationStore(small_indexed).path_for(AIR_JAN)
    path.write_bytes(path.read_bytes() + b"\n")  # its size and time change, not its tags
    report = index.update()
    assert report.changed == [AIR_JAN]
    assert report.passages == 0
    assert index.is_current()


def test_an_index_from_before_passage_notes_reindexes_the_whole_document(small_indexed, open_index):
    """Manifests written before it recorded each passage's annotations have no `notes`."""
    manifest = json.loads(manifest_path(small_indexed).read_text(encoding="utf-8"))
    for entry in manifest["docs"].values():
        del entry["notes"]
    manifest_path(small_indexed).write_text(json.dumps(manifest), encoding="utf-8")
    count = tag(small_indexed, AIR_JAN, 3)
    index = open_index(small_indexed)
    report = index.update()
    assert report.changed == [AIR_JAN]
    assert report.passages == count
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 3)}
    tag(small_indexed, AIR_JAN, 5, "factual")  # the manifest has its notes now
    assert index.update().passages == 1


def test_catalog_change_reindexes_the_document(small_indexed, open_index):
    catalog = small_indexed.corpus_dir / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    block = text.split(f"  {TATIKYAN}:", 1)[1]
    catalog.write_text(
        text.replace(f"  {TATIKYAN}:{block}", f"  {TATIKYAN}:{block.replace('Armenia', 'Neutral')}")
    )
    index = open_index(small_indexed)
    report = index.update()
    assert report.changed == [TATIKYAN]
    assert doc_ids(everything(index, "side:neutral")) == {TATIKYAN}


def test_rebuild_on_request(small_indexed, open_index):
    index = open_index(small_indexed)
    report = index.update(rebuild=True)
    assert report.rebuilt
    assert sorted(report.added) == sorted(SMALL)
    assert index.search("Kadyrov").total > 0


@pytest.mark.parametrize("key", ["format", "normalizer"])
def test_stale_manifest_version_rebuilds(small_indexed, open_index, key):
    manifest = json.loads(manifest_path(small_indexed).read_text(encoding="utf-8"))
    manifest[key] = manifest[key] + 1000
    manifest_path(small_indexed).write_text(json.dumps(manifest), encoding="utf-8")
    index = open_index(small_indexed)
    assert not index.is_current()
    report = index.update()
    assert report.rebuilt
    assert sorted(report.added) == sorted(SMALL)
    assert index.is_current()


def test_new_normaliser_version_rebuilds(small_indexed, open_index, monkeypatch):
    monkeypatch.setattr(manifest_module, "NORMALIZER_VERSION", NORMALIZER_VERSION + 1)
    index = open_index(small_indexed)
    assert not index.is_current()
    report = index.update()
    assert "normali" in report.rebuilt
    assert sorted(report.added) == sorted(SMALL)


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]"])
def test_unreadable_manifest_rebuilds(small_indexed, open_index, content):
    manifest_path(small_indexed).write_text(content, encoding="utf-8")
    index = open_index(small_indexed)
    report = index.update()
    assert report.rebuilt
    assert sorted(report.added) == sorted(SMALL)


@pytest.mark.parametrize("docs", [["a"], {"a": 5}, None])
def test_manifest_with_a_malformed_document_list_rebuilds(small_indexed, open_index, docs):
    """Its files and versions check out, but not what it says of the documents."""
    manifest = json.loads(manifest_path(small_indexed).read_text(encoding="utf-8"))
    manifest["docs"] = docs
    manifest_path(small_indexed).write_text(json.dumps(manifest), encoding="utf-8")
    index = open_index(small_indexed)
    assert not index.is_current()
    report = index.update()
    assert "unreadable" in report.rebuilt
    assert sorted(report.added) == sorted(SMALL)
    assert index.is_current()


def test_missing_manifest_rebuilds(small_indexed, open_index):
    manifest_path(small_indexed).unlink()
    index = open_index(small_indexed)
    report = index.update()
    assert report.rebuilt
    assert sorted(report.added) == sorted(SMALL)


def call_or_fail(function: Callable[[], object], seconds: float = 3.0) -> object:
    """function(), or a test failure if it does not return: a hang guard, not a timing check
    (what it guards takes well under a second)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"did not return within {seconds} s: a deadlock?")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def small_workspace(root: Path) -> Workspace:
    (root / "corpus").mkdir(parents=True)
    shutil.copyfile(BUNDLED_CORPUS / TATIKYAN, root / "corpus" / TATIKYAN)
    return Workspace(root)


def test_search_builds_a_missing_index(tmp_path):
    workspace = small_workspace(tmp_path / "ws")
    index = SearchIndex(Corpus(workspace))  # not closed if it hangs: close would hang too
    results = call_or_fail(lambda: index.search("Azerbaijan"))
    assert results.total > 0
    assert index.is_current()
    index.close()


def test_a_cancelled_search_stops_at_once_and_is_not_taken_for_damage(small_indexed, open_index):
    index = open_index(small_indexed)
    everything_found = index.search("Azerbaijan")
    files = {path.name: path.stat().st_mtime_ns for path in small_indexed.index_dir.iterdir()}
    asked = 0

    def cancelled_after_three() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    with pytest.raises(SearchCancelled):
        index.search("Azerbaijan", cancelled=cancelled_after_three)
    assert asked == 4  # it stopped at the first "yes", not at the end of the matches
    assert everything_found.total > 4
    # a cancelled search is no damaged index: nothing was rebuilt
    assert {p.name: p.stat().st_mtime_ns for p in small_indexed.index_dir.iterdir()} == files
    assert index.search("Azerbaijan") == everything_found


def test_garbage_toc_is_rebuilt_with_a_notice(small_indexed, open_index):
    for toc in small_indexed.index_dir.glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 50)
    index = open_index(small_indexed)
    assert not index.is_current()
    report = index.update()
    assert report.rebuilt and "\n" not in report.rebuilt
    assert sorted(report.added) == sorted(SMALL)
    assert index.search("Kadyrov").total > 0


@pytest.mark.parametrize("garbage", [b"garbage" * 1000, b""], ids=["garbage", "emptied"])
def test_corrupt_segment_file_is_rebuilt_not_a_crash(small_indexed, open_index, garbage):
    segments = [  # the files of each segment: terms, postings, stored fields, lengths
        path
        for path in small_indexed.index_dir.glob("MAIN_*")
        if path.suffix in {".trm", ".pst", ".col", ".seg"}
    ]
    assert {path.suffix for path in segments} >= {".trm", ".pst", ".col"}
    for segment in segments:
        segment.write_bytes(garbage)
    index = SearchIndex(Corpus(small_indexed))  # not closed if it hangs

    def update_and_search():
        index.update()  # as `briefreader search` does
        return index.search("Kadyrov")

    try:
        results = call_or_fail(update_and_search)
    except IndexUnavailable as exc:  # acceptable: a clear message instead of results
        assert "index" in str(exc)
    else:
        assert results.total > 0
    index.close()


class _Trap:
    """Unpickling this creates a folder: proof that a file was unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def plant_foreign_toc(index_dir: Path, marker: Path) -> None:
    """Write a newer TOC generation, not written by briefreader, that runs code if opened."""
    from whoosh.fields import TEXT, Schema
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    generations = [
        int(re.search(r"_(\d+)\.toc$", p.name).group(1)) for p in index_dir.glob("*.toc")
    ]
    storage = FileStorage(str(index_dir))
    TOC(Schema(body=TEXT), [_Trap(str(marker))], max(generations) + 1).write(storage, "MAIN")


def test_an_index_whose_toc_is_not_ours_is_never_opened(small_indexed, open_index, tmp_path):
    from whoosh import index as whoosh_index

    marker = tmp_path / "unpickled"
    plant_foreign_toc(small_indexed.index_dir, marker)
    # premise: Whoosh would run the planted code when opening a copy of that index
    probe = tmp_path / "probe"
    shutil.copytree(small_indexed.index_dir, probe)
    with pytest.raises(Exception):  # noqa: B017 (the trap leaves a broken segment list)
        whoosh_index.open_dir(str(probe)).doc_count()
    assert marker.exists()
    marker.rmdir()

    index = open_index(small_indexed)
    assert not index.is_current()
    assert not marker.exists()
    report = index.update()
    assert report.rebuilt and "\n" not in report.rebuilt
    assert not marker.exists()
    assert index.search("Kadyrov").total > 0
    assert not marker.exists()


def test_update_can_be_cancelled_and_resumed(small, open_index):
    cancel = threading.Event()
    calls: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, item: str) -> None:
        calls.append((done, total, item))
        if len(calls) == 2:
            cancel.set()

    index = open_index(small)
    report = index.update(progress=progress, cancel=cancel)
    assert report.cancelled
    assert not index.is_current()
    report = open_index(small).update()
    assert not report.cancelled
    assert sorted(report.added) == sorted(SMALL)


def test_a_cancelled_update_of_tags_writes_nothing(small_indexed, open_index):
    tag(small_indexed, AIR_JAN, 1)
    index = open_index(small_indexed)
    cancel = threading.Event()
    cancel.set()
    assert index.update(cancel=cancel).cancelled
    assert not index.search("tag:disputed").hits
    assert not index.is_current()
    assert index.update().passages == 1
    assert keys(index.search("tag:disputed").hits) == {(AIR_JAN, 1)}


def test_progress_reports_growing_work_up_to_the_total(small, open_index):
    calls: list[tuple[int, int, str]] = []
    open_index(small).update(progress=lambda d, t, i: calls.append((d, t, i)))
    assert calls
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] > 0
    assert {item for _, _, item in calls} >= set(SMALL)


def test_unreadable_document_is_a_problem_and_the_rest_are_indexed(small, open_index):
    (small.corpus_dir / "empty.txt").write_bytes(b"")
    index = open_index(small)
    report = index.update()
    assert [p.path.name for p in report.problems] == ["empty.txt"]
    assert "empty.txt" not in report.added
    assert sorted(report.added) == sorted(SMALL)
    assert index.search("Kadyrov").total > 0


# --- locking ------------------------------------------------------------------------------

HOLD_FILELOCK = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""

HOLD_WHOOSH_WRITER = """
import sys
from whoosh import index
ix = index.open_dir(sys.argv[1])
writer = ix.writer()
print("locked", flush=True)
sys.stdin.read()
writer.cancel()
"""


@pytest.fixture
def hold_lock() -> Iterator[Callable[[str, str], None]]:
    """hold_lock(script, path): run `script` in another process until the test ends."""
    processes: list[subprocess.Popen] = []

    def hold(script: str, path: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", script, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout.readline().strip() == "locked"

    yield hold
    for process in processes:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_update_while_another_process_holds_the_lock_is_a_clear_error(
    small_indexed, open_index, hold_lock, monkeypatch
):
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.2)
    (small_indexed.corpus_dir / "new.md").write_text("# New\n\nText.\n", encoding="utf-8")
    hold_lock(HOLD_FILELOCK, str(small_indexed.state_dir / "index.lock"))
    index = open_index(small_indexed)
    with pytest.raises(IndexUnavailable) as caught:
        index.update()
    message = str(caught.value)
    assert "another" in message
    assert "\n" not in message
    # reading an existing index needs no lock
    assert index.search("Kadyrov").total > 0


def test_update_works_again_once_the_lock_is_released(small_indexed, open_index, monkeypatch):
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.2)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_FILELOCK, str(small_indexed.state_dir / "index.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "locked"
        with pytest.raises(IndexUnavailable):
            open_index(small_indexed).update()
    finally:
        process.stdin.close()
        process.wait(timeout=10)
    report = open_index(small_indexed).update()
    assert sorted(report.unchanged) == sorted(SMALL)


def test_whoosh_writer_held_by_another_process_is_a_clear_error(
    small_indexed, open_index, hold_lock, monkeypatch
):
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.2)
    (small_indexed.corpus_dir / "new.md").write_text("# New\n\nText.\n", encoding="utf-8")
    hold_lock(HOLD_WHOOSH_WRITER, str(small_indexed.index_dir))
    with pytest.raises(IndexUnavailable) as caught:
        open_index(small_indexed).update()
    assert "lock" in str(caught.value)


# --- search semantics (on the session's index of the bundled corpus) ----------------------


@pytest.mark.parametrize(
    ("words", "strictly_fewer"),
    [("Zangezur corridor", False), ("peace agreement", True), ("Second Karabakh War", True)],
)
def test_phrase_finds_the_words_next_to_each_other(search_index, words, strictly_fewer):
    loose = everything(search_index, words)
    phrase = everything(search_index, f'"{words}"')
    assert phrase, "premise: the phrase occurs in the corpus"
    assert keys(phrase) <= keys(loose)
    if strictly_fewer:
        assert len(phrase) < len(loose)
    adjacent = r"\W+".join(rf"\b{re.escape(w)}\w*" for w in words.split())
    for hit in phrase:
        assert re.search(adjacent, passage_text(search_index, hit), re.IGNORECASE), hit
    for hit in loose:
        text = passage_text(search_index, hit).lower()
        assert all(w.lower() in text for w in words.split()), hit


def test_fuzzy_term_finds_a_misspelt_word(search_index):
    assert search_index.search("negotiaton").total == 0
    hits = everything(search_index, "negotiaton~")
    assert hits
    for hit in hits:
        words = re.findall(r"\w+", passage_text(search_index, hit).lower())
        assert any(within_one_edit(w, "negotiaton") for w in words), hit
    assert any("negotiation" in passage_text(search_index, hit) for hit in hits)


def test_fuzzy_term_with_a_field_and_distance(search_index):
    hits = everything(search_index, "Khojali~2")
    assert doc_ids(hits) and doc_ids(hits) <= AZERBAIJANI
    assert all("Khojaly" in passage_text(search_index, hit) for hit in hits)


def test_prefix_finds_every_word_with_that_start(search_index):
    expected = set()
    for doc_id in DOC_IDS:
        for passage in search_index.corpus.load(doc_id).text.passages:
            if re.search(r"\bnegotia", passage.text, re.IGNORECASE):
                expected.add((doc_id, passage.number))
    assert len(expected) > 10
    assert keys(everything(search_index, "negotia*")) == expected


@pytest.mark.parametrize(
    ("query", "expected_docs"),
    [
        ("side:armenia corridor", ARMENIAN),
        ("side:Armenia corridor", ARMENIAN),
        ("side:azerbaijan corridor", AZERBAIJANI),
        ("title:bulletin Khojaly", {AIR_JAN, AIR_FEB}),
        (f"doc:{BAKU} hydroelectric", {BAKU}),
        ("doc:tatikyan* peace", {TATIKYAN}),
        ("date:2025 peace", {AIR_JAN, AIR_FEB, APRI}),
        ("date:2025-02 peace", {AIR_FEB}),
        ("date:2023 peace", {BAKU}),
        ("date:2024-11 peace", {TATIKYAN}),
        ('publisher:"AIR Center" peace', {AIR_JAN, AIR_FEB}),
        ("author:Tatikyan peace", {TATIKYAN}),
        ("publisher:ADA peace", {BAKU}),
        ("section:Khojaly genocide", {AIR_FEB}),
    ],
)
def test_field_filters_restrict_the_hits(search_index, query, expected_docs):
    hits = everything(search_index, query)
    assert hits
    assert doc_ids(hits) <= expected_docs


def test_field_filter_narrows_an_unfiltered_search(search_index):
    assert doc_ids(everything(search_index, "Khojaly")) - {AIR_JAN, AIR_FEB}
    assert doc_ids(everything(search_index, "corridor")) & ARMENIAN
    assert doc_ids(everything(search_index, "corridor")) & AZERBAIJANI


def test_doc_filter_alone_gives_every_passage_of_the_document(search_index):
    passages = search_index.corpus.load(TATIKYAN).text.passages
    hits = everything(search_index, f"doc:{TATIKYAN}")
    assert keys(hits) == {(TATIKYAN, p.number) for p in passages}


def test_section_filter_matches_the_section_heading(search_index):
    hits = everything(search_index, "section:Khojaly")
    assert hits
    for hit in hits:
        assert "Khojaly" in hit.section


def test_kind_filter_as_documented(search_index):
    assert doc_ids(everything(search_index, "kind:bulletin")) == {AIR_JAN, AIR_FEB}


def test_boolean_operators(search_index):
    khojaly = keys(everything(search_index, "Khojaly"))
    france = keys(everything(search_index, "France"))
    assert khojaly and france
    both = keys(everything(search_index, "Khojaly AND France"))
    either = keys(everything(search_index, "Khojaly OR France"))
    only = keys(everything(search_index, "Khojaly NOT France"))
    assert both == khojaly & france
    assert either == khojaly | france
    assert only == khojaly - france
    assert only and both
    lowercase_and = keys(everything(search_index, "Khojaly France"))
    assert lowercase_and == both  # words without an operator must all match


def test_grouping(search_index):
    grouped = keys(everything(search_index, "(Lachin OR Zangezur) corridor"))
    lachin = keys(everything(search_index, "Lachin corridor"))
    zangezur = keys(everything(search_index, "Zangezur corridor"))
    assert grouped == lachin | zangezur
    assert grouped


SPLIT_IN_RAW = [
    ("hydroelec", "tric"),
    ("irre", "dentism"),
    ("exag", "geration"),
    ("reconstruc", "tion"),
    ("demon", "stration"),
    pytest.param("ten", "dency"),
]


@pytest.mark.parametrize(("first", "rest"), SPLIT_IN_RAW)
def test_a_word_split_across_lines_in_the_raw_pdf_text_is_found(search_index, raw, first, rest):
    pattern = rf"\b{first}-[ \t]*\n(?:[ \t]*\n)*[ \t]*{rest}\b"
    split_at = [m.start() for m in re.finditer(pattern, raw(BAKU))]
    assert split_at, "premise: the raw text splits the word across lines"
    word = first + rest
    hits = everything(search_index, f"doc:{BAKU} {word}")
    assert hits
    texts = [passage_text(search_index, hit) for hit in hits]
    assert any(re.search(rf"\b{word}\b", t, re.IGNORECASE) for t in texts)
    # every place where the raw text split it is found (one passage may hold several)
    found = sum(len(re.findall(rf"\b{word}\b", t, re.IGNORECASE)) for t in texts)
    assert found >= len(split_at)


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("Khojaly", lambda s: s.lower() == "khojaly"),
        ("corridor", lambda s: s.lower().startswith("corridor")),
        ("negotiaton~", lambda s: within_one_edit(s.lower(), "negotiaton")),
        ('"peace agreement"', lambda s: s.lower().startswith(("peace", "agreement"))),
        ("side:armenia sovereignty", lambda s: s.lower().startswith("sovereignt")),
    ],
)
def test_snippets_contain_their_highlighted_words(search_index, query, matches):
    results = search_index.search(query, limit=50)
    assert results.hits
    for hit in results.hits:
        snippet = hit.snippet
        assert snippet.matches, hit
        previous = -1
        for start, end in snippet.matches:
            assert 0 <= start < end <= len(snippet.text)
            assert start >= previous
            previous = end
            assert matches(snippet.text[start:end]), (query, snippet.text[start:end])
        assert snippet.text.strip("…") in passage_text(search_index, hit)


def test_hits_point_at_their_passage(search_index):
    results = search_index.search("corridor", limit=30)
    assert results.total >= len(results.hits) > 5
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in results.hits:
        document = search_index.corpus.load(hit.doc_id)
        passage = document.text.passage(hit.passage)
        assert (passage.start, passage.end) == (hit.start, hit.end)
        assert hit.title == document.info.title
        if passage.section is not None:
            assert hit.section.endswith(passage.section.title)
            assert all(part in hit.section for part in passage.section.path)


def test_a_limit_below_one_is_refused_without_touching_the_index(search_index):
    files = {p.name: p.stat().st_mtime_ns for p in search_index.directory.iterdir()}
    with pytest.raises(ValueError, match="at least 1"):
        search_index.search("Azerbaijan", limit=0)
    assert {p.name: p.stat().st_mtime_ns for p in search_index.directory.iterdir()} == files


def test_limit_caps_the_hits_not_the_total(search_index):
    results = search_index.search("Azerbaijan", limit=3)
    assert len(results.hits) == 3
    assert results.total > 3
    assert results.query == "Azerbaijan"


@pytest.mark.parametrize("query", ["Armenia OR peace", "negotiaton~", "side:armenia corridor"])
def test_the_total_counts_every_matching_passage_not_only_the_best(search_index, query):
    """Whoosh swaps an OR for a cheaper matcher once the best few are known, which stops
    counting the passages that match one word only: the total must not follow it."""
    results = search_index.search(query, limit=3)
    every = search_index.passages(query)
    assert len(every) > 3
    assert results.total == len(every)


@pytest.mark.parametrize(
    "query",
    [
        '"Zangezur corridor',
        'corridor "Lachin',
        "colour:red",
        "(Lachin OR Zangezur corridor",
        "Lachin) corridor",
        "the",
        "the of and",
        "",
        "   ",
        "Lachin AND",
        "OR Lachin",
    ],
)
def test_bad_queries_raise_query_error(search_index, query):
    with pytest.raises(QueryError) as caught:
        search_index.search(query)
    message = str(caught.value)
    assert message and "\n" not in message


def test_unknown_field_error_names_the_field(search_index):
    with pytest.raises(QueryError) as caught:
        search_index.search("colour:red Lachin")
    assert "colour" in str(caught.value)


def test_match_spans_cover_the_query_words(search_index):
    passage = next(
        p for p in search_index.corpus.load(AIR_FEB).text.passages if "Khojaly" in p.text
    )
    spans = search_index.match_spans("Khojaly", passage.text)
    assert spans
    assert all(passage.text[a:b] == "Khojaly" for a, b in spans)
    assert len(spans) == passage.text.count("Khojaly")


def test_match_spans_expand_fuzzy_and_prefix_terms(search_index):
    text = "The negotiation stalled; the reconstruction of Aghali went on."
    fuzzy = search_index.match_spans("negotiaton~", text)
    assert [text[a:b] for a, b in fuzzy] == ["negotiation"]
    prefix = search_index.match_spans("reconstr*", text)
    assert [text[a:b] for a, b in prefix] == ["reconstruction"]
    assert search_index.match_spans("Khojaly", text) == []
