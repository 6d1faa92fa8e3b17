"""Links between claims (issue 8, item 3, core side): an annotation links to annotations of
other documents, by id, with a relation; the links live in the YAML of the annotation that
makes them, round-trip exactly, survive re-anchoring and renames, merge as a set, are
reported by `check` when they lead nowhere, and are exported in every format (the W3C JSON
with a `linking` body, read back by `import`)."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefreader.core.annotations import (
    AnnotationFile,
    AnnotationStore,
    make_annotation,
    parse,
    render,
)
from briefreader.core.corpus import Corpus
from briefreader.core.errors import AnnotationError
from briefreader.core.excerpts import collect
from briefreader.core.export import build_export, short_quote
from briefreader.core.merge import CONFLICT_KEY, merge_contents, merge_files
from briefreader.core.models import (
    INVERSE_RELATIONS,
    RELATIONS,
    Annotation,
    Link,
    NormalizedText,
    Target,
)
from briefreader.core.webanno import (
    ANNOTATION_PREFIX,
    DOC_PREFIX,
    WebAnnotationError,
    from_json,
    import_annotations,
)
from briefreader.core.workspace import Workspace
from tests.cli_runner import run
from tests.conftest import APRI, BAKU, TATIKYAN, copy_workspace

CLAIM = "The army shelled the village of Talish at dawn on Monday, witnesses said."
DENIAL = "The ministry denied that any shelling of Talish took place on Monday."
MEMO = (
    "Ceasefire talks\n\n"
    f"{CLAIM} Officials denied it.\n\n"
    "Delegations met twice in Geneva and agreed to meet again after the summer.\n"
)
REPLY = f"Ministry statement\n\n{DENIAL}\n\nA second paragraph of the statement follows here.\n"
DOC, OTHER = "memo.txt", "reply.txt"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """Two small documents, one for each side of a claim; no annotations yet."""
    root = tmp_path / "ws"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / DOC).write_text(MEMO, encoding="utf-8")
    (root / "corpus" / OTHER).write_text(REPLY, encoding="utf-8")
    return Workspace(root.resolve())


@pytest.fixture
def store(ws: Workspace) -> AnnotationStore:
    return AnnotationStore(ws)


def text_of(ws: Workspace, doc_id: str) -> NormalizedText:
    return Corpus(ws).load(doc_id).text


def tag(ws: Workspace, store: AnnotationStore, doc_id: str, quote: str, tag_: str = "disputed"):
    text = text_of(ws, doc_id)
    start = text.text.index(quote)
    made = make_annotation(text, start, start + len(quote), tag_, "alice")
    return store.add(doc_id, made, text)


@pytest.fixture
def pair(ws, store) -> tuple[Annotation, Annotation]:
    """The claim in the memo and the denial in the reply, annotated."""
    return tag(ws, store, DOC, CLAIM), tag(ws, store, OTHER, DENIAL)


def write(store: AnnotationStore, doc_id: str, text: str) -> Path:
    path = store.path_for(doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the model and the file format ------------------------------------------------------------


def test_relations_and_their_inverse():
    assert RELATIONS == ("contradicts", "supports", "same-event")
    assert set(INVERSE_RELATIONS) == set(RELATIONS)
    link = Link(APRI, "3e5c16641d01", "contradicts")
    assert link.key == (APRI, "3e5c16641d01", "contradicts")
    assert str(link) == f"contradicts:{APRI}#3e5c16641d01"
    with pytest.raises(AttributeError):
        link.relation = "supports"  # type: ignore[misc]
    assert Annotation("a", "factual", Target("q", "", "", 0, 1)).links == ()


def test_links_are_written_after_the_note_readably_and_omitted_when_empty(ws, store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    text = store.path_for(DOC).read_text(encoding="utf-8")
    assert (
        f"  tag: disputed\n"
        f"  links:\n"
        f"  - relation: contradicts\n"
        f"    doc: {OTHER}\n"
        f"    id: {denial.id}\n"
        f"  annotator: alice\n"
    ) in text
    assert "links" not in store.path_for(OTHER).read_text(encoding="utf-8")


HAND_WRITTEN = f"""\
document: {DOC}
annotations:
- id: abc
  tag: disputed
  note: see the reply
  links:
  - relation: contradicts
    doc: {OTHER}
    id: def
  - relation: supports
    doc: {APRI}
    id: '123456789012'
    why: the same figure
    seen: 2
  - relation: causes
    doc: {BAKU}
    id: ghi
  annotator: alice
  created: '2026-01-01T00:00:00Z'
  updated: '2026-01-01T00:00:00Z'
  target:
    quote: q
    prefix: ''
    suffix: ''
    start: 0
    end: 1
