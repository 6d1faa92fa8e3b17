"""The annotation store (DESIGN.md: "Annotations on disk"; issue 4, items 5-7 and "Bad
input"): readable YAML that survives hand edits, atomic saves, clear errors with file and
line, nothing overwritten, two writers that never lose each other's work, a process killed
while saving, the annotator's name, and re-anchored positions written back on save."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from briefreader.core import atomic
from briefreader.core.anchoring import AnchorState
from briefreader.core.annotations import (
    AnnotationStore,
    make_annotation,
    parse,
    render,
    resolve_annotator,
    span_in_passage,
)
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus
from briefreader.core.errors import AnnotationError
from briefreader.core.models import Annotation, NormalizedText, Target
from briefreader.core.normalize import normalize
from briefreader.core.workspace import Workspace

DOC = "memo.txt"
OTHER = "other.txt"
CLAIM = "The army shelled the village of Talish at dawn on Monday, witnesses said."
MEMO = (
    "Ceasefire talks\n\n"
    f"{CLAIM} Officials denied it.\n\n"
    "Delegations met twice in Geneva and agreed to meet again after the summer.\n\n"
    "A third paragraph closes the memo with a short remark.\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A small workspace of two documents, no annotations yet."""
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / DOC).write_text(MEMO, encoding="utf-8")
    (root / "corpus" / OTHER).write_text("Other\n\nJust one paragraph of text here.\n")
    return Workspace(root.resolve())


@pytest.fixture
def store(ws: Workspace) -> AnnotationStore:
    return AnnotationStore(ws)


def text_of(ws: Workspace, doc_id: str = DOC) -> NormalizedText:
    return Corpus(ws).load(doc_id).text


def annotation(ident: str, start: int = 0, end: int = 5, tag: str = "factual", **kw):
    target = Target(kw.pop("quote", f"quote of {ident}"), "", "", start, end)
    return Annotation(ident, tag, target, annotator=kw.pop("annotator", "alice"), **kw)


