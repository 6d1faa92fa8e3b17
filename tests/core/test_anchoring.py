"""Re-anchoring annotations in a changed text (DESIGN.md: "Annotations on disk"; issue 4,
item 7): anchored, relocated, needs review, orphaned, and never moved onto look-alike text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from briefreader.core.anchoring import (
    CONTEXT,
    MIN_FUZZY_QUOTE,
    Anchor,
    AnchorState,
    anchor,
    context_of,
)
from briefreader.core.models import Target

ANCHORED, RELOCATED = AnchorState.ANCHORED, AnchorState.RELOCATED
REVIEW, ORPHANED = AnchorState.REVIEW, AnchorState.ORPHANED


def target_of(text: str, quote: str, occurrence: int = 0) -> Target:
    """The target an annotation of the `occurrence`-th `quote` in `text` stores."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    end = start + len(quote)
    prefix, suffix = context_of(text, start, end)
    return Target(quote, prefix, suffix, start, end)


def placed_text(text: str, result: Anchor) -> str:
    return text[result.start : result.end]


INTRO = "A short report on the ceasefire talks held in the spring."
CLAIM = "The army shelled the village of Talish at dawn on Monday, witnesses said."
FILLER = "Delegations met twice in Geneva and agreed to meet again after the summer."


# --- the four states on hand-made texts ------------------------------------------------------


def test_unchanged_text_is_anchored_in_place():
    text = f"{INTRO}\n\n{CLAIM} More follows.\n\n{FILLER}"
    target = target_of(text, "the village of Talish")
    result = anchor(text, target)
    assert result.state is ANCHORED and result.placed
    assert (result.start, result.end) == (target.start, target.end)


def test_text_inserted_before_shifts_an_exact_quote_and_it_stays_anchored():
    text = f"{INTRO}\n\n{CLAIM}\n\n{FILLER}"
    target = target_of(text, CLAIM)
    added = "An editor's note added at the top of the file.\n\n"
    result = anchor(added + text, target)
    assert result.state is ANCHORED
    assert (result.start, result.end) == (target.start + len(added), target.end + len(added))


def test_a_lightly_edited_quote_is_relocated_onto_its_new_wording():
    text = f"{INTRO}\n\nOfficials said that {CLAIM.lower()} Nothing else was hit.\n\n{FILLER}"
    target = target_of(text, CLAIM.lower())
    edited = text.replace("at dawn on monday", "at dawn last monday")
    assert edited != text
    result = anchor(edited, target)
    assert result.state is RELOCATED and result.placed
    assert "talish at dawn last monday" in placed_text(edited, result)
    # a relocated span lies where the sentence now is
    sentence = edited.index("the army shelled")
    assert result.start <= sentence + 5 and result.end >= sentence + len(CLAIM) - 5


def test_a_quote_whose_text_is_gone_is_orphaned():
    text = f"{INTRO}\n\n{CLAIM}\n\n{FILLER}"
    target = target_of(text, CLAIM)
    gone = f"{INTRO}\n\n{FILLER}"
    result = anchor(gone, target)
    assert result.state is ORPHANED
    assert not result.placed
    assert (result.start, result.end) == (-1, -1)


def test_a_quote_that_occurs_twice_without_telling_context_needs_review():
    # annotated where it was; then the text around it changed completely and a second copy
    # appeared: nothing says which copy is the one annotated
    text = f"{INTRO} {CLAIM} {FILLER}"
    target = target_of(text, CLAIM)
    changed = f"Completely new wording here. {CLAIM} Also new.\n\nOther words. {CLAIM} Again."
    result = anchor(changed, target)
    assert result.state is REVIEW
    assert not result.placed


def test_prefix_and_suffix_pick_the_right_one_of_two_exact_occurrences():
    text = (
        f"In its Monday bulletin the ministry said: {CLAIM} Nobody confirmed it.\n\n"
        f"Opposition sources later repeated: {CLAIM} They gave no evidence."
    )
    target = target_of(text, CLAIM, occurrence=1)
    moved = "Preface.\n\n" + text
    result = anchor(moved, target)
    assert result.state is ANCHORED
    assert result.start == target.start + len("Preface.\n\n")
    assert moved[: result.start].endswith("Opposition sources later repeated: ")


def test_an_empty_quote_is_orphaned():
    assert anchor("some text", Target("", "", "", 0, 0)).state is ORPHANED


def test_a_stored_position_past_the_end_of_a_shorter_text_does_not_crash():
    text = f"{INTRO}\n\n{FILLER}"
    target = Target(CLAIM, "", "", 5000, 5000 + len(CLAIM))
    assert anchor(text, target).state is ORPHANED


