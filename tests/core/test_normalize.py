"""Normalisation of the real, messy documents of the bundled corpus (issue 2, item 4).

Each test states a behaviour a reader relies on (a word split at a line end reads joined, a
running head is gone, ...) and checks it on real text, first asserting that the raw file
really has the quirk, so a test cannot pass because its premise went away.
"""

from __future__ import annotations

import itertools
import re

import pytest

from briefreader.core.models import BlockKind, NormalizedText
from briefreader.core.normalize import normalize
from tests.conftest import AIR_FEB, AIR_JAN, APRI, BAKU, DOC_IDS, TATIKYAN


def squash(text: str) -> str:
    return " ".join(text.split())


def paragraphs(n: NormalizedText) -> list[str]:
    return [b.text for b in n.blocks if b.kind is BlockKind.PARAGRAPH]


def headings(n: NormalizedText) -> list[str]:
    return [b.text for b in n.blocks if b.kind is BlockKind.HEADING]


def raw_split(raw_text: str, first: str, rest: str) -> bool:
    """Whether the raw text breaks `first-` / `rest` across a line end (blank lines allowed)."""
    return re.search(
        rf"\b{re.escape(first)}-[ \t]*\n(?:[ \t]*\n)*[ \t]*{re.escape(rest)}", raw_text
    )


# --- invariants, on every document ------------------------------------------------------


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_block_is_its_slice_of_the_text_in_order(normalized, doc_id):
    n = normalized(doc_id)
    assert n.blocks
    previous_end = -1
    for block in n.blocks:
        assert n.text[block.start : block.end] == block.text
        assert block.text and block.text == block.text.strip()
        assert block.start > previous_end, "blocks overlap or are out of order"
        previous_end = block.end
    # the text is nothing but its blocks, one blank line apart
    assert n.text == "\n\n".join(block.text for block in n.blocks)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_normalisation_is_deterministic(raw, doc_id):
    first, second = normalize(raw(doc_id)), normalize(raw(doc_id))
    assert first.text == second.text
    assert first.blocks == second.blocks


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_crlf_and_bom_give_the_same_result_as_lf(raw, normalized, doc_id):
    text = raw(doc_id)
    assert "\r" not in text
    expected = normalized(doc_id)
    for variant in (
        text.replace("\n", "\r\n"),
        "\ufeff" + text,
        "\ufeff" + text.replace("\n", "\r\n"),
    ):
        result = normalize(variant)
        assert result.text == expected.text
        assert result.blocks == expected.blocks


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_passages_are_the_non_heading_blocks_numbered_in_order(normalized, doc_id):
    n = normalized(doc_id)
    body = [b for b in n.blocks if b.kind is not BlockKind.HEADING]
    assert len(n.passages) == len(body) > 0
    for number, (passage, block) in enumerate(zip(n.passages, body, strict=True), 1):
        assert passage.number == number
        assert (passage.kind, passage.text, passage.start, passage.end) == (
            block.kind,
            block.text,
            block.start,
            block.end,
        )
        assert n.passage(number) is passage
        assert n.passage_at(passage.start) is passage
        assert n.passage_at(passage.end - 1) is passage
    for bad in (0, len(n.passages) + 1):
        with pytest.raises(IndexError):
            n.passage(bad)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_each_passage_belongs_to_the_last_heading_before_it(normalized, doc_id):
    n = normalized(doc_id)
    heading_blocks = [b for b in n.blocks if b.kind is BlockKind.HEADING]
    assert [(s.title, s.level, s.start) for s in n.sections] == [
        (b.text, b.level, b.start) for b in heading_blocks
    ]
    for number, section in enumerate(n.sections, 1):
        assert section.number == number
        assert section.path[-1] == section.title
        before = [p for p in n.passages if p.start < section.start]
        assert section.first_passage == len(before) + 1
    for passage in n.passages:
        above = [s for s in n.sections if s.start < passage.start]
        assert passage.section == (above[-1] if above else None)


# --- Baku Dialogues: a journal issue set in narrow PDF columns -----------------------------

JOINED = [
    ("pri", "ority", "priority"),
    ("reconstruc", "tion", "reconstruction"),
    ("hospi", "tals", "hospitals"),
    ("hydroelec", "tric", "hydroelectric"),
    ("irre", "dentism", "irredentism"),
    ("exag", "geration", "exaggeration"),
    ("un", "hindered", "unhindered"),
    ("signif", "icant", "significant"),
]


