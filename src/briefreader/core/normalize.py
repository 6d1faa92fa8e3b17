"""Pure functions that rebuild raw PDF extractions and web scrapes into headings and paragraphs.

Two layouts are told apart by their line lengths:

* *column* text (a PDF set in narrow columns, lines of ~35 characters) is cut into chunks at
  blank lines and page starts, then chunks are glued back into paragraphs: a chunk that does
  not end a sentence is continued by the next one, whatever lies between them;
* *flow* text (a web page or an extraction that kept one paragraph per line) is taken a line
  at a time, and a paragraph cut by a page break mid-sentence is mended.

Both drop page furniture (running heads, issue lines, page numbers, mastheads, tables of
contents, web boilerplate) and repair letter-spaced words. The result is deterministic: the
same raw text always gives the same blocks and offsets, which annotations rely on. Bump
`models.NORMALIZER_VERSION` whenever a change alters the output, so indexes are rebuilt.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate, chain, compress

from briefreader.core.models import Block, BlockKind, NormalizedText
from briefreader.core.sentences import sentence_spans

# Paragraphs longer than this (scraped pages that lost their breaks) are split at sentences.
LONG_PARAGRAPH = 2500
PARAGRAPH_TARGET = 900

_INVISIBLE = "\u00ad\u200b\u200c\u2060\ufeff"  # soft hyphen, zero-width characters, BOM
_ODD_SPACES = "\u00a0\u202f"  # no-break spaces; tabs are made spaces too
_SENTENCE_ENDS = (".", "!", "?", "…", ":")
_CLOSERS = "”\"’')]"  # closing quotes and brackets, after a sentence's end
_TITLE_NEVER_ENDS = (".", ",", ";", ":", "-", "–", "—")
_PAGE_NUMBERS = re.compile(r"\d{1,4}(?:\s+\d{1,4})?")
_URL = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?", re.IGNORECASE)
# found in lowercased text with str.find: a regex alternation (or IGNORECASE) is far slower
_BOILERPLATE = (
    "read more",
    "continue reading",
    "sign up for",
    "subscribe to",
    "share this",
    "follow us",
    "back to top",
)
_PUNCTUATION = "“”\"‘’'()[]{}.,;:!?…—–*«»"
_LAST_WORD = re.compile(r"[^\W\d_][\w’']*$")
# the same word read backwards: letters, digits and apostrophes as far as they go, back to the
# last letter
_WORD_BACKWARDS = re.compile(r"[\w’']*[^\W\d_]")
# a line-end hyphen, and the word going on on the next line
_HYPHEN_BREAK = re.compile(r"-\n(?=([^\W\d_][\w’'-]*))")
# chunks of column text: runs of lines between blank lines, cut again before an indented line
_CHUNK_BREAK = re.compile(r"\n(?:[ \t]*\n)+|\n(?=[ \t]+\S)")
# between chunks mended together: no chunk holds it (it takes a line of one space, and lines
# are stripped), and no rule for line breaks applies to it (they have spaces on both sides)
_CHUNK_SEPARATOR = " \n \n "
_AFTER_LINE_HYPHEN = re.compile(r"-\n[ \t]*([\w’']+)")
# a line break after a dash or slash, or before an em dash; "\n" first, for a fast search
_DASH_BREAK = re.compile(r"\n(?:(?<=[—–/]\n)|(?=—))")
_INDENTED_LINE = re.compile(r"\n(?=[^\S\n])")  # "\n" first, for a fast search
_TOC_HEADER = re.compile(r"(?:table of )?contents", re.IGNORECASE)
_TOC_ENTRY = re.compile(r"(?:[-•*]\s+.*|\d{1,4}|.*(?:\.{3,}|…)\s*\d{1,4})")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_SPACE_RUN = re.compile(r"\s{2,}")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$|>])")  # "\$600" is "$600"
_MARKDOWN_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*#*")
_NUMBERED_HEADING = re.compile(r"(?:[IVXLC]{1,6}|\d{1,2})\.\s+\S.*")
_ESSAY_END = "BD"  # the end mark of a Baku Dialogues essay
_WORD = re.compile(r"[^\W\d_](?:[\w’'-]*\w)?")
_ASCII = bytes(range(128))
# ASCII bytes lowercased, and made spaces if not word characters (`\w`); line breaks and
# non-ASCII bytes kept
_ASCII_LOWER_WORD = bytes(
    b if b >= 128 else ord(chr(b).lower()) if chr(b).isalnum() or b in b"_\n" else 32
    for b in range(256)
)
_STOP_WORDS = frozenset(
    "the of and in to for a an on with at by from is are as its or but not into over".split()
)
# Prefixes that stay hyphenated when a line break falls after them ("post-/conflict").
_LINKING_WORDS = frozenset({"to", "of", "the", "and", "or", "on"})
_COMPOUND_PREFIXES = frozenset(
    "post pre non anti self co well long short full large small high low half cross semi "
    "neo mid all vice quasi ultra multi".split()
)
_NUMERALS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand first second third".split()
)


def normalize(raw: str) -> NormalizedText:
    """Rebuild raw document text into headings and passages with offsets."""
    lines = _drop_furniture(canonical(raw))
    width = _column_width(lines)
    drafts = _flow_drafts(lines) if width is None else _ColumnLayout(lines, width).drafts()
    return _assemble(_split_long(drafts))


def canonical(raw: str) -> str:
    """The text with line ends, Unicode composition and invisible characters made uniform.

    A document saved with CRLF, a BOM or decomposed accents normalises to the same text, so
    annotations anchor the same way whichever variant is on disk.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        # one str.replace per character the text holds: a regex character class is several
        # times slower, and a replace (or an `in` test) for each absent one still a pass
        present = _non_ascii(_utf8(text))
        for char in present.intersection(_INVISIBLE):
            text = text.replace(char, "")
        for char in present.intersection(_ODD_SPACES):
            text = text.replace(char, " ")
    return text