# --- look-alikes: hypothesis/client#7571 ------------------------------------------------------


ALPHA = "Team Alpha reported that the new deployment reduced latency by twelve percent."
BETA = "Team Beta reported that the new deployment reduced latency by twelve percent."
DAILY = (
    "Daily update. The ministry of defence reported that two soldiers were wounded near "
    "Lachin. The ministry of defence reported that two soldiers were wounded near Shusha. "
    "Talks resume on Friday."
)
LACHIN = "The ministry of defence reported that two soldiers were wounded near Lachin."


@pytest.mark.parametrize(
    "edit",
    [
        "Team Alpha rolled the deployment back after an outage in two regions.",
        "Team Alpha reported that the new deployment reduced latency by eight percent.",
        "",  # the sentence deleted
    ],
    ids=["rewritten", "figure-changed", "deleted"],
)
def test_an_edited_sentence_is_not_moved_onto_a_look_alike_elsewhere(edit):
    text = f"Summary of the quarter. {ALPHA} Costs were flat.\n\nThe other team too. {BETA} Fine."
    target = target_of(text, ALPHA)
    edited = text.replace(ALPHA, edit)
    result = anchor(edited, target)
    beta = edited.index(BETA)
    on_beta = result.start < beta + len(BETA) and result.end > beta
    assert not (result.placed and on_beta), (result, placed_text(edited, result))
    assert result.state in (REVIEW, ORPHANED)


@pytest.mark.parametrize(
    "edit",
    [
        "Team Alpha rolled the deployment back after an outage in two regions.",
        "Team Alpha reported that the new deployment cut latency by eight percent in the north.",
        "",
    ],
    ids=["rewritten", "figure-changed", "deleted"],
)
def test_an_edited_passage_is_not_moved_onto_a_look_alike_passage(edit):
    # the default annotation (f/d/r in the reader, `annotate DOC N`) is a whole passage
    text = f"Summary of the quarter.\n\n{ALPHA}\n\n{BETA}\n\nNo other changes."
    target = target_of(text, ALPHA)
    edited = text.replace(ALPHA + "\n\n", edit + "\n\n" if edit else "")
    result = anchor(edited, target)
    beta = edited.index(BETA)
    on_beta = result.start < beta + len(BETA) and result.end > beta
    assert not (result.placed and on_beta), (result, placed_text(edited, result))


def test_the_original_edited_in_place_while_an_identical_copy_exists_elsewhere():
    # client#7571 with an exact copy: the annotated sentence was edited where it stands and
    # the same sentence, word for word, occurs in another paragraph. Moving there would put
    # the analyst's code on a statement they never read in that place.
    text = (
        f"{INTRO}\n\nThe ministry said: {CLAIM} It gave no figure.\n\n{FILLER}\n\n"
        f"Quoting the ministry, a blogger wrote: {CLAIM} He added nothing."
    )
    target = target_of(text, CLAIM, occurrence=0)
    edited = text.replace(
        f"The ministry said: {CLAIM}",
        "The ministry said: The army shelled the village of Talysh at dusk on Monday, "
        "witnesses said.",
        1,
    )
    assert edited.count(CLAIM) == 1
    result = anchor(edited, target)
    elsewhere = edited.index(CLAIM)
    assert not (result.state is ANCHORED and result.start == elsewhere), result
    assert result.state in (REVIEW, ORPHANED)


def test_a_deleted_sentence_is_not_relocated_onto_the_parallel_sentence_after_it():
    target = target_of(DAILY, LACHIN)
    edited = DAILY.replace(LACHIN + " ", "")
    result = anchor(edited, target)
    assert result.state in (REVIEW, ORPHANED), (result, placed_text(edited, result))


# --- short quotes and ambiguous fuzzy candidates ----------------------------------------------


def test_a_short_quote_with_no_exact_match_is_orphaned_not_fuzzed():
    text = f"{INTRO}\n\nThe death toll rose to 38 on Monday.\n\n{FILLER}"
    quote = "rose to 38"
    assert len(quote) < MIN_FUZZY_QUOTE
    target = target_of(text, quote)
    edited = text.replace("rose to 38", "rose to 39")  # one character away
    result = anchor(edited, target)
    assert result.state is ORPHANED