@pytest.mark.parametrize(("first", "rest", "word"), JOINED)
def test_baku_words_split_at_a_line_end_are_joined(raw, normalized, first, rest, word):
    assert raw_split(raw(BAKU), first, rest), "premise: the raw text splits the word"
    text = normalized(BAKU).text
    assert re.search(rf"\b{word}\b", text)
    assert f"{first}-{rest}" not in text
    assert f"{first}- {rest}" not in text
    assert f"{first} {rest}" not in text


@pytest.mark.parametrize(
    ("first", "rest", "word"),
    [
        ("ten", "dency", "tendency"),
        ("high", "ly-qualified", "highly-qualified"),
        ("high", "er-ups", "higher-ups"),
    ],
)
def test_baku_known_split_words_are_joined(raw, normalized, first, rest, word):
    assert raw_split(raw(BAKU), first, rest)
    text = normalized(BAKU).text
    assert word in text
    assert f"{first}-{rest}" not in text


def test_baku_every_line_end_hyphen_is_resolved(raw, normalized):
    """Whatever a line-end hyphen was, the normalised text has the word joined or
    hyphenated, never broken by a space, and a hyphen is kept only where the document
    itself writes the compound with one (or cannot tell: no unsplit spelling elsewhere)."""
    raw_text, text = raw(BAKU), normalized(BAKU).text
    splits = re.findall(r"\b([a-z]+)-[ \t]*\n(?:[ \t]*\n)*[ \t]*([a-z]+)\b", raw_text)
    assert len(splits) > 500
    unsplit_words = set(re.findall(r"[\w’'-]+", re.sub(r"-[ \t]*\n\s*\w+", "", raw_text).lower()))
    hyphen_pairs = {  # ("high", "level") for each "high-level" in the normalised text
        pair
        for compound in re.findall(r"\b\w+(?:-\w+)+\b", text)
        for pair in itertools.pairwise(compound.split("-"))
    }
    wrong = []
    for first, rest in set(splits):
        joined, hyphenated = first + rest, f"{first}-{rest}"
        if rest not in ("and", "or", "to"):
            assert f"{first}- {rest}" not in text
        assert joined in text or hyphenated in text, (first, rest)
        decidable = joined in unsplit_words and hyphenated not in unsplit_words
        if decidable and (first, rest) in hyphen_pairs:
            wrong.append(hyphenated)
    assert not wrong, f"kept a line-end hyphen in a word the text spells joined: {wrong}"


@pytest.mark.parametrize("compound", ["post-conflict", "large-scale", "anti-personnel"])
def test_baku_real_compounds_keep_their_hyphen(normalized, compound):
    text = normalized(BAKU).text
    assert compound in text
    assert compound.replace("-", "") not in text
    assert compound.replace("-", " ") not in text


def test_baku_running_heads_and_issue_lines_are_gone(raw, normalized):
    raw_text = raw(BAKU)
    assert raw_text.count("BAKU DIALOGUES") >= 3
    assert raw_text.count("Vol. 6 | No. 2") >= 3
    n = normalized(BAKU)
    assert "BAKU DIALOGUES" not in n.text
    assert "Vol. 6 |" not in n.text
    assert "No. 2 | Winter" not in n.text
    assert not any("bakudialogues.ada.edu.az" in p.text for p in n.passages)


def test_baku_page_numbers_are_gone(raw, normalized):
    page_lines = re.findall(r"^[ \t]*(\d{1,3}[ \t]+\d{1,3})[ \t]*$", raw(BAKU), re.MULTILINE)
    assert len(page_lines) >= 3
    n = normalized(BAKU)
    assert not [b.text for b in n.blocks if re.fullmatch(r"[\d\s]+", b.text)]
    for line in page_lines:
        left, right = line.split()
        assert not re.search(rf"(?<![\d,.]){left} {right}(?![\d,])", n.text), line


@pytest.mark.parametrize(
    ("spaced", "word"),
    [
        ("A m e l i o r a t i o n", "Amelioration"),
        ("u nw i l l i n g n e s s", "unwillingness"),
        ("p r o s p e c t i v e l y", "prospectively"),
        ("P i e r r e - A b d o n", "Pierre-Abdon"),
    ],
)
def test_baku_letter_spaced_words_are_closed_up(raw, normalized, spaced, word):
    assert spaced in raw(BAKU)
    text = normalized(BAKU).text
    assert spaced not in text
    assert word in text


