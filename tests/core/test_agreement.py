"""Coder agreement (issue 8, item 5): Cohen's kappa and Krippendorff's alpha held to published
worked examples, then computed at passage level per tag from real annotation files, with
missing data (a coder who did not code a document) kept apart from "absent"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefreader.core.agreement import (
    ABSENT,
    NONE_LABEL,
    PRESENT,
    TAG_SET,
    Coefficient,
    agreement,
    cohen_kappa,
    cohen_kappa_table,
    confusion_table,
    krippendorff_alpha,
)
from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError, DocumentError
from briefreader.core.models import Annotation, Target
from briefreader.core.workspace import Workspace

N = None  # a missing value in the reliability matrices below

# --- Krippendorff's alpha: published worked examples ------------------------------------


def test_krippendorff_2011_nominal_example_with_missing_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
    # 4 observers x 12 units, nominal values 1-5, missing values; nominal alpha = 0.743.
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
    result = krippendorff_alpha(zip(*observers, strict=True))
    assert round(result.value, 3) == 0.743
    # exactly: n = 40 pairable values (unit 12 has one value: not pairable), n_c = 9, 13,
    # 10, 5, 3; off-diagonal coincidences 8 (units 2, 6, 8); 1 - 39 * 8 / (1600 - 384)
    assert result.value == pytest.approx(1 - 39 * 8 / 1216)


def test_krippendorff_2011_binary_example_two_observers():
    # ibid., section A: two observers, ten units, binary data; alpha = 0.095
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    result = krippendorff_alpha(zip(a, b, strict=True))
    assert round(result.value, 3) == 0.095


def test_wikipedia_computational_example_with_missing_values():
    # en.wikipedia.org/wiki/Krippendorff%27s_alpha, "A computational example":
    # 3 coders x 15 units, nominal alpha = 0.691
    coders = [
        [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
        [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
        [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
    ]
    assert round(krippendorff_alpha(zip(*coders, strict=True)).value, 3) == 0.691


def test_alpha_values_may_be_any_hashable_and_units_may_list_only_present_coders():
    with_none = krippendorff_alpha([["a", None, "a"], ["b", "b", None], ["a", "b", "b"]])
    listed = krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "b", "b"]])
    assert with_none == listed and with_none.defined


def test_alpha_perfect_agreement_is_one():
    assert krippendorff_alpha([[1, 1], [2, 2], [3, 3, 3]]).value == 1.0


@pytest.mark.parametrize(
    ("units", "reason"),
    [
        ([], "no unit was coded by two or more coders"),
        ([[1], [2, None], [None, None]], "no unit was coded by two or more coders"),
        ([["absent", "absent"], ["absent", "absent", "absent"]], "same value (absent)"),
    ],
)
def test_alpha_undefined_cases_give_none_and_a_reason(units, reason):
    result = krippendorff_alpha(units)
    assert result.value is None and reason in result.reason
    assert result.as_json().startswith("undefined: ")


# --- Cohen's kappa: textbook examples ---------------------------------------------------


def test_wikipedia_fifty_grant_proposals_kappa_is_0_4():
    # en.wikipedia.org/wiki/Cohen%27s_kappa, "Simple example": 50 proposals, A and B both
    # yes 20, A yes B no 5, A no B yes 10, both no 15; p_o = 0.7, p_e = 0.5, kappa = 0.4
    assert cohen_kappa_table([[20, 5], [10, 15]]).value == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("table", "kappa"),
    [
        ([[45, 15], [25, 15]], 0.1304),  # Wikipedia, "Same percentages but different numbers"
        ([[25, 35], [5, 35]], 0.2593),  # ... same p_o = 0.60, different marginals
        ([[20, 0], [0, 30]], 1.0),  # perfect agreement
        ([[25, 25], [25, 25]], 0.0),  # agreement at chance
        ([[6, 14], [9, 21]], 0.0),  # at chance with unequal marginals: p_o = p_e = 0.54
        ([[0, 10], [10, 0]], -1.0),  # perfect disagreement with balanced marginals
    ],
)
def test_kappa_on_textbook_tables(table, kappa):
    assert round(cohen_kappa_table(table).value, 4) == kappa


def test_kappa_from_pairs_equals_kappa_from_the_table():
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    pairs += [("no", "no")] * 15
    assert cohen_kappa(pairs).value == pytest.approx(0.4)
    table = confusion_table(pairs, ("A", "B"), ("yes", "no"))
    assert table.counts == ((20, 5), (10, 15)) and table.total == 50
    assert table.count("no", "yes") == 10


def test_kappa_three_categories():
    # hand-computed: p_o = 0.7, rows (.4,.3,.3), columns (.4,.4,.2): p_e = .34; kappa = 0.5455
    table = [[3, 1, 0], [1, 2, 0], [0, 1, 2]]
    assert cohen_kappa_table(table).value == pytest.approx((0.7 - 0.34) / 0.66)


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ([[0, 0], [0, 0]], "no unit was coded by both"),
        ([[0, 0], [0, 30]], "same single value"),
        ([[7]], "same single value"),
    ],
)
def test_kappa_undefined_cases_give_none_and_a_reason(table, reason):
    result = cohen_kappa_table(table)
    assert result == Coefficient(None, result.reason) and reason in result.reason


def test_kappa_table_must_be_square():
    with pytest.raises(ValueError):
        cohen_kappa_table([[1, 2], [3]])


# --- passage level, from annotation files -----------------------------------------------

TITLE = "Talks on the corridor\n\n"
PARAGRAPHS = [
    "The first paragraph says the talks began in May.",
    "A second paragraph reports shelling near the border.",
    "A third paragraph quotes the foreign minister at length.",
    "A fourth paragraph gives casualty figures from the ministry.",
    "A fifth paragraph speaks of the road through Lachin.",
    "A sixth paragraph closes with hopes for peace.",
]
ONE, TWO, THREE = "one.txt", "two.txt", "three.txt"
CATALOG = """\
documents:
  one.txt:
    side: Armenia
  two.txt:
    side: Azerbaijan
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """Three documents: one.txt (6 passages, Armenia), two.txt (4, Azerbaijan), three.txt
    (4, no side)."""
    corpus = tmp_path / "ws" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / ONE).write_text(TITLE + "\n\n".join(PARAGRAPHS) + "\n", encoding="utf-8")
    for name in (TWO, THREE):
        (corpus / name).write_text(TITLE + "\n\n".join(PARAGRAPHS[:4]) + "\n", encoding="utf-8")
    (corpus / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    return Workspace(tmp_path.joinpath("ws").resolve())


def tag(ws: Workspace, doc: str, passage: int, tag_name: str, coder: str, quote=None) -> None:
    text = Corpus(ws).load(doc).text
    start, end = span_in_passage(text, passage, quote)
    AnnotationStore(ws).add(doc, make_annotation(text, start, end, tag_name, coder))


def compute(ws: Workspace, **options):
    return agreement(Corpus(ws), AnnotationStore(ws), **options)


@pytest.fixture
def coded(ws: Workspace) -> Workspace:
    # one.txt, alice and bob:   p1      p2       p3        p4          p5  p6
    #   alice                   disp    fact     disp      -           -   -
    #   bob                     disp    -        fact      rhet(span)  -   -
    for passage, name in [(1, "disputed"), (2, "factual"), (3, "disputed")]:
        tag(ws, ONE, passage, name, "alice")
    tag(ws, ONE, 1, "disputed", "bob")
    tag(ws, ONE, 3, "factual", "bob")
    tag(ws, ONE, 4, "rhetorical", "bob", quote="casualty figures")
    # two.txt, alice and carol: alice p1 factual; carol p1 factual, p2 disputed
    tag(ws, TWO, 1, "factual", "alice")
    tag(ws, TWO, 1, "factual", "carol")
    tag(ws, TWO, 2, "disputed", "carol")
    return ws


def by_tag(group, name):
    return next(t for t in group.tags if t.tag == name)


def test_two_coders_on_one_document_match_the_hand_computation(coded):
    report = compute(coded, doc=ONE)
    assert report.coders == ["alice", "bob"]
    assert report.tags == ["factual", "disputed", "rhetorical"]  # built-ins first, as used
    (group,) = report.groups
    assert group.name == "all" and group.documents == (ONE,) and group.units == 6
    disputed = by_tag(group, "disputed")
    # alice present on p1, p3; bob on p1: table [[1, 1], [0, 4]]
    assert disputed.confusion.coders == ("alice", "bob")
    assert disputed.confusion.labels == (PRESENT, ABSENT)
    assert disputed.confusion.counts == ((1, 1), (0, 4))
    # p_o = 5/6, p_e = (2*1 + 4*5)/36 = 22/36: kappa = (30 - 22)/(36 - 22) = 4/7
    assert disputed.kappa.value == pytest.approx(4 / 7)
    # n = 12 values, 3 present and 9 absent, one disagreeing unit: 1 - 11 * 2/54 = 16/27
    assert disputed.alpha.value == pytest.approx(16 / 27)
    assert disputed.units == 6 and disputed.observed == pytest.approx(5 / 6)
    assert [(d.doc_id, d.passage) for d in disputed.disagreements] == [(ONE, 3)]
    (d,) = disputed.disagreements
    assert d.labels == {"alice": PRESENT, "bob": ABSENT}
    assert d.tags == {"alice": ("disputed",), "bob": ("factual",)}
    assert d.excerpt.startswith("A third paragraph")


def test_the_tag_set_is_compared_as_one_nominal_value(coded):
    (group,) = compute(coded, doc=ONE).groups
    overall = group.overall
    assert overall.tag == TAG_SET
    assert [(d.passage, d.labels) for d in overall.disagreements] == [
        (2, {"alice": "factual", "bob": NONE_LABEL}),
        (3, {"alice": "disputed", "bob": "factual"}),
        (4, {"alice": NONE_LABEL, "bob": "rhetorical"}),
    ]
    # alice: disp fact disp none none none; bob: disp none fact rhet none none
    labels = ("disputed", "factual", "none", "rhetorical")
    assert set(overall.confusion.labels) == set(labels)
    assert overall.confusion.count("disputed", "disputed") == 1
    assert overall.confusion.count("none", "none") == 2
    # p_o = 3/6; alice (disp 2, fact 1, none 3), bob (disp 1, fact 1, none 3, rhet 1):
    # p_e = (2 + 1 + 9)/36 = 1/3; kappa = (1/2 - 1/3)/(2/3) = 1/4
    assert overall.kappa.value == pytest.approx(0.25)


def test_a_coder_who_did_not_code_a_document_is_missing_not_absent(coded):
    report = compute(coded)
    assert report.coded == {"alice": [ONE, TWO], "bob": [ONE], "carol": [TWO]}
    (group,) = report.groups
    assert group.coders == ("alice", "bob", "carol") and group.units == 10
    for variable in (*group.tags, group.overall):
        for d in variable.disagreements:
            if d.doc_id == TWO:
                assert set(d.labels) == {"alice", "carol"}  # bob is missing, not "absent"
    # three coders: no single kappa, but one per pair; bob and carol share no document
    disputed = by_tag(group, "disputed")
    assert disputed.kappa.value is None and "exactly two" in disputed.kappa.reason
    assert disputed.confusion is None
    pairs = {p.coders: p for p in disputed.pairs}
    assert pairs[("alice", "bob")].kappa.value == pytest.approx(4 / 7)
    assert pairs[("alice", "bob")].units == 6 and pairs[("alice", "carol")].units == 4
    assert pairs[("bob", "carol")].units == 0
    assert "no document in common" in pairs[("bob", "carol")].kappa.reason
    # alpha over both documents: disputed present 3 (one.txt) + 1 (two.txt), n = 20,
    # disagreeing units: one.txt p3 and two.txt p2: 1 - 19 * 4 / (2 * 4 * 16) = 52/128
    assert disputed.alpha.value == pytest.approx(1 - 19 * 4 / 128)


def test_grouping_by_side(coded):
    tag(coded, THREE, 2, "factual", "alice")
    tag(coded, THREE, 2, "factual", "bob")
    report = compute(coded, by="side")
    assert [g.name for g in report.groups] == ["(no side)", "Armenia", "Azerbaijan"]
    nosides, armenia, azerbaijan = report.groups
    assert armenia.documents == (ONE,) and armenia.coders == ("alice", "bob")
    assert by_tag(armenia, "disputed").kappa.value == pytest.approx(4 / 7)
    assert azerbaijan.coders == ("alice", "carol")
    factual = by_tag(azerbaijan, "factual")
    assert factual.kappa.value == pytest.approx(1.0) and factual.disagreements == ()
    # on three.txt both tagged p2 factual and nothing else: perfect agreement
    assert by_tag(nosides, "factual").alpha.value == pytest.approx(1.0)
    # nobody used 'disputed' on three.txt: every value is "absent", alpha undefined
    undefined = by_tag(nosides, "disputed")
    assert undefined.alpha.value is None and "same value (absent)" in undefined.alpha.reason
    assert undefined.kappa.value is None and undefined.observed == 1.0
    assert [g.name for g in compute(coded, by="doc").groups] == [ONE, THREE, TWO]


def test_a_span_counts_for_every_passage_it_overlaps(ws):
    text = Corpus(ws).load(ONE).text
    p5, p6 = text.passage(5), text.passage(6)
    store = AnnotationStore(ws)
    store.add(ONE, make_annotation(text, p5.end - 5, p6.start + 5, "disputed", "alice"))
    store.add(ONE, make_annotation(text, p6.start, p6.end, "disputed", "bob"))
    (group,) = compute(ws).groups
    (d,) = by_tag(group, "disputed").disagreements
    assert (d.passage, d.labels) == (5, {"alice": PRESENT, "bob": ABSENT})


def test_unplaced_annotations_are_left_out_but_their_coder_coded_the_document(coded):
    orphan = Annotation("gone", "factual", Target("text that is nowhere", "", "", 5, 25), "", "dan")
    AnnotationStore(coded).add(ONE, orphan)
    report = compute(coded, doc=ONE)
    assert report.unplaced == 1 and report.coded["dan"] == [ONE]
    (group,) = report.groups
    assert group.coders == ("alice", "bob", "dan")
    # dan coded one.txt and tagged no passage: "none" on each, which disagrees with alice's p1
    (first, *_) = group.overall.disagreements
    assert first.labels == {"alice": "disputed", "bob": "disputed", "dan": NONE_LABEL}


def test_the_tags_and_coders_compared_can_be_chosen(coded):
    report = compute(coded, tags=["disputed"], coders=["alice", "carol"])
    assert report.tags == ["disputed"] and report.coders == ["alice", "carol"]
    (group,) = report.groups
    assert [t.tag for t in group.tags] == ["disputed"]
    assert group.documents == (ONE, TWO)  # alice alone on one.txt: no pairable units there
    assert by_tag(group, "disputed").units == 4
    # the tag set only holds the chosen tags: alice's 'factual' on two.txt p1 is "none"
    (d,) = group.overall.disagreements
    assert (d.doc_id, d.passage, d.labels) == (TWO, 2, {"alice": NONE_LABEL, "carol": "disputed"})


def test_no_annotations_at_all_is_a_report_without_figures(ws):
    report = compute(ws)
    assert report.coders == [] and report.tags == []
    (group,) = report.groups
    assert group.units == 0 and group.tags == ()
    assert group.overall.alpha.value is None and group.overall.kappa.value is None
    json.dumps(report.as_json())


def test_one_coder_gives_undefined_coefficients_with_reasons(ws):
    tag(ws, ONE, 1, "disputed", "alice")
    (group,) = compute(ws).groups
    disputed = by_tag(group, "disputed")
    assert disputed.alpha.value is None and "1 coder" in disputed.alpha.reason
    assert disputed.kappa.value is None and disputed.pairs == ()
    assert disputed.units == 0 and disputed.observed is None


def test_annotations_without_an_annotator_form_one_unknown_coder(ws):
    text = Corpus(ws).load(ONE).text
    start, end = span_in_passage(text, 1, None)
    AnnotationStore(ws).add(ONE, make_annotation(text, start, end, "factual", ""))
    tag(ws, ONE, 1, "factual", "alice")
    assert compute(ws).coders == ["(unknown)", "alice"]


def test_the_report_is_json(coded):
    data = json.loads(json.dumps(compute(coded, by="side").as_json()))
    armenia = next(g for g in data["groups"] if g["group"] == "Armenia")
    disputed = next(t for t in armenia["tags"] if t["tag"] == "disputed")
    assert disputed["kappa"] == round(4 / 7, 4)
    assert disputed["confusion"] == {
        "rows": "alice",
        "columns": "bob",
        "labels": [PRESENT, ABSENT],
        "counts": [[1, 1], [0, 4]],
    }
    assert disputed["disagreements"][0]["tags"] == {"alice": ["disputed"], "bob": ["factual"]}
    azerbaijan = next(g for g in data["groups"] if g["group"] == "Azerbaijan")
    # alice: factual none none none; carol: factual disputed none none: p_o 3/4, p_e 7/16
    assert azerbaijan["overall"]["kappa"] == round(5 / 9, 4)


def test_bad_input_is_a_user_error(coded):
    with pytest.raises(BriefreaderError, match="cannot group by"):
        compute(coded, by="publisher")
    with pytest.raises(DocumentError):
        compute(coded, doc="no-such-document")


def test_a_broken_annotation_file_is_reported_and_the_rest_compared(coded):
    AnnotationStore(coded).path_for(TWO).write_text("annotations: [\n", encoding="utf-8")
    (coded.annotations_dir / "gone.txt.yaml").write_text(
        "document: gone.txt\nannotations: []\n", encoding="utf-8"
    )
    report = compute(coded)
    messages = [str(p) for p in report.problems]
    assert any(TWO in m and "YAML" in m for m in messages)
    assert any("no document gone.txt" in m for m in messages)
    assert report.coders == ["alice", "bob"]