def test_a_short_quote_just_under_the_fuzzy_minimum_is_orphaned():
    quote = "Lachin corridor"
    assert len(quote) == MIN_FUZZY_QUOTE - 1
    text = f"{INTRO}\n\nTraffic on the {quote} stopped.\n\n{FILLER}"
    target = target_of(text, quote)
    edited = text.replace(quote, "Lachin koridor")
    assert anchor(edited, target).state is ORPHANED


def test_two_equally_good_fuzzy_candidates_need_review():
    quote = "the convoy crossed the border checkpoint at noon"
    text = f"{INTRO}\n\nReports said {quote} yesterday.\n\n{FILLER}"
    target = target_of(text, quote)
    # the original is gone; two edited copies, equally close to it, with the same context
    copy = "Reports said the convoy crossed the border checkpoint at 1 pm yesterday."
    edited = f"{INTRO}\n\n{copy}\n\n{FILLER}\n\n{INTRO}\n\n{copy}\n\n{FILLER}"
    result = anchor(edited, target)
    assert result.state is REVIEW, result
    assert not result.placed


def test_a_fuzzy_match_with_unrelated_context_is_not_relocated():
    quote = "the convoy crossed the border checkpoint at noon"
    text = f"Reports from Lachin said {quote} on Friday, officials confirmed.\n\n{FILLER}"
    target = target_of(text, quote)
    edited = (
        f"{FILLER}\n\nIn a novel: the convey crossed the borders checkpoint at noon, she wrote."
    )
    result = anchor(edited, target)
    assert result.state in (REVIEW, ORPHANED), result


# --- properties ---------------------------------------------------------------------------------

WORDS = tuple(
    """army village border talks ceasefire ministry report peace corridor treaty road
    delegation summit statement shelling refugees aid convoy council minister region mountain
    river bridge capital election protest court witness figure casualty agreement dispute claim
    record evidence outcome mandate observer mission harvest winter pipeline railway airport
    embassy senator budget inflation drought orchard monastery cathedral museum library poet
    novelist journalist archive census customs tariff export import factory mine quarry
    harbour lighthouse glacier valley plateau desert steppe forest meadow vineyard orchestra
    theatre stadium hospital clinic vaccine surgeon nurse teacher pupil diploma lecture
    seminar thesis journal bulletin editor printer courier telegram satellite antenna
    """.split()
)

word = st.sampled_from(WORDS)
noise = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ,.\n"), min_size=1, max_size=40
)
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _sentence(words) -> str:
    return " ".join(words).capitalize() + "."


@st.composite
def paragraphs_of(draw, kind: str) -> list[str]:
    """Random paragraphs of random sentences. `kind`: "distinct" uses every word at most
    once in the document (nothing looks like anything else); "random" samples words with
    repeats; "pool" builds paragraphs from a few sentences, so repeats and near-repeats
    (look-alikes) are the rule; "parallel" is a list of sentences that differ from one
    another in a word or two (look-alikes made of real words)."""
    if kind == "distinct":
        words = list(draw(st.permutations(WORDS)))
        sizes = draw(st.lists(st.integers(4, 10), min_size=3, max_size=12))
        sentences, at = [], 0
        for size in sizes:
            if at + size > len(words):
                break
            sentences.append(_sentence(words[at : at + size]))
            at += size
        cuts = sorted(draw(st.sets(st.integers(1, len(sentences) - 1), max_size=5)))
        bounds = [0, *cuts, len(sentences)]
        return [" ".join(sentences[i:j]) for i, j in itertools.pairwise(bounds)]
    if kind == "parallel":
        # a list of parallel sentences, like a bulletin's: one template of distinct words,
        # each sentence differing from it in a word or two, each used once
        words = list(draw(st.permutations(WORDS)))
        size = draw(st.integers(5, 10))
        template, spare = words[:size], iter(words[size:])
        variants = []
        for _ in range(draw(st.integers(2, 6))):
            variant = list(template)
            for at in draw(st.sets(st.integers(0, size - 1), min_size=1, max_size=2)):
                variant[at] = next(spare)
            variants.append(_sentence(variant))
        cuts = sorted(draw(st.sets(st.integers(1, len(variants) - 1), max_size=3)))
        bounds = [0, *cuts, len(variants)]
        return [" ".join(variants[i:j]) for i, j in itertools.pairwise(bounds)]
    sentence = st.lists(word, min_size=4, max_size=10).map(_sentence)
    if kind == "pool":
        pool = draw(st.lists(sentence, min_size=2, max_size=5, unique=True))
        sentence = st.sampled_from(pool)
    paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
    return draw(st.lists(paragraph, min_size=2, max_size=6))


