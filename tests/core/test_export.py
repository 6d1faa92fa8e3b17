"""Exports of annotated excerpts, the statistics, and the W3C round trip (issue 5, Deliver 1-5,
"Bad input"): filters that combine, md / csv / json / html opened as their users would, atomic
writes, summaries checked against the annotation files, and `import` back into a workspace.

Everything runs on a *coded* copy of the bundled corpus: eleven annotations on all five
documents (both sides), built-in tags and a codebook tag, notes with commas, quotes, newlines,
unicode and markup, two annotators, and one orphan made by editing a document afterwards.
`build_coded_workspace` is shared with tests/test_cli_export.py.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from briefreader.core import atomic
from briefreader.core.anchoring import AnchorState
from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError, ExportError
from briefreader.core.excerpts import Excerpt, Filters, collect
from briefreader.core.export import (
    CSV_COLUMNS,
    FORMATS,
    build_export,
    citation,
    write_export,
)
from briefreader.core.index import SearchIndex
from briefreader.core.models import NormalizedText
from briefreader.core.stats import summarize
from briefreader.core.webanno import (
    CONTEXT,
    WebAnnotationError,
    from_json,
    import_annotations,
)
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_FEB, AIR_JAN, APRI, BAKU, DOC_IDS, TATIKYAN, copy_workspace

# --- the coded workspace ------------------------------------------------------------------------

MULTILINE_NOTE = (
    'First line, with a comma\nSecond: "double" and “curly” quotes — ünïcödé ✓\n\n'
    "after a blank line"
)
SCRIPT_NOTE = '<script>alert("x")</script> & <b>bold</b>'
ORPHAN_QUOTE = "hybrid warfare"  # short: it cannot be moved fuzzily; the edit orphans it
ORPHAN_EDIT = "unconventional forms of warfare"  # longer: everything after it shifts
CODEBOOK = "tags:\n  - name: framing\n    description: how the story is framed\n    key: x\n"


@dataclass(frozen=True)
class Spec:
    key: str
    doc: str
    passage: int
    quote: str | None  # None: the whole passage
    tag: str
    annotator: str
    note: str = ""


SPECS = (
    Spec(
        "jan_missile",
        AIR_JAN,
        1,
        "a Russian surface-to-air missile was responsible for the crash",
        "factual",
        "alice",
    ),
    Spec("jan_aliyev", AIR_JAN, 4, None, "rhetorical", "bob", MULTILINE_NOTE),
    Spec(
        "feb_mci",
        AIR_FEB,
        3,
        "The Middle Corridor Initiative (MCI)",
        "disputed",
        "alice",
        'a "plain", short note',
    ),
    Spec("feb_transit", AIR_FEB, 5, None, "framing", "bob"),
    Spec("apri_draft", APRI, 1, None, "factual", "alice"),
    Spec(
        "apri_zangezur",
        APRI,
        9,
        "The key issue is the so-called Zangezur Corridor",
        "disputed",
        "bob",
        SCRIPT_NOTE,
    ),
    Spec(
        "baku_areas",
        BAKU,
        4,
        "Azerbaijan has identified five cornerstone priority areas",
        "factual",
        "bob",
    ),
    Spec("baku_france", BAKU, 38, None, "rhetorical", "alice", "loaded, one-sided"),
    Spec("tat_bellicose", TATIKYAN, 3, "Azerbaijan’s bellicose rhetoric", "rhetorical", "alice"),
    Spec("tat_hybrid", TATIKYAN, 5, ORPHAN_QUOTE, "disputed", "alice", "gone after the edit"),
    Spec(
        "tat_zangezour",
        TATIKYAN,
        17,
        "They jointly demand an extraterritorial “Zangezour corridor” through Armenia",
        "disputed",
        "bob",
    ),
)
BY_KEY = {spec.key: spec for spec in SPECS}
ORPHAN = "tat_hybrid"

# the catalog's metadata, written out so the filters are checked against it, not with it
SIDE = {AIR_JAN: "Azerbaijan", AIR_FEB: "Azerbaijan", APRI: "Armenia", BAKU: "Azerbaijan"}
SIDE[TATIKYAN] = "Armenia"
AIR_CENTER = "AIR Center (Center of Analysis of International Relations, Baku)"
SOURCE = {
    AIR_JAN: AIR_CENTER,
    AIR_FEB: AIR_CENTER,
    APRI: "APRI Armenia (Applied Policy Research Institute of Armenia)",
    BAKU: "Baku Dialogues (ADA University)",
    TATIKYAN: "Sossi Tatikyan",
}
TITLE = {
    AIR_JAN: "AIR Center Bulletin, January 2025",
    AIR_FEB: "AIR Center Bulletin, February 2025",
    APRI: "APRI Armenia: articles on Azerbaijan",
    BAKU: "Baku Dialogues, Vol. 6, No. 2 (Winter 2022–2023)",
    TATIKYAN: "How Azerbaijan Disguises Its Obstruction of the Peace Process with Armenia",
}


def build_coded_workspace(root: Path, base: Workspace) -> Workspace:
    """A copy of `base` (the bundled corpus and its index) at `root`, annotated as SPECS say,
    then with TATIKYAN edited so that one annotation is orphaned, and the index brought up to
    date (tags and notes are searchable)."""
    shutil.copytree(base.root, root)
    ws = Workspace(root.resolve())
    ws.annotations_dir.mkdir()
    (ws.annotations_dir / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    corpus, store = Corpus(ws), AnnotationStore(ws)
    for spec in SPECS:
        text = corpus.load(spec.doc).text
        span = span_in_passage(text, spec.passage, spec.quote)
        store.add(spec.doc, make_annotation(text, *span, spec.tag, spec.annotator, spec.note))
    path = ws.corpus_dir / TATIKYAN
    raw = path.read_text(encoding="utf-8")
    assert raw.count(ORPHAN_QUOTE) == 1
    path.write_text(raw.replace(ORPHAN_QUOTE, ORPHAN_EDIT), encoding="utf-8")
    index = SearchIndex(Corpus(ws))
    index.update()
    index.close()
    return ws


_CORPORA: dict[Path, Corpus] = {}  # read-only coded workspaces: their documents, read once


def corpus_of(ws: Workspace) -> Corpus:
    """The shared Corpus of a read-only coded workspace (its documents normalised once), or a
    fresh one for any other workspace."""
    return _CORPORA.get(ws.root) or Corpus(ws)


def clone(ws: Workspace, target: Path) -> Workspace:
    """A writable copy of a whole workspace (corpus, annotations and index), times kept."""
    shutil.copytree(ws.root, target)
    return Workspace(target.resolve())


def annotation_files(ws: Workspace) -> dict[str, list[dict]]:
    """The annotations as the YAML files hold them, read without briefreader."""
    files = {}
    for path in sorted(ws.annotations_dir.glob("*.yaml")):
        if path.name == "codebook.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        files[data["document"]] = data["annotations"]
    return files


def on_disk(ws: Workspace) -> dict[str, dict]:
    """Every annotation on disk by id, with its document."""
    return {
        item["id"]: {**item, "document": doc}
        for doc, items in annotation_files(ws).items()
        for item in items
    }


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def coded_module(built_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory):
    ws = build_coded_workspace(tmp_path_factory.mktemp("coded") / "workspace", built_workspace)
    _CORPORA[ws.root] = Corpus(ws)
    store = AnnotationStore(ws)
    ids = {}
    for doc in DOC_IDS:
        for a in store.load(doc).annotations:
            key = next(
                s.key
                for s in SPECS
                if s.doc == doc and s.tag == a.tag and s.annotator == a.annotator
                if (s.quote or "") in a.target.quote
            )
            ids[key] = a.id
    assert len(ids) == len(SPECS)
    return ws, ids


@pytest.fixture
def coded(coded_module) -> Workspace:
    """The coded workspace, read only."""
    return coded_module[0]


@pytest.fixture
def ids(coded_module) -> dict[str, str]:
    """Annotation id by SPECS key."""
    return coded_module[1]


@pytest.fixture
def writable(coded: Workspace, tmp_path: Path) -> Workspace:
    return clone(coded, tmp_path / "writable")


def excerpts(ws: Workspace, filters: Filters | None = None) -> list[Excerpt]:
    collection = collect(corpus_of(ws), AnnotationStore(ws), filters)
    assert collection.problems == []
    return collection.excerpts


def keys_of(found: list[Excerpt], ids: dict[str, str]) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[e.annotation.id] for e in found}


def keys_where(predicate) -> set[str]:
    return {spec.key for spec in SPECS if predicate(spec)}


def text_of(ws: Workspace, doc: str) -> NormalizedText:
    return corpus_of(ws).load(doc).text


def export(ws: Workspace, fmt: str, filters: Filters | None = None, group_by: str = "doc"):
    text, _ = build_export(
        corpus_of(ws), AnnotationStore(ws), filters or Filters(), fmt, group_by=group_by
    )
    return text


# --- the coded workspace is what the tests assume ------------------------------------------------


def test_the_coded_workspace_has_one_orphan_and_ten_placed(coded, ids):
    found = excerpts(coded)
    assert len(found) == len(SPECS)
    states = {e.annotation.id: e.state for e in found}
    assert states[ids[ORPHAN]] is AnchorState.ORPHANED
    assert all(states[ids[k]] is AnchorState.ANCHORED for k in BY_KEY if k != ORPHAN)


# --- filters ------------------------------------------------------------------------------------


def test_without_filters_every_annotation_in_document_then_reading_order(coded, ids):
    found = excerpts(coded)
    assert keys_of(found, ids) == set(BY_KEY)
    docs = [e.info.id for e in found]
    assert docs == sorted(docs)  # the corpus lists its documents by id
    for doc in DOC_IDS:
        placed = [e.start for e in found if e.info.id == doc and not e.orphaned]
        assert placed == sorted(placed)
    # orphans come after the placed annotations of their document
    tatikyan = [keys_of([e], ids).pop() for e in found if e.info.id == TATIKYAN]
    assert tatikyan == ["tat_bellicose", "tat_zangezour", ORPHAN]


def filter_id(filters: Filters) -> str:
    """The fields a test sets, for the test's id."""
    default = Filters()
    return ",".join(
        f"{name}={value}"
        for name, value in vars(filters).items()
        if value != getattr(default, name)
    )


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(tags=("disputed",)), lambda s: s.tag == "disputed"),
        (Filters(tags=("framing", "factual")), lambda s: s.tag in ("framing", "factual")),
        (Filters(docs=(BAKU, APRI)), lambda s: s.doc in (BAKU, APRI)),
        (Filters(sides=("armenia",)), lambda s: SIDE[s.doc] == "Armenia"),
        (Filters(sides=("AZERBAIJAN",)), lambda s: SIDE[s.doc] == "Azerbaijan"),
        (Filters(publishers=("air center",)), lambda s: s.doc in (AIR_JAN, AIR_FEB)),
        (Filters(publishers=("ADA Univ",)), lambda s: s.doc == BAKU),
        (Filters(publishers=("tatikyan",)), lambda s: s.doc == TATIKYAN),  # the author
        (Filters(publishers=("tatikyan", "apri")), lambda s: s.doc in (TATIKYAN, APRI)),
        (Filters(annotators=("bob",)), lambda s: s.annotator == "bob"),
        (Filters(orphaned=True), lambda s: s.key == ORPHAN),
        (Filters(orphaned=False), lambda s: s.key != ORPHAN),
        (Filters(tags=("nonexistent",)), lambda s: False),
    ],
    ids=lambda v: filter_id(v) if isinstance(v, Filters) else "",
)
def test_one_filter(coded, ids, filters, expected):
    assert keys_of(excerpts(coded, filters), ids) == keys_where(expected)


