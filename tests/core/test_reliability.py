"""Promises of RELIABILITY.md that no other test proved yet (issue 7, item 4): the same
document saved with CRLF line ends, a byte-order mark or decomposed (NFD) accents keeps every
annotation anchored exactly; an emptied or truncated index table of contents is rebuilt; a
hand-written key is kept through a save whatever its value."""

from __future__ import annotations

import unicodedata

import pytest

from briefreader.core.anchoring import AnchorState
from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from tests.conftest import AIR_JAN

VARIANTS = {
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda text: ("\ufeff" + text).encode("utf-8"),
    "nfd": lambda text: unicodedata.normalize("NFD", text).encode("utf-8"),
    "bom-crlf-nfd": lambda text: (
        "\ufeff" + unicodedata.normalize("NFD", text).replace("\n", "\r\n")
    ).encode("utf-8"),
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_crlf_bom_and_nfd_copies_of_a_document_keep_every_annotation_anchored(
    workspace: Workspace, variant
):
    path = workspace.corpus_dir / AIR_JAN
    original = path.read_text(encoding="utf-8")
    assert "\r" not in original and unicodedata.is_normalized("NFC", original)
    accented = [c for c in original if unicodedata.normalize("NFD", c) != c]
    assert accented, "the document needs letters that NFD decomposes"
    text = Corpus(workspace).load(AIR_JAN).text
    store = AnnotationStore(workspace)
    made = []
    for passage in text.passages:  # every passage, and a span on every accented word
        made.append(make_annotation(text, passage.start, passage.end, "factual", "alice"))
        for word in passage.text.split():
            if any(c in accented for c in word):
                start, end = span_in_passage(text, passage.number, word)
                made.append(make_annotation(text, start, end, "disputed", "alice"))
    for annotation in made:
        store.add(AIR_JAN, annotation)
    assert len(made) > len(text.passages)

    path.write_bytes(variant(original))
    reread = Corpus(workspace).load(AIR_JAN).text
    assert reread.text == text.text
    placed = store.place(AIR_JAN, reread)
    assert len(placed) == len(made)
    for item in placed:
        target = item.annotation.target
        assert item.anchor.state is AnchorState.ANCHORED, item
        assert (item.anchor.start, item.anchor.end) == (target.start, target.end)


@pytest.mark.parametrize("cut", ["emptied", "truncated"])
def test_an_emptied_or_truncated_table_of_contents_is_rebuilt(indexed_workspace, cut):
    tocs = list(indexed_workspace.index_dir.glob("*.toc"))
    assert tocs
    for toc in tocs:
        data = toc.read_bytes()
        toc.write_bytes(b"" if cut == "emptied" else data[: len(data) // 2])
    index = SearchIndex(Corpus(indexed_workspace))
    try:
        assert not index.is_current()
        report = index.update()
        assert report.rebuilt and "\n" not in report.rebuilt
        assert index.search("Khojaly").total > 0
        assert index.is_current()
    finally:
        index.close()


def test_a_hand_written_key_whose_text_ends_in_blank_lines_survives_a_save(workspace):
    """Found by tests/core/test_fuzz.py::test_what_parses_is_written_back_without_loss: a
    value that keeps its final blank lines (`|+`) made the YAML writer end its piece with the
    document end marker `...`, and the file, written in pieces, stopped there for every
    reader: after one save, the whole file was "malformed"."""
    store = AnnotationStore(workspace)
    text = Corpus(workspace).load(AIR_JAN).text
    first = make_annotation(text, *span_in_passage(text, 1, None), "factual", "alice")
    store.add(AIR_JAN, first)
    path = store.path_for(AIR_JAN)
    hand_edited = path.read_text(encoding="utf-8").replace(
        "annotations:\n", "reading_notes: |+\n  Check the casualty figures.\n\nannotations:\n", 1
    )
    path.write_text(hand_edited, encoding="utf-8")
    second = make_annotation(text, *span_in_passage(text, 2, None), "disputed", "alice")
    store.add(AIR_JAN, second)
    loaded = AnnotationStore(workspace).load(AIR_JAN)  # as another instance reads it
    assert {a.id for a in loaded.annotations} == {first.id, second.id}
    assert loaded.extra == {"reading_notes": "Check the casualty figures.\n\n"}