def test_baku_no_letter_spaced_text_is_left(normalized):
    assert not re.findall(r"\b(?:\w ){4,}\w\b", normalized(BAKU).text)


@pytest.mark.parametrize(
    "quote",
    [
        "has identified five cornerstone priority areas, each of which has been advanced in 2022",
        "Armenians continue to plant new mines in the liberated Azerbaijani territories",
        "have provoked more emotional reactions than either dispassionate analyses",
        "help Aghali’s farmers overcome most of the impediments",
    ],
)
def test_baku_pull_quotes_are_not_left_as_body_text(raw, normalized, quote):
    """A pull quote repeats a sentence of the essay in big type: it is shown once."""
    words = quote.split()
    pattern = r"[\s-]*".join(re.escape(w) for w in words)
    assert len(re.findall(pattern, raw(BAKU).replace("-\n", ""))) >= 2, "premise: printed twice"
    n = normalized(BAKU)
    assert n.text.count(quote) == 1
    # and the copy that is kept is the one inside the essay's own paragraph
    holder = next(p for p in n.passages if quote in p.text)
    assert len(holder.text) > len(quote) + 100


ESSAY_TITLES = [
    "Defining Strategic Direction",
    "The Iceberg Melted",
    "The France-Azerbaijan Relationship",
    "Time for an EU Foreign Policy Update?",
    "A Pivotal Putin and Erdogan Arrangement",
]
SECTION_HEADINGS = [
    ("Five Cornerstone Areas", "Defining Strategic Direction"),
    ("Regional Tectonics", "Defining Strategic Direction"),
    ("A Discreet Relationship", "The Iceberg Melted"),
    ("Wikileaks Tells the Story", "The Iceberg Melted"),
    ("Centuries Back", "The France-Azerbaijan Relationship"),
    ("What is EU Foreign Policy?", "Time for an EU Foreign Policy Update?"),
    ("Access to Water", "The Smart Village Concept in the Great Return to Karabakh"),
]


@pytest.mark.parametrize("title", ESSAY_TITLES)
def test_baku_essay_titles_are_top_level_headings(raw, normalized, title):
    assert squash(title) in squash(raw(BAKU))
    n = normalized(BAKU)
    assert [s.level for s in n.sections if s.title == title] == [1]
    assert not any(p.startswith(title) for p in paragraphs(n))


@pytest.mark.parametrize(("heading", "essay"), SECTION_HEADINGS)
def test_baku_section_headings_are_headings_within_their_essay(raw, normalized, heading, essay):
    assert re.search(rf"^{re.escape(heading)}\s*$", raw(BAKU), re.MULTILINE)
    n = normalized(BAKU)
    found = [s for s in n.sections if s.title == heading]
    assert len(found) == 1
    assert found[0].level > 1
    assert found[0].path[0] == essay
    assert not any(heading in p for p in paragraphs(n))


@pytest.mark.parametrize(
    ("author", "bio_start"),
    [
        ("Gulshan Pashayeva", "Gulshan Pashayeva is a Board Member"),
        ("Arthur Lenk", "Arthur Lenk is a former Ambassador of Israel"),
    ],
)
def test_baku_bio_boxes_are_kept_as_bios(raw, normalized, author, bio_start):
    assert bio_start in raw(BAKU)
    n = normalized(BAKU)
    bios = [b for b in n.blocks if b.text.startswith(bio_start)]
    assert [b.kind for b in bios] == [BlockKind.BIO]
    assert "The views expressed in this essay are" in bios[0].text
    assert not any("The views expressed in this essay" in p for p in paragraphs(n))
    assert [b.kind for b in n.blocks if b.text == author] == [BlockKind.BYLINE]


def test_baku_paragraph_interrupted_by_a_bio_box_is_mended(raw, normalized):
    raw_text = raw(BAKU)
    assert re.search(r"East Zangezur economic\s*\n\s*\nGulshan Pashayeva is", raw_text)
    assert "East Zangezur economic regions of Azerbaijan" in normalized(BAKU).text


