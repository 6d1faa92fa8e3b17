"""Comparing narratives in the reader: counter-passages (`c`), the split view (`s`) and the
topic view (`T`). The work is the core's (briefreader.core.compare); these screens show it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from briefreader.core.compare import Counterpart, Counterparts, SideView, Topic
from briefreader.core.corpus import Document
from briefreader.core.errors import BriefreaderError
from briefreader.core.models import RELATIONS, Passage
from briefreader.rendering import counterpart_block, side_column
from briefreader.tui.failures import ReportsFailures
from briefreader.tui.widgets.footer import Footer


@dataclass(frozen=True)
class Opened:
    """What the reader does once a comparison screen closes."""

    item: Counterpart | None = None  # open this passage in the reader
    query: str = ""  # and highlight these words


def key_query(terms: tuple[str, ...]) -> str:
    """A search query for any of the key terms (which highlights them in a passage)."""
    return " OR ".join(f'"{term}"' for term in terms if '"' not in term)


class CounterScreen(ReportsFailures, Screen[Opened]):
    """The passages of other documents on what the current passage speaks of."""

    STATUS = "#counter-status"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("s", "side_by_side", "Side by side"),
        Binding("l", "link", "Link"),
    ]

    def __init__(self, title: str, find: Callable[[], Counterparts]) -> None:
        super().__init__()
        self._title = title
        self._find = find
        self.found: Counterparts | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="counter-box"):
            yield Static(self._title, id="counter-title")
            yield Static("Looking for counter-passages…", id="counter-status")
            yield OptionList(id="counters")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, name="The search for counter-passages")
    def _load(self) -> None:
        try:
            found = self._find()
        except BriefreaderError as exc:
            self.app.call_from_thread(self._status, str(exc))
            return
        self.app.call_from_thread(self._show, found)

    def _status(self, text: str | Text) -> None:
        self.query_one("#counter-status", Static).update(text)

    def _show(self, found: Counterparts) -> None:
        self.found = found
        for problem in found.problems:
            self.notify(f"Tags not shown: {problem}", severity="warning")
        options = self.query_one(OptionList)
        options.add_options(
            Option(counterpart_block(rank, item)) for rank, item in enumerate(found.passages, 1)
        )
        if found.passages:
            options.highlighted = 0
        status = Text("Key terms: ", style="dim")
        status.append(", ".join(found.terms) or "none", style="bold")
        others = sum(item.other_side for item in found.passages)
        status.append(
            f"   {len(found.passages)} passages, {others} from the other side first · "
            "enter: read it · s: side by side · l: link an annotation",
            style="dim",
        )
        self._status(status if found.passages else "No other document speaks of this.")

    @property
    def chosen(self) -> Counterpart | None:
        index = self.query_one(OptionList).highlighted
        if self.found is None or index is None or index >= len(self.found.passages):
            return None
        return self.found.passages[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.chosen is not None and self.found is not None:
            self.dismiss(Opened(self.chosen, key_query(self.found.terms)))

    def action_side_by_side(self) -> None:
        if self.chosen is not None:
            self.app.side_by_side(self.chosen, self.found.terms)

    def action_link(self) -> None:
        if self.chosen is not None:
            self.app.link_to(self.chosen)

    def action_close(self) -> None:
        self.dismiss(Opened())


@dataclass
class Pane:
    """One side of the split view: a passage of a document."""

    document: Document
    passage: Passage
    other_side: bool = False


class PaneView(VerticalScroll, can_focus=True):
    """A passage with its heading; the shared key terms highlighted."""

    def __init__(self, pane: Pane, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield Static(classes="pane-title")
        yield Static(classes="pane-tags")
        yield Static(self.pane.passage.text, classes="pane-text")

    def on_mount(self) -> None:
        info, passage = self.pane.document.info, self.pane.passage
        title = Text(info.title, style="bold")
        if passage.section is not None:  # its headings, less the one that is the title
            path = [part for part in passage.section.path if part != info.title]
            title.append("".join(f" › {part}" for part in path))
        title.append(f"  ¶{passage.number}", style="dim")
        title.append(f"\n{info.side or 'no side'} · {info.source} · {info.date_label}", style="dim")
        self.query_one(".pane-title", Static).update(title)

    def highlight(self, spans: list[tuple[int, int]]) -> None:
        text = Text(self.pane.passage.text)
        for start, end in spans:
            text.stylize("bold reverse", start, end)
        self.query_one(".pane-text", Static).update(text)

    def show_tags(self, tags: list[str]) -> None:
        line = Text("tags: ", style="dim")
        line.append(", ".join(tags) if tags else "none (f, d, r to tag)", style="italic")
        self.query_one(".pane-tags", Static).update(line)


class SideBySideScreen(ReportsFailures, Screen[None]):
    """Two passages next to each other, both taggable with the reader's keys."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("f", "tag('factual')", "Factual"),
        Binding("d", "tag('disputed')", "Disputed"),
        Binding("r", "tag('rhetorical')", "Rhetorical"),
        *(Binding(str(n), f"codebook_tag({n})", f"Tag {n}", show=False) for n in range(1, 10)),
        Binding("tab", "app.focus_next", "Other passage"),
    ]

    def __init__(self, left: Pane, right: Pane, query: str) -> None:
        super().__init__()
        self.panes = (left, right)
        self._query = query

    def compose(self) -> ComposeResult:
        with Horizontal(id="split"):
            for number, pane in enumerate(self.panes):
                yield PaneView(pane, id=f"pane-{number}")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pane-0").focus()
        self._refresh()

    @work(thread=True, exclusive=True, exit_on_error=False, name="Highlighting the shared words")
    def _refresh(self) -> None:
        """Highlight the shared words and show the tags on each passage (off the UI)."""
        texts = [pane.passage.text for pane in self.panes]
        try:
            spans = self.app.shared_spans(self._query, texts)
            tags = [self.app.tags_on(pane.document, pane.passage) for pane in self.panes]
        except BriefreaderError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        for number, view in enumerate(self.query(PaneView)):
            self.app.call_from_thread(view.highlight, spans[number])
            self.app.call_from_thread(view.show_tags, tags[number])

    @property
    def focused_pane(self) -> Pane:
        focused = self.focused
        return focused.pane if isinstance(focused, PaneView) else self.panes[0]

    def action_tag(self, tag: str) -> None:
        pane = self.focused_pane
        self.app.toggle_passage_tag(pane.document, pane.passage, tag)
        self._refresh()

    def action_codebook_tag(self, number: int) -> None:
        tags = self.app.codebook.tags
        if number <= len(tags):
            self.action_tag(tags[number - 1].name)

    def action_close(self) -> None:
        self.dismiss(None)