@dataclass(slots=True)
class _Draft:
    kind: BlockKind
    text: str
    level: int = 0


# --- furniture -----------------------------------------------------------------------------


def _drop_furniture(text: str) -> list[str]:
    """The lines of `text` with running heads, issue lines, page numbers, web addresses,
    boilerplate, mastheads and tables of contents blanked (blank, not removed: they still
    separate what was on either side), and letter-spaced words closed up."""
    raw_lines = text.split("\n")
    stripped = list(map(str.strip, raw_lines))
    folded = _fold_case(text)
    drop, closed_up = _furniture(Counter(stripped))
    drop.update(s for s in _boilerplate_lines(text, folded) if len(s) <= 120)
    fixed = closed_up | dict.fromkeys(drop, "")
    lines = list(map(fixed.get, stripped, stripped))
    # a line keeps its indent (a page start) unless dropped
    for i in _indented_lines(text):
        if stripped[i] not in drop:
            lines[i] = _indent(raw_lines[i]) + lines[i]
    if any("content" in line.lower() for line in closed_up.values()):
        _drop_toc(lines, "\n".join(lines).lower())  # closing up made a "content" the text lacks
    else:
        _drop_toc(lines, folded)
    _drop_caps_run(lines, range(len(lines)), minimum=3)  # a masthead
    _drop_caps_run(lines, range(len(lines) - 1, -1, -1), minimum=1)  # back-cover lines
    return lines