"""


def test_a_file_with_links_round_trips_byte_for_byte():
    contents = parse(HAND_WRITTEN, Path("x.yaml"), DOC)
    (a,) = contents.annotations
    assert a.links == (
        Link(OTHER, "def", "contradicts"),
        Link(APRI, "123456789012", "supports", (("why", "the same figure"), ("seen", 2))),
        Link(BAKU, "ghi", "causes"),  # unknown relation: kept as written, check reports it
    )
    assert a.extra == ()  # 'links' is a known key, not an unknown one
    assert render(contents) == HAND_WRITTEN
    assert parse(render(contents), Path("x.yaml"), DOC) == contents


def test_a_numeric_looking_id_is_read_as_written_and_stays_text():
    text = HAND_WRITTEN.replace("'123456789012'", "000123")
    (a,) = parse(text, Path("x.yaml"), DOC).annotations
    assert a.links[1].id == "000123"
    assert "id: '000123'" in render(AnnotationFile(DOC, [a]))


@pytest.mark.parametrize("empty", ["links: []", "links:", "links: null"])
def test_empty_links_read_as_none(empty):
    text = HAND_WRITTEN.split("  links:")[0] + f"  {empty}\n  annotator: alice\n"
    text += "  target:\n    quote: q\n    start: 0\n    end: 1\n"
    (a,) = parse(text, Path("x.yaml"), DOC).annotations
    assert a.links == ()


def annotation_with(links: str) -> str:
    return (
        "document: memo.txt\n"  # line 1
        "annotations:\n"  # 2
        "- id: abc\n"  # 3
        "  tag: disputed\n"  # 4
        f"{links}"  # from line 5
        "  target:\n    quote: q\n    start: 0\n    end: 1\n"
    )


@pytest.mark.parametrize(
    "links, line, column, fragment",
    [
        ("  links: contradicts\n", 5, 3, "'links' must be a list"),
        ("  links:\n    relation: supports\n", 5, 3, "'links' must be a list"),
        ("  links:\n  - reply.txt#def\n", 6, 5, "must be a list of mappings"),
        ("  links:\n  - doc: reply.txt\n    id: def\n", 6, 5, "link without 'relation'"),
        ("  links:\n  - relation: supports\n    id: def\n", 6, 5, "link without 'doc'"),
        ("  links:\n  - relation: supports\n    doc: reply.txt\n", 6, 5, "link without 'id'"),
        (
            "  links:\n  - relation: supports\n    doc: reply.txt\n    id: ''\n",
            8,
            5,
            "link 'id' must be text",
        ),
        (
            "  links:\n  - relation: [supports]\n    doc: reply.txt\n    id: def\n",
            6,
            5,
            "link 'relation' must be text",
        ),
        (
            "  links:\n  - relation: supports\n    doc: {a: 1}\n    id: def\n",
            7,
            5,
            "link 'doc' must be text",
        ),
        (
            "  links:\n  - relation: supports\n    doc: reply.txt\n    id: def\n"
            "  - relation: supports\n    doc: reply.txt\n    id: def\n    id: ghi\n",
            12,
            5,
            "duplicate key 'id'",
        ),
    ],
    ids=[
        "scalar",
        "mapping",
        "item not a mapping",
        "no relation",
        "no doc",
        "no id",
        "empty id",
        "relation a list",
        "doc a mapping",
        "duplicate key",
    ],
)
def test_malformed_links_are_an_error_with_file_line_and_column(links, line, column, fragment):
    path = Path("annotations/memo.txt.yaml")
    with pytest.raises(AnnotationError) as caught:
        parse(annotation_with(links), path, DOC)
    error = caught.value
    assert fragment in error.message
    assert (error.path, error.line, error.column) == (path, line, column)
    assert str(error).startswith(f"{path}:{line}:{column}: ")


# --- the store: link, unlink, links_to ---------------------------------------------------------


def test_link_saves_the_link_stamps_updated_and_returns_the_annotation(ws, store, pair):
    claim, denial = pair
    link = Link(OTHER, denial.id, "contradicts")
    linked = store.link(DOC, claim.id, link)
    assert linked.links == (link,)
    assert linked == replace(claim, links=(link,), updated=linked.updated)
    assert linked.updated >= claim.updated
    # what is on disk, read by a new store (no cache)
    assert AnnotationStore(ws).find(DOC, claim.id) == linked


def test_linking_twice_is_a_no_op(store, pair):
    claim, denial = pair
    link = Link(OTHER, denial.id, "contradicts")
    first = store.link(DOC, claim.id, link)
    before = store.path_for(DOC).read_bytes()
    assert store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts")) == first
    assert store.path_for(DOC).read_bytes() == before


def test_another_relation_to_the_same_annotation_is_another_link(store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    both = store.link(DOC, claim.id, Link(OTHER, denial.id, "same-event"))
    assert [x.relation for x in both.links] == ["contradicts", "same-event"]


def test_a_link_within_one_document_is_allowed(ws, store, pair):
    claim, _ = pair
    meeting = tag(ws, store, DOC, "Delegations met twice in Geneva", "factual")
    linked = store.link(DOC, meeting.id, Link(DOC, claim.id, "same-event"))
    assert linked.links == (Link(DOC, claim.id, "same-event"),)


@pytest.mark.parametrize(
    "make_link, fragment",
    [
        (lambda claim, denial: Link(DOC, claim.id, "supports"), "cannot link to itself"),
        (lambda claim, denial: Link(OTHER, denial.id, "refutes"), "unknown relation 'refutes'"),
        (lambda claim, denial: Link(OTHER, "nosuchid", "supports"), "no annotation nosuchid"),
        (lambda claim, denial: Link("gone.txt", denial.id, "supports"), "on gone.txt"),
        (lambda claim, denial: Link(DOC, "nosuchid", "supports"), "no annotation nosuchid"),
        (lambda claim, denial: Link("", denial.id, "supports"), "needs the document"),
    ],
    ids=["itself", "unknown relation", "missing id", "missing document", "same doc", "no doc"],
)
def test_a_link_that_cannot_be_made_is_refused_and_nothing_written(
    store, pair, make_link, fragment
):
    claim, denial = pair
    before = store.path_for(DOC).read_bytes()
    with pytest.raises(AnnotationError, match=fragment):
        store.link(DOC, claim.id, make_link(claim, denial))
    assert store.path_for(DOC).read_bytes() == before


def test_linking_from_an_annotation_that_is_not_there_is_an_error(store, pair):
    _, denial = pair
    with pytest.raises(AnnotationError, match=f"no annotation nosuchid on {DOC}"):
        store.link(DOC, "nosuchid", Link(OTHER, denial.id, "supports"))


def test_unlink_removes_by_document_id_and_relation(store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    store.link(DOC, claim.id, Link(OTHER, denial.id, "same-event"))
    left = store.unlink(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    assert left.links == (Link(OTHER, denial.id, "same-event"),)
    assert store.find(DOC, claim.id) == left
    before = store.path_for(DOC).read_bytes()
    assert store.unlink(DOC, claim.id, Link(OTHER, denial.id, "supports")) == left  # not held
    assert store.path_for(DOC).read_bytes() == before
    with pytest.raises(AnnotationError, match="no annotation nosuchid"):
        store.unlink(DOC, "nosuchid", Link(OTHER, denial.id, "same-event"))


def test_unlink_also_removes_a_link_with_unknown_keys(store, pair):
    claim, denial = pair
    path = store.path_for(DOC)
    link_text = f"  links:\n  - relation: supports\n    doc: {OTHER}\n    id: {denial.id}\n"
    path.write_text(
        path.read_text().replace("  annotator:", link_text + "    why: x\n  annotator:", 1)
    )
    assert store.find(DOC, claim.id).links == (Link(OTHER, denial.id, "supports", (("why", "x"),)),)
    assert store.unlink(DOC, claim.id, Link(OTHER, denial.id, "supports")).links == ()


def test_links_to_lists_the_annotations_linking_here(ws, store, pair):
    claim, denial = pair
    meeting = tag(ws, store, DOC, "Delegations met twice in Geneva", "factual")
    second = tag(ws, store, OTHER, "A second paragraph", "factual")
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    store.link(DOC, meeting.id, Link(OTHER, denial.id, "same-event"))
    store.link(OTHER, second.id, Link(OTHER, denial.id, "supports"))
    store.link(OTHER, denial.id, Link(DOC, claim.id, "contradicts"))  # back: not "to" itself
    found = store.links_to(OTHER, denial.id)
    assert [(d, a.id, x.relation) for d, a, x in found] == [
        (DOC, claim.id, "contradicts"),
        (DOC, meeting.id, "same-event"),
        (OTHER, second.id, "supports"),
    ]
    assert found[0][1] == store.find(DOC, claim.id)
    assert [(d, a.id) for d, a, _ in store.links_to(DOC, claim.id)] == [(OTHER, denial.id)]
    assert store.links_to(DOC, meeting.id) == []


def test_links_to_skips_a_malformed_file(ws, store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    write(store, "broken.txt", "annotations: [\n")
    assert [(d, a.id) for d, a, _ in store.links_to(OTHER, denial.id)] == [(DOC, claim.id)]


def test_a_link_is_applied_to_the_file_as_it_is_now(ws, store, pair):
    """Under the lock, re-read, one change: another instance's annotation made meanwhile
    (behind this store's cache) is kept."""
    claim, denial = pair
    other_instance = AnnotationStore(ws)
    added = tag(ws, other_instance, DOC, "Officials denied it.", "rhetorical")
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    on_disk = AnnotationStore(ws).load(DOC).annotations
    assert {a.id for a in on_disk} == {claim.id, added.id}
    assert AnnotationStore(ws).find(DOC, claim.id).links == (Link(OTHER, denial.id, "contradicts"),)


def test_apply_and_update_keep_links(store, pair):
    claim, denial = pair
    linked = store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    retagged = replace(linked, tag="factual")
    assert store.apply(DOC, linked, retagged) == ""
    assert store.find(DOC, claim.id).links == linked.links
    assert store.update(DOC, claim.id, note="OSCE differs").links == linked.links


# --- re-anchoring and renames ----------------------------------------------------------------


def test_links_survive_re_anchoring_of_both_ends(ws, store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    # both documents change: their annotations move
    (ws.corpus_dir / DOC).write_text(
        MEMO.replace(
            "Ceasefire talks\n\n", "Ceasefire talks\n\nA new opening paragraph was added.\n\n"
        )
    )
    (ws.corpus_dir / OTHER).write_text(
        REPLY.replace("Ministry statement\n\n", "Ministry statement\n\nIt was issued at noon.\n\n")
    )
    memo, reply = text_of(ws, DOC), text_of(ws, OTHER)
    # saving with the current text writes the new places
    store.update(DOC, claim.id, memo, note="moved")
    store.update(OTHER, denial.id, reply, note="moved too")
    moved_claim, moved_denial = store.find(DOC, claim.id), store.find(OTHER, denial.id)
    assert moved_claim.target.start > claim.target.start
    assert moved_denial.target.start > denial.target.start
    assert memo.text[moved_claim.target.start : moved_claim.target.end] == CLAIM
    assert moved_claim.links == (Link(OTHER, denial.id, "contradicts"),)
    # and still resolve: to the moved annotation, from it, and in check
    assert [(d, a) for d, a, _ in store.links_to(OTHER, denial.id)] == [(DOC, moved_claim)]
    assert store.find(OTHER, moved_claim.links[0].id) == moved_denial
    assert list(store.problems({DOC, OTHER}, {"disputed"})) == []


def test_linking_with_the_text_writes_the_moved_place_too(ws, store, pair):
    claim, denial = pair
    (ws.corpus_dir / DOC).write_text("Preface\n\nSomething new first.\n\n" + MEMO)
    memo = text_of(ws, DOC)
    linked = store.link(DOC, claim.id, Link(OTHER, denial.id, "supports"), memo)
    assert linked.links == (Link(OTHER, denial.id, "supports"),)
    saved = store.find(DOC, claim.id)
    assert memo.text[saved.target.start : saved.target.end] == CLAIM
    assert saved.target.start != claim.target.start and saved.links == linked.links


def test_links_follow_a_renamed_document(ws, store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    store.link(OTHER, denial.id, Link(DOC, claim.id, "contradicts"))
    store.change(OTHER, lambda contents: None, text_of(ws, OTHER))  # records the text hash
    (ws.corpus_dir / OTHER).rename(ws.corpus_dir / "statement.txt")
    assert store.relink(Corpus(ws)) == [(OTHER, "statement.txt")]
    assert store.find(DOC, claim.id).links == (Link("statement.txt", denial.id, "contradicts"),)
    # the renamed file's own links to other documents are unchanged
    assert store.find("statement.txt", denial.id).links == (Link(DOC, claim.id, "contradicts"),)
    assert list(store.problems({DOC, "statement.txt"}, {"disputed"})) == []


# --- check ----------------------------------------------------------------------------------


def problems_of(store: AnnotationStore, known=(DOC, OTHER)) -> list:
    return list(store.problems(set(known), {"disputed", "factual"}))


def test_a_link_to_a_deleted_annotation_is_reported_never_raised(store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    assert problems_of(store) == []
    store.delete(OTHER, denial.id)  # the reply's file is gone with its last annotation
    (problem,) = problems_of(store)
    assert problem.path == store.path_for(DOC) and problem.severity == "error"
    assert f"annotation {claim.id} links (contradicts) to {OTHER}#{denial.id}" in problem.message
    assert f"{OTHER} has no annotation {denial.id}" in problem.message
    assert "remove the link" in problem.message
    # another annotation still in the file: the same
    tag_denial = make_annotation(Corpus(store.workspace).load(OTHER).text, 0, 8, "factual", "bob")
    store.add(OTHER, tag_denial)
    (problem,) = problems_of(store)
    assert f"has no annotation {denial.id}" in problem.message


def test_a_link_to_a_missing_document_is_reported(store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    problems = problems_of(store, known=(DOC,))  # reply.txt left the corpus; its file stays
    messages = [p.message for p in problems]
    assert f"no document {OTHER} in corpus/; its annotations are kept" in messages
    (link_problem,) = [p for p in problems if p.path == store.path_for(DOC)]
    assert f"no document {OTHER} in corpus/ (its annotations are kept)" in link_problem.message
    assert "restore the document, or remove the link" in link_problem.message


def test_unknown_relation_self_link_and_duplicates_are_reported_and_kept(store, pair):
    claim, denial = pair
    path = store.path_for(DOC)
    links = (
        "  links:\n"
        f"  - {{relation: refutes, doc: {OTHER}, id: {denial.id}}}\n"
        f"  - {{relation: supports, doc: {DOC}, id: {claim.id}}}\n"
        f"  - {{relation: same-event, doc: {OTHER}, id: {denial.id}}}\n"
        f"  - {{relation: same-event, doc: {OTHER}, id: {denial.id}}}\n"
    )
    path.write_text(path.read_text().replace("  annotator:", links + "  annotator:", 1))
    before = path.read_bytes()
    problems = problems_of(store)
    found = {(p.severity, m) for p in problems for m in [p.message]}
    assert all(p.path == path for p in problems)
    assert any(
        s == "error"
        and f"annotation {claim.id}: unknown link relation 'refutes'" in m
        and "it is kept as is" in m
        for s, m in found
    )
    assert any(s == "error" and "to itself" in m for s, m in found)
    assert any(s == "warning" and "twice" in m for s, m in found)
    assert len(problems) == 3
    assert path.read_bytes() == before


def test_a_link_to_a_malformed_file_is_not_reported_twice(store, pair):
    claim, denial = pair
    store.link(DOC, claim.id, Link(OTHER, denial.id, "contradicts"))
    store.path_for(OTHER).write_text("annotations: [\n")
    (problem,) = problems_of(store)
    assert problem.path == store.path_for(OTHER)  # the broken file, not the link to it


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    workspace = copy_workspace(tmp_path / "bundled")
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(workspace.root))
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "tester")
    return workspace


def annotate_passage(ws: Workspace, doc_id: str, passage: int, tag_: str) -> Annotation:
    text = Corpus(ws).load(doc_id).text
    chosen = text.passage(passage)
    made = make_annotation(text, chosen.start, chosen.end, tag_, "tester")
    return AnnotationStore(ws).add(doc_id, made, text)


def test_briefreader_check_prints_a_dangling_link_and_fails(bundled):
    store = AnnotationStore(bundled)
    claim = annotate_passage(bundled, TATIKYAN, 17, "disputed")
    answer = annotate_passage(bundled, APRI, 9, "disputed")
    store.link(TATIKYAN, claim.id, Link(APRI, answer.id, "supports"))
    assert run("check").exit_code == 0
    store.delete(APRI, answer.id)
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [row for row in result.stdout.splitlines() if row.startswith("error: ")]
    assert any(
        row.startswith(f"error: {store.path_for(TATIKYAN)}: annotation {claim.id} links")
        and answer.id in row
        for row in errors
    ), result.stdout


def test_annotations_json_lists_links(bundled):
    store = AnnotationStore(bundled)
    claim = annotate_passage(bundled, TATIKYAN, 17, "disputed")
    answer = annotate_passage(bundled, APRI, 9, "disputed")
    store.link(TATIKYAN, claim.id, Link(APRI, answer.id, "same-event"))
    result = run("annotations", "--json")
    assert result.exit_code == 0, result.output
    items = {item["id"]: item for item in json.loads(result.stdout)}
    assert items[claim.id]["links"] == [{"relation": "same-event", "doc": APRI, "id": answer.id}]
    assert items[answer.id]["links"] == []


# --- merge ----------------------------------------------------------------------------------


def ann(ident: str, *links: Link, **kw) -> Annotation:
    target = Target(f"quote {ident}", "", "", 0, 5)
    stamp = kw.pop("updated", "2026-01-01T00:00:00Z")
    created = "2026-01-01T00:00:00Z"
    return Annotation(ident, "factual", target, created=created, updated=stamp, links=links, **kw)


def doc(*annotations: Annotation) -> AnnotationFile:
    return AnnotationFile(DOC, list(annotations))


L1, L2, L3 = (
    Link(OTHER, "x", "contradicts"),
    Link(OTHER, "y", "supports"),
    Link(APRI, "z", "same-event"),
)


def merged_links(base, ours, theirs) -> tuple[Link, ...]:
    merged, conflicts = merge_contents(doc(base), doc(ours), doc(theirs))
    assert conflicts == []
    (a,) = merged.annotations
    return a.links


def test_links_added_on_both_sides_are_all_kept():
    base = ann("a", L1)
    ours = ann("a", L1, L2, updated="2026-02-01T00:00:00Z")
    theirs = ann("a", L1, L3, updated="2026-02-02T00:00:00Z")
    assert merged_links(base, ours, theirs) == (L1, L2, L3)


def test_a_link_removed_on_one_side_is_removed_and_additions_kept():
    base = ann("a", L1, L2)
    ours = ann("a", L2, updated="2026-02-01T00:00:00Z")  # removed L1
    theirs = ann("a", L1, L2, L3, updated="2026-02-02T00:00:00Z")  # added L3
    assert merged_links(base, ours, theirs) == (L2, L3)
    assert merged_links(base, theirs, ours) == (L2, L3)


def test_the_same_link_added_on_both_sides_is_kept_once():
    assert merged_links(ann("a"), ann("a", L1), ann("a", L1)) == (L1,)
    assert merged_links(ann("a"), ann("a", L1, L2), ann("a", L2, L1)) == (L1, L2)


def test_a_link_added_and_a_note_changed_merge_cleanly():
    base = ann("a")
    ours = ann("a", L1, updated="2026-02-01T00:00:00Z")
    theirs = replace(ann("a"), note="theirs", updated="2026-02-02T00:00:00Z")
    merged, conflicts = merge_contents(doc(base), doc(ours), doc(theirs))
    assert conflicts == []
    (a,) = merged.annotations
    assert a.links == (L1,) and a.note == "theirs" and a.updated == "2026-02-02T00:00:00Z"


def test_a_link_changed_on_one_side_and_removed_on_the_other_is_kept():
    noted = replace(L1, extra=(("why", "x"),))
    assert merged_links(ann("a", L1), ann("a", noted), ann("a")) == (noted,)


def test_the_same_link_given_different_unknown_keys_is_a_conflict_kept_twice():
    ours, theirs = replace(L1, extra=(("why", "ours"),)), replace(L1, extra=(("why", "theirs"),))
    merged, conflicts = merge_contents(
        doc(ann("a", L1)), doc(ann("a", ours)), doc(ann("a", theirs))
    )
    (conflict,) = conflicts
    assert conflict.kind == "changed on both"
    kept = {a.id: a for a in merged.annotations}
    assert kept["a"].links == (ours,)
    assert kept[conflict.copy_id].links == (theirs,)
    assert dict(kept[conflict.copy_id].extra)[CONFLICT_KEY] == "a"


def test_merge_files_writes_both_sides_links_as_a_valid_file(tmp_path):
    base, ours, theirs = ann("a"), ann("a", L1), ann("a", L3, updated="2026-03-01T00:00:00Z")
    paths = []
    for name, version in (("base", base), ("ours", ours), ("theirs", theirs)):
        path = tmp_path / name
        path.write_text(render(doc(version)), encoding="utf-8")
        paths.append(path)
    result = merge_files(*paths, f"annotations/{DOC}.yaml")
    assert result.status == "clean" and result.written
    (a,) = parse(paths[1].read_text(encoding="utf-8"), paths[1], DOC).annotations
    assert a.links == (L1, L3)


# --- exports ----------------------------------------------------------------------------------


@pytest.fixture
def linked(bundled: Workspace) -> dict[str, tuple[str, Annotation]]:
    """On the bundled corpus: Tatikyan's corridor claim contradicts a Baku passage, tells of
    the same event as an APRI passage, and supports an annotation deleted since."""
    store = AnnotationStore(bundled)
    made = {
        "claim": (TATIKYAN, annotate_passage(bundled, TATIKYAN, 17, "disputed")),
        "baku": (BAKU, annotate_passage(bundled, BAKU, 38, "rhetorical")),
        "apri": (APRI, annotate_passage(bundled, APRI, 9, "disputed")),
        "gone": (APRI, annotate_passage(bundled, APRI, 1, "factual")),
    }
    claim = made["claim"][1]
    for key, relation in (("baku", "contradicts"), ("apri", "same-event"), ("gone", "supports")):
        doc_id, other = made[key]
        store.link(TATIKYAN, claim.id, Link(doc_id, other.id, relation))
    store.delete(APRI, made["gone"][1].id)
    made["claim"] = TATIKYAN, store.find(TATIKYAN, claim.id)
    return made


def export_of(ws: Workspace, fmt: str) -> str:
    from briefreader.core.excerpts import Filters

    text, _ = build_export(Corpus(ws), AnnotationStore(ws), Filters(), fmt)
    return text


def title(ws: Workspace, doc_id: str) -> str:
    return next(info.title for info in Corpus(ws).documents if info.id == doc_id)


def test_excerpts_carry_both_ends_of_their_links(bundled, linked):
    excerpts = {
        e.annotation.id: e for e in collect(Corpus(bundled), AnnotationStore(bundled)).excerpts
    }
    _, claim = linked["claim"]
    _, baku = linked["baku"]
    _, apri = linked["apri"]
    _, gone = linked["gone"]
    ends = excerpts[claim.id].links
    assert [(x.relation, x.doc, x.id, x.incoming) for x in ends] == [
        ("contradicts", BAKU, baku.id, False),
        ("same-event", APRI, apri.id, False),
        ("supports", APRI, gone.id, False),
    ]
    assert ends[0].title == title(bundled, BAKU) and ends[0].quote == baku.target.quote
    assert ends[0].label == "contradicts"
    assert not ends[2].found and ends[2].quote == ""
    (back,) = excerpts[baku.id].linked_from
    assert (back.relation, back.doc, back.id, back.incoming) == (
        "contradicts",
        TATIKYAN,
        claim.id,
        True,
    )
    assert back.label == "contradicted by" and back.quote == claim.target.quote
    assert excerpts[apri.id].linked_from[0].label == "same event as"
    assert excerpts[baku.id].links == ()


def test_markdown_lists_links_with_relation_document_and_a_short_quote(bundled, linked):
    md = export_of(bundled, "md")
    _, claim = linked["claim"]
    _, baku = linked["baku"]
    _, gone = linked["gone"]
    quote = short_quote(baku.target.quote)
    assert len(quote) <= 100 and quote.endswith("…")
    baku_title = title(bundled, BAKU).replace("*", "\\*").replace("_", "\\_")
    assert f"- contradicts: “{quote}” — {baku_title} (`{BAKU}#{baku.id}`)" in md
    assert f"- supports: `{APRI}#{gone.id}` (not found)" in md
    assert f"- contradicted by: “{short_quote(claim.target.quote)}”" in md
    assert f"(`{TATIKYAN}#{claim.id}`)" in md


def test_short_quote_flattens_and_cuts_at_a_word():
    assert short_quote("a  short\nquote") == "a short quote"
    cut = short_quote("word " * 40, 30)
    assert cut == "word word word word word…"
    assert short_quote("x" * 50, 10) == "x" * 9 + "…"


class Links(HTMLParser):
    """Each figure's id, and the links listed inside it: (relation, text, href)."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, list[tuple[str, str, str | None]]] = {}
        self.current: str | None = None
        self.in_item = False
        self.relation = self.text = ""
        self.href: str | None = None
        self.in_relation = False

    def handle_starttag(self, tag_, attrs):
        attrs = dict(attrs)
        if tag_ == "figure":
            self.current = attrs["id"]
            self.figures[self.current] = []
        elif tag_ == "li":
            self.in_item, self.relation, self.text, self.href = True, "", "", None
        elif tag_ == "span" and attrs.get("class") == "relation":
            self.in_relation = True
        elif tag_ == "a" and self.in_item:
            self.href = attrs["href"]

    def handle_endtag(self, tag_):
        if tag_ == "li":
            self.figures[self.current].append((self.relation, self.text, self.href))
            self.in_item = False
        elif tag_ == "span":
            self.in_relation = False

    def handle_data(self, data):
        if self.in_relation:
            self.relation += data
        elif self.in_item:
            self.text += data


def test_html_lists_links_and_points_at_linked_excerpts_in_the_page(bundled, linked):
    page = Links()
    page.feed(export_of(bundled, "html"))
    assert len(page.figures) == 3  # the claim, baku, apri (gone was deleted)
    _, baku = linked["baku"]
    _, gone = linked["gone"]
    (claim_figure,) = [f for f, items in page.figures.items() if len(items) == 3]
    items = page.figures[claim_figure]
    assert [relation for relation, _, _ in items] == ["contradicts", "same-event", "supports"]
    _, text, href = items[0]
    assert short_quote(baku.target.quote) in text and title(bundled, BAKU) in text
    assert f"{BAKU}#{baku.id}" in text
    assert href is not None and href.removeprefix("#") in page.figures  # a link in the page
    ((relation, back_text, back_href),) = page.figures[href.removeprefix("#")]  # baku's
    assert relation == "contradicted by" and back_href == f"#{claim_figure}"
    assert f"{TATIKYAN}#{linked['claim'][1].id}" in back_text
    assert items[2][2] is None and f"{APRI}#{gone.id} (not found)" in items[2][1]


def test_html_escapes_link_text(bundled, linked):
    path = AnnotationStore(bundled).path_for(TATIKYAN)
    path.write_text(path.read_text().replace("relation: supports", "relation: <b>x</b>"))
    html_text = export_of(bundled, "html")
    assert "<b>x</b>" not in html_text and "&lt;b&gt;x&lt;/b&gt;" in html_text


def test_csv_has_a_links_column(bundled, linked):
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(export_of(bundled, "csv")))}
    _, claim = linked["claim"]
    _, baku = linked["baku"]
    _, apri = linked["apri"]
    _, gone = linked["gone"]
    assert rows[claim.id]["links"] == (
        f"contradicts:{BAKU}#{baku.id}; same-event:{APRI}#{apri.id}; supports:{APRI}#{gone.id}"
    )
    assert rows[baku.id]["links"] == ""


def test_json_expresses_each_link_as_a_linking_body(bundled, linked):
    data = json.loads(export_of(bundled, "json"))
    items = {item["id"]: item for item in data["first"]["items"]}
    _, claim = linked["claim"]
    _, baku = linked["baku"]
    item = items[ANNOTATION_PREFIX + claim.id]
    assert "linking" in item["motivation"] and "tagging" in item["motivation"]
    linking = [b for b in item["body"] if b.get("purpose") == "linking"]
    assert len(linking) == 3
    assert linking[0] == {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": ANNOTATION_PREFIX + baku.id,  # the IRI this export gives that annotation
        "scope": DOC_PREFIX + BAKU,
        "briefreader:relation": "contradicts",
    }
    assert linking[0]["source"] in items  # resolvable inside the export
    assert item["body"][0]["purpose"] == "tagging"
    assert items[ANNOTATION_PREFIX + baku.id]["motivation"] == "tagging"


def test_json_export_then_import_keeps_links(bundled, linked, tmp_path):
    exported = export_of(bundled, "json")
    target = copy_workspace(tmp_path / "elsewhere")
    items = from_json(exported, Path("export.jsonld"))
    report = import_annotations(Corpus(target), AnnotationStore(target), items)
    assert report.added == 3
    store = AnnotationStore(target)
    _, claim = linked["claim"]
    assert store.find(TATIKYAN, claim.id).links == claim.links
    _, baku = linked["baku"]
    assert [(d, a.id) for d, a, _ in store.links_to(BAKU, baku.id)] == [(TATIKYAN, claim.id)]
    # the link to the annotation deleted before the export is reported there too
    problems = list(
        store.problems({i.id for i in Corpus(target).documents}, {"disputed", "rhetorical"})
    )
    assert [p for p in problems if "links" in p.message] and len(problems) == 1


def test_importing_again_brings_links_made_since(bundled, linked, tmp_path):
    target = copy_workspace(tmp_path / "elsewhere")
    first = from_json(export_of(bundled, "json"), Path("first.jsonld"))
    import_annotations(Corpus(target), AnnotationStore(target), first)
    _, baku = linked["baku"]
    _, apri = linked["apri"]
    AnnotationStore(bundled).link(BAKU, baku.id, Link(APRI, apri.id, "supports"))
    second = from_json(export_of(bundled, "json"), Path("second.jsonld"))
    report = import_annotations(Corpus(target), AnnotationStore(target), second)
    assert (report.added, report.duplicates, report.links_added) == (0, 3, 1)
    assert AnnotationStore(target).find(BAKU, baku.id).links == (Link(APRI, apri.id, "supports"),)


def linking_item(**body) -> dict:
    return {
        "type": "Annotation",
        "id": ANNOTATION_PREFIX + "abc",
        "body": [
            {"type": "TextualBody", "purpose": "tagging", "value": "factual"},
            {"type": "SpecificResource", "purpose": "linking", **body},
        ],
        "target": {
            "source": DOC_PREFIX + APRI,
            "selector": [{"type": "TextQuoteSelector", "exact": "draft"}],
        },
    }


GOOD_LINK = {
    "source": ANNOTATION_PREFIX + "def",
    "scope": DOC_PREFIX + BAKU,
    "briefreader:relation": "supports",
}


def test_import_reads_a_linking_body_with_objects_for_source_and_scope():
    body = {**GOOD_LINK, "source": {"id": GOOD_LINK["source"]}, "scope": {"id": GOOD_LINK["scope"]}}
    (item,) = from_json(json.dumps([linking_item(**body)]), Path("x.json"))
    assert item.annotation.links == (Link(BAKU, "def", "supports"),)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"source": "https://example.org/elsewhere"}, "'source' starting with"),
        ({"source": ANNOTATION_PREFIX}, "'source' starting with"),
        ({"scope": None}, "'scope' starting with"),
        ({"briefreader:relation": ""}, "briefreader:relation"),
        ({"briefreader:relation": 3}, "briefreader:relation"),
    ],
    ids=["foreign source", "empty id", "no scope", "empty relation", "relation a number"],
)
def test_import_refuses_a_linking_body_it_cannot_read(change, fragment):
    body = {k: v for k, v in {**GOOD_LINK, **change}.items() if v is not None}
    with pytest.raises(WebAnnotationError, match=fragment) as caught:
        from_json(json.dumps([linking_item(**body)]), Path("x.json"))
    assert "annotation 1" in caught.value.message