@st.composite
def annotated_documents(draw, kind: str = "random", *, context: bool = False):
    """A document (see paragraphs_of) and an annotated span in it, at least MIN_FUZZY_QUOTE
    characters: a whole paragraph, a sentence, or a run of words. With `context`, never a
    whole paragraph: the quote has text before and after it in its paragraph."""
    paragraphs = draw(paragraphs_of(kind))
    text = "\n\n".join(paragraphs)
    which = draw(st.integers(0, len(paragraphs) - 1))
    p_start = sum(len(p) + 2 for p in paragraphs[:which])
    chosen = paragraphs[which]
    kinds = ["sentence", "words"] if context else ["paragraph", "sentence", "words"]
    how = draw(st.sampled_from(kinds))
    if how == "paragraph":
        a, b = 0, len(chosen)
    elif how == "sentence":
        bounds, at = [], 0
        for piece in chosen.split(". "):
            piece_end = at + len(piece) + (0 if piece.endswith(".") else 1)
            bounds.append((at, piece_end))
            at += len(piece) + 2
        a, b = draw(st.sampled_from(bounds))
    else:
        starts = [0] + [i + 1 for i, c in enumerate(chosen) if c == " "]
        a = draw(st.sampled_from(starts))
        ends = [i for i, c in enumerate(chosen) if c == " " and i > a] + [len(chosen)]
        b = draw(st.sampled_from(ends))
    start, end = p_start + a, p_start + b
    assume(end - start >= MIN_FUZZY_QUOTE)
    quote = text[start:end]
    prefix, suffix = context_of(text, start, end)
    assume(not context or (prefix and suffix))
    return text, Target(quote, prefix, suffix, start, end)


# edits outside the annotated span: (before the quote?, [(from, to, inserted), ...]), the
# offsets picked (modulo) in the stretch of text on that side
outside_edits = st.tuples(
    st.booleans(),
    st.lists(
        st.tuples(st.integers(0, 2**16), st.integers(0, 40), st.one_of(st.just(""), noise)),
        min_size=1,
        max_size=2,
    ),
)


def _apply_outside(text: str, target: Target, edits, margin: int) -> tuple[str, int, int]:
    """The text after the edits, each at least `margin` characters away from the quote, and
    where the quote is now."""
    before, steps = edits
    start, end = target.start, target.end
    for pick, length, inserted in steps:
        lo, hi = (0, start - margin) if before else (end + margin, len(text))
        assume(lo <= hi)
        a = lo + pick % (hi - lo + 1)
        b = min(hi, a + length)
        assume(a != b or inserted)
        text = text[:a] + inserted + text[b:]
        if before:
            start, end = start + len(inserted) - (b - a), end + len(inserted) - (b - a)
    return text, start, end


def _check_outside(doc, edits, margin: int) -> None:
    text, target = doc
    assume(text.count(target.quote) == 1)
    text, start, end = _apply_outside(text, target, edits, margin)
    assume(text.count(target.quote) == 1)
    result = anchor(text, target)  # the stored target: the old offsets and context
    assert result.state is ANCHORED, (result, text[max(0, start - 40) : end + 40])
    assert (result.start, result.end) == (start, end)


@PROPERTY
@given(doc=annotated_documents("distinct"), edits=outside_edits)
def test_edits_away_from_the_quote_keep_it_anchored_at_the_shifted_offset(doc, edits):
    """Text inserted or deleted before the quote, or after it, beyond its stored context, in
    a document where nothing looks like the quote."""
    _check_outside(doc, edits, CONTEXT)


PREVIOUS = "Officials met on Monday. "
SENTENCE = "The army shelled the village of Talish at dawn, witnesses said."
NEIGHBOURS = f"{PREVIOUS}{SENTENCE} Talks resume on Friday.\n\nNext paragraph here."

INTRO = "An editorial note, later removed from the top of the bulletin again. " * 2 + "\n\n"
SHUSHA = "On 2 May the ministry of defence reported that two soldiers were wounded near Shusha."
BULLETIN = (
    f"Title\n\n{INTRO}"
    "On 1 May the ministry of defence reported that two soldiers were wounded near Lachin. "
    f"{SHUSHA} "
    "On 3 May the ministry of defence reported that three soldiers were wounded near Kalbajar. "
    "On 4 May the ministry of defence reported that one soldier was wounded near Aghdam."
    "\n\nEnd."
)


def test_deleting_the_sentence_before_an_annotation_keeps_it_anchored():
    target = target_of(NEIGHBOURS, SENTENCE)
    edited = NEIGHBOURS.replace(PREVIOUS, "")
    result = anchor(edited, target)
    assert result.state is ANCHORED, result
    assert result.start == 0