DATED = {AIR_JAN: "2025-01", AIR_FEB: "2025-02", APRI: "2024/2025", BAKU: "2022-12/2023-02"}
DATED[TATIKYAN] = "2024-11"


@pytest.mark.parametrize(
    "since, until, docs",
    [
        ("2025", "", {AIR_JAN, AIR_FEB, APRI}),  # an interval that reaches 2025 counts
        ("2025-02", "", {AIR_FEB, APRI}),
        ("2025-01-31", "", {AIR_JAN, AIR_FEB, APRI}),  # January reaches its 31st
        ("2023", "", {AIR_JAN, AIR_FEB, APRI, TATIKYAN, BAKU}),  # Baku ends in 2023-02
        ("2023-03", "", {AIR_JAN, AIR_FEB, APRI, TATIKYAN}),
        ("", "2023", {BAKU}),
        ("", "2022-12", {BAKU}),  # Baku starts 2022-12
        ("", "2022-11", set()),
        ("", "2024", {BAKU, APRI, TATIKYAN}),
        ("2023-03", "2024-10", {APRI}),  # only 2024/2025 overlaps
        ("2024-11-15", "2024-11-30", {APRI, TATIKYAN}),  # days inside a month
        ("2023-02", "2023-02", {BAKU}),
        ("2026", "", set()),
    ],
)
def test_date_filters_on_iso_dates_and_intervals(coded, ids, since, until, docs):
    found = excerpts(coded, Filters(since=since, until=until))
    assert {e.info.id for e in found} == docs
    assert keys_of(found, ids) == keys_where(lambda s: s.doc in docs)
    assert {e.info.id: e.info.date for e in found} == {d: DATED[d] for d in docs}


