"""The library pane: documents grouped by side, each expanding into its sections."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import groupby

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from briefreader.core.models import DocumentInfo, Section

TITLE_CHARS = 21


@dataclass(frozen=True, slots=True)
class Entry:
    doc_id: str
    section: Section | None = None


class Library(Tree[Entry]):
    """Choosing a document or a section posts `Chosen`; expanding an unread document posts
    `SectionsWanted` so the app can read it (off the UI thread) and call `set_sections`."""

    class Chosen(Message):
        def __init__(self, doc_id: str, section: Section | None) -> None:
            super().__init__()
            self.doc_id = doc_id
            self.section = section

    class SectionsWanted(Message):
        def __init__(self, doc_id: str) -> None:
            super().__init__()
            self.doc_id = doc_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Library"), id=id)  # a str is read as markup: rich's emoji too
        self.show_root = False
        self.guide_depth = 2
        self._documents: dict[str, TreeNode[Entry]] = {}
        self._infos: dict[str, DocumentInfo] = {}
        self._filled: set[str] = set()

    def set_documents(self, documents: tuple[DocumentInfo, ...]) -> None:
        """Group by side (sources with no side last), newest first within a side."""
        self.clear()
        self._documents.clear()
        self._filled.clear()
        self._infos = {info.id: info for info in documents}

        def side(info: DocumentInfo) -> str:
            return info.side or "\uffff"  # no side: last

        ordered = sorted(documents, key=lambda d: (side(d), _negated(d.date), d.title))
        for _side, group in groupby(ordered, key=side):
            infos = list(group)
            label = Text(info_side(infos[0]), style="bold")
            label.append(f"  {len(infos)}", style="dim")
            branch = self.root.add(label, expand=True)
            for info in infos:
                node = branch.add(self._label(info), data=Entry(info.id), allow_expand=True)
                self._documents[info.id] = node

    @staticmethod
    def _label(info: DocumentInfo) -> Text:
        # short enough that the date and the tag counts after it stay in view
        title = (
            info.title if len(info.title) <= TITLE_CHARS else info.title[: TITLE_CHARS - 1] + "…"
        )
        label = Text(title)
        if info.date:  # the start of a date range: the pane is narrow
            label.append(f"  {info.date.split('/')[0]}", style="dim")
        return label

    def set_counts(self, doc_id: str, counts: Counter[str], styles: dict[str, Style]) -> None:
        """Show how many annotations of each tag a document has."""
        node = self._documents.get(doc_id)
        if node is None or node.data is None:
            return
        label = self._label(self._infos[doc_id])
        for tag, count in sorted(counts.items()):
            label.append(" ")
            label.append(f"{tag[0]}{count}", style=styles.get(tag, Style(reverse=True)))
        node.set_label(label)

    def set_sections(self, doc_id: str, sections: tuple[Section, ...]) -> None:
        node = self._documents.get(doc_id)
        if node is None or doc_id in self._filled:
            return
        self._filled.add(doc_id)
        for section in sections:
            parent = node
            # nest level-2 headings under the level-1 heading above them
            if section.level > 1 and parent.children and parent.children[-1].data:
                last = parent.children[-1]
                if last.data.section and last.data.section.level < section.level:
                    parent = last
            parent.add(section.title, data=Entry(doc_id, section), allow_expand=False)
            if parent is not node:
                parent.allow_expand = True
        if not sections:
            node.allow_expand = False

    def select_document(self, doc_id: str) -> None:
        node = self._documents.get(doc_id)
        if node is not None:
            self.move_cursor(node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data.doc_id, event.node.data.section))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and entry.section is None and entry.doc_id not in self._filled:
            self.post_message(self.SectionsWanted(entry.doc_id))


def info_side(info: DocumentInfo) -> str:
    return info.side or "Other sources"


def _negated(date: str) -> tuple[int, ...]:
    """Sort key putting later dates first."""
    digits = [int(part) for part in date.replace("/", "-").split("-") if part.isdigit()]
    return tuple(-d for d in digits)