def test_deleting_a_paragraph_above_a_list_of_parallel_sentences_keeps_them_anchored():
    target = target_of(BULLETIN, SHUSHA)
    edited = BULLETIN.replace(INTRO, "")
    assert len(INTRO) > len(SHUSHA)
    result = anchor(edited, target)
    assert result.state is ANCHORED, result
    assert result.start == target.start - len(INTRO)


@PROPERTY
@example(doc=(NEIGHBOURS, target_of(NEIGHBOURS, SENTENCE)), edits=(True, [(0, 25, "")]))
@example(doc=(BULLETIN, target_of(BULLETIN, SHUSHA)), edits=(True, [(7, len(INTRO), "")]))
@given(doc=annotated_documents(), edits=outside_edits)
def test_any_edit_outside_the_quote_keeps_it_anchored_at_the_shifted_offset(doc, edits):
    """Text inserted or deleted anywhere before the quote, or anywhere after it (one side's
    context may change, the other still vouches for the quote), look-alikes around."""
    _check_outside(doc, edits, 0)


# an edit that touches the annotated span: replace text[a:b] by `inserted`, where a and b
# are picked (modulo) in ranges around the span so that the edit overlaps it
inside_edits = st.tuples(
    st.integers(0, 2**16), st.integers(0, 2**16), st.one_of(st.just(""), noise, word)
)


def _check_inside_edit(text: str, target: Target, edit: tuple[int, int, str]) -> None:
    start, end = target.start, target.end
    lo = max(0, start - 10)
    a = lo + edit[0] % (end - lo)  # a < end
    lo_b = max(a, start + 1)  # b > start (and a == b only strictly inside the span)
    b = lo_b + edit[1] % (min(len(text), end + 10) - lo_b + 1)
    inserted = edit[2]
    assume(text[a:b] != inserted)
    edited = text[:a] + inserted + text[b:]
    result = anchor(edited, target)
    event(str(result.state))
    if not result.placed:
        assert result.state in (REVIEW, ORPHANED)
        return
    # where the annotated text is now: the span, grown to take in whatever replaced part of it
    region_start = min(start, a)
    region_end = end + len(inserted) - (b - a) if end >= b else a + len(inserted)
    overlaps = result.start < region_end and result.end > region_start
    assert overlaps, (
        f"{result.state} onto {edited[result.start : result.end]!r}, but the annotated text "
        f"is now {edited[region_start:region_end]!r}"
    )
    if result.state is ANCHORED:
        assert edited[result.start : result.end] == target.quote


@PROPERTY
@given(doc=annotated_documents("distinct"), edit=inside_edits)
def test_edits_inside_the_quote_relocate_it_there_or_report_it(doc, edit):
    """No word repeats, so nothing else looks like the quote: after an edit inside it, it is
    placed on what became of it, or offered for review, or orphaned."""
    _check_inside_edit(*doc, edit)


PARALLEL = (
    "Delegation village border talks ceasefire ministry report peace corridor treaty. "
    "Army village border talks road ministry report peace corridor treaty. "
    "Army village border talks summit ministry report peace corridor treaty. "
    "Statement shelling border talks ceasefire ministry report peace corridor treaty."
)
PARALLEL_QUOTE = "Army village border talks road ministry report peace corridor treaty."


@PROPERTY
@example(  # the sentence deleted: the next one inherits its prefix (hypothesis/client#7571)
    doc=(DAILY, target_of(DAILY, LACHIN)),
    edit=(DAILY.index(LACHIN) - max(0, DAILY.index(LACHIN) - 10), len(LACHIN), ""),
)
@example(  # found by hypothesis: "dor treaty. Army villa" deleted
    doc=(PARALLEL, target_of(PARALLEL, PARALLEL_QUOTE)), edit=(0, 11, "")
)
@given(doc=annotated_documents("parallel"), edit=inside_edits)
def test_edits_inside_the_quote_never_move_it_onto_a_parallel_sentence(doc, edit):
    """Sentences that differ in a word or two: an edit inside the quote must not move it
    onto another of them."""
    text, target = doc
    assume(text.count(target.quote) == 1)
    _check_inside_edit(text, target, edit)


@PROPERTY
@given(doc=annotated_documents())
def test_an_unchanged_document_anchors_every_annotation_in_place(doc):
    text, target = doc
    result = anchor(text, target)
    assert result.state is ANCHORED
    assert (result.start, result.end) == (target.start, target.end)