def test_filters_combine_with_and(coded, ids):
    combined = Filters(tags=("disputed",), sides=("Armenia",), annotators=("bob",))
    assert keys_of(excerpts(coded, combined), ids) == {"apri_zangezur", "tat_zangezour"}
    placed_disputed = Filters(tags=("disputed",), orphaned=False, docs=(TATIKYAN,))
    assert keys_of(excerpts(coded, placed_disputed), ids) == {"tat_zangezour"}
    dated = Filters(tags=("factual", "rhetorical"), since="2024", publishers=("air",))
    assert keys_of(excerpts(coded, dated), ids) == {"jan_missile", "jan_aliyev"}
    nothing = Filters(tags=("framing",), sides=("armenia",))
    assert excerpts(coded, nothing) == []


def query_filter(ws: Workspace, query: str, **others) -> Filters:
    index = SearchIndex(corpus_of(ws))
    try:
        assert index.is_current()
        hits = index.search(query, limit=1_000_000).hits
    finally:
        index.close()
    return Filters(passages={(h.doc_id, h.passage) for h in hits}, **others)


def test_query_filter_keeps_annotations_on_matching_passages(coded, ids):
    def mentions_corridor(spec: Spec) -> bool:
        text = text_of(coded, spec.doc)
        return spec.key != ORPHAN and "corridor" in text.passage(spec.passage).text.casefold()

    found = excerpts(coded, query_filter(coded, "corridor"))
    assert keys_of(found, ids) == keys_where(mentions_corridor)
    assert keys_of(found, ids) == {
        "feb_mci",
        "feb_transit",
        "apri_zangezur",
        "baku_france",
        "tat_zangezour",
    }


def test_query_with_a_tag_and_other_filters(coded, ids):
    found = excerpts(coded, query_filter(coded, "corridor AND tag:disputed"))
    assert keys_of(found, ids) == {"feb_mci", "apri_zangezur", "tat_zangezour"}
    narrowed = query_filter(coded, "corridor AND tag:disputed", sides=("armenia",))
    assert keys_of(excerpts(coded, narrowed), ids) == {"apri_zangezur", "tat_zangezour"}
    by_note = query_filter(coded, "note:loaded")
    assert keys_of(excerpts(coded, by_note), ids) == {"baku_france"}
    assert excerpts(coded, query_filter(coded, "corridor AND tag:factual")) == []


# --- Markdown -----------------------------------------------------------------------------------


def md_structure(md: str) -> list[tuple[str, str, str]]:
    """(## heading, ### heading, quoted text) for each block quote of an excerpt."""
    found, h2, h3 = [], "", ""
    for line in md.splitlines():
        if line.startswith("## "):
            h2, h3 = line[3:], ""
        elif line.startswith("### "):
            h3 = line[4:]
        elif line.startswith("> ") and not line.startswith("> — "):
            found.append((h2, h3, line[2:]))
    return found


def squash(text: str) -> str:
    return " ".join(text.split())


def test_markdown_groups_by_document_then_section(coded):
    md = export(coded, "md")
    assert md.startswith("# ")
    h2 = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert h2 == ["Summary", *(TITLE[d] for d in DOC_IDS)]  # every document has excerpts
    structure = md_structure(md)
    for e in excerpts(coded):
        if e.orphaned:
            continue
        passage = text_of(coded, e.info.id).passage_at(e.start)
        section = " › ".join(passage.section.path)
        assert (TITLE[e.info.id], section, squash(e.annotation.target.quote)) in structure
    # a section heading is not repeated within its document
    by_doc: dict[str, list[str]] = {}
    for heading, section, _ in structure:
        if not by_doc.get(heading) or by_doc[heading][-1] != section:
            by_doc.setdefault(heading, []).append(section)
    for sections in by_doc.values():
        assert len(sections) == len(set(sections)), sections