def write(store: AnnotationStore, doc_id: str, text: str) -> Path:
    path = store.path_for(doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def leftovers(ws: Workspace) -> list[str]:
    """Files in annotations/ other than annotation files (temp files, half writes)."""
    return sorted(p.name for p in ws.annotations_dir.iterdir() if not p.name.endswith(".yaml"))


# --- round trip and readable YAML -------------------------------------------------------------


def test_an_annotation_made_on_a_passage_round_trips(ws, store):
    text = text_of(ws)
    start, end = span_in_passage(text, 1, "the village of Talish")
    made = make_annotation(text, start, end, "disputed", "alice", "OSCE says otherwise")
    store.add(DOC, made)
    loaded = store.load(DOC)
    assert loaded.document == DOC
    assert loaded.annotations == [made]
    assert made.target.quote == "the village of Talish"
    assert text.text[made.target.start : made.target.end] == "the village of Talish"
    assert made.target.prefix.endswith("The army shelled ")
    assert made.target.suffix.startswith(" at dawn")
    placed = store.place(DOC, text)
    assert [p.anchor.state for p in placed] == [AnchorState.ANCHORED]


def test_the_file_is_plain_readable_yaml_in_a_stable_key_order(ws, store):
    text = text_of(ws)
    made = make_annotation(text, *span_in_passage(text, 2, None), "factual", "alice", "ok")
    store.add(DOC, made)
    path = store.path_for(DOC)
    assert path == ws.annotations_dir / f"{DOC}.yaml"
    raw = path.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    assert list(data) == ["document", "annotations"]
    item = data["annotations"][0]
    assert list(item) == ["id", "tag", "note", "annotator", "created", "updated", "target"]
    assert list(item["target"]) == ["quote", "prefix", "suffix", "start", "end"]
    assert item["created"].endswith("Z") and isinstance(item["created"], str)
    assert "!!" not in raw and "{" not in raw  # no Python tags, no flow style
    assert raw.startswith(f"document: {DOC}\nannotations:\n- id: ")


def test_annotations_are_sorted_by_position_whatever_the_order_they_were_added(store):
    for ident, start in [("c", 300), ("a", 10), ("b", 120), ("a2", 10)]:
        store.add(DOC, annotation(ident, start, start + 5))
    data = yaml.safe_load(store.path_for(DOC).read_text())
    assert [a["id"] for a in data["annotations"]] == ["a", "a2", "b", "c"]


def test_rewriting_a_loaded_file_gives_the_same_bytes(store):
    store.add(DOC, annotation("a1", 5, 9, note="first line\nsecond line"))
    store.add(DOC, annotation("a2", 1, 3, note="short"))
    path = store.path_for(DOC)
    before = path.read_bytes()
    assert render(parse(before.decode(), path, DOC)).encode() == before
    store.change(DOC, lambda contents: None)  # a save with nothing changed
    assert path.read_bytes() == before


def test_a_multi_line_note_is_written_as_a_block_scalar(store):
    note = "Casualty figure differs from the OSCE report.\nSee: page 4, table 2\n\n- and a list"
    store.add(DOC, annotation("a1", note=note))
    raw = store.path_for(DOC).read_text()
    assert "  note: |-\n    Casualty figure differs from the OSCE report.\n" in raw
    assert "    See: page 4, table 2\n\n    - and a list\n" in raw
    assert store.load(DOC).annotations[0].note.rstrip("\n") == note


def test_a_multi_line_note_reads_back_exactly_as_saved(store):
    note = "first line\nsecond line"
    store.add(DOC, annotation("a1", note=note))
    assert store.load(DOC).annotations[0].note == note


@pytest.mark.parametrize(
    "note",
    ["plain", "with: colon and # hash", "ünïcödé “quotes” — dash", "  leading spaces", "yes"],
)
def test_single_line_notes_survive_the_round_trip(store, note):
    store.add(DOC, annotation("a1", note=note))
    assert store.load(DOC).annotations[0].note == note


def test_unknown_keys_survive_a_rewrite_at_every_level(store):
    path = write(
        store,
        DOC,
        """\
        document: memo.txt
        reviewed_by: carol
        project: {name: caucasus, wave: 2}
        annotations:
        - id: a1
          tag: factual
          confidence: 0.8
          sources: [osce, hrw]
          target:
            quote: hello world
            prefix: ''
            suffix: ''
            start: 0
            end: 11
            selector_version: 3
        """,
    )
    store.add(DOC, annotation("a2", 20, 25))
    data = yaml.safe_load(path.read_text())
    assert data["reviewed_by"] == "carol"
    assert data["project"] == {"name": "caucasus", "wave": 2}
    first = next(a for a in data["annotations"] if a["id"] == "a1")
    assert first["confidence"] == 0.8
    assert first["sources"] == ["osce", "hrw"]
    assert first["target"]["selector_version"] == 3
    assert first["target"]["quote"] == "hello world"
    assert [a["id"] for a in data["annotations"]] == ["a1", "a2"]
    # and again after an update of that very annotation
    store.update(DOC, "a1", note="checked")
    first = yaml.safe_load(path.read_text())["annotations"][0]
    assert first["note"] == "checked" and first["confidence"] == 0.8
    assert first["target"]["selector_version"] == 3


def test_hand_written_timestamps_and_numeric_ids_are_kept_as_written(store):
    path = write(
        store,
        DOC,
        """\
        document: memo.txt
        annotations:
        - id: 0042
          tag: factual
          created: 2026-11-22T10:15:00Z
          updated: 2026-11-22
          target: {quote: hello, start: 0, end: 5}
        """,
    )
    loaded = store.load(DOC).annotations[0]
    assert loaded.id == "0042"
    assert loaded.created == "2026-11-22T10:15:00Z"
    assert loaded.updated == "2026-11-22"
    store.add(DOC, annotation("b", 10, 12))
    again = store.load(DOC).annotations[0]
    assert (again.id, again.created, again.updated) == ("0042", loaded.created, "2026-11-22")
    assert yaml.safe_load(path.read_text())["annotations"][0]["id"] == "0042"


def test_update_stamps_updated_and_keeps_created(store):
    first = annotation("a1", created="2020-01-01T00:00:00Z", updated="2020-01-01T00:00:00Z")
    store.add(DOC, first)
    changed = store.update(DOC, "a1", note="new note")
    assert changed.note == "new note"
    assert changed.created == "2020-01-01T00:00:00Z"
    assert changed.updated != "2020-01-01T00:00:00Z"
    assert store.load(DOC).annotations == [changed]


def test_deleting_the_last_annotation_removes_the_file_and_adding_it_back_restores_it(store):
    kept = annotation("a1", note="keep me")
    store.add(DOC, kept)
    removed = store.delete(DOC, "a1")
    assert removed == kept
    assert not store.path_for(DOC).exists()
    assert store.doc_ids() == []
    store.add(DOC, removed)
    assert store.load(DOC).annotations == [kept]


def test_update_or_delete_of_a_missing_id_is_an_error_and_changes_nothing(store):
    store.add(DOC, annotation("a1"))
    before = store.path_for(DOC).read_bytes()
    with pytest.raises(AnnotationError, match="no annotation zz"):
        store.update(DOC, "zz", note="x")
    with pytest.raises(AnnotationError, match="no annotation zz"):
        store.delete(DOC, "zz")
    with pytest.raises(AnnotationError, match="already exists"):
        store.add(DOC, annotation("a1", note="a copy"))
    assert store.path_for(DOC).read_bytes() == before


def test_make_annotation_refuses_a_span_outside_the_document(ws):
    text = text_of(ws)
    for start, end in [(-1, 3), (5, 5), (10, 4), (0, len(text.text) + 1)]:
        with pytest.raises(AnnotationError):
            make_annotation(text, start, end, "factual", "alice")


def test_span_in_passage(ws):
    text = text_of(ws)
    assert span_in_passage(text, 2, None) == (text.passage(2).start, text.passage(2).end)
    start, end = span_in_passage(text, 1, "Officials denied it.")
    assert text.text[start:end] == "Officials denied it."
    with pytest.raises(AnnotationError, match="does not contain"):
        span_in_passage(text, 2, "Talish")
    with pytest.raises(AnnotationError, match=r"occurs \d+ times in passage 2; quote more"):
        span_in_passage(text, 2, "e")
    with pytest.raises(AnnotationError, match=r"not in 1\.\.3"):
        span_in_passage(text, 4, None)


def test_doc_ids_lists_annotation_files_only(ws, store):
    store.add(DOC, annotation("a1"))
    store.add("sub/nested.txt", annotation("a2"))
    folder = ws.annotations_dir
    (folder / "codebook.yaml").write_text("tags: []\n")
    (folder / f".{DOC}.yaml.abc123.tmp").write_text("half a fi")
    (folder / f"{DOC}.yaml~").write_text("editor backup")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.txt.yaml").write_text("document: x\n")
    (folder / "notes.md").write_text("# my notes\n")
    assert store.doc_ids() == [DOC, "sub/nested.txt"]


# --- atomic saves -----------------------------------------------------------------------------


def test_a_save_leaves_no_temp_file(ws, store):
    for i in range(5):
        store.add(DOC, annotation(f"a{i}", i, i + 1))
    store.update(DOC, "a1", note="n")
    store.delete(DOC, "a2")
    assert leftovers(ws) == []
    assert [p.name for p in ws.annotations_dir.iterdir()] == [f"{DOC}.yaml"]


@pytest.mark.parametrize("where", ["fsync", "replace", "write"])
def test_disk_full_during_save_keeps_the_file_byte_identical(ws, store, monkeypatch, where):
    store.add(DOC, annotation("a1", note="precious"))
    path = store.path_for(DOC)
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, text):
                self.f.write(text[: len(text) // 2])
                full()

        monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(atomic.os, where, full)
    with pytest.raises(AnnotationError) as caught:
        store.add(DOC, annotation("a2", 10, 12))
    assert caught.value.path == path
    assert "No space left" in str(caught.value) and "not saved" in str(caught.value)
    assert path.read_bytes() == before
    assert leftovers(ws) == []
    monkeypatch.undo()
    assert [a.id for a in store.load(DOC).annotations] == ["a1"]


def test_disk_full_on_the_first_save_leaves_no_file(ws, store, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(AnnotationError, match="No space left"):
        store.add(DOC, annotation("a1"))
    assert not store.path_for(DOC).exists()
    assert leftovers(ws) == []


def test_a_save_keeps_the_permissions_of_the_file(store):
    store.add(DOC, annotation("a1"))
    path = store.path_for(DOC)
    path.chmod(0o640)
    store.add(DOC, annotation("a2", 10, 12))
    assert path.stat().st_mode & 0o777 == 0o640


# --- bad input: a clear error, with the line, and nothing overwritten -------------------------

GOOD_ITEM = """\
- id: a1
  tag: factual
  target:
    quote: hello world
    start: 0
    end: 11
"""

MALFORMED = {
    "yaml syntax": ("document: memo.txt\nannotations:\n- id: a1\n  tag: [factual\n", 5, "YAML"),
    "tabs": ("document: memo.txt\nannotations:\n\t- id: a1\n", 3, ""),
    "list at top": ("- id: a1\n  tag: factual\n", 1, "mapping"),
    "annotations a mapping": (
        "document: memo.txt\nannotations:\n  id: a1\n  tag: factual\n",
        2,
        "must be a list",
    ),
    "annotations a string": ("document: memo.txt\nannotations: none yet\n", 2, "must be a list"),
    "missing target": (
        "document: memo.txt\nannotations:\n- id: a1\n  tag: factual\n",
        3,
        "without 'target'",
    ),
    "missing id": (
        "document: memo.txt\nannotations:\n- tag: factual\n"
        "  target: {quote: q, start: 0, end: 1}\n",
        3,
        "without 'id'",
    ),
    "missing tag": (
        "document: memo.txt\nannotations:\n- id: a1\n  target: {quote: q, start: 0, end: 1}\n",
        3,
        "without 'tag'",
    ),
    "target a list": (
        "document: memo.txt\nannotations:\n- id: a1\n  tag: factual\n  target: [0, 11]\n",
        5,
        "'target' must be a mapping",
    ),
    "tag a list": (
        "document: memo.txt\nannotations:\n- id: a1\n  tag: [factual, disputed]\n"
        "  target: {quote: q, start: 0, end: 1}\n",
        (3, 4),  # the annotation or its tag
        "tag",
    ),
    "note a mapping": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM + "  note: {a: b}\n",
        9,
        "'note' must be text",
    ),
    "start not a number": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM.replace("start: 0", "start: zero"),
        7,
        "'start' must be a whole number",
    ),
    "start negative": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM.replace("start: 0", "start: -4"),
        7,
        "'start' must be a whole number",
    ),
    "end a float": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM.replace("end: 11", "end: 11.5"),
        8,
        "'end' must be a whole number",
    ),
    "end missing": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM.replace("    end: 11\n", ""),
        (5, 6),  # the target
        "'end' must be a whole number",
    ),
    "end before start": (
        "document: memo.txt\nannotations:\n"
        + GOOD_ITEM.replace("start: 0", "start: 9").replace("end: 11", "end: 2"),
        8,
        "'end' is before 'start'",
    ),
    "quote missing": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM.replace("    quote: hello world\n", ""),
        (5, 6),
        "quote",
    ),
    "duplicate ids": (
        "document: memo.txt\nannotations:\n" + GOOD_ITEM + GOOD_ITEM.replace("0\n", "1\n"),
        9,
        "duplicate annotation id a1",
    ),
    "duplicate keys": (
        "document: memo.txt\nannotations:\n"
        + GOOD_ITEM.replace("  tag: factual\n", "  tag: factual\n  tag: disputed\n"),
        5,
        "duplicate key 'tag'",
    ),
    "duplicate top-level keys": (
        "document: memo.txt\nannotations: []\ndocument: other.txt\n",
        3,
        "duplicate key 'document'",
    ),
}