def _furniture(counts: Counter[str]) -> tuple[set[str], dict[str, str]]:
    """Of the distinct stripped lines, those to drop (doubled running heads, page furniture,
    short lines repeated without ending a sentence), and the letter-spaced ones closed up."""
    drop: set[str] = set()
    closed_up: dict[str, str] = {}
    for s, count in counts.items():
        if not s:
            continue
        n = len(s)
        # the first tests of `_doubled` inline, as this runs on every distinct line
        if n >= 10 and s[0] == s[n - n // 2] and (half := _doubled(s)):
            drop.update((s, half))
        elif _is_furniture(s) or (count >= 3 and n <= 60 and not _ends_sentence(s)):
            drop.add(s)
        elif (spaces := s.count(" ")) >= 4 and n < 3 * (spaces + 1):
            closed_up[s] = _close_up(s)
    return drop, closed_up


def _fold_case(text: str) -> str:
    """`text` lowercased, each character to one."""
    folded = _lower(text)
    if len(folded) != len(text):
        # "İ" lowercases to two letters, and offsets would drift: fold as re.IGNORECASE does
        folded = _lower(text.replace("İ", "i").replace("ı", "i").replace("ſ", "s"))
    return folded


def _boilerplate_lines(text: str, folded: str) -> Iterator[str]:
    """The stripped lines holding a phrase of web boilerplate, in any case (`folded`: the
    text with its case folded)."""
    for phrase in _BOILERPLATE:
        at = folded.find(phrase)
        while at >= 0:
            yield _line_around(text, at)
            at = folded.find(phrase, at + len(phrase))


def _indented_lines(text: str) -> list[int]:
    """The numbers of the lines of `text` that start with whitespace.

    Few lines do: they are found from the line breaks before them, and numbered by counting
    line breaks, rather than by testing every line.
    """
    numbers = [0] if text[:1] != "\n" and text[:1].isspace() else []
    number = counted = 0  # `number`: the line that starts at offset `counted`
    for match in _INDENTED_LINE.finditer(text):
        number += text.count("\n", counted, match.end())
        counted = match.end()
        numbers.append(number)
    return numbers


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _line_around(text: str, offset: int) -> str:
    end = text.find("\n", offset)
    return text[text.rfind("\n", 0, offset) + 1 : end if end >= 0 else len(text)].strip()


def _doubled(s: str) -> str:
    """`X X` or `XX` (the same head printed on both pages of a spread) gives `X`, else ``."""
    half = len(s) // 2
    second = len(s) - half  # where the second X starts: after the space if len(s) is odd
    # first-letter test before slicing
    if half < 5 or s[0] != s[second] or (second > half and s[half] != " "):
        return ""
    return s[second:] if s.startswith(s[second:]) else ""


def _is_furniture(s: str) -> bool:
    """A page number, an issue line (`Vol. 6 | No. 2 | ...`) or a bare web address."""
    # the cheap tests first: this runs on every distinct line
    if len(s) <= 9 and s[0].isdigit():
        return bool(_PAGE_NUMBERS.fullmatch(s))
    if "|" in s and s.startswith("Vol."):
        return True
    return " " not in s and "." in s and bool(_URL.fullmatch(s))


def _drop_toc(lines: list[str], low: str) -> None:
    """Blank a table of contents: its header and the entry and blank lines after it.

    The header holds "content" in some case, so only lines holding it are tested, found in
    `low`: a lowercased text with a line for each of `lines`, holding "content" on at least
    the lines where they do.
    """
    i = counted = 0  # `i`: the line of offset `counted`
    at = low.find("content")
    while at >= 0:
        i += low.count("\n", counted, at)
        counted = at
        if _TOC_HEADER.fullmatch(lines[i].strip()):
            lines[i] = ""
            for j in range(i + 1, len(lines)):
                s = lines[j].strip()
                if s and not _TOC_ENTRY.fullmatch(s):
                    break
                lines[j] = ""
            return
        at = low.find("content", at + 1)


def _drop_caps_run(lines: list[str], order: range, minimum: int) -> None:
    """Blank the run of all-capital lines at one end of the text if it has `minimum` lines."""
    run = []
    for i in order:
        s = lines[i].strip()
        if not s:
            continue
        if len(s) > 80 or not _is_caps(s):
            break
        run.append(i)
    if len(run) >= minimum:
        for i in run:
            lines[i] = ""


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


def _close_up(line: str) -> str:
    """Close up a letter-spaced word (`A m e l i o r a t i o n`): justified text in a narrow
    column. Runs of two or more spaces still separate words."""
    tokens = line.split()
    if max(map(len, tokens)) > 3 or sum(len(t) <= 2 for t in tokens) < 0.8 * len(tokens):
        return line
    return " ".join(part.replace(" ", "") for part in re.split(r"\s{2,}", line))


def _word_before(text: str, end: int, start: int = 0) -> re.Match[str] | None:
    """The word (a letter, then letters, digits or apostrophes) ending at `end`, if any."""
    # a word holds no space or line break: search from the last one, which is faster and
    # keeps `$` from matching before a line break
    start = max(start, text.rfind(" ", start, end) + 1, text.rfind("\n", start, end) + 1)
    return _LAST_WORD.search(text, start, end)


def _ends_sentence(text: str) -> bool:
    """Whether `text` (with no line break) ends in `.!?…:` and any closing quotes or brackets."""
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_ENDS)


def _column_width(lines: list[str]) -> float | None:
    """The median length of the non-blank lines if they are set in narrow columns, else None."""
    lengths = list(filter(None, map(len, map(str.strip, lines))))
    if len(lengths) >= 40 and (width := statistics.median(lengths)) < 50:
        return width
    return None


# --- joining lines ------------------------------------------------------------------------