def test_markdown_quotes_exactly_and_cites_the_source(coded, ids):
    md = export(coded, "md")
    files = on_disk(coded)
    baku = files[ids["baku_areas"]]
    start, end = baku["target"]["start"], baku["target"]["end"]
    assert f"> {BY_KEY['baku_areas'].quote}\n" in md
    assert (
        "> — Baku Dialogues, Vol. 6, No. 2 (Winter 2022–2023), Baku Dialogues (ADA University), "
        f"2022-12–2023-02, Defining Strategic Direction › Five Cornerstone Areas, ¶4, "
        f"chars {start}–{end}\n"
    ) in md
    # the author stands in for a publisher; offsets are where the quote lies *now*
    text = text_of(coded, TATIKYAN)
    quote = BY_KEY["tat_zangezour"].quote
    at = text.text.index(quote)
    assert at != files[ids["tat_zangezour"]]["target"]["start"]  # the edit moved it
    assert (
        f"> — {TITLE[TATIKYAN]}, Sossi Tatikyan, 2024-11, {TITLE[TATIKYAN]}, ¶17, "
        f"chars {at}–{at + len(quote)}\n"
    ) in md
    # the header line of each excerpt: tag, annotator, timestamp
    updated = files[ids["baku_areas"]]["updated"]
    assert f"**factual** · bob · {updated}" in md
    # the orphan is shown with its state and its original quote
    assert f"**disputed** ({AnchorState.ORPHANED}) · alice" in md
    assert f"> {ORPHAN_QUOTE}\n" in md


def test_markdown_notes_follow_their_excerpt(coded):
    md = export(coded, "md")
    lines = md.splitlines()
    cite = next(i for i, line in enumerate(lines) if line.startswith("> — ") and "¶4, " in line)
    assert TITLE[AIR_JAN] in lines[cite]
    # line breaks kept as Markdown hard breaks (two trailing spaces)
    following = "\n".join(line.removesuffix("  ") for line in lines[cite + 1 : cite + 6])
    assert MULTILINE_NOTE in following
    assert "loaded, one-sided" in md
    # no note, no stray text: the excerpt without a note is followed by the next one
    cite = next(i for i, line in enumerate(lines) if "chars" in line and "¶1," in line)
    assert TITLE[AIR_JAN] in lines[cite]
    assert lines[cite + 1] == "" and lines[cite + 2].startswith("**rhetorical**")


