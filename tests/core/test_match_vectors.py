"""Quote-matching test vectors ported as data (tests/data/match_cases.yaml; issue 7, item 2).

The cases of Hypothesis's `match-quote-test.js` and Apache Annotator's `text-quote/match-cases.ts`
are written out there in our own words, each with what briefreader must answer. briefreader's
bar is higher than Hypothesis's: where Hypothesis applies a low-scoring fuzzy match, briefreader
answers "needs review" or "orphaned" and never places the annotation on look-alike text.

A case's target is either made by briefreader (`annotate`: the quote as `target_of` stores it
in the original text) or a W3C TextQuoteSelector from another tool (`selector`: quote, optional
prefix and suffix, optional position), built as `webanno` imports one. `edits` turn the
original into the current text. `placed` (and `candidate`, for a case that needs review) mark
the expected span with brackets, inside a stretch of the current text that occurs once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from briefreader.core.anchoring import Anchor, AnchorState, anchor
from briefreader.core.models import Target
from tests.core.test_anchoring import target_of

DATA = Path(__file__).resolve().parents[1] / "data" / "match_cases.yaml"
STATES = {
    "anchored": AnchorState.ANCHORED,
    "relocated": AnchorState.RELOCATED,
    "review": AnchorState.REVIEW,
    "orphaned": AnchorState.ORPHANED,
}
CASE_KEYS = {
    "name",
    "source",
    "text",
    "edits",
    "annotate",
    "selector",
    "expect",
    "placed",
    "candidate",
    "never_on",
    "score_below",
    "why",
}


def _load() -> tuple[dict[str, str], list[dict]]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return data["texts"], data["cases"]


TEXTS, CASES = _load()
BY_NAME = {case["name"]: case for case in CASES}


def span(text: str, marked: str) -> tuple[int, int]:
    """The span that `marked` brackets, e.g. "today, [again], again", in `text`, where the
    unbracketed stretch must occur exactly once."""
    assert marked.count("[") == 1 and marked.count("]") == 1, marked
    before, rest = marked.split("[")
    inside, after = rest.split("]")
    stretch = before + inside + after
    assert text.count(stretch) == 1, f"{stretch!r} occurs {text.count(stretch)} times"
    start = text.index(stretch) + len(before)
    return start, start + len(inside)


def original_of(case: dict) -> str:
    return TEXTS[case["text"]]


def current_of(case: dict) -> str:
    text = original_of(case)
    for edit in case.get("edits", []):
        old, new = edit["replace"], edit["with"]
        assert text.count(old) == 1, f"edit {old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def target_for(case: dict) -> Target:
    original = original_of(case)
    if "annotate" in case:
        spec = case["annotate"]
        return target_of(original, spec["quote"], spec.get("occurrence", 0))
    spec = case["selector"]
    quote = spec["quote"]
    if "position" in spec:  # a TextPositionSelector, given as the span it marks
        start = span(original, spec["position"])[0]
        return Target(
            quote, spec.get("prefix", ""), spec.get("suffix", ""), start, start + len(quote)
        )
    # no TextPositionSelector: webanno.parse_item stores offsets 0..0
    return Target(quote, spec.get("prefix", ""), spec.get("suffix", ""), 0, 0)


def run(case: dict) -> tuple[str, Anchor]:
    text = current_of(case)
    return text, anchor(text, target_for(case))


def test_the_data_file_is_well_formed():
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        assert set(case) <= CASE_KEYS, (case["name"], set(case) - CASE_KEYS)
        assert case["text"] in TEXTS, case["name"]
        assert ("annotate" in case) != ("selector" in case), case["name"]
        assert case["expect"] in STATES, case["name"]
        assert case.get("why"), case["name"]
        assert case.get("source"), case["name"]
        placed = STATES[case["expect"]] in (AnchorState.ANCHORED, AnchorState.RELOCATED)
        assert placed == ("placed" in case), case["name"]
        if "score_below" in case:
            assert case["score_below"] in BY_NAME, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_match_vector(case: dict):
    text, result = run(case)
    expected = STATES[case["expect"]]
    got = text[result.start : result.end] if result.start >= 0 else None
    assert result.state is expected, f"{result} on {got!r}; why {expected}: {case['why']}"
    if result.placed:
        assert (result.start, result.end) == span(text, case["placed"]), got
        if expected is AnchorState.ANCHORED:
            assert got == target_for(case).quote
    elif expected is AnchorState.ORPHANED:
        assert (result.start, result.end) == (-1, -1)
    if "candidate" in case:
        assert (result.start, result.end) == span(text, case["candidate"]), got
    for look_alike in case.get("never_on", []):
        start, end = span(text, look_alike)
        assert not (result.placed and result.start < end and result.end > start), (
            f"{result.state} onto the look-alike {got!r}"
        )
    if "score_below" in case:
        _, better = run(BY_NAME[case["score_below"]])
        assert result.score < better.score, (result.score, better.score)


# --- the same through the importer: a selector that leaves out its suffix ----------------------


def test_an_imported_selector_without_a_suffix_lands_where_its_prefix_says(workspace):
    """Apache Annotator's "with prefix", end to end: a W3C TextQuoteSelector from another tool
    gives a prefix and no suffix. The missing suffix says nothing; it must not be read as "the
    quote ended the text", which once put this annotation on the copy at the end."""
    from briefreader.core.annotations import AnnotationStore
    from briefreader.core.corpus import Corpus
    from briefreader.core.webanno import from_json, import_annotations

    (workspace.corpus_dir / "convoys.txt").write_text(TEXTS["convoys"] + "\n", encoding="utf-8")
    corpus = Corpus(workspace)
    text = corpus.load("convoys.txt").text.text
    assert text.count("again") == 2 and text.endswith("again, again")
    item = {
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "tagging", "value": "factual"}],
        "target": {
            "source": {"id": "urn:briefreader:doc:convoys.txt"},
            "selector": [{"type": "TextQuoteSelector", "exact": "again", "prefix": "y, "}],
        },
    }
    report = import_annotations(
        corpus, AnnotationStore(workspace), from_json(json.dumps(item), Path("in.json"))
    )
    assert (report.added, report.unplaced) == (1, 0)
    [saved] = AnnotationStore(workspace).load("convoys.txt").annotations
    first = text.index("today, again") + len("today, ")
    assert (saved.target.start, saved.target.end) == (first, first + len("again"))