class _Joiner:
    """Joins lines broken by a narrow column, deciding what a line-end hyphen was.

    The document's own words decide: `pri-`/`ority` is joined when `priority` occurs in the
    text, `post-`/`conflict` keeps its hyphen when `post-conflict` does; otherwise a hyphen
    after a common compound prefix stays and any other is a line-break hyphen.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def words(self) -> set[str]:
        """Every whole word of the text, lowercased; a word split at a line end is left out."""
        low = _lower(self.text)
        words = {t.strip(_PUNCTUATION) for t in set(low.split()) if t[-1] != "-"}
        return words - set(_AFTER_LINE_HYPHEN.findall(low))

    def join(self, left: str, right: str) -> str:
        """Join two pieces of text that a line or column break separated."""
        if not left or not right:
            return left or right
        if left[-1] in "—–/" or right[0] == "—":
            return left + right
        if left[-1] == "-" and right[0].isalpha() and (word := _word_before(left, len(left) - 1)):
            return left[: word.start()] + self._rejoin(word.group(), right)
        return left + " " + right

    def join_lines(self, lines: list[str]) -> str:
        """The lines of one chunk as one string, hyphenated words mended."""
        return self.join_chunks([lines])[0]

    def join_chunks(self, chunks: list[list[str]]) -> list[str]:
        """The lines of each chunk as one string, hyphenated words mended.

        The chunks are mended as one text, a regex search or substitution for each costing
        more than the work itself.
        """
        text = _CHUNK_SEPARATOR.join("\n".join(map(str.strip, lines)) for lines in chunks)
        if "-\n" in text:
            text = self._mend_line_hyphens(text)
        text = _DASH_BREAK.sub("", text)
        return [chunk.replace("\n", " ") for chunk in text.split(_CHUNK_SEPARATOR)]

    def _mend_line_hyphens(self, text: str) -> str:
        """`text` with each word broken by a hyphen at a line end rejoined (see `_rejoin`).

        A break is a word (a letter, then letters, digits or apostrophes), `-`, a line break
        and a word going on in letters, digits, apostrophes or hyphens; breaks are taken left
        to right without overlap. Each is found from its `-\n`: a regex starting with the
        word would be tried at every letter of the text, at ten times the cost. The word is
        then matched backwards from the hyphen, in the reversed text: one regex match, where
        `_word_before` needs two searches for the line's last space and break as well.
        """
        pieces = []
        done = 0  # where the last match ended
        backwards = text[::-1]
        for hyphen in _HYPHEN_BREAK.finditer(text):
            at = hyphen.start()
            if at < done or not (first := _WORD_BACKWARDS.match(backwards, len(text) - at)):
                continue  # no word before, or the hyphen ended the last match ("self-/made")
            word, rest = first.group()[::-1], hyphen.group(1)
            start = at - len(word)
            # "people-to-" / "people": a linking word inside a compound keeps its hyphens
            in_compound = word in _LINKING_WORDS and text[start - 1 : start] == "-"
            pieces.append(text[done:start])
            pieces.append(self._rejoin(word, rest, in_compound=in_compound))
            done = at + 2 + len(rest)
        pieces.append(text[done:])
        return "".join(pieces)

    @cached_property
    def _word_list(self) -> str:
        """Every word on a line of its own, to look words up by their start."""
        return "\n" + "\n".join(self.words)

    def _starts_a_word(self, prefix: str) -> bool:
        return "\n" + prefix in self._word_list

    def _rejoin(self, first: str, rest: str, *, in_compound: bool = False) -> str:
        """`first-` at a line end, then `rest` (which begins with a word) on the next line."""
        if rest[0].isupper():
            return f"{first}-{rest}"  # "Emilia-" / "Romagna"
        second = _WORD.match(rest)
        word = second.group().lower() if second else ""
        if word in ("and", "or", "to"):
            return f"{first}- {rest}"  # "six- and four-lane"
        low = first.lower()
        head = word.split("-")[0]  # "high-" / "ly-qualified": is "highly" a word?
        if low + word in self.words or (head != word and low + head in self.words):
            return first + rest
        keep = in_compound or f"{low}-{word}" in self.words
        keep = keep or (low in _COMPOUND_PREFIXES and head in self.words)
        # "one-" / "sided" and "four-" / "lane" stay compounds; "ten-" / "dency" is "tendency":
        # "dency" is no word and the text has words starting "tend"
        keep = keep or (
            low in _NUMERALS and (head in self.words or not self._starts_a_word(low + word[:1]))
        )
        if keep:
            return f"{first}-{rest}"
        return first + rest


# --- column layout ------------------------------------------------------------------------


_Gram = tuple[bytes, bytes, bytes, bytes]  # four words in a row


@dataclass(slots=True)
class _Chunk:
    """Lines between two blank lines (or page starts) of a column layout."""

    lines: list[str]
    page_start: bool
    text: str = ""
    wide: bool = False
    essay_end: bool = False
    skip: bool = False  # a pull quote, or front matter moved elsewhere
    front: list[_Draft] = field(default_factory=list)  # moved front matter, emitted here

    @property
    def starts_lower(self) -> bool:
        return self.text[:1].islower()

    @property
    def ends_sentence(self) -> bool:
        return self.essay_end or _ends_sentence(self.text)


class _ColumnLayout:
    def __init__(self, lines: list[str], width: float) -> None:
        text = "\n".join(lines)
        self.joiner = _Joiner(text)
        wide = 1.6 * width
        self.chunks = []
        pieces = [piece for piece in _CHUNK_BREAK.split(text) if piece and not piece.isspace()]
        chunk_lines = [piece.split("\n") for piece in pieces]
        texts = self.joiner.join_chunks(chunk_lines)
        for piece, piece_lines, chunk_text in zip(pieces, chunk_lines, texts, strict=True):
            chunk = _Chunk(piece_lines, page_start=piece[0].isspace(), text=chunk_text)
            if (body := _essay_body(chunk.text)) is not None:
                chunk.text = body
                chunk.essay_end = True
            # no line is long, stripped, if none is before: the usual case, tested at C speed
            if len(chunk.lines) >= 2 and max(map(len, chunk.lines)) > wide:
                long_lines = sum(len(line.strip()) > wide for line in chunk.lines)
                chunk.wide = long_lines >= 0.6 * len(chunk.lines)
            if chunk.text:
                self.chunks.append(chunk)
        self._mark_pull_quotes()
        self._move_front_matter()

    def _mark_pull_quotes(self) -> None:
        """Skip runs of chunks that repeat sentences found elsewhere in the text: pull quotes.

        A run must start a sentence and end one, and nearly all its word 4-grams must occur
        elsewhere. Runs are taken from the end, and a skipped run no longer counts as
        "elsewhere", so one copy of any repeated text always stays.
        """
        words, starts = _words([c.text for c in self.chunks])  # `starts`: of each chunk
        # by last chunk: the 4-grams of the longest run that could be a pull quote, and the
        # first chunk of each such run (shortest run first) with where its 4-grams start
        candidates: dict[int, tuple[list[_Gram], list[tuple[int, int]]]] = {}
        ends = [chunk.ends_sentence for chunk in self.chunks]
        for last in compress(range(len(self.chunks)), ends):
            if firsts := self._runs_ending_at(last, starts):
                start = starts[firsts[-1]]
                grams = list(_grams(words[start : starts[last + 1]]))
                candidates[last] = (grams, [(first, starts[first] - start) for first in firsts])
        # count only the 4-grams of those runs: a tuple for every 4-gram of the text costs more;
        # keys made first, so that counting keeps none of the 4-gram tuples it passes (and a
        # dict lookup is the faster filter)
        wanted = chain.from_iterable(grams for grams, _ in candidates.values())
        counts = Counter(dict.fromkeys(wanted, 0))
        counts.update(filter(counts.__contains__, _grams(words)))
        found_twice = {gram for gram, count in counts.items() if count > 1}
        last = len(self.chunks) - 1
        while last >= 0:
            found = 0
            if last in candidates:
                found = self._pull_quote_at(last, *candidates[last], counts, found_twice)
            last -= found or 1

    def _runs_ending_at(self, last: int, starts: list[int]) -> list[int]:
        """The first chunks of the runs ending at chunk `last` (which ends a sentence) that
        could be pull quotes, shortest run first: up to four chunks and 8 to 60 words
        (`starts`: where each chunk's words start), none of them wide, starting a sentence."""
        end = starts[last + 1]
        firsts = []
        for first in range(last, max(last - 4, -1), -1):
            chunk = self.chunks[first]
            if chunk.wide or end - starts[first] > 60:
                break
            if not chunk.starts_lower and end - starts[first] >= 8:
                firsts.append(first)
        return firsts

    def _pull_quote_at(
        self,
        last: int,
        grams: list[_Gram],
        runs: list[tuple[int, int]],
        counts: Counter[_Gram],
        found_twice: set[_Gram],
    ) -> int:
        """Length of the pull-quote run ending at chunk `last`, 0 if none. Each of `runs` is
        (first chunk, offset of its 4-grams in `grams`); `found_twice` holds the 4-grams of
        which the text had more than one before any run was skipped."""
        for first, offset in runs:
            run = grams[offset:]
            # a 4-gram the text had once is the run's own: compare counts if enough are left
            if sum(map(found_twice.__contains__, run)) < 0.8 * len(run):
                continue
            own = Counter(run)
            repeated = sum(1 for g in run if counts[g] > own[g])
            if repeated >= 0.8 * len(run):
                counts.subtract(run)
                for k in range(first, last + 1):
                    self.chunks[k].skip = True
                return last - first + 1
        return 0

    def _move_front_matter(self) -> None:
        """Move an essay's subtitle, byline and bio box (set wherever the page had room) to
        just after its title, so the paragraph they interrupted joins up again."""
        title: _Chunk | None = None
        after_end = True
        for i, chunk in enumerate(self.chunks):
            if chunk.skip:
                continue
            if after_end and chunk.page_start and len(chunk.lines) <= 4:
                title, after_end = chunk, False
                continue
            after_end = after_end or chunk.essay_end
            found = self._front_matter_at(i)
            if found and title is not None:
                bio, subtitle, name = found
                title.front.extend(
                    [_Draft(BlockKind.HEADING, subtitle, 2), _Draft(BlockKind.BYLINE, name)]
                )
                if bio is not None:
                    title.front.append(_Draft(BlockKind.BIO, bio.text))
                    bio.skip = True

    def _front_matter_at(self, i: int) -> tuple[_Chunk | None, str, str] | None:
        """(bio chunk, subtitle, author) when chunk `i` ends in an author's name under a
        title and the text after it goes on mid-sentence; chunks used are marked skipped."""
        chunk = self.chunks[i]
        if len(chunk.lines) > 4:
            return None
        following = self.chunks[i + 1] if i + 1 < len(self.chunks) else None
        name = chunk.lines[-1].strip()
        if following is None or not following.starts_lower or not _is_name(name):
            return None
        if len(chunk.lines) > 1:
            subtitle = self.joiner.join_lines(chunk.lines[:-1])
            parts = [chunk]
        elif i > 0 and _is_title(self.chunks[i - 1].text) and not self.chunks[i - 1].skip:
            subtitle = self.chunks[i - 1].text
            parts = [self.chunks[i - 1], chunk]
        else:
            return None
        if not _is_title(subtitle):
            return None
        for part in parts:
            part.skip = True
        before = self.chunks[i - len(parts)] if i - len(parts) >= 0 else None
        bio = before if before is not None and before.wide and not before.skip else None
        return bio, subtitle, name

    def drafts(self) -> list[_Draft]:
        out: list[_Draft] = []
        paragraph: list[str] = []  # texts of the chunks of the open paragraph
        deferred: list[_Draft] = []  # asides met inside a paragraph, placed after it
        aside: _Draft | None = None  # a quote or bio still being collected
        after_end = True
        chunks = [c for c in self.chunks if not c.skip]

        def close_paragraph() -> None:
            if paragraph:
                text = paragraph[0]
                for piece in paragraph[1:]:
                    text = self.joiner.join(text, piece)
                out.append(_Draft(BlockKind.PARAGRAPH, text))
                paragraph.clear()
            out.extend(deferred)
            deferred.clear()

        for i, chunk in enumerate(chunks):
            following = chunks[i + 1] if i + 1 < len(chunks) else None
            is_open = bool(paragraph) and not _ends_sentence(paragraph[-1])
            if aside is not None:
                continuing = not _ends_sentence(aside.text) or chunk.text[0] in "–—"
                if continuing and not chunk.wide:
                    aside.text = self.joiner.join(aside.text, chunk.text)
                    continue
                aside = None
            if chunk.wide:
                aside = _Draft(_aside_kind(chunk.text), chunk.text)
                if is_open and following is not None:
                    deferred.append(aside)
                else:
                    close_paragraph()
                    out.append(aside)
                continue
            if after_end and chunk.page_start and len(chunk.lines) <= 4:
                close_paragraph()
                out.append(_Draft(BlockKind.HEADING, chunk.text, 1))
                out.extend(self._split_title_byline(out.pop(), chunk))
                out.extend(chunk.front)
                after_end = False
                continue
            heading = _is_heading(chunk)
            if heading and following is not None and following.wide:
                deferred.append(_Draft(BlockKind.HEADING, chunk.text, 2))  # an aside's heading
                if not is_open:
                    close_paragraph()
            elif out and out[-1].level == 1 and len(chunk.lines) == 1 and _is_name(chunk.text):
                out.append(_Draft(BlockKind.BYLINE, chunk.text))
            elif heading and not is_open and (following is None or not following.starts_lower):
                close_paragraph()
                out.append(_Draft(BlockKind.HEADING, chunk.text, 2))
            elif is_open or chunk.starts_lower:
                paragraph.append(chunk.text)
            else:
                close_paragraph()
                paragraph.append(chunk.text)
            if chunk.essay_end:
                close_paragraph()
                after_end = True
        close_paragraph()
        return out

    def _split_title_byline(self, heading: _Draft, chunk: _Chunk) -> list[_Draft]:
        """An essay title whose last line (of three or more) is the author's name."""
        name = chunk.lines[-1].strip()
        if len(chunk.lines) >= 3 and _is_name(name):
            heading.text = self.joiner.join_lines(chunk.lines[:-1])
            return [heading, _Draft(BlockKind.BYLINE, name)]
        return [heading]


def _essay_body(text: str) -> str | None:
    """`text` before the end mark of an essay (a last word `BD`), None if it has none."""
    body = text.rstrip()
    if body.endswith(_ESSAY_END) and body[-3:-2].isspace():
        return body[:-2].rstrip()
    return None


def _is_heading(chunk: _Chunk) -> bool:
    """A section heading: a title of at most three lines, none ending on an article."""
    if len(chunk.lines) > 3 or not _is_title(chunk.text):
        return False
    last_words = (words[-1].lower() for words in map(str.split, chunk.lines) if words)
    return not any(word in ("the", "a", "an", "of") for word in last_words)


def _aside_kind(text: str) -> BlockKind:
    bio = "views expressed" in text or re.match(r"[^.]{3,60}\bis an?\b", text)
    return BlockKind.BIO if bio else BlockKind.QUOTE


def _words(texts: list[str]) -> tuple[list[bytes], list[int]]:
    """The words (runs of alphanumeric characters and `_`) of the texts, lowercased and one
    text's after another, and where each text's words start (then where they end); no text
    holds a line break.

    Words come as UTF-8 bytes, as they are only compared: a byte translation and a split find
    them in half the time of a regex.
    """
    if not texts:
        return [], [0]
    text = "\n".join(texts)
    chars = _non_ascii(_utf8(text))
    if not all(map(_lowers_alone, chars)):  # a replace cannot lowercase those
        text = text.lower()
        chars = _non_ascii(_utf8(text))
    # each non-ASCII character replaced by its lowercase, or by a space if that is no word
    # character (alphanumeric, or ASCII: the byte translation lowercases ASCII characters and
    # makes spaces of the others), sparing a str.lower, which costs more than all of these
    for char in chars:
        low = char.lower()
        if (new := low if low.isalnum() or low.isascii() else " ") != char:
            text = text.replace(char, new)
    data = _utf8(text).translate(_ASCII_LOWER_WORD)
    lists = [line.split() for line in data.split(b"\n")]
    return list(chain.from_iterable(lists)), list(accumulate(map(len, lists), initial=0))


def _non_ascii(data: bytes) -> set[str]:
    """The distinct non-ASCII characters of a text, found in its UTF-8 `data`."""
    return set(data.translate(None, _ASCII).decode("utf-8", "surrogatepass"))


def _lower(text: str) -> str:
    """`text.lower()`, in two thirds of the time for a long text that is not all ASCII (then
    `str.lower` looks every character up in the Unicode tables): ASCII letters are lowered
    in the UTF-8 bytes, and each other character that has a lowercase by a replace."""
    if text.isascii():
        return text.lower()
    data = _utf8(text)
    upper = [char for char in _non_ascii(data) if char.lower() != char]
    if not all(map(_lowers_alone, upper)):
        return text.lower()
    low = data.lower().decode("utf-8", "surrogatepass")
    for char in upper:
        low = low.replace(char, char.lower())
    return low


def _lowers_alone(char: str) -> bool:
    """Whether `char` lowercases to one character whatever surrounds it: not "Σ", which
    lowercases by its context, nor "İ", which lowercases to two characters."""
    return char != "Σ" and len(char.lower()) == 1


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate is no error


def _grams(words: list[bytes]) -> Iterator[_Gram]:
    """The word 4-grams of `words`."""
    return zip(words, words[1:], words[2:], words[3:], strict=False)


def _is_title(text: str) -> bool:
    """Short, capitalised like a title, and not ending like a sentence or a fragment."""
    if len(text) > 90 or text.endswith(_TITLE_NEVER_ENDS):
        return False
    words = text.split()
    if not 1 <= len(words) <= 12:
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in "“\"‘'"):
        return False
    significant = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    capitalised = sum(w[0].isupper() for w in significant)
    return capitalised >= 0.6 * len(significant)