def md_table(md: str) -> dict[str, list[str]]:
    """The summary table: the first cell of each row -> the other cells."""
    rows = [line for line in md.split("## Summary", 1)[1].splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return {row[0].strip("*"): row[1:] for row in cells}


def test_markdown_opens_with_the_summary(coded):
    md = export(coded, "md")
    assert md.index("## Summary") < md.index(f"## {TITLE[AIR_JAN]}")
    table = md_table(md)
    header = table[""]
    assert header[:4] == ["factual", "disputed", "rhetorical", "framing"]
    assert header[4:] == ["total", "passages annotated", "orphans"]
    files = annotation_files(coded)
    for doc in DOC_IDS:
        tags = Counter(item["tag"] for item in files[doc])
        row = table[doc]
        assert [int(c) for c in row[:4]] == [tags[t] for t in header[:4]]
        assert int(row[4]) == len(files[doc])
        assert int(row[6]) == (1 if doc == TATIKYAN else 0)
    assert int(table["all"][4]) == len(SPECS)
    assert table["all"][5].startswith(f"{len(SPECS) - 1} of ")


def test_markdown_grouped_by_tag(coded, ids):
    md = export(coded, "md", group_by="tag")
    h2 = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert h2 == ["Summary", "disputed", "factual", "framing", "rhetorical"]
    structure = md_structure(md)
    for spec in SPECS:
        quote = squash(spec.quote or text_of(coded, spec.doc).passage(spec.passage).text)
        if spec.key == ORPHAN:
            quote = ORPHAN_QUOTE
        assert (spec.tag, TITLE[spec.doc], quote) in structure
    disputed = [q for tag, _, q in structure if tag == "disputed"]
    assert len(disputed) == sum(s.tag == "disputed" for s in SPECS)


def test_markdown_does_not_place_an_orphan_before_the_first_heading(coded):
    md = export(coded, "md")
    assert "(before the first heading)" not in md
    html_text = export(coded, "html")
    assert "(before the first heading)" not in html_text


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    header, body = rows[0], rows[1:]
    return header, [dict(zip(header, row, strict=True)) for row in body]


def test_csv_one_row_per_annotation_with_the_exact_quote(coded, ids):
    header, rows = read_csv(export(coded, "csv"))
    assert tuple(header) == CSV_COLUMNS
    files = on_disk(coded)
    assert sorted(r["id"] for r in rows) == sorted(files)
    for row in rows:
        item = files[row["id"]]
        assert row["document"] == item["document"]
        assert row["quote"] == item["target"]["quote"]  # exactly as annotated, not squashed
        assert row["note"] == item.get("note", "")
        assert row["tag"] == item["tag"] and row["annotator"] == item["annotator"]
        assert (row["created"], row["updated"]) == (item["created"], item["updated"])
        assert row["title"] == TITLE[row["document"]]
        assert row["publisher"] == SOURCE[row["document"]]
        assert row["side"] == SIDE[row["document"]]
        assert row["date"] == DATED[row["document"]]
        text = text_of(coded, row["document"])
        start, end = int(row["start"]), int(row["end"])
        if row["id"] == ids[ORPHAN]:
            assert row["state"] == "orphaned" and row["passage"] == "" and row["section"] == ""
            continue
        assert row["state"] == "anchored"
        assert text.text[start:end] == row["quote"]  # the offsets are where it lies now
        passage = text.passage(int(row["passage"]))
        assert passage.start <= start < end <= passage.end
        assert row["section"] == " › ".join(passage.section.path)
        assert text.text[:start].endswith(row["context_before"])
        assert text.text[end:].startswith(row["context_after"])


def test_csv_quoting_round_trips_notes_and_uses_crlf(coded, ids, tmp_path):
    text = export(coded, "csv")
    _, rows = read_csv(text)
    notes = {row["id"]: row["note"] for row in rows}
    assert notes[ids["jan_aliyev"]] == MULTILINE_NOTE  # newlines, commas, quotes, unicode
    assert notes[ids["feb_mci"]] == 'a "plain", short note'
    assert notes[ids["apri_zangezur"]] == SCRIPT_NOTE
    # RFC 4180: every record ends with CRLF; a bare LF appears only inside a quoted field
    assert text.endswith("\r\n")
    assert text.split("\r\n", 1)[0] == ",".join(CSV_COLUMNS)
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            assert text[i - 1] == "\r", f"bare LF at {i}"
    assert not quoted
    # the file on disk keeps the CRLFs and is UTF-8
    path = tmp_path / "excerpts.csv"
    write_export(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    with path.open(encoding="utf-8", newline="") as f:
        assert [dict(r) for r in csv.DictReader(f)] == rows


# --- JSON (W3C Web Annotation) ------------------------------------------------------------------


def assert_web_annotation(item: dict) -> None:
    """The keys the Web Annotation Data Model requires of an annotation briefreader writes."""
    assert isinstance(item["id"], str) and re.match(r"^[a-z][a-z0-9+.-]*:\S+$", item["id"])
    assert item["type"] == "Annotation"
    bodies = item["body"] if isinstance(item["body"], list) else [item["body"]]
    for body in bodies:
        assert body["type"] == "TextualBody" and isinstance(body["value"], str)
    tagging = [b for b in bodies if b.get("purpose") == "tagging"]
    assert len(tagging) == 1
    motivation = item["motivation"]
    motivations = motivation if isinstance(motivation, list) else [motivation]
    assert "tagging" in motivations
    target = item["target"]
    source = target["source"]
    assert isinstance(source if isinstance(source, str) else source["id"], str)
    selectors = {s["type"]: s for s in target["selector"]}
    quote = selectors["TextQuoteSelector"]
    assert isinstance(quote["exact"], str) and quote["exact"]
    assert isinstance(quote["prefix"], str) and isinstance(quote["suffix"], str)
    position = selectors["TextPositionSelector"]
    assert isinstance(position["start"], int) and isinstance(position["end"], int)
    assert 0 <= position["start"] <= position["end"]
    for stamp in ("created", "modified"):
        if stamp in item:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item[stamp])


def test_json_is_one_web_annotation_collection(coded, ids):
    data = json.loads(export(coded, "json"))
    assert data["@context"] == CONTEXT == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection"
    assert data["total"] == len(SPECS)
    page = data["first"]
    assert page["type"] == "AnnotationPage"
    items = page["items"]
    assert len(items) == len(SPECS)
    files = on_disk(coded)
    for item in items:
        assert_web_annotation(item)
        own = next(i for i in files if item["id"].endswith(i))
        stored = files[own]
        bodies = {b["purpose"]: b for b in item["body"]}
        assert bodies["tagging"]["value"] == stored["tag"]
        if stored.get("note"):
            assert bodies["commenting"]["value"] == stored["note"]
            assert set(item["motivation"]) == {"tagging", "commenting"}
        else:
            assert "commenting" not in bodies
        assert item["target"]["source"]["id"].endswith(stored["document"])
        selectors = {s["type"]: s for s in item["target"]["selector"]}
        quote = selectors["TextQuoteSelector"]
        assert quote["exact"] == stored["target"]["quote"]
        assert quote["prefix"] == stored["target"]["prefix"]
        assert quote["suffix"] == stored["target"]["suffix"]
        assert item["creator"]["name"] == stored["annotator"]
        position = selectors["TextPositionSelector"]
        if own != ids[ORPHAN]:
            text = text_of(coded, stored["document"]).text
            assert text[position["start"] : position["end"]] == quote["exact"]


def test_json_collection_and_page_have_an_iri(coded):
    data = json.loads(export(coded, "json"))
    assert isinstance(data.get("id"), str) and ":" in data["id"]
    assert isinstance(data["first"].get("id"), str) and ":" in data["first"]["id"]


# --- HTML ---------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """Checks that every opened non-void element is closed, in order, and keeps what a test
    needs: start tags with their attributes, text per element class, style contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.text_in: dict[str, list[str]] = {}
        self.figures: list[list[str]] = []  # the child elements of each figure
        self.styles: list[str] = []
        self._classes: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.starts.append((tag, attributes))
        if self.stack and self.stack[-1] == "figure":
            self.figures[-1].append(tag)
        if tag == "figure":
            self.figures.append([])
        if tag not in VOID:
            self.stack.append(tag)
            self._classes.append(attributes.get("class"))

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.errors.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()
            self._classes.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)
        for cls in {c for c in self._classes if c}:
            self.text_in.setdefault(cls, []).append(data)
        self.text_in.setdefault("*", []).append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.starts if tag == name]


def parse_html(text: str) -> Page:
    assert text.lstrip().lower().startswith("<!doctype html>")
    page = Page()
    page.feed(text)
    page.close()
    assert page.errors == []
    assert page.stack == []
    return page


def test_html_is_well_formed_and_self_contained(coded):
    page = parse_html(export(coded, "html"))
    assert [a.get("charset") for a in page.tags("meta") if "charset" in a] == ["utf-8"]
    assert page.tags("script") == []
    assert page.tags("link") == [] and page.tags("img") == [] and page.tags("iframe") == []
    for _, attrs in page.starts:
        for name in ("src", "href"):
            assert not (attrs.get(name) or "").lower().startswith(("http:", "https:", "//"))
    assert len(page.tags("style")) == 1 and page.styles
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css
    assert len(page.tags("figure")) == len(SPECS)
    assert len(page.tags("mark")) == len(SPECS)


def test_html_escapes_user_text(coded):
    text = export(coded, "html")
    page = parse_html(text)
    notes = "".join(page.text_in["note"])
    assert SCRIPT_NOTE in notes  # shown as text...
    assert "&lt;script&gt;" in text  # ...because it is escaped
    assert page.tags("b") == []
    assert MULTILINE_NOTE in notes
    marks = "".join(page.text_in.get("*", []))
    assert BY_KEY["tat_zangezour"].quote in marks


