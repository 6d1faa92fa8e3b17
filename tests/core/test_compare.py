"""Counter-passages and the topic view (issue 8, items 1 and 4)."""

from __future__ import annotations

import pytest

from briefreader.core.annotations import AnnotationStore, make_annotation
from briefreader.core.compare import counter_passages, topic
from briefreader.core.corpus import Corpus
from briefreader.core.errors import QueryError
from briefreader.core.index import SearchIndex
from tests.conftest import APRI, BAKU, TATIKYAN

# Tatikyan ¶4: Baku "controls at least 215 square kilometres of Armenia's sovereign territory"
TERRITORY = 4


@pytest.fixture
def index(indexed_workspace) -> SearchIndex:
    index = SearchIndex(Corpus(indexed_workspace))
    yield index
    index.close()


def test_counter_passages_come_from_other_documents_other_side_first(index):
    store = AnnotationStore(index.corpus.workspace)
    found = counter_passages(index, store, TATIKYAN, TERRITORY, limit=10)
    assert found.side == "Armenia"
    assert {"square", "kilometres", "sovereign"} <= set(found.terms)
    assert found.passages and all(p.hit.doc_id != TATIKYAN for p in found.passages)
    flags = [p.other_side for p in found.passages]
    assert flags == sorted(flags, reverse=True)  # every other-side passage before the rest
    assert any(p.other_side for p in found.passages)
    same_side = [p.hit for p in found.passages if not p.other_side]
    # the same claim from the same side: APRI on "200 square kilometers of Armenian
    # sovereign territory"
    assert (APRI, 24) in {(hit.doc_id, hit.passage) for hit in same_side}


def test_counter_passages_carry_the_tags_already_on_them(index):
    store = AnnotationStore(index.corpus.workspace)
    first = counter_passages(index, store, TATIKYAN, TERRITORY, limit=5).passages[0]
    text = index.corpus.load(first.hit.doc_id).text
    passage = text.passage(first.hit.passage)
    store.add(first.hit.doc_id, make_annotation(text, passage.start, passage.end, "disputed", "a"))
    again = counter_passages(index, store, TATIKYAN, TERRITORY, limit=5).passages[0]
    assert again.hit == first.hit
    assert again.tags == ("disputed",)


def test_a_passage_that_is_not_indexed_is_a_clear_error(index):
    store = AnnotationStore(index.corpus.workspace)
    with pytest.raises(QueryError, match="passage 9999"):
        counter_passages(index, store, TATIKYAN, 9999)


def test_topic_splits_the_matches_by_side_with_tag_counts(index):
    store = AnnotationStore(index.corpus.workspace)
    text = index.corpus.load(BAKU).text
    passage = next(p for p in text.passages if "Lachin" in p.text)
    store.add(BAKU, make_annotation(text, passage.start, passage.end, "rhetorical", "a"))
    views = {view.side: view for view in topic(index, store, "Lachin", per_side=3).sides}
    assert set(views) == {"Azerbaijan", "Armenia"}
    every = index.passages("Lachin")
    assert sum(view.total for view in views.values()) == len(every)
    for side, view in views.items():
        assert all(info.side == side for info in view.documents)
        assert 0 < len(view.hits) <= 3
        assert {(hit.doc_id, hit.passage) for hit in view.hits} <= every
        assert all(hit.doc_id in {info.id for info in view.documents} for hit in view.hits)
    assert views["Azerbaijan"].tags == {"rhetorical": 1}
    assert views["Armenia"].tags == {}


def test_a_topic_nobody_speaks_of_has_no_sides(index):
    assert topic(index, AnnotationStore(index.corpus.workspace), "xylophone").sides == ()


def test_an_unreadable_annotation_file_is_reported_not_counted(index):
    store = AnnotationStore(index.corpus.workspace)
    path = store.path_for(BAKU)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("annotations: [unclosed\n", encoding="utf-8")
    found = topic(index, store, "Lachin")
    assert [p.path for p in found.problems] == [path]
    assert all(view.tags == {} for view in found.sides)
    assert path.read_text(encoding="utf-8") == "annotations: [unclosed\n"  # left as it was