PREFIX_A_LIST = (
    "document: memo.txt\nannotations:\n"
    + GOOD_ITEM.replace("    start: 0", "    prefix: [a, b]\n    start: 0"),
    (5, 6, 7),
    "prefix",
)
CASES = [
    *(pytest.param(*case, id=name) for name, case in MALFORMED.items()),
    pytest.param(*PREFIX_A_LIST, id="prefix a list"),
]


@pytest.mark.parametrize("content, line, fragment", CASES)
def test_a_malformed_file_is_an_error_with_its_path_and_line(store, content, line, fragment):
    path = write(store, DOC, content)
    with pytest.raises(AnnotationError) as caught:
        store.load(DOC)
    error = caught.value
    lines = line if isinstance(line, tuple) else (line,)
    assert error.path == path
    assert error.line in lines, str(error)
    assert fragment in error.message
    assert str(error).startswith(f"{path}:{error.line}")


@pytest.mark.parametrize("content, line, fragment", CASES)
def test_a_malformed_file_is_never_overwritten(store, content, line, fragment):
    path = write(store, DOC, content)
    before = path.read_bytes()
    for change in (
        lambda: store.add(DOC, annotation("new")),
        lambda: store.update(DOC, "a1", note="x"),
        lambda: store.delete(DOC, "a1"),
        lambda: store.change(DOC, lambda contents: contents.annotations.clear()),
    ):
        with pytest.raises(AnnotationError):
            change()
        assert path.read_bytes() == before