def test_html_highlights_excerpts_in_tag_colours_with_citations(coded):
    page = parse_html(export(coded, "html"))
    colours = [a["style"] for a in page.tags("figure")]
    tags = page.text_in["tag"]
    assert sorted(tags) == sorted(s.tag for s in SPECS)
    by_tag = {}
    for tag, style in zip(tags, colours, strict=True):
        by_tag.setdefault(tag, set()).add(style)
    assert all(len(styles) == 1 for styles in by_tag.values())  # one colour per tag
    assert len(set().union(*by_tag.values())) == 4  # and a different one for each
    assert "2022-12–2023-02" in "".join(page.text_in["*"])


def html_summary(page_text: str) -> list[list[str]]:
    """The summary table's rows (header first) as cell texts."""

    class Table(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell, self.depth = [], None, 0

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.depth += 1
            elif tag == "tr" and self.depth == 1:
                self.rows.append([])
            elif tag in ("td", "th") and self.depth == 1:
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "table":
                self.depth = -1  # only the first table
            elif tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Table()
    parser.feed(page_text)
    return parser.rows


def test_html_has_the_summary_table(coded):
    text = export(coded, "html")
    assert text.index("<table") < text.index("<figure")
    rows = html_summary(text)
    header = rows[0]
    assert header[1:5] == ["factual", "disputed", "rhetorical", "framing"]
    body = {row[0]: row for row in rows[1:]}
    files = annotation_files(coded)
    for doc in DOC_IDS:
        tags = Counter(item["tag"] for item in files[doc])
        assert [int(c) for c in body[doc][1:5]] == [tags[t] for t in header[1:5]]
        assert int(body[doc][5]) == len(files[doc])
    assert int(body["all"][5]) == len(SPECS)
    assert int(body["all"][7]) == 1  # the orphan


def test_html_figcaption_is_first_or_last_in_its_figure(coded):
    page = parse_html(export(coded, "html"))
    for children in page.figures:
        if "figcaption" in children:
            assert children.index("figcaption") in (0, len(children) - 1), children


# --- citation -----------------------------------------------------------------------------------


def test_citation_names_title_publisher_date_section_passage_offsets(coded, ids):
    found = {e.annotation.id: e for e in excerpts(coded)}
    e = found[ids["apri_zangezur"]]
    section = (
        "Azerbaijan › Armenia vs. Azerbaijan: Defense Budgets, Alliances, and the Illusion of Peace"
    )
    assert citation(e) == (
        f"{TITLE[APRI]}, {SOURCE[APRI]}, 2024–2025, {section}, ¶9, chars {e.start}–{e.end}"
    )
    orphan = found[ids[ORPHAN]]
    stored = on_disk(coded)[ids[ORPHAN]]["target"]
    assert citation(orphan) == (
        f"{TITLE[TATIKYAN]}, Sossi Tatikyan, 2024-11, chars {stored['start']}–{stored['end']}"
    )


# --- writing ------------------------------------------------------------------------------------


def test_write_export_replaces_an_existing_file(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old report\n" * 100, encoding="utf-8")
    write_export(path, "new report\n")
    assert path.read_text(encoding="utf-8") == "new report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_byte_identical(tmp_path, monkeypatch, failing):
    path = tmp_path / "report.csv"
    old = "document,quote\r\nx,“old”\r\n".encode()
    path.write_bytes(old)

    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, failing, fail)
    with pytest.raises(ExportError) as caught:
        write_export(path, "a much longer new text\r\n" * 1000)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temp file left
    assert os.strerror(errno.ENOSPC) in str(caught.value)
    assert str(path) in str(caught.value)


def test_write_export_into_a_missing_folder_is_an_error(tmp_path):
    path = tmp_path / "no" / "such" / "report.md"
    with pytest.raises(ExportError) as caught:
        write_export(path, "text\n")
    assert "no such folder" in str(caught.value)
    assert str(path.parent) in str(caught.value)
    assert not (tmp_path / "no").exists()  # not created behind the user's back
    assert "\n" not in str(caught.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_write_export_into_a_read_only_folder_is_an_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="cannot write"):
            write_export(folder / "report.md", "text\n")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


# --- empty exports ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_with_no_matches_is_valid_and_empty(coded, fmt):
    text, collection = build_export(
        corpus_of(coded), AnnotationStore(coded), Filters(tags=("nonexistent",)), fmt
    )
    assert collection.excerpts == []
    if fmt == "md":
        assert "0 annotations." in text and "## Summary" in text
        assert md_structure(text) == []
        assert md_table(text)["all"][4] == "0"
    elif fmt == "csv":
        assert text == ",".join(CSV_COLUMNS) + "\r\n"
        assert read_csv(text) == (list(CSV_COLUMNS), [])
    elif fmt == "json":
        data = json.loads(text)
        assert data["type"] == "AnnotationCollection" and data["total"] == 0
        assert data["first"]["items"] == []
    else:
        page = parse_html(text)
        assert page.tags("figure") == [] and len(page.tags("table")) == 1


def test_an_empty_workspace_exports_too(workspace):
    for fmt in FORMATS:
        text, collection = build_export(
            Corpus(workspace), AnnotationStore(workspace), Filters(), fmt
        )
        assert collection.excerpts == [] and text.strip()
    assert not workspace.annotations_dir.exists()  # exporting writes nothing into the workspace


# --- statistics ---------------------------------------------------------------------------------


def expected_counts(ws: Workspace, group_of) -> dict[str, dict]:
    """Per group, computed from the YAML files and the documents' own text: tag counts,
    annotated passages (where the quote is found now) and orphans (quote not found)."""
    groups: dict[str, dict] = {}
    for doc, items in annotation_files(ws).items():
        text = text_of(ws, doc)
        for item in items:
            g = groups.setdefault(group_of(doc, item), {"tags": Counter(), "ps": set(), "o": 0})
            g["tags"][item["tag"]] += 1
            at = text.text.find(item["target"]["quote"])
            if at < 0:
                g["o"] += 1
            else:
                g["ps"].add((doc, text.passage_at(at).number))
    return groups


PASSAGES = {AIR_JAN: 50, AIR_FEB: 46, APRI: 40, BAKU: 382, TATIKYAN: 20}


@pytest.mark.parametrize(
    "by, group_of, passages_of",
    [
        ("doc", lambda doc, item: doc, lambda name: PASSAGES[name]),
        (
            "side",
            lambda doc, item: SIDE[doc],
            lambda name: sum(n for d, n in PASSAGES.items() if SIDE[d] == name),
        ),
        (
            "publisher",
            lambda doc, item: SOURCE[doc],
            lambda name: sum(n for d, n in PASSAGES.items() if SOURCE[d] == name),
        ),
        ("annotator", lambda doc, item: item["annotator"], lambda name: sum(PASSAGES.values())),
    ],
)
def test_summary_matches_the_annotation_files(coded, by, group_of, passages_of):
    assert {d: len(text_of(coded, d).passages) for d in DOC_IDS} == PASSAGES
    summary = summarize(corpus_of(coded), excerpts(coded), by, ("framing",))
    assert summary.by == by
    assert summary.tags == ["factual", "disputed", "rhetorical", "framing"]
    expected = expected_counts(coded, group_of)
    groups = {g.name: g for g in summary.groups}
    assert set(expected) <= set(groups)
    for name, group in groups.items():
        want = expected.get(name, {"tags": Counter(), "ps": set(), "o": 0})
        assert dict(group.counts) == dict(want["tags"]), name
        assert group.annotated == want["ps"], name
        assert group.orphans == want["o"], name
        assert group.passages == passages_of(name), name
        assert group.share == pytest.approx(len(want["ps"]) / passages_of(name))
    total = summary.total
    assert total.total == len(SPECS) and total.orphans == 1
    assert total.passages == sum(PASSAGES.values())
    assert len(total.annotated) == len(SPECS) - 1  # every placed one on its own passage


def test_summary_by_doc_lists_unannotated_documents_and_json_shape(coded):
    only_framing = excerpts(coded, Filters(tags=("framing",)))
    summary = summarize(corpus_of(coded), only_framing, "doc")
    assert [g.name for g in summary.groups] == sorted(DOC_IDS)  # all five, even at zero
    data = summary.as_json()
    assert set(data) == {"by", "tags", "groups", "all"}
    row = next(g for g in data["groups"] if g["group"] == AIR_FEB)
    assert row == {
        "group": AIR_FEB,
        "counts": {"factual": 0, "disputed": 0, "rhetorical": 0, "framing": 1},
        "total": 1,
        "passages": 46,
        "annotated_passages": 1,
        "share_annotated": round(1 / 46, 4),
        "orphans": 0,
    }
    assert data["all"]["total"] == 1


def test_summary_rejects_an_unknown_grouping(coded):
    with pytest.raises(BriefreaderError, match="cannot group by 'tag'"):
        summarize(corpus_of(coded), [], "tag")


# --- round trip through import ------------------------------------------------------------------

COMPARED = ("tag", "note", "annotator", "created", "updated")


def comparable(items: dict[str, dict]) -> dict[str, tuple]:
    return {
        i: (
            item["document"],
            *(item.get(k, "") for k in COMPARED),
            item["target"]["quote"],
            item["target"]["start"],
            item["target"]["end"],
        )
        for i, item in items.items()
    }


def import_file(ws: Workspace, text: str, path: Path | None = None):
    items = from_json(text, path or Path("import.json"))
    return import_annotations(Corpus(ws), AnnotationStore(ws), items)


def test_json_round_trips_into_an_empty_workspace(coded, workspace):
    exported = export(coded, "json")
    assert not workspace.annotations_dir.exists()
    report = import_file(workspace, exported)
    assert (report.added, report.duplicates, report.unplaced) == (len(SPECS), 0, 0)
    # the fresh corpus is unedited: every annotation, the orphan too, lands where it was made
    assert comparable(on_disk(workspace)) == comparable(on_disk(coded))
    for item in on_disk(workspace).values():
        text = text_of(workspace, item["document"]).text
        start, end = item["target"]["start"], item["target"]["end"]
        assert text[start:end] == item["target"]["quote"]
    before = snapshot(workspace.annotations_dir)
    again = import_file(workspace, exported)
    assert (again.added, again.duplicates) == (0, len(SPECS))
    assert snapshot(workspace.annotations_dir) == before


def test_import_re_anchors_in_text_that_changed_a_little(coded, ids, workspace):
    exported = export(coded, "json", Filters(docs=(AIR_JAN,)))
    path = workspace.corpus_dir / AIR_JAN
    raw = path.read_text(encoding="utf-8")
    inserted = "An inserted sentence shifts what follows. "
    at = raw.index("President Ilham Aliyev raised")
    raw = raw[:at] + inserted + raw[at:]
    raw = raw.replace("surface-to-air missile", "surface to air missile", 1)
    path.write_text(raw, encoding="utf-8")
    report = import_file(workspace, exported)
    assert (report.added, report.duplicates, report.unplaced) == (2, 0, 0)
    now = on_disk(workspace)
    text = text_of(workspace, AIR_JAN)
    original = on_disk(coded)
    moved = now[ids["jan_aliyev"]]["target"]
    assert moved["start"] == original[ids["jan_aliyev"]]["target"]["start"] + len(inserted)
    assert text.text[moved["start"] : moved["end"]] == moved["quote"]
    assert moved["quote"] == original[ids["jan_aliyev"]]["target"]["quote"]
    changed = now[ids["jan_missile"]]["target"]
    assert changed["quote"] == "a Russian surface to air missile was responsible for the crash"
    assert text.text[changed["start"] : changed["end"]] == changed["quote"]
    assert Corpus(workspace).load(AIR_JAN).text.passage_at(changed["start"]).number == 1


def test_a_second_import_into_changed_text_adds_nothing(coded, workspace):
    exported = export(coded, "json", Filters(docs=(AIR_JAN,)))
    path = workspace.corpus_dir / AIR_JAN
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw.replace("surface-to-air missile", "surface to air missile", 1))
    assert import_file(workspace, exported).added == 2
    again = import_file(workspace, exported)
    assert (again.added, again.duplicates) == (0, 2)
    assert len(on_disk(workspace)) == 2