def test_baku_columns_are_rebuilt_into_paragraphs(raw, normalized):
    raw_lines = [line for line in raw(BAKU).splitlines() if line.strip()]
    assert sorted(len(line) for line in raw_lines)[len(raw_lines) // 2] < 45
    n = normalized(BAKU)
    body = paragraphs(n)
    assert len(body) > 100
    # a typical paragraph is a real paragraph, not a column line
    assert sorted(len(p) for p in body)[len(body) // 2] > 300
    assert "\n" not in "".join(body)
    assert (
        "This essay presents the main priority areas for Azerbaijan of the initial phase of "
        "the post-conflict period" in n.text
    )


# --- AIR Center bulletins: masthead, contents, numbered sections, page breaks -----------

AIR = [AIR_JAN, AIR_FEB]


@pytest.mark.parametrize("doc_id", AIR)
def test_air_masthead_and_contents_are_not_passages(raw, normalized, doc_id):
    raw_text = raw(doc_id)
    furniture = [
        "CENTER OF ANALYSIS OF INTERNATIONAL RELATIONS",
        "BEYNÖLXALQ MÜNASİBƏTLƏRİN TƏHLİLİ MƏRKƏZİ",
        "HIGHLIGHT OF THE FOREIGN POLICY OF REPUBLIC OF AZERBAIJAN",
        "Table of contents",
        "BULLETIN",
    ]
    n = normalized(doc_id)
    for line in furniture:
        assert line in raw_text
        assert not any(line in p.text for p in n.passages), line
    toc_entries = re.findall(r"^- ([IVX]+\. .+)$", raw_text, re.MULTILINE)
    assert len(toc_entries) >= 6
    for entry in toc_entries:
        clean = entry.replace("**", "")
        assert n.text.count(clean) == 1, f"{clean!r} should appear once, as its heading"
        assert not any(p.text.startswith(("- ", clean)) for p in n.passages)
    assert n.passages[0].section is not None
    assert n.passages[0].section.title.startswith("I. ")


@pytest.mark.parametrize(("doc_id", "count"), [(AIR_JAN, 6), (AIR_FEB, 7)])
def test_air_numbered_sections_are_headings(raw, normalized, doc_id, count):
    numerals = ["I", "II", "III", "IV", "V", "VI", "VII"][:count]
    raw_headings = [
        line.replace("**", "").strip()
        for line in raw(doc_id).splitlines()
        if re.match(r"[IVX]+\. ", line)
    ]
    assert len(raw_headings) == count
    numbered = [h for h in headings(normalized(doc_id)) if re.match(r"[IVX]+\. ", h)]
    assert numbered == raw_headings
    assert [h.split(".")[0] for h in numbered] == numerals
    for section in normalized(doc_id).sections:
        assert section.first_passage <= len(normalized(doc_id).passages)


def page_breaks(raw_text: str) -> list[tuple[str, str]]:
    """(end of a line that does not end a sentence, start of the next after a blank line)."""
    found = []
    for m in re.finditer(r"([^\n]{20,})\n[ \t]*\n([a-z][^\n]{10,})", raw_text):
        # the text as a reader sees it: Markdown escapes (`\\$1.6`) are not shown
        before, after = (re.sub(r"\\(.)", r"\1", g.strip()) for g in m.groups())
        if not re.search(r"[.!?:][\"”’')]*$", before):
            found.append((" ".join(before.split()[-4:]), " ".join(after.split()[:4])))
    return found


@pytest.mark.parametrize("doc_id", AIR)
def test_air_paragraphs_split_by_a_page_break_are_mended(raw, normalized, doc_id):
    breaks = page_breaks(raw(doc_id))
    assert len(breaks) >= 3, "premise: the bulletin has mid-sentence page breaks"
    passages = [p.text for p in normalized(doc_id).passages]
    for before, after in breaks:
        assert any(f"{before} {after}" in p for p in passages), (before, after)


def test_air_the_kadyrov_paragraph_is_mended(raw, normalized):
    assert re.search(r"the same Khamzat Kadyrov\s*\n\s*\nwho had boasted", raw(AIR_JAN))
    passage = next(p for p in normalized(AIR_JAN).passages if "who had boasted" in p.text)
    assert "awarded his nephew Khamzat Kadyrov" in passage.text
    assert "the same Khamzat Kadyrov who had boasted" in passage.text


@pytest.mark.parametrize("doc_id", AIR)
def test_air_bold_markers_do_not_show(raw, normalized, doc_id):
    n = normalized(doc_id)
    assert "**" not in n.text
    assert "__" not in n.text


def test_air_bold_heading_reads_plain(raw, normalized):
    assert "I. **Russian missile strike" in raw(AIR_JAN)
    expected = (
        "I. Russian missile strike on Azerbaijani passenger plane strains "
        "Azerbaijan-Russia relations"
    )
    assert expected in headings(normalized(AIR_JAN))


def test_air_markdown_escapes_do_not_show(raw, normalized):
    assert r"\$600 million" in raw(AIR_FEB)
    text = normalized(AIR_FEB).text
    assert "\\" not in text
    assert "$600 million" in text


# --- APRI Armenia: a scraped listing of article teasers ---------------------------------


def apri_teasers(raw_text: str) -> list[str]:
    return re.findall(r"^(.+) Read More »\s*$", raw_text, re.MULTILINE)


def test_apri_each_teaser_is_its_own_section(raw, normalized):
    raw_text = raw(APRI)
    titles = apri_teasers(raw_text)
    assert len(titles) >= 8
    n = normalized(APRI)
    for title in titles:
        sections = [s for s in n.sections if s.title == title]
        assert len(sections) == 1, title
        section = sections[0]
        under = [p for p in n.passages if p.section == section]
        assert under, f"teaser {title!r} has no passage"
        # the teaser's own text opens its section
        body_line = raw_text.split(title + "\n", 1)[1].lstrip("\n").split("\n", 1)[0]
        assert squash(body_line).startswith(under[0].text[:80])
        # and no other teaser's title runs into it
        for other in titles:
            if other != title:
                assert not any(other + " Read More" in p.text for p in under)
    assert len({s.title for s in n.sections if s.title in titles}) == len(titles)


def test_apri_boilerplate_is_out_of_the_body(raw, normalized):
    raw_text = raw(APRI)
    assert "Read More »" in raw_text
    assert "Sign up for updates" in raw_text
    n = normalized(APRI)
    assert "Sign up for updates" not in n.text
    for passage in n.passages:
        assert "Read More" not in passage.text
        assert "»" not in passage.text
    assert not any("Read More" in h for h in headings(n))


def test_apri_titles_are_not_repeated_as_paragraphs(normalized, raw):
    n = normalized(APRI)
    for title in apri_teasers(raw(APRI)):
        assert n.text.count(title) >= 1
        assert title not in paragraphs(n)


# --- Tatikyan op-ed: repeated lead and author line --------------------------------------

LEAD = (
    "On November 9, Azerbaijan celebrated the fourth anniversary of its military victory "
    "in the 2020 Karabakh war with performative events."
)


def test_tatikyan_lead_paragraph_is_shown_once(raw, normalized):
    assert raw(TATIKYAN).count(LEAD) == 2, "premise: the lead is printed twice"
    n = normalized(TATIKYAN)
    assert n.text.count(LEAD) == 1
    first = n.passages[0]
    assert first.text.startswith(LEAD)
    assert "They included the opening of the “Victory Park”" in first.text


def test_tatikyan_author_line_is_shown_once(raw, normalized):
    author_lines = [line for line in raw(TATIKYAN).splitlines() if line.strip() == "Sossi Tatikyan"]
    assert len(author_lines) == 2, "premise: the author line is printed twice"
    n = normalized(TATIKYAN)
    assert [b.kind for b in n.blocks if b.text == "Sossi Tatikyan"] == [BlockKind.BYLINE]
    bios = [b for b in n.blocks if b.text.startswith("Sossi Tatikyan holds a Master")]
    assert [b.kind for b in bios] == [BlockKind.BIO]


def test_tatikyan_title_is_the_top_heading(normalized):
    n = normalized(TATIKYAN)
    title = "How Azerbaijan Disguises Its Obstruction of the Peace Process with Armenia"
    assert n.blocks[0].kind is BlockKind.HEADING
    assert n.blocks[0].text == title
    assert n.blocks[0].level == 1
    assert n.text.count(title) == 1


@pytest.mark.parametrize("blank", [" \u2009 ", "\u3000", "\t \u00a0"])
def test_a_line_of_unicode_spaces_in_column_text_is_not_a_crash(raw, blank):
    """A chunk line made only of (Unicode) spaces has no last word to look at."""
    lines = raw(BAKU).splitlines()[:600]
    assert lines[3] == "have passed since the "  # a line of a short chunk, a heading candidate
    lines[3] = blank
    text = normalize("\n".join(lines))
    assert text.passages and all(p.text.strip() for p in text.passages)