def _is_name(text: str) -> bool:
    """A person's name as printed in a byline: two to four capitalised words."""
    if len(text) > 40:
        return False
    words = text.split()
    if not 2 <= len(words) <= 4 or any(c.isdigit() for c in text):
        return False
    return all(
        w[0].isupper() and w.lower() not in _STOP_WORDS and w.replace("-", "").isalpha()
        for w in (w.strip(".’'") or "x" for w in words)
    )


# --- flow layout --------------------------------------------------------------------------


def _flow_drafts(lines: list[str]) -> list[_Draft]:
    units: list[str] = []
    for line in lines:
        s = _plain(line.strip())
        if not s or (units and s == units[-1]):
            continue
        if units and len(units[-1]) >= 40 and s.startswith(units[-1]):
            units.pop()  # a lead paragraph printed again as the start of the next one
        units.append(s)

    # Where sections are numbered (I., II., ...), an unnumbered short line is no heading.
    numbered_doc = sum(bool(_NUMBERED_HEADING.fullmatch(u)) for u in units) >= 2
    drafts: list[_Draft] = []
    for i, unit in enumerate(units):
        following = units[i + 1] if i + 1 < len(units) else ""
        heading = _MARKDOWN_HEADING.fullmatch(unit)
        if heading:
            level = min(len(heading.group(1)), 3)
            drafts.append(_Draft(BlockKind.HEADING, heading.group(2), level))
        elif _is_name(unit) and following.startswith(unit + " "):
            drafts.append(_Draft(BlockKind.BYLINE, unit))
        elif drafts and drafts[-1].kind is BlockKind.BYLINE and unit.startswith(drafts[-1].text):
            drafts.append(_Draft(BlockKind.BIO, unit))
        elif _is_flow_heading(unit, following) and (
            not numbered_doc or not drafts or _NUMBERED_HEADING.fullmatch(unit)
        ):
            # the first line, or a line over another heading (a category), heads the rest
            numbered = _NUMBERED_HEADING.fullmatch(unit)
            top = not numbered and (not drafts or _is_flow_heading(following, "X"))
            drafts.append(_Draft(BlockKind.HEADING, unit, 1 if top else 2))
        elif (
            drafts
            and drafts[-1].kind is BlockKind.PARAGRAPH
            and not _ends_sentence(drafts[-1].text)
        ):
            drafts[-1].text += " " + unit  # a paragraph cut by a page break
        else:
            drafts.append(_Draft(BlockKind.PARAGRAPH, unit))
    return drafts


