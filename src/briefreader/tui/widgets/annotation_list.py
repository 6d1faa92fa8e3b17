"""The annotation pane: the open document's annotations in reading order."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from briefreader.core.annotations import Placed

QUOTE_CHARS = 90


class AnnotationList(OptionList):
    class Chosen(Message):
        def __init__(self, placed: Placed) -> None:
            super().__init__()
            self.placed = placed

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[Placed] = []
        self._stale = False  # items changed while the pane was hidden
        self.incoming: dict[str, list[str]] = {}  # annotation id -> links made to it, as read
        self.titles: dict[str, str] = {}  # document id -> title, to name the other end
        self.tag_styles: dict[str, Style] = {}

    def show(self, items: list[Placed]) -> None:
        """Show these annotations; while the pane is hidden, only note them: a document
        with a thousand annotations would otherwise make every tag wait for a thousand
        entries nobody sees."""
        self.items = items
        self.border_title = f"Annotations {len(items)}"
        self._stale = not self.display
        if not self._stale:
            self._fill()

    def on_show(self) -> None:
        if self._stale:
            self._stale = False
            self._fill()

    def _fill(self) -> None:
        highlighted = self.highlighted
        items = self.items
        self.clear_options()
        self.add_options(Option(self._prompt(item), id=item.annotation.id) for item in items)
        if items:
            self.highlighted = min(highlighted or 0, len(items) - 1)

    def _prompt(self, item: Placed) -> Text:
        a = item.annotation
        text = Text(f" {a.tag} ", style=self.tag_styles.get(a.tag, Style(reverse=True)))
        if not item.anchor.placed:
            text.append(f" {item.anchor.state}", style="bold")
        text.append(f"  {a.annotator}\n", style="dim")
        quote = " ".join(a.target.quote.split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        text.append(f"“{quote}”")
        if a.note:
            text.append("\n" + a.note.strip(), style="italic")
        for link in a.links:
            where = self.titles.get(link.doc, link.doc)
            text.append(f"\n→ {link.relation} ", style="bold")
            text.append(f"{where} #{link.id}", style="italic")
        for label in self.incoming.get(a.id, ()):
            text.append(f"\n← {label}", style="bold")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.items[event.option_index]))

    def select_id(self, annotation_id: str) -> None:
        for i, item in enumerate(self.items):
            if item.annotation.id == annotation_id:
                self.highlighted = i
                return

    @property
    def current(self) -> Placed | None:
        index = self.highlighted
        return self.items[index] if index is not None and index < len(self.items) else None
