"""The reading view: a document's normalised text, wrapped, drawn only where it is visible."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from briefreader.core.corpus import Document
from briefreader.core.models import Block, BlockKind, Passage, Section
from briefreader.core.sentences import sentence_spans

MEASURE = 88  # the widest line of text: longer lines are hard to read
GUTTER = 3  # the passage marker and its spacing, left of the text
_WORD = re.compile(r"\S+\s*")


@dataclass(frozen=True, slots=True)
class Mark:
    """An annotation as the view draws it."""

    start: int
    end: int
    tag: str
    id: str


class _Line(NamedTuple):  # a tuple: a long document lays out tens of thousands
    block: int  # index into the document's blocks, or -1 for the blank line between blocks
    start: int  # offsets into the normalised text
    end: int


def wrap(text: str, offset: int, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of `text` into (start, end) spans shifted by `offset`; trailing
    spaces stay at the end of a line (they are invisible) so no character is lost. A word
    wider than the line (a URL) is cut."""
    # a normalised passage, as a rule: words parted by single spaces, a cell a character
    simple = text.isprintable() and "  " not in text and text.strip(" ") == text
    if simple and _single_cells(text):
        return _wrap_spans(text, offset, width)
    lines: list[tuple[int, int]] = []
    start = used = 0
    for match in _WORD.finditer(text):
        word = match.group().rstrip()
        size = cell_len(word)
        if used and used + size > width:
            lines.append((offset + start, offset + match.start()))
            start, used = match.start(), 0
        while size > width:  # here `used` is 0: the word starts the line
            cut = max(start, match.start()) + width
            lines.append((offset + start, offset + cut))
            size -= cut - max(start, match.start())
            start = cut
        used += size + (len(match.group()) - len(word))
    lines.append((offset + start, offset + len(text)))
    return lines


def _wrap_spans(text: str, offset: int, width: int) -> list[tuple[int, int]]:
    """`wrap` for text of one cell a character, words parted by single spaces: each line
    end is found by one search back from the widest line, not by measuring every word (a
    tenth of the time for the Baku Dialogues issue)."""
    lines: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > width:
        limit = start + width
        # after the last space that fits (at `limit` itself, the line is full), else cut
        # a word wider than the line
        end = text.rfind(" ", start, limit + 1) + 1 or limit
        lines.append((offset + start, offset + end))
        start = end
    lines.append((offset + start, offset + len(text)))
    return lines


_ONE_CELL = set(map(chr, range(32, 127)))  # characters known to take one terminal cell


def _single_cells(text: str) -> bool:
    """Whether every character of `text` takes one cell (not a CJK or combining one)."""
    new = set(text) - _ONE_CELL
    if all(get_character_cell_size(char) == 1 for char in new):
        _ONE_CELL.update(new)
        return True
    return False


class _Frame(NamedTuple):
    """What every line of one frame is drawn with."""

    width: int  # of the view, in cells
    pad: int  # cells left of the gutter, which centre the text
    top: int  # the line at the top of the view
    base: Style
    current: Style  # added for the current passage
    marker: Style  # the current passage's bar in the gutter