def test_an_annotation_that_is_not_a_mapping_is_reported_with_its_line(store):
    path = write(store, DOC, "document: memo.txt\nannotations:\n" + GOOD_ITEM + "- just text\n")
    with pytest.raises(AnnotationError, match="must be a mapping") as caught:
        store.load(DOC)
    assert caught.value.path == path
    assert caught.value.line == 9


def test_a_file_that_is_not_utf8_is_an_error_and_kept(store):
    path = store.path_for(DOC)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"document: memo.txt\nannotations:\n- id: \xff\xfe\n")
    before = path.read_bytes()
    with pytest.raises(AnnotationError, match="not UTF-8") as caught:
        store.add(DOC, annotation("a1"))
    assert caught.value.path == path
    assert path.read_bytes() == before


def test_an_empty_file_or_one_with_only_comments_reads_as_no_annotations(store):
    write(store, DOC, "# nothing yet\n")
    assert store.load(DOC).annotations == []
    store.add(DOC, annotation("a1"))
    assert [a.id for a in store.load(DOC).annotations] == ["a1"]


def test_a_file_whose_document_key_differs_from_its_name_is_kept_as_written(store):
    # `document:` says memo.txt but the file is other.txt.yaml: the file name decides which
    # document it annotates; the key is kept as the person wrote it
    path = write(store, OTHER, "document: memo.txt\nannotations:\n" + GOOD_ITEM)
    contents = store.load(OTHER)
    assert [a.id for a in contents.annotations] == ["a1"]
    store.add(OTHER, annotation("a2", 20, 25))
    assert yaml.safe_load(path.read_text())["document"] == "memo.txt"
    assert store.load(DOC).annotations == []


def test_problems_reports_a_malformed_file_with_its_line(ws, store):
    path = write(store, DOC, MALFORMED["end before start"][0])
    problems = list(store.problems({DOC, OTHER}, load_codebook(ws.annotations_dir).names))
    assert len(problems) == 1
    assert problems[0].path == path and problems[0].line == 8
    assert problems[0].severity == "error"
    assert "'end' is before 'start'" in str(problems[0])


def test_a_file_for_a_document_that_no_longer_exists_is_reported_and_kept(ws, store):
    store.add("gone.txt", annotation("a1", note="still mine"))
    path = store.path_for("gone.txt")
    before = path.read_bytes()
    problems = list(store.problems({DOC, OTHER}, {"factual", "disputed", "rhetorical"}))
    assert len(problems) == 1
    assert problems[0].path == path
    assert "gone.txt" in problems[0].message and "kept" in problems[0].message
    assert path.read_bytes() == before


def test_an_unknown_tag_is_reported_and_kept_through_a_rewrite(ws, store):
    store.add(DOC, annotation("a1", tag="propaganda"))
    store.add(DOC, annotation("a2", 10, 12, tag="factual"))
    tags = load_codebook(ws.annotations_dir).names
    problems = list(store.problems({DOC, OTHER}, tags))
    assert len(problems) == 1
    assert "a1" in problems[0].message and "'propaganda'" in problems[0].message
    store.update(DOC, "a2", note="rewritten")
    assert {a.id: a.tag for a in store.load(DOC).annotations} == {
        "a1": "propaganda",
        "a2": "factual",
    }
    # once the codebook defines it, it is no longer a problem
    (ws.annotations_dir / "codebook.yaml").write_text(
        "tags:\n- name: propaganda\n  description: state messaging\n"
    )
    assert list(store.problems({DOC, OTHER}, load_codebook(ws.annotations_dir).names)) == []


def test_a_clean_workspace_has_no_problems(ws, store):
    store.add(DOC, annotation("a1"))
    assert list(store.problems({DOC, OTHER}, {"factual", "disputed", "rhetorical"})) == []


def test_plain_values_are_read_as_the_text_written(store):
    # YAML 1.1 would read `no` as False, 1995 as a number, 0042 as 42
    write(
        store,
        DOC,
        """\
        document: memo.txt
        annotations:
        - id: 0042
          tag: no
          note: yes
          annotator: on
          target: {quote: 1995, prefix: 'In ', suffix: ' the', start: 3, end: 7}
        """,
    )
    [loaded] = store.load(DOC).annotations
    assert (loaded.id, loaded.tag, loaded.note, loaded.annotator) == ("0042", "no", "yes", "on")
    assert loaded.target.quote == "1995"
    store.update(DOC, "0042", annotator="on")
    [again] = store.load(DOC).annotations
    assert (again.id, again.tag, again.note, again.target.quote) == ("0042", "no", "yes", "1995")


# --- an annotations/ folder that cannot be written --------------------------------------------