def test_the_same_words_tagged_at_two_places_survive_a_round_trip(tmp_path, workspace):
    source = copy_workspace(tmp_path / "source")
    corpus, store = Corpus(source), AnnotationStore(source)
    text = corpus.load(TATIKYAN).text
    quote = "Nagorno-Karabakh Armenians"
    for passage in (5, 10):  # once in each of the two passages
        span = span_in_passage(text, passage, quote)
        store.add(TATIKYAN, make_annotation(text, *span, "factual", "alice"))
    report = import_file(workspace, export(source, "json"))
    assert (report.added, report.duplicates) == (2, 0)
    starts = sorted(i["target"]["start"] for i in on_disk(workspace).values())
    assert starts == sorted(i["target"]["start"] for i in on_disk(source).values())


# --- import errors: nothing written --------------------------------------------------------------


def valid_item(doc: str = AIR_JAN, tag: str = "factual") -> dict:
    return {
        "id": "urn:briefreader:annotation:abc123",
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": tag}],
        "target": {
            "source": {"id": f"urn:briefreader:doc:{doc}"},
            "selector": [{"type": "TextQuoteSelector", "exact": "Flight J2-8243"}],
        },
    }


def test_import_of_a_file_that_is_not_json_names_the_line(workspace):
    text = '{\n  "type": "AnnotationCollection",\n  "first": {\n    "items": [,]\n  }\n}\n'
    with pytest.raises(WebAnnotationError) as caught:
        import_file(workspace, text, Path("broken.json"))
    assert caught.value.line == 4
    assert str(caught.value).startswith("broken.json:4:")
    assert "not JSON" in str(caught.value)
    assert not workspace.annotations_dir.exists()


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"hello": "world"}, "not a Web Annotation export"),
        ("just a string", "not a Web Annotation export"),
        ({"type": "AnnotationCollection", "first": {"items": "nope"}}, "not a Web Annotation"),
        ([valid_item(), {"type": "Note"}], "annotation 2: not an object of type Annotation"),
        ([{**valid_item(), "body": []}], "annotation 1: needs exactly one tagging body"),
        ([{**valid_item(), "target": "urn:x"}], "annotation 1: has no target object"),
        (
            [{**valid_item(), "target": {"source": "https://example.org/a", "selector": []}}],
            "target source must be an id starting with urn:briefreader:doc:",
        ),
        (
            [{**valid_item(), "target": {"source": f"urn:briefreader:doc:{AIR_JAN}"}}],
            "needs a TextQuoteSelector",
        ),
        (
            [
                {
                    **valid_item(),
                    "target": {
                        "source": f"urn:briefreader:doc:{AIR_JAN}",
                        "selector": [
                            {"type": "TextQuoteSelector", "exact": "Flight"},
                            {"type": "TextPositionSelector", "start": 9, "end": 3},
                        ],
                    },
                }
            ],
            "TextPositionSelector needs whole numbers with start <= end",
        ),
    ],
)
def test_import_of_the_wrong_shape_is_refused_whole(writable, data, fragment):
    before = snapshot(writable.annotations_dir)
    with pytest.raises(WebAnnotationError) as caught:
        import_file(writable, json.dumps(data), Path("other.json"))
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("other.json: ")
    assert snapshot(writable.annotations_dir) == before


