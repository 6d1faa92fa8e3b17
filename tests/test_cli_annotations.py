"""`briefreader annotate`, `annotations` and `check` on annotations, and tags and notes in
search (issue 4, items 8 and 9; DESIGN.md: "The CLI contract")."""

from __future__ import annotations

import json

import pytest
import yaml

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from tests.cli_runner import assert_user_error, run
from tests.conftest import AIR_FEB, BAKU, DOC_IDS, TATIKYAN

JSON_KEYS = {
    "doc",
    "id",
    "tag",
    "note",
    "annotator",
    "created",
    "updated",
    "state",
    "quote",
    "start",
    "end",
    "links",  # [{relation, doc, id}], see tests/core/test_links.py
}
QUOTE = "Baku controls at least 215 square kilometres of Armenia’s sovereign territory"


@pytest.fixture
def ws(indexed_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A writable copy of the bundled corpus with its index, named by the environment."""
    monkeypatch.setenv("BRIEFREADER_WORKSPACE", str(indexed_workspace.root))
    monkeypatch.setenv("BRIEFREADER_ANNOTATOR", "tester")
    return indexed_workspace


def saved(ws: Workspace, doc_id: str = TATIKYAN) -> list[dict]:
    path = ws.annotations_dir / f"{doc_id}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["annotations"]


def passage_text(ws: Workspace, number: int, doc_id: str = TATIKYAN) -> str:
    return Corpus(ws).load(doc_id).text.passage(number).text


# --- annotate ---------------------------------------------------------------------------------


def test_annotate_a_whole_passage(ws):
    result = run("annotate", TATIKYAN, "3", "--tag", "disputed", "--note", "OSCE differs")
    assert result.exit_code == 0, result.output
    [item] = saved(ws)
    assert result.stdout.startswith(f"Tagged {TATIKYAN} ¶3 as disputed ({item['id']})")
    assert str(ws.annotations_dir / f"{TATIKYAN}.yaml") in result.stdout
    assert item["tag"] == "disputed"
    assert item["note"] == "OSCE differs"
    assert item["annotator"] == "tester"
    assert item["target"]["quote"] == passage_text(ws, 3)
    text = Corpus(ws).load(TATIKYAN).text
    passage = text.passage(3)
    assert (item["target"]["start"], item["target"]["end"]) == (passage.start, passage.end)


def test_annotate_a_span_given_by_quote_with_a_short_document_name(ws):
    result = run("annotate", "tatikyan", "4", "-t", "factual", "--quote", QUOTE)
    assert result.exit_code == 0, result.output
    [item] = saved(ws)
    assert item["target"]["quote"] == QUOTE
    text = Corpus(ws).load(TATIKYAN).text
    passage = text.passage(4)
    start, end = item["target"]["start"], item["target"]["end"]
    assert passage.start <= start < end <= passage.end
    assert text.text[start:end] == QUOTE
    assert item["target"]["prefix"].endswith("the delimitation process. ")
    assert item["target"]["suffix"].startswith(" as a result of its military")


def test_annotate_json_and_the_annotator_option(ws):
    result = run("annotate", TATIKYAN, "2", "-t", "rhetorical", "--annotator", "alice", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert data["doc"] == TATIKYAN and data["tag"] == "rhetorical"
    assert data["annotator"] == "alice"  # --annotator beats $BRIEFREADER_ANNOTATOR
    assert data["state"] == "anchored"
    assert data["quote"] == passage_text(ws, 2)
    assert saved(ws)[0]["id"] == data["id"]


def test_several_annotations_on_one_passage_are_all_kept(ws):
    for tag in ("factual", "disputed"):
        assert run("annotate", TATIKYAN, "3", "-t", tag).exit_code == 0
    assert run("annotate", TATIKYAN, "3", "-t", "rhetorical", "--quote", "bellicose").exit_code == 0
    assert sorted(item["tag"] for item in saved(ws)) == ["disputed", "factual", "rhetorical"]


def test_annotate_with_an_unknown_tag_fails_and_writes_nothing(ws):
    result = run("annotate", TATIKYAN, "3", "--tag", "propaganda")
    assert_user_error(result, "unknown tag 'propaganda'", "disputed", "factual", "rhetorical")
    assert not ws.annotations_dir.exists() or not any(ws.annotations_dir.iterdir())


def test_annotate_with_a_codebook_tag(ws):
    ws.annotations_dir.mkdir()
    (ws.annotations_dir / "codebook.yaml").write_text(
        "tags:\n- name: propaganda\n  description: state messaging\n  key: p\n"
    )
    result = run("annotate", TATIKYAN, "1", "--tag", "propaganda")
    assert result.exit_code == 0, result.output
    assert saved(ws)[0]["tag"] == "propaganda"
    assert run("check").exit_code == 0


def test_annotate_with_a_quote_not_in_the_passage_fails(ws):
    result = run("annotate", TATIKYAN, "3", "-t", "factual", "--quote", QUOTE)  # it is in ¶4
    assert_user_error(result, "passage 3 does not contain the quote")
    assert not (ws.annotations_dir / f"{TATIKYAN}.yaml").exists()


def test_annotate_with_an_ambiguous_quote_fails(ws):
    result = run("annotate", TATIKYAN, "3", "-t", "factual", "--quote", "Armenia")
    assert_user_error(result, "occurs", "times in passage 3")
    assert not (ws.annotations_dir / f"{TATIKYAN}.yaml").exists()


@pytest.mark.parametrize("passage", ["0", "21", "9999"])
def test_annotate_a_passage_out_of_range_fails(ws, passage):
    count = len(Corpus(ws).load(TATIKYAN).text.passages)
    assert count == 20
    result = run("annotate", TATIKYAN, passage, "-t", "factual")
    assert_user_error(result, f"passage {passage} is not in 1..{count}")
    assert not (ws.annotations_dir / f"{TATIKYAN}.yaml").exists()


def test_annotate_an_unknown_document_fails(ws):
    assert_user_error(run("annotate", "no-such-brief", "1", "-t", "factual"), "no-such-brief")


def test_annotate_without_a_tag_is_a_usage_error(ws):
    result = run("annotate", TATIKYAN, "1")
    assert result.exit_code == 2
    assert "--tag" in result.stderr


def test_annotate_does_not_overwrite_a_malformed_file(ws):
    ws.annotations_dir.mkdir()
    path = ws.annotations_dir / f"{TATIKYAN}.yaml"
    path.write_text("document: x\nannotations:\n- id: a\n  tag: factual\n  target: [1]\n")
    before = path.read_bytes()
    result = run("annotate", TATIKYAN, "1", "-t", "factual")
    assert_user_error(result, f"{path}:5")
    assert path.read_bytes() == before


# --- annotations ------------------------------------------------------------------------------


@pytest.fixture
def annotated(ws):
    """Three annotations by two annotators on two documents."""
    steps = [
        (TATIKYAN, "3", "disputed", "casualty figures differ", "alice"),
        (TATIKYAN, "1", "rhetorical", "", "bob"),
        (AIR_FEB, "2", "disputed", "", "bob"),
    ]
    for doc, passage, tag, note, who in steps:
        result = run("annotate", doc, passage, "-t", tag, "--note", note, "--annotator", who)
        assert result.exit_code == 0, result.output
    return ws


def listed(*args: str) -> list[dict]:
    result = run("annotations", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_annotations_json_lists_every_annotation_in_reading_order(annotated):
    items = listed()
    assert all(set(item) == JSON_KEYS for item in items)
    assert [(i["doc"], i["tag"]) for i in items] == [
        (AIR_FEB, "disputed"),
        (TATIKYAN, "rhetorical"),
        (TATIKYAN, "disputed"),
    ]
    assert all(item["state"] == "anchored" for item in items)
    first = items[1]
    assert first["quote"] == passage_text(annotated, 1)
    assert first["start"] < items[2]["start"]
    assert items[2]["note"] == "casualty figures differ"


def test_annotations_filters(annotated):
    assert {i["tag"] for i in listed("--tag", "disputed")} == {"disputed"}
    assert len(listed("--tag", "disputed")) == 2
    assert {i["doc"] for i in listed("--doc", "tatikyan")} == {TATIKYAN}
    assert [i["annotator"] for i in listed("--annotator", "alice")] == ["alice"]
    both = listed("--tag", "disputed", "--annotator", "bob")
    assert [(i["doc"], i["annotator"]) for i in both] == [(AIR_FEB, "bob")]
    assert listed("--tag", "factual") == []


def test_annotations_with_an_unknown_tag_says_so(annotated):
    result = run("annotations", "--tag", "disputd")
    assert_user_error(result, "unknown tag 'disputd'", "disputed", "factual", "rhetorical")


def test_annotations_of_a_tag_dropped_from_the_codebook_are_still_listed(annotated):
    codebook = annotated.annotations_dir / "codebook.yaml"
    codebook.write_text("tags:\n- name: propaganda\n  description: state messaging\n")
    assert run("annotate", TATIKYAN, "1", "--tag", "propaganda").exit_code == 0
    codebook.unlink()
    assert [i["tag"] for i in listed("--tag", "propaganda")] == ["propaganda"]


def test_annotations_plain_listing(annotated):
    result = run("annotations", "--doc", TATIKYAN)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{TATIKYAN}#1  rhetorical  bob" in out
    assert f"{TATIKYAN}#3  disputed  alice" in out
    assert "casualty figures differ" in out
    assert "“" + passage_text(annotated, 1)[:40] in out
    assert out.index("#1  rhetorical") < out.index("#3  disputed")


def test_annotations_with_none_matching(annotated):
    result = run("annotations", "--tag", "factual")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No annotations match" in result.stderr


def test_annotations_of_an_unknown_document_fails(annotated):
    assert_user_error(run("annotations", "--doc", "no-such-brief"), "no-such-brief")


def test_annotations_lists_an_orphan_with_its_original_quote(ws):
    assert run("annotate", TATIKYAN, "4", "-t", "factual", "--quote", QUOTE).exit_code == 0
    remove_from_document(ws, TATIKYAN, QUOTE)
    [item] = listed()
    assert item["state"] == "orphaned"
    assert item["quote"] == QUOTE
    plain = run("annotations").stdout
    assert "[orphaned]" in plain and QUOTE in plain


def test_annotations_on_a_malformed_file_is_a_one_line_error_with_its_line(ws):
    ws.annotations_dir.mkdir()
    path = ws.annotations_dir / f"{TATIKYAN}.yaml"
    path.write_text("document: x\nannotations:\n- id: a\n  tag: factual\n")
    assert_user_error(run("annotations"), f"{path}:3", "target")


# --- check ------------------------------------------------------------------------------------


def remove_from_document(ws: Workspace, doc_id: str, quote: str) -> None:
    """Edit the document in the corpus so that the quote no longer occurs."""
    path = ws.corpus_dir / doc_id
    raw = path.read_text(encoding="utf-8")
    assert raw.count(quote) == 1
    path.write_text(raw.replace(quote, "Other words stand here now"), encoding="utf-8")


def test_check_passes_with_clean_annotations(ws):
    assert run("annotate", TATIKYAN, "3", "-t", "disputed").exit_code == 0
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stdout


@pytest.mark.parametrize(
    "content, line, fragment",
    [
        ("document: x\nannotations:\n- id: a\n  tag: [factual\n", 5, "YAML"),
        ("document: x\nannotations:\n- id: a\n  tag: factual\n", 3, "target"),
        (
            "document: x\nannotations:\n- id: a\n  tag: factual\n  target:\n"
            "    quote: q\n    start: 9\n    end: 2\n",
            8,
            "before 'start'",
        ),
    ],
    ids=["syntax", "no target", "end before start"],
)
def test_check_fails_on_a_malformed_annotation_file_naming_file_and_line(
    ws, content, line, fragment
):
    ws.annotations_dir.mkdir()
    path = ws.annotations_dir / f"{TATIKYAN}.yaml"
    path.write_text(content)
    before = path.read_bytes()
    result = run("check")
    assert result.exit_code == 1, result.output
    errors = [row for row in result.stdout.splitlines() if row.startswith("error: ")]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f"error: {path}:{line}")
    assert fragment in errors[0]
    assert "1 errors" in result.stdout or "1 error" in result.stdout
    assert path.read_bytes() == before


def test_check_fails_on_an_unknown_tag_and_keeps_it(ws):
    assert run("annotate", TATIKYAN, "3", "-t", "disputed").exit_code == 0
    path = ws.annotations_dir / f"{TATIKYAN}.yaml"
    path.write_text(path.read_text().replace("tag: disputed", "tag: propaganda"))
    before = path.read_bytes()
    result = run("check")
    assert result.exit_code == 1
    assert "unknown tag 'propaganda'" in result.stdout
    assert str(path) in result.stdout
    assert path.read_bytes() == before


def test_check_fails_on_an_orphaned_annotation(ws):
    assert run("annotate", TATIKYAN, "4", "-t", "factual", "--quote", QUOTE).exit_code == 0
    assert run("check").exit_code == 0
    remove_from_document(ws, TATIKYAN, QUOTE)
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "orphaned" in result.stdout
    assert QUOTE[:40] in result.stdout
    assert saved(ws)[0]["target"]["quote"] == QUOTE  # kept, untouched


def test_check_fails_on_annotations_of_a_document_that_is_gone(ws):
    assert run("annotate", TATIKYAN, "3", "-t", "disputed").exit_code == 0
    (ws.corpus_dir / TATIKYAN).unlink()
    result = run("check")
    assert result.exit_code == 1
    assert f"no document {TATIKYAN}" in result.stdout
    assert (ws.annotations_dir / f"{TATIKYAN}.yaml").exists()


# --- search by tag and note -------------------------------------------------------------------


def search(query: str) -> dict:
    result = run("search", query, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_tags_and_notes_are_searchable_right_after_annotate(ws):
    assert search("tag:disputed")["total"] == 0
    result = run("annotate", TATIKYAN, "3", "-t", "disputed", "--note", "Casualty figure differs")
    assert result.exit_code == 0
    hits = search("tag:disputed")["hits"]
    assert [(h["doc"], h["passage"]) for h in hits] == [(TATIKYAN, 3)]
    assert [(h["doc"], h["passage"]) for h in search("note:casualty")["hits"]] == [(TATIKYAN, 3)]
    assert [(h["doc"], h["passage"]) for h in search("annotator:tester")["hits"]] == [(TATIKYAN, 3)]
    assert search("tag:disputed AND peace")["total"] == 1


def test_annotating_reindexes_only_that_passage(ws):
    index = SearchIndex(Corpus(ws))
    assert index.is_current()
    result = run("annotate", TATIKYAN, "3", "-t", "disputed", "--note", "casualty figure")
    assert result.exit_code == 0
    assert not index.is_current()
    report = index.update()
    index.close()
    assert report.rebuilt == ""
    assert report.changed == [TATIKYAN]
    assert report.added == [] and report.removed == []
    assert sorted(report.unchanged) == sorted(d for d in DOC_IDS if d != TATIKYAN)
    assert report.passages == 1
    assert report.summary == "0 added, 1 changed, 0 removed, 4 unchanged; 1 passage written"
    assert [(h["doc"], h["passage"]) for h in search("tag:disputed")["hits"]] == [(TATIKYAN, 3)]
    # a tag removed is gone from the index after the next update, again for that passage only
    store = AnnotationStore(ws)
    [annotation] = store.load(TATIKYAN).annotations
    store.delete(TATIKYAN, annotation.id)
    index = SearchIndex(Corpus(ws))
    report = index.update()
    index.close()
    assert report.changed == [TATIKYAN]
    assert report.passages == 1
    assert search("tag:disputed")["total"] == 0
    assert search("note:casualty")["total"] == 0


def test_a_long_lived_index_sees_annotation_changes_without_stale_hits(ws):
    index = SearchIndex(Corpus(ws))
    try:
        assert [(h.doc_id, h.passage) for h in index.search("bellicose").hits].count(
            (TATIKYAN, 3)
        ) == 1
        assert run("annotate", TATIKYAN, "3", "-t", "disputed").exit_code == 0
        assert index.update().changed == [TATIKYAN]
        assert index.search("tag:disputed").total == 1
        hits = [(h.doc_id, h.passage) for h in index.search("bellicose").hits]
        assert hits.count((TATIKYAN, 3)) == 1, hits
        store = AnnotationStore(ws)
        store.delete(TATIKYAN, store.load(TATIKYAN).annotations[0].id)
        assert index.update().changed == [TATIKYAN]
        assert index.search("tag:disputed").total == 0
    finally:
        index.close()


def test_a_tag_on_a_span_finds_its_passage(ws):
    quote = passage_text(ws, 5, BAKU)[:30]
    assert run("annotate", BAKU, "5", "-t", "rhetorical", "--quote", quote).exit_code == 0
    hits = search("tag:rhetorical")["hits"]
    assert [(h["doc"], h["passage"]) for h in hits] == [(BAKU, 5)]


def test_check_moves_the_annotations_of_a_renamed_document(ws):
    assert run("annotate", "tatikyan", "3", "--tag", "disputed").exit_code == 0
    (ws.corpus_dir / TATIKYAN).rename(ws.corpus_dir / "tatikyan-renamed.txt")
    result = run("check")
    assert result.exit_code == 0, result.output
    assert f"the annotations of {TATIKYAN} now belong to tatikyan-renamed.txt" in result.stdout
    listed = json.loads(run("annotations", "--json").stdout)
    assert [(a["doc"], a["tag"], a["state"]) for a in listed] == [
        ("tatikyan-renamed.txt", "disputed", "anchored")
    ]


def annotation_ids(doc: str) -> list[str]:
    listed = json.loads(run("annotations", "--doc", doc, "--json").stdout)
    return [item["id"] for item in listed]


def test_link_and_unlink_two_annotations_from_the_command_line(ws):
    assert run("annotate", "tatikyan", "4", "--tag", "disputed").exit_code == 0
    assert run("annotate", "apri", "24", "--tag", "factual").exit_code == 0
    [here], [there] = annotation_ids(TATIKYAN), annotation_ids("apri")
    result = run("link", "tatikyan", here, "supports", "apri", there)
    assert result.exit_code == 0, result.output
    [made] = json.loads(run("annotations", "--doc", "tatikyan", "--json").stdout)
    assert made["links"] == [
        {"relation": "supports", "doc": "apri-armenia-articles-on-azerbaijan.txt", "id": there}
    ]
    assert run("link", "tatikyan", here, "supports", "apri", there, "--remove").exit_code == 0
    [made] = json.loads(run("annotations", "--doc", "tatikyan", "--json").stdout)
    assert made["links"] == []


def test_a_link_to_a_missing_annotation_is_a_user_error(ws):
    assert run("annotate", "tatikyan", "4", "--tag", "disputed").exit_code == 0
    [here] = annotation_ids(TATIKYAN)
    assert_user_error(run("link", "tatikyan", here, "contradicts", "apri", "nosuchid"), "nosuchid")