class DocumentView(ScrollView, can_focus=True):
    """Shows one document; a current passage is marked and moved with the keyboard."""

    COMPONENT_CLASSES = {
        "document-view--title",
        "document-view--heading",
        "document-view--byline",
        "document-view--bio",
        "document-view--quote",
        "document-view--current",
        "document-view--marker",
        "document-view--match",
        "document-view--current-match",
        "document-view--selection",
        "document-view--factual",
        "document-view--disputed",
        "document-view--rhetorical",
        "document-view--tag",
    }

    BINDINGS = [
        Binding("j,down", "next_passage", "Next ¶", key_display="j"),
        Binding("k,up", "previous_passage", "Prev ¶", key_display="k", show=False),
        Binding("J,right_square_bracket", "next_section", "Next section", show=False),
        Binding("K,left_square_bracket", "previous_section", "Prev section", show=False),
        Binding("g,home", "start", "Start", show=False),
        Binding("G,end", "end", "End", show=False),
        Binding("space,pagedown", "page_down", "Page down", show=False),
        Binding("b,pageup", "page_up", "Page up", show=False),
        Binding("n", "next_match", "Next hit"),
        Binding("N", "previous_match", "Prev hit", show=False),
        Binding("right_curly_bracket", "next_mark", "Next annotation", show=False),
        Binding("left_curly_bracket", "previous_mark", "Prev annotation", show=False),
        Binding("v", "select", "Select", show=False),
        Binding("full_stop", "select_sentence(1)", "Next sentence", show=False),
        Binding("comma", "select_sentence(-1)", "Prev sentence", show=False),
        Binding("greater_than_sign", "grow(1)", "Grow selection", show=False),
        Binding("less_than_sign", "grow(-1)", "Shrink selection", show=False),
    ]

    class PassageChanged(Message):
        """The current passage moved (or a new document was shown)."""

        def __init__(self, view: DocumentView, passage: Passage | None) -> None:
            super().__init__()
            self.view = view
            self.passage = passage

    class SelectionChanged(Message):
        """The span selected for annotation changed (None: no selection)."""

        def __init__(self, selection: tuple[int, int] | None) -> None:
            super().__init__()
            self.selection = selection

    class MatchChanged(Message):
        def __init__(self, index: int, total: int) -> None:
            super().__init__()
            self.index = index  # 0-based; -1 when no match is current
            self.total = total

    current: reactive[int] = reactive(0, always_update=True, init=False)  # 0-based passage

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.document: Document | None = None
        self._lines: list[_Line] = []
        self._line_starts: list[int] = []
        self._block_lines: list[tuple[int, int]] = []  # first and last line of each block
        self._passage_blocks: list[int] = []  # block index of each passage
        self._laid_out_width = 0
        self._laid_out_height = 0
        self.matches: list[tuple[int, int]] = []
        self.match_index = -1
        self.marks: list[Mark] = []  # annotations, in reading order
        self._marks_by_end: list[Mark] = []
        self._mark_ends: list[int] = []
        self.tag_styles: dict[str, Style] = {}  # codebook colours, by tag
        self.selection: tuple[int, int] | None = None
        self._frame: _Frame | None = None  # while a frame is drawn
        self._drag_from: int | None = None

    # -- content -------------------------------------------------------------------------

    @property
    def passages(self) -> tuple[Passage, ...]:
        return self.document.text.passages if self.document else ()

    @property
    def sections(self) -> tuple[Section, ...]:
        return self.document.text.sections if self.document else ()

    @property
    def passage(self) -> Passage | None:
        return self.passages[self.current] if self.passages else None

    def show(self, document: Document, passage: int = 1) -> None:
        """Show `document` with passage number `passage` (1-based) current and in view."""
        self.document = document
        self.matches, self.match_index = [], -1
        self.selection = None
        self.set_marks([])
        blocks = document.text.blocks
        self._passage_blocks = [i for i, b in enumerate(blocks) if b.kind is not BlockKind.HEADING]
        self._laid_out_width = 0
        self._lines = []
        self._layout()
        self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.go_to_passage(passage, top=True)
        # the first layout may come before the widget has its size: reveal again after it
        self.call_after_refresh(self._reveal, top=True)

    def set_matches(self, spans: list[tuple[int, int]], *, jump: bool = True) -> None:
        """Highlight these spans of the text; `jump` moves to the first at or after the
        current passage."""
        self.matches = sorted(spans)
        self.match_index = -1
        if jump and self.matches and self.passage is not None:
            at = bisect.bisect_left(self.matches, (self.passage.start, 0))
            self._go_to_match(at % len(self.matches))
        else:
            self.post_message(self.MatchChanged(self.match_index, len(self.matches)))
        self.refresh()

    def set_marks(self, marks: list[Mark]) -> None:
        """Show these annotations (already placed in the current text)."""
        self.marks = sorted(marks, key=lambda m: (m.start, m.end))
        self._marks_by_end = sorted(marks, key=lambda m: m.end)
        self._mark_ends = [m.end for m in self._marks_by_end]
        self.refresh()

    def marks_at(self, start: int, end: int) -> list[Mark]:
        """The annotations overlapping text[start:end], in reading order."""
        return [m for m in self.marks if m.start < end and m.end > start]

    def _text_width(self) -> int:
        # a view shown before its first layout has no width yet: guess the widest it could
        # be, not the narrowest (ten times the lines: 0.1 s for the Baku Dialogues issue);
        # the first frame lays it out again if the guess was wrong
        width = self.scrollable_content_region.width or self.app.size.width
        return max(10, min(MEASURE, width - GUTTER - 1))

    def _layout(self) -> None:
        width = self._text_width()
        if self.document is None or width == self._laid_out_width:
            if not self._laid_out_height:  # laid out before it had a size: now it has
                self._laid_out_height = self.scrollable_content_region.height
            return
        # keep the same text in view: the current passage if it showed (judged by the old
        # geometry), else the top line. A layout made before the view had a size showed
        # nothing: what `show` asked for is revealed instead, before this frame is drawn.
        anchor = 0
        shown = bool(self._laid_out_height)
        if self._lines and shown:
            visible = self.passages and self._is_visible(self.current, self._laid_out_height)
            anchor = self.passage.start if visible else self._lines[self._top_line()].start
        self._laid_out_height = self.scrollable_content_region.height
        self._laid_out_width = width
        lines: list[_Line] = []
        block_lines: list[tuple[int, int]] = []
        for i, block in enumerate(self.document.text.blocks):
            if i:
                lines.append(_Line(-1, block.start, block.start))
            first = len(lines)
            lines.extend(_Line(i, s, e) for s, e in wrap(block.text, block.start, width))
            block_lines.append((first, len(lines) - 1))
        self._lines, self._block_lines = lines, block_lines
        self._line_starts = [line.start for line in lines]
        self.virtual_size = Size(self._text_width() + GUTTER, len(lines))
        if anchor:
            line = max(0, self._line_of(anchor) - 1)
            self.call_after_refresh(
                self.scroll_to, y=line, animate=False, immediate=True, force=True
            )
        elif not shown and self._laid_out_height:
            self._reveal(top=True)

    def on_resize(self) -> None:
        self._layout()
        self.refresh()

    def _line_of(self, offset: int) -> int:
        """The index of the line holding character `offset` of the text."""
        i = bisect.bisect_right(self._line_starts, offset) - 1
        while i > 0 and self._lines[i].block < 0:
            i -= 1
        return max(0, i)

    def _top_line(self) -> int:
        return min(int(self.scroll_y), max(0, len(self._lines) - 1))

    # -- drawing -------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # a frame can come before the resize event for a new width (the very first frame,
        # the library shown or hidden): lay the text out for the width it is drawn at
        self._layout()
        # what every line of a frame shares, worked out once for the frame: `rich_style`
        # alone walks the styles of every ancestor, and took a third of drawing a line
        self._frame = self._frame_styles()
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _frame_styles(self) -> _Frame:
        width = self.scrollable_content_region.width
        return _Frame(
            width=width,
            pad=max(0, (width - self._text_width() - GUTTER) // 2),
            top=self._top_line(),
            base=self.rich_style,
            current=self.get_component_rich_style("document-view--current"),
            marker=self.get_component_rich_style("document-view--marker"),
        )

    def render_line(self, y: int) -> Strip:
        frame = self._frame or self._frame_styles()
        base = frame.base
        index = frame.top + y
        if index >= len(self._lines) or self.document is None:
            return Strip.blank(frame.width, base)
        line = self._lines[index]
        if line.block < 0:
            return Strip.blank(frame.width, base)
        block = self.document.text.blocks[line.block]
        current = self.passage is not None and block.start == self.passage.start
        style = base + self._block_style(block)
        if current:
            style += frame.current
        segments = [Segment(" " * frame.pad, base)]
        segments.append(Segment("▌  ", frame.marker) if current else Segment("   ", base))
        text = self.document.text.text[line.start : line.end].rstrip()
        segments += self._styled(text, line.start, style)
        return Strip(segments).adjust_cell_length(frame.width, base)

    def _block_style(self, block: Block) -> Style:
        if block.kind is BlockKind.HEADING:
            name = "title" if block.level <= 1 else "heading"
        elif block.kind in (BlockKind.BYLINE, BlockKind.BIO, BlockKind.QUOTE):
            name = block.kind.value
        else:
            return Style()
        return self.get_component_rich_style(f"document-view--{name}")

    def _decorations(self, start: int, end: int) -> list[tuple[int, int, Style, bool]]:
        """Styled spans over text[start:end]: annotations, then search hits, then the
        selection, each drawn over the one before."""
        found: list[tuple[int, int, Style, bool]] = []  # (start, end, style, is annotation)
        i = bisect.bisect_left(self._mark_ends, start)
        for mark in self._marks_by_end[i:]:
            if mark.start < end and mark.end > start:
                found.append((mark.start, mark.end, self._tag_style(mark.tag), True))
        first = bisect.bisect_left(self.matches, (start - 200, 0))
        for i in range(first, len(self.matches)):
            m_start, m_end = self.matches[i]
            if m_start >= end:
                break
            if m_end > start:
                name = "current-match" if i == self.match_index else "match"
                style = self.get_component_rich_style(f"document-view--{name}")
                found.append((m_start, m_end, style, False))
        if self.selection is not None and self.selection[0] < end and self.selection[1] > start:
            selected = self.get_component_rich_style("document-view--selection")
            found.append((*self.selection, selected, False))
        return found

    def _tag_style(self, tag: str) -> Style:
        if tag in self.tag_styles:
            return self.tag_styles[tag]
        try:
            return self.get_component_rich_style(f"document-view--{tag}")
        except KeyError:
            return self.get_component_rich_style("document-view--tag")

    def _styled(self, text: str, offset: int, style: Style) -> list[Segment]:
        end = offset + len(text)
        decorations = self._decorations(offset, end)
        if not decorations:
            return [Segment(text, style)]
        cuts = sorted(
            {offset, end, *(max(offset, min(end, x)) for d in decorations for x in d[:2])}
        )
        segments = []
        overlap = Style(underline=True, bold=True)
        for left, right in pairwise(cuts):
            piece_style, marks = style, 0
            for d_start, d_end, d_style, is_mark in decorations:
                if d_start < right and d_end > left:
                    piece_style = piece_style + d_style
                    marks += is_mark
            if marks > 1:  # overlapping annotations: underlined, so neither hides the other
                piece_style += overlap
            segments.append(Segment(text[left - offset : right - offset], piece_style))
        return segments

    # -- moving --------------------------------------------------------------------------

    def watch_current(self) -> None:
        self.refresh()
        self.post_message(self.PassageChanged(self, self.passage))

    def go_to_passage(self, number: int, *, top: bool = False) -> None:
        """Make passage `number` (1-based, clamped) current and scroll it into view."""
        if not self.passages:
            self.current = 0
            return
        self.current = max(0, min(number - 1, len(self.passages) - 1))
        self._reveal(top=top)

    def _reveal(self, *, top: bool = False) -> None:
        """Scroll so the current passage is visible (at the top if asked, or if it is far)."""
        if not self.passages:
            return
        first, last = self._block_lines[self._passage_blocks[self.current]]
        height = self.scrollable_content_region.height
        scroll = int(self.scroll_y)
        if top or first < scroll or last >= scroll + height:
            if not top and scroll < first and last - first < height:
                target = last - height + 2  # moving down: show the passage at the bottom
            else:
                target = first - 1
                if top and first > 0:
                    # show the heading of a section that starts here
                    block = self._passage_blocks[self.current] - 1
                    if self.document and self.document.text.blocks[block].kind == "heading":
                        target = self._block_lines[block][0] - 1
            self.scroll_to(y=max(0, target), animate=False, immediate=True, force=True)

    def _first_visible_passage(self) -> int:
        top = self._top_line()
        offset = self._lines[top].start if self._lines else 0
        passage = self.document.text.passage_at(offset) if self.document else None
        index = passage.number - 1 if passage else 0
        first, _ = self._block_lines[self._passage_blocks[index]]
        return index + 1 if first < top and index + 1 < len(self.passages) else index

    def _is_visible(self, index: int, height: int | None = None) -> bool:
        first, last = self._block_lines[self._passage_blocks[index]]
        top = int(self.scroll_y)
        height = height or self.scrollable_content_region.height
        return last >= top and first < top + height

    def _step(self, delta: int) -> None:
        if not self.passages:
            return
        if not self._is_visible(self.current):  # the reader scrolled away with the mouse
            self.current = self._first_visible_passage()
        else:
            self.current = max(0, min(self.current + delta, len(self.passages) - 1))
        self._reveal()

    def action_next_passage(self) -> None:
        self._step(1)

    def action_previous_passage(self) -> None:
        self._step(-1)

    def go_to_section(self, section: Section) -> None:
        number = min(section.first_passage, len(self.passages))
        self.go_to_passage(number, top=True)
        line = self._block_lines[self._block_index(section.start)][0]
        self.scroll_to(y=max(0, line - 1), animate=False, immediate=True, force=True)

    def _block_index(self, start: int) -> int:
        blocks = self.document.text.blocks if self.document else ()
        return bisect.bisect_left([b.start for b in blocks], start)

    def _section_starting(self, first_passage: int) -> Section:
        """Of the headings right above one passage (an essay title, then its first section
        heading), the outermost: jumping there shows them all."""
        return next(s for s in self.sections if s.first_passage == first_passage)

    def action_next_section(self) -> None:
        number = self.passage.number if self.passage else 0
        later = [s.first_passage for s in self.sections if s.first_passage > number]
        if later and min(later) <= len(self.passages):
            self.go_to_section(self._section_starting(min(later)))
        else:
            self.app.bell()

    def action_previous_section(self) -> None:
        """To the top of this section, or from there to the previous one."""
        number = self.passage.number if self.passage else 0
        earlier = [s.first_passage for s in self.sections if s.first_passage < number]
        if earlier:
            self.go_to_section(self._section_starting(max(earlier)))
        else:
            self.action_start()

    def action_start(self) -> None:
        self.go_to_passage(1)
        self.scroll_to(y=0, animate=False, immediate=True, force=True)

    def action_end(self) -> None:
        self.go_to_passage(len(self.passages))
        self.scroll_end(animate=False, immediate=True, force=True)

    def _page(self, direction: int) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(
            y=self.scroll_y + direction * max(1, height - 2), animate=False, immediate=True
        )
        if self.passages:
            self.current = self._first_visible_passage()

    def action_page_down(self) -> None:
        self._page(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _offset_at(self, x: int, y: int) -> int | None:
        """The character offset under a mouse position, if it is over text."""
        index = self._top_line() + y
        if not 0 <= index < len(self._lines) or self._lines[index].block < 0:
            return None
        line = self._lines[index]
        width = self.scrollable_content_region.width
        pad = max(0, (width - self._text_width() - GUTTER) // 2)
        return line.start + max(0, min(x - pad - GUTTER, line.end - line.start))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._drag_from = self._offset_at(event.x, event.y)
        if self._drag_from is not None:
            self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._drag_from is None or not event.button:
            return
        at = self._offset_at(event.x, event.y)
        if at is not None and at != self._drag_from:
            self._select(*sorted((self._drag_from, at)))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()
        start, self._drag_from = self._drag_from, None
        at = self._offset_at(event.x, event.y)
        if start is None or at is None or self.document is None:
            return
        if at == start:  # a click: make that passage current
            passage = self.document.text.passage_at(at)
            if passage is not None:
                self.current = passage.number - 1
            self._select(None)
        else:
            self._select(*sorted((start, at)))

    # -- selecting a span ------------------------------------------------------------------

    def _select(self, start: int | None, end: int | None = None) -> None:
        if start is None or end is None or self.document is None:
            self.selection = None
        else:
            text = self.document.text.text
            # snap to whole words, and keep inside one passage
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            while end < len(text) and text[end].isalnum():
                end += 1
            passage = self.document.text.passage_at(start)
            if passage is not None:
                start, end = max(start, passage.start), min(end, passage.end)
                self.current = passage.number - 1
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            self.selection = (start, end) if end > start else None
        self.refresh()
        self.post_message(self.SelectionChanged(self.selection))

    def clear_selection(self) -> bool:
        """Drop the selection; False if there was none."""
        if self.selection is None:
            return False
        self._select(None)
        return True

    def _sentences(self) -> list[tuple[int, int]]:
        passage = self.passage
        if passage is None:
            return []
        return [(passage.start + a, passage.start + b) for a, b in sentence_spans(passage.text)]

    def action_select(self) -> None:
        """Start a selection: the first sentence of the current passage."""
        if self.selection is not None:
            self._select(None)
            return
        sentences = self._sentences()
        if sentences:
            self._select(*sentences[0])

    def action_select_sentence(self, step: int) -> None:
        sentences = self._sentences()
        if not sentences:
            return
        if self.selection is None:
            self._select(*sentences[0])
            return
        starts = [a for a, _ in sentences]
        i = bisect.bisect_right(starts, self.selection[0]) - 1 + step
        self._select(*sentences[max(0, min(i, len(sentences) - 1))])

    def action_grow(self, step: int) -> None:
        if self.selection is None or self.passage is None:
            return
        start, end = self.selection
        text, passage = self.document.text.text, self.passage
        if step > 0:
            match = re.compile(r"\s*\S+").match(text, end, passage.end)
            end = match.end() if match else end
        else:
            cut = text.rfind(" ", start, end - 1)
            end = cut if cut > start else end
        self._select(start, end)

    # -- annotations -----------------------------------------------------------------------

    def _move_mark(self, forward: bool) -> None:
        if not self.marks or self.passage is None:
            self.app.bell()
            return
        anchor = self.selection[0] if self.selection else self.passage.start
        starts = [m.start for m in self.marks]
        if forward:
            i = bisect.bisect_right(starts, anchor)
        else:
            i = bisect.bisect_left(starts, anchor) - 1
        if not 0 <= i < len(self.marks):
            self.app.bell()
            return
        self.show_mark(self.marks[i])

    def show_mark(self, mark: Mark) -> None:
        """Make an annotation's passage current, select its text and scroll it into view."""
        self._select(mark.start, mark.end)
        line = self._line_of(mark.start)
        top, height = int(self.scroll_y), self.scrollable_content_region.height
        if not top <= line < top + height:
            self.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True, force=True)

    def action_next_mark(self) -> None:
        self._move_mark(True)

    def action_previous_mark(self) -> None:
        self._move_mark(False)

    # -- matches -------------------------------------------------------------------------

    def _go_to_match(self, index: int) -> None:
        self.match_index = index
        start, _ = self.matches[index]
        passage = self.document.text.passage_at(start) if self.document else None
        if passage is not None:
            self.current = passage.number - 1
        line = self._line_of(start)
        top, height = int(self.scroll_y), self.scrollable_content_region.height
        if not top <= line < top + height:
            self.scroll_to(y=max(0, line - height // 3), animate=False, immediate=True, force=True)
        self.refresh()
        self.post_message(self.MatchChanged(index, len(self.matches)))

    def _move_match(self, forward: bool) -> None:
        if not self.matches:
            self.notify("No highlighted hits: search with / or find with ctrl+f", timeout=3)
            return
        if self.match_index < 0 or not self._is_match_visible():
            # continue from the current passage rather than from a hit scrolled out of view
            anchor = self.passage.start if self.passage else 0
            index = bisect.bisect_left(self.matches, (anchor, 0))
            index = index if forward else index - 1
        else:
            index = self.match_index + (1 if forward else -1)
        self._go_to_match(index % len(self.matches))

    def _is_match_visible(self) -> bool:
        line = self._line_of(self.matches[self.match_index][0])
        top = int(self.scroll_y)
        return top <= line < top + self.scrollable_content_region.height

    def action_next_match(self) -> None:
        self._move_match(True)

    def action_previous_match(self) -> None:
        self._move_match(False)