def test_import_targeting_a_missing_document_writes_nothing(writable, workspace):
    data = [valid_item(AIR_JAN), valid_item("not-in-this-workspace.txt")]
    before = snapshot(writable.annotations_dir)
    with pytest.raises(WebAnnotationError) as caught:
        import_file(writable, json.dumps(data))
    assert "not-in-this-workspace.txt" in str(caught.value)
    assert "nothing imported" in str(caught.value)
    assert snapshot(writable.annotations_dir) == before
    with pytest.raises(WebAnnotationError):
        import_file(workspace, json.dumps(data))
    assert not workspace.annotations_dir.exists()


def test_import_stopped_by_a_malformed_annotation_file_writes_nothing(coded, workspace):
    workspace.annotations_dir.mkdir()
    broken = workspace.annotations_dir / f"{TATIKYAN}.yaml"  # the last document imported
    broken.write_text("document: x\nannotations:\n- id: a\n  tag: factual\n  target: [1]\n")
    before = snapshot(workspace.annotations_dir)
    with pytest.raises(BriefreaderError, match="'target' must be a mapping"):
        import_file(workspace, export(coded, "json"))
    assert snapshot(workspace.annotations_dir) == before


def test_import_accepts_a_page_a_list_or_one_annotation(workspace):
    item = valid_item()
    reports = [
        import_file(workspace, json.dumps(shape))
        for shape in ({"type": "AnnotationPage", "items": [item]}, [item], item)
    ]
    assert [(r.added, r.duplicates) for r in reports] == [(1, 0), (0, 1), (0, 1)]
    [saved] = annotation_files(workspace)[AIR_JAN]
    assert (saved["tag"], saved["target"]["quote"]) == ("factual", "Flight J2-8243")


def test_import_places_a_quote_only_annotation_whose_quote_is_unique(workspace):
    """Prefix, suffix and the TextPositionSelector are optional in the model: a client may
    send the exact quote alone."""
    quote = "Flight J2-8243, operated by Azerbaijan Airlines"
    text = text_of(workspace, AIR_JAN).text
    assert text.count(quote) == 1
    item = valid_item()
    item["target"]["selector"] = [{"type": "TextQuoteSelector", "exact": quote}]
    report = import_file(workspace, json.dumps(item))
    assert (report.added, report.unplaced) == (1, 0)
    [saved] = annotation_files(workspace)[AIR_JAN]
    assert text[saved["target"]["start"] : saved["target"]["end"]] == quote
    assert saved["target"]["prefix"] and saved["target"]["suffix"]  # context computed here