def _plain(line: str) -> str:
    """`line` without Markdown bold marks or escapes, its runs of whitespace made one space."""
    # each substitution only where it can apply: most lines are long and need none
    if "**" in line or "__" in line:
        line = _BOLD.sub(lambda m: m.group(1) or m.group(2), line)
    if "\\" in line:
        line = _MARKDOWN_ESCAPE.sub(r"\1", line)
    if not line.isprintable() or "  " in line:  # all whitespace but " " is unprintable
        line = _SPACE_RUN.sub(" ", line)
    return line


def _is_flow_heading(unit: str, following: str) -> bool:
    """A short line that does not end like a sentence, before text that starts afresh."""
    if not unit or len(unit) > 150 or unit.endswith(_TITLE_NEVER_ENDS):
        return False
    if not (unit[0].isupper() or unit[0].isdigit() or unit[0] in "“\"‘'"):
        return False
    if unit.rsplit(None, 1)[-1].lower() in _STOP_WORDS:
        return False  # "... Minister of the Overseas of": a paragraph cut by a page break
    return bool(following) and not following[0].islower()


# --- final shape --------------------------------------------------------------------------


def _split_long(drafts: list[_Draft]) -> list[_Draft]:
    """Split walls of text (scraped pages lose their paragraph breaks) at sentence ends."""
    out: list[_Draft] = []
    for draft in drafts:
        if draft.kind is not BlockKind.PARAGRAPH or len(draft.text) <= LONG_PARAGRAPH:
            out.append(draft)
            continue
        parts = round(len(draft.text) / PARAGRAPH_TARGET)
        target = len(draft.text) / parts
        start = 0
        for _, end in sentence_spans(draft.text):
            if end - start >= target and len(draft.text) - end >= target / 2:
                out.append(_Draft(BlockKind.PARAGRAPH, draft.text[start:end].strip()))
                start = end
        out.append(_Draft(BlockKind.PARAGRAPH, draft.text[start:].strip()))
    return out


def _assemble(drafts: list[_Draft]) -> NormalizedText:
    blocks: list[Block] = []
    pieces: list[str] = []
    offset = 0
    for draft in drafts:
        text = _squash_spaces(draft.text)
        if not text:
            continue
        if pieces:
            pieces.append("\n\n")
            offset += 2
        blocks.append(Block(draft.kind, text, offset, offset + len(text), draft.level))
        pieces.append(text)
        offset += len(text)
    return NormalizedText("".join(pieces), tuple(blocks))


def _squash_spaces(text: str) -> str:
    """`text` with each run of whitespace made one space, and none at either end."""
    # all whitespace but " " is unprintable, so most text passes this test as it is
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())