def test_annotations_that_is_a_file_gives_a_clear_error(ws, store):
    ws.annotations_dir.write_text("not a folder\n")
    with pytest.raises(AnnotationError) as caught:
        store.add(DOC, annotation("a1"))
    assert caught.value.path is not None
    assert "annotations" in str(caught.value)
    assert "cannot" in caught.value.message and "Not a directory" in caught.value.message
    assert ws.annotations_dir.read_text() == "not a folder\n"
    assert store.doc_ids() == []


def test_an_unwritable_annotations_folder_gives_a_clear_error(ws, store, monkeypatch):
    store.add(DOC, annotation("a1"))
    path = store.path_for(DOC)
    before = path.read_bytes()

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(ws.annotations_dir))

    # what mkstemp does in a read-only folder (chmod is no help when the tests run as root)
    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(AnnotationError) as caught:
        store.add(DOC, annotation("a2", 10, 12))
    message = str(caught.value)
    assert caught.value.path == path
    assert "Permission denied" in message and "writable" in message
    assert path.read_bytes() == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_annotations_folder_gives_a_clear_error(ws, store):
    store.add(DOC, annotation("a1"))
    path = store.path_for(DOC)
    before = path.read_bytes()
    ws.annotations_dir.chmod(0o555)
    try:
        with pytest.raises(AnnotationError, match="writable"):
            store.add(DOC, annotation("a2", 10, 12))
    finally:
        ws.annotations_dir.chmod(0o755)
    assert path.read_bytes() == before