class TopicScreen(ReportsFailures, Screen[None]):
    """A query, and what each side's documents say about it, in columns."""

    STATUS = "#topic-status"
    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, find: Callable[[str], Topic], query: str = "") -> None:
        super().__init__()
        self._find = find
        self._query = query

    def compose(self) -> ComposeResult:
        with Vertical(id="topic-box"):
            yield Input(
                self._query,
                placeholder='A topic: Lachin, "Zangezur corridor", Khojaly, "peace agreement"…',
                id="topic-query",
            )
            yield Static(id="topic-status")
            yield Horizontal(id="topic-sides")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self._query:
            self._load(self._query)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._load(event.value)

    @work(thread=True, exclusive=True, exit_on_error=False, name="The topic search")
    def _load(self, query: str) -> None:
        try:
            found = self._find(query)
        except BriefreaderError as exc:
            self.app.call_from_thread(self._show, query, (), str(exc))
            return
        for problem in found.problems:
            self.app.call_from_thread(
                self.notify, f"Tags not counted: {problem}", severity="warning"
            )
        self.app.call_from_thread(self._show, query, found.sides, "")

    async def _show(self, query: str, views: tuple[SideView, ...], error: str) -> None:
        sides = self.query_one("#topic-sides", Horizontal)
        await sides.remove_children()
        status = self.query_one("#topic-status", Static)
        status.set_class(bool(error), "-error")
        if error or not views:
            status.update(error or f"No passage matches {query!r}.")
            return
        status.update(f"{sum(v.total for v in views)} passages match {query!r}.")
        await sides.mount_all(
            VerticalScroll(Static(side_column(view)), classes="topic-side") for view in views
        )

    def action_close(self) -> None:
        self.dismiss(None)


class RelationScreen(ModalScreen[str | None]):
    """Which relation a link states: contradicts, supports, same event."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="relation-box"):
            yield Static(self._question, id="relation-title")
            yield OptionList(*(Option(name, id=name) for name in RELATIONS), id="relations")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