def test_an_unreadable_annotation_file_gives_a_clear_error(store, monkeypatch):
    store.add(DOC, annotation("a1"))
    real = Path.read_text

    def denied(self, *args, **kwargs):
        if self.name.endswith(".yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(AnnotationError, match="cannot read") as caught:
        store.load(DOC)
    assert caught.value.path == store.path_for(DOC)


# --- apply: one change from what this caller saw, merged with what is on disk --------------


def test_apply_adds_updates_and_deletes(store):
    first = annotation("a1", note="v1")
    assert store.apply(DOC, None, first) == ""
    second = replace(first, note="v2")
    assert store.apply(DOC, first, second) == ""
    assert store.load(DOC).annotations == [second]
    assert store.apply(DOC, second, None) == ""
    assert store.load(DOC).annotations == []
    assert store.apply(DOC, None, first) == ""  # undo of the delete: back as it was
    assert store.load(DOC).annotations == [first]


def test_apply_over_a_change_made_elsewhere_keeps_both_versions(ws, store):
    seen = annotation("a1", note="as both saw it")
    store.add(DOC, seen)
    theirs = AnnotationStore(ws).update(DOC, "a1", note="their note")
    message = store.apply(DOC, seen, replace(seen, note="my note"))
    assert "both versions are kept" in message
    notes = {a.note: a for a in store.load(DOC).annotations}
    assert set(notes) == {"their note", "my note"}
    assert notes["their note"].id == "a1" and notes["their note"] == theirs
    mine = notes["my note"]
    assert mine.id != "a1" and dict(mine.extra)["conflict_with"] == "a1"
    assert mine.id in message
    problems = list(store.problems({DOC}, {"factual", "disputed", "rhetorical"}))
    assert len(problems) == 1 and "conflicts with a1" in problems[0].message


def test_apply_never_deletes_what_was_changed_elsewhere(ws, store):
    seen = annotation("a1", note="old")
    store.add(DOC, seen)
    AnnotationStore(ws).update(DOC, "a1", note="changed elsewhere")
    message = store.apply(DOC, seen, None)
    assert "not deleted" in message
    [kept] = store.load(DOC).annotations
    assert kept.note == "changed elsewhere"


def test_apply_of_a_change_to_what_was_deleted_elsewhere_brings_it_back(ws, store):
    seen = annotation("a1", note="old")
    store.add(DOC, seen)
    AnnotationStore(ws).delete(DOC, "a1")
    mine = replace(seen, note="mine")
    message = store.apply(DOC, seen, mine)
    assert "deleted elsewhere" in message
    assert store.load(DOC).annotations == [mine]


# --- two writers ------------------------------------------------------------------------------


def test_two_stores_adding_to_one_document_keep_both(ws):
    first, second = AnnotationStore(ws), AnnotationStore(ws)
    first.load(DOC)  # each has read the (empty) file before the other writes
    second.load(DOC)
    first.add(DOC, annotation("from-first", 1, 4))
    second.add(DOC, annotation("from-second", 20, 30))
    ids = {a.id for a in first.load(DOC).annotations}
    assert ids == {"from-first", "from-second"}


def test_two_stores_updating_different_annotations_keep_both_changes(ws):
    first, second = AnnotationStore(ws), AnnotationStore(ws)
    first.add(DOC, annotation("a", 1, 4))
    first.add(DOC, annotation("b", 20, 30))
    seen_by_second = second.load(DOC)
    first.update(DOC, "a", note="first's note")
    second.update(DOC, "b", note="second's note", tag="disputed")
    notes = {a.id: (a.note, a.tag) for a in second.load(DOC).annotations}
    assert notes == {"a": ("first's note", "factual"), "b": ("second's note", "disputed")}
    assert len(seen_by_second.annotations) == 2
    # a delete by one and an add by the other
    second.delete(DOC, "a")
    first.add(DOC, annotation("c", 40, 44))
    assert {a.id for a in first.load(DOC).annotations} == {"b", "c"}


def test_a_save_clears_the_temp_files_a_killed_save_left(ws, store):
    path = store.path_for(DOC)
    path.parent.mkdir(parents=True, exist_ok=True)
    debris = path.parent / f".{path.name}.k1ll3d.tmp"
    debris.write_text("document: half a fil", encoding="utf-8")
    other = path.parent / ".another-document.txt.yaml.k1ll3d.tmp"
    other.write_text("not this one's", encoding="utf-8")
    store.add(DOC, annotation("a", 1, 4))
    assert not debris.exists()
    assert other.exists()  # another file's lock was not held: it is left alone
    assert [a.id for a in store.load(DOC).annotations] == ["a"]


def renamed(ws: Workspace, old: str, new: str) -> None:
    (ws.corpus_dir / old).rename(ws.corpus_dir / new)


def test_the_annotations_of_a_renamed_document_follow_it(ws, store):
    text = text_of(ws)
    made = make_annotation(text, *span_in_passage(text, 1, "the village of Talish"), "factual", "a")
    store.add(DOC, made, text)
    renamed(ws, DOC, "renamed.txt")
    assert store.relink(Corpus(ws)) == [(DOC, "renamed.txt")]
    assert not store.path_for(DOC).exists()
    moved = store.load("renamed.txt")
    assert moved.document == "renamed.txt"
    assert moved.annotations == [made]
    placed = store.place("renamed.txt", text_of(ws, "renamed.txt"))
    assert [p.anchor.state for p in placed] == [AnchorState.ANCHORED]
    assert store.relink(Corpus(ws)) == []  # nothing left to move


def test_a_rename_blocked_by_a_lock_is_a_clear_error_and_moves_nothing(ws, store, monkeypatch):
    from briefreader.core import annotations as module

    text = text_of(ws)
    made = make_annotation(text, *span_in_passage(text, 1, "the village"), "factual", "a")
    store.add(DOC, made, text)
    before = store.path_for(DOC).read_bytes()
    renamed(ws, DOC, "renamed.txt")
    monkeypatch.setattr(module, "LOCK_TIMEOUT", 0.1)
    with AnnotationStore(ws)._locked("renamed.txt"):  # another instance saving there
        error = raised_in_another_thread(lambda: AnnotationStore(ws).relink(Corpus(ws)))
    assert isinstance(error, AnnotationError)
    assert "another briefreader" in str(error) and "renamed.txt" in str(error)
    assert store.path_for(DOC).read_bytes() == before
    assert not store.path_for("renamed.txt").exists()


def test_a_renamed_document_with_a_twin_or_its_own_annotations_is_not_guessed(ws, store):
    text = text_of(ws)
    store.add(DOC, annotation("a", 1, 4), text)
    renamed(ws, DOC, "one.txt")
    twin = ws.corpus_dir / "two.txt"
    twin.write_bytes((ws.corpus_dir / "one.txt").read_bytes())
    assert store.relink(Corpus(ws)) == []  # two documents with that text: which one?
    twin.unlink()
    store.add("one.txt", annotation("b", 1, 4))
    assert store.relink(Corpus(ws)) == []  # its own annotations are not mixed with others
    assert [a.id for a in store.load(DOC).annotations] == ["a"]  # kept where it was


def test_a_hand_edit_between_two_saves_of_one_store_is_kept(store):
    """The store keeps the last text it read or wrote parsed; an edit of the same length
    made by hand, by git or by another program must still be seen."""
    store.add(DOC, annotation("a", 1, 4, tag="factual"))
    path = store.path_for(DOC)
    edited = path.read_text(encoding="utf-8").replace("tag: factual", "tag: fictual")
    path.write_text(edited, encoding="utf-8")  # same size, perhaps the same mtime
    store.add(DOC, annotation("b", 20, 30))
    tags = {a.id: a.tag for a in store.load(DOC).annotations}
    assert tags == {"a": "fictual", "b": "factual"}


def test_changing_what_load_returned_changes_nothing_stored(store):
    store.add(DOC, annotation("a", 1, 4))
    loaded = store.load(DOC)
    loaded.annotations.clear()
    loaded.extra["stray"] = 1
    again = store.load(DOC)
    assert [a.id for a in again.annotations] == ["a"]
    assert "stray" not in again.extra


def test_threads_adding_to_one_file_lose_nothing(ws):
    errors: list[BaseException] = []

    def work(name: str) -> None:
        store = AnnotationStore(ws)
        try:
            for i in range(20):
                store.add(DOC, annotation(f"{name}-{i:02d}", i, i + 1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ids = [a.id for a in AnnotationStore(ws).load(DOC).annotations]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert leftovers(ws) == []


WRITER = """\
import sys
from pathlib import Path

from briefreader.core.annotations import AnnotationStore
from briefreader.core.models import Annotation, Target
from briefreader.core.workspace import Workspace

store = AnnotationStore(Workspace(Path(sys.argv[1])))
name, count = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # both start together
for i in range(count):
    target = Target(f"quote {i}", "", "", i, i + 1)
    store.add("memo.txt", Annotation(f"{name}-{i:02d}", "factual", target, annotator=name))
"""


def test_two_processes_adding_to_one_file_lose_nothing(ws, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(ws.root), name, "20"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    annotations = AnnotationStore(ws).load(DOC).annotations
    ids = sorted(a.id for a in annotations)
    assert ids == sorted(f"{name}-{i:02d}" for name in ("p1", "p2") for i in range(20))
    assert leftovers(ws) == []


def raised_in_another_thread(call) -> BaseException | None:
    """What `call` raised in a thread of its own (as another instance would), or None: the
    lock held by this thread is not held by that one."""
    raised: list[BaseException] = []

    def attempt() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return raised[0] if raised else None


def test_a_lock_held_too_long_is_a_clear_error(ws, store, monkeypatch):
    from briefreader.core import annotations as module

    store.add(DOC, annotation("a1"))
    before = store.path_for(DOC).read_bytes()
    monkeypatch.setattr(module, "LOCK_TIMEOUT", 0.1)
    with AnnotationStore(ws)._locked(DOC):  # another instance saving
        error = raised_in_another_thread(
            lambda: AnnotationStore(ws).add(DOC, annotation("a2", 10, 12))
        )
    assert isinstance(error, AnnotationError)
    assert "another briefreader" in str(error)
    assert store.path_for(DOC).read_bytes() == before


# --- killed in the middle of a save -----------------------------------------------------------

SAVER = """\
import sys
from pathlib import Path

from briefreader.core.annotations import AnnotationStore
from briefreader.core.models import Annotation, Target
from briefreader.core.workspace import Workspace

store = AnnotationStore(Workspace(Path(sys.argv[1])))
NOTE = "A long note, so that a save takes a while. " * 40


def next_version(contents):
    version = len(contents.annotations)
    target = Target(f"quote {version}", "", "", version, version + 1)
    contents.annotations.append(Annotation(f"n{version:05d}", "factual", target, NOTE))
    # the first annotation says which save wrote the file: a file cut short would not
    # hold as many annotations as its version says
    first = contents.annotations[0]
    contents.annotations[0] = Annotation(first.id, first.tag, first.target, f"version {version}")


store.change("memo.txt", next_version)
print("ready", flush=True)
while True:
    store.change("memo.txt", next_version)
"""


def check_consistent(store: AnnotationStore) -> int:
    """The file parses and is one whole version; return its version."""
    annotations = store.load(DOC).annotations
    version = int(annotations[0].note.removeprefix("version "))
    assert [a.id for a in annotations] == [f"n{i:05d}" for i in range(version + 1)]
    return version


def test_killing_a_process_in_the_middle_of_saves_never_corrupts_the_file(ws, tmp_path):
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    store = AnnotationStore(ws)
    rng = random.Random(4)
    last = -1
    for _ in range(30):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(ws.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if proc.poll() is not None else ""
        threading.Event().wait(rng.uniform(0, 0.03))  # let it save a few times
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        version = check_consistent(store)
        assert version >= last  # a save that finished is never undone
        last = version
        # a temp file left by the kill is never taken for an annotation file
        assert store.doc_ids() == [DOC]
        for stray in leftovers(ws):
            assert stray.startswith(f".{DOC}.yaml.") and stray.endswith(".tmp")
    # and the next save works: no stale lock
    store.change(DOC, lambda contents: None)
    assert check_consistent(store) == last


# --- the annotator ----------------------------------------------------------------------------


@pytest.fixture
def git_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git reads no global or system config: only the repository's own."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    monkeypatch.delenv("BRIEFREADER_ANNOTATOR", raising=False)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "os-user")


def git_repo(ws: Workspace, user: str | None) -> None:
    subprocess.run(["git", "init", "-q", str(ws.root)], check=True)
    if user is not None:
        subprocess.run(["git", "-C", str(ws.root), "config", "user.name", user], check=True)


@pytest.mark.usefixtures("git_isolated")
def test_annotator_explicit_beats_everything(ws, monkeypatch):
    git_repo(ws, "Git User")
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "env-user")
    assert resolve_annotator("  cli-user ", ws) == "cli-user"


@pytest.mark.usefixtures("git_isolated")
def test_annotator_from_the_environment_beats_git(ws, monkeypatch):
    git_repo(ws, "Git User")
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "env-user")
    assert resolve_annotator(None, ws) == "env-user"
    assert resolve_annotator("   ", ws) == "env-user"  # a blank --annotator is no name


@pytest.mark.usefixtures("git_isolated")
def test_annotator_from_the_workspace_git_user_name(ws, monkeypatch):
    git_repo(ws, "Git User")
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "  ")
    assert resolve_annotator(None, ws) == "Git User"
    assert resolve_annotator("", ws) == "Git User"


@pytest.mark.usefixtures("git_isolated")
def test_annotator_falls_back_to_the_os_user(ws):
    assert resolve_annotator(None, ws) == "os-user"  # not a git repository
    git_repo(ws, None)
    assert resolve_annotator(None, ws) == "os-user"  # a repository with no user.name


@pytest.mark.usefixtures("git_isolated")
def test_annotator_without_git_installed(ws, monkeypatch):
    git_repo(ws, "Git User")
    monkeypatch.setenv("PATH", str(ws.root / "no-such-bin"))
    assert resolve_annotator(None, ws) == "os-user"


# --- re-anchored positions written back on save -----------------------------------------------


@pytest.fixture
def annotated(ws, store):
    """memo.txt with a sentence annotated (with its context) and its first passage whole."""
    text = text_of(ws)
    sentence = make_annotation(
        text, *span_in_passage(text, 1, "Officials denied it."), "disputed", "alice"
    )
    passage = make_annotation(text, *span_in_passage(text, 2, None), "factual", "alice")
    store.add(DOC, sentence)
    store.add(DOC, passage)
    return sentence, passage


def edit_document(ws: Workspace, old: str, new: str) -> NormalizedText:
    path = ws.corpus_dir / DOC
    raw = path.read_text(encoding="utf-8")
    assert old in raw
    path.write_text(raw.replace(old, new, 1), encoding="utf-8")
    return text_of(ws)


def test_positions_move_on_save_after_text_was_inserted_before(ws, store, annotated):
    sentence, passage = annotated
    added = "An editor's note now opens the memo and shifts everything after it."
    text = edit_document(ws, "Ceasefire talks\n\n", f"Ceasefire talks\n\n{added}\n\n")
    shift = len(added) + 2
    # loading alone moves nothing on disk
    placed = {p.annotation.id: p.anchor for p in store.place(DOC, text)}
    assert placed[sentence.id].state is AnchorState.ANCHORED
    assert placed[sentence.id].start == sentence.target.start + shift
    assert store.load(DOC).annotations[0].target == sentence.target
    # the next save of this document writes the new positions
    store.change(DOC, lambda contents: None, text=text)
    saved = {a.id: a for a in store.load(DOC).annotations}
    for before in (sentence, passage):
        after = saved[before.id]
        assert (after.target.start, after.target.end) == (
            before.target.start + shift,
            before.target.end + shift,
        )
        assert after.target.quote == before.target.quote
        assert text.text[after.target.start : after.target.end] == before.target.quote
        assert (after.note, after.tag, after.created) == (before.note, before.tag, before.created)
    assert store.place(DOC, text)[0].anchor.state is AnchorState.ANCHORED


def test_an_update_writes_back_the_moves_of_the_other_annotations_too(ws, store, annotated):
    sentence, passage = annotated
    text = edit_document(ws, "Ceasefire talks\n\n", "Ceasefire talks\n\nInserted.\n\n")
    store.update(DOC, passage.id, text=text, note="checked")
    moved = next(a for a in store.load(DOC).annotations if a.id == sentence.id)
    assert moved.target.start == sentence.target.start + len("Inserted.\n\n")


def test_an_orphaned_annotation_is_left_untouched_on_save(ws, store, annotated):
    _, passage = annotated
    text = edit_document(
        ws, "Delegations met twice in Geneva and agreed to meet again after the summer.\n\n", ""
    )
    states = {p.annotation.id: p.anchor.state for p in store.place(DOC, text)}
    assert states[passage.id] is AnchorState.ORPHANED
    store.add(DOC, make_annotation(text, 0, 5, "factual", "bob"), text=text)
    kept = next(a for a in store.load(DOC).annotations if a.id == passage.id)
    assert kept == passage  # quote, context and offsets exactly as they were


def test_an_annotation_that_needs_review_is_left_untouched_on_save(ws, store):
    text = text_of(ws)
    start, end = span_in_passage(text, 1, CLAIM)
    claim = make_annotation(text, start, end, "disputed", "alice")
    store.add(DOC, claim)
    # the claim is rewritten where it stood, and the original words now appear, quoted,
    # in two new paragraphs: which (if any) is the annotated one needs a human
    text = edit_document(
        ws,
        f"{CLAIM} Officials denied it.",
        "The army was said to have shelled Talish on Monday. Officials denied it.\n\n"
        f"One blog wrote: {CLAIM} Nobody checked.\n\nAnother blog wrote: {CLAIM} Same.",
    )
    assert store.place(DOC, text)[0].anchor.state is AnchorState.REVIEW
    store.change(DOC, lambda contents: None, text=text)
    assert store.load(DOC).annotations == [claim]


def test_a_relocated_annotation_is_written_at_its_new_wording(ws, store):
    text = text_of(ws)
    claim = make_annotation(text, *span_in_passage(text, 1, CLAIM), "disputed", "alice")
    store.add(DOC, claim)
    text = edit_document(ws, "at dawn on Monday", "at dawn last Monday")
    [placed] = store.place(DOC, text)
    assert placed.anchor.state is AnchorState.RELOCATED
    store.change(DOC, lambda contents: None, text=text)
    [saved] = store.load(DOC).annotations
    assert "at dawn last Monday" in saved.target.quote
    assert text.text[saved.target.start : saved.target.end] == saved.target.quote
    assert store.place(DOC, text)[0].anchor.state is AnchorState.ANCHORED
    assert replace(saved, target=claim.target) == claim  # nothing else changed


def test_without_the_text_a_save_moves_nothing(ws, store, annotated):
    sentence, passage = annotated
    edit_document(ws, "Ceasefire talks\n\n", "Ceasefire talks\n\nInserted.\n\n")
    store.update(DOC, passage.id, note="checked")
    moved = next(a for a in store.load(DOC).annotations if a.id == sentence.id)
    assert moved.target == sentence.target


def test_write_back_on_the_bundled_corpus(workspace):
    """A real document: a passage annotated, a paragraph inserted above it, saved."""
    from tests.conftest import TATIKYAN

    corpus, store = Corpus(workspace), AnnotationStore(workspace)
    text = corpus.load(TATIKYAN).text
    made = make_annotation(text, *span_in_passage(text, 5, None), "rhetorical", "alice")
    store.add(TATIKYAN, made)
    path = workspace.corpus_dir / TATIKYAN
    raw = path.read_text(encoding="utf-8")
    first = corpus.load(TATIKYAN).text.passage(1).text
    at = raw.index(first[:40])
    path.write_text(raw[:at] + "A new opening paragraph.\n\n" + raw[at:], encoding="utf-8")
    new_text = Corpus(workspace).load(TATIKYAN).text
    store.change(TATIKYAN, lambda contents: None, text=new_text)
    [saved] = store.load(TATIKYAN).annotations
    assert saved.target.start > made.target.start
    assert new_text.text[saved.target.start : saved.target.end] == made.target.quote
    assert normalize(path.read_text()).text == new_text.text
