"""The reader's annotation actions: tag, note, delete, undo and redo, the pane and filters.

A mixin of the app: it holds no domain logic of its own; every change goes through the
core's AnnotationStore, which re-reads the file under a lock, so nothing is overwritten.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.widgets import Static

from briefreader.core.anchoring import anchor
from briefreader.core.annotations import (
    AnnotationStore,
    Placed,
    make_annotation,
    now,
    resolve_annotator,
)
from briefreader.core.codebook import Codebook, load_codebook
from briefreader.core.corpus import Document
from briefreader.core.errors import BriefreaderError
from briefreader.core.models import INVERSE_RELATIONS, Annotation
from briefreader.tui.widgets.annotation_list import AnnotationList
from briefreader.tui.widgets.document_view import DocumentView, Mark
from briefreader.tui.widgets.library import Library

WIDE = 140  # columns from which the library and the annotation pane show together
POLL_INTERVAL = 2.0  # seconds between checks for annotation files changed on disk
RETRY_INTERVAL = 5.0  # seconds between attempts to save changes kept in memory


@dataclass(frozen=True)
class Change:
    """One annotation change, as undo and redo replay it: `before` None means it was added,
    `after` None means it was deleted."""

    doc_id: str
    before: Annotation | None
    after: Annotation | None


ANNOTATION_BINDINGS = [
    Binding("f", "toggle_tag('factual')", "Factual"),
    Binding("d", "toggle_tag('disputed')", "Disputed"),
    Binding("r", "toggle_tag('rhetorical')", "Rhetorical"),
    *(Binding(str(n), f"codebook_tag({n})", f"Tag {n}", show=False) for n in range(1, 10)),
    Binding("m", "note", "Note", show=False),
    Binding("x", "delete_annotation", "Delete", show=False),
    Binding("u", "undo", "Undo", show=False),
    Binding("ctrl+r", "redo", "Redo", show=False),
    Binding("a", "toggle_annotations", "Annotations", show=False),
    Binding("t", "filter_tag", "Filter", show=False),
    Binding("A", "filter_annotator", "Coder", show=False),
]


class AnnotationActions:
    """Mixed into the app; expects `workspace`, `view`, `query_one`, `notify` and
    `_document_shown` (an Event set once the first document is on screen)."""

    def setup_annotations(self, store: AnnotationStore) -> None:
        self.store = store
        self.codebook: Codebook = load_codebook(self.workspace.annotations_dir)
        self.annotator = ""  # resolved on the first annotation: it may ask git
        self.placed: list[Placed] = []
        self.tag_filter = ""
        self.annotator_filter = ""  # one coder's annotations only (comparing coders)
        self._undo: list[Change] = []
        self._redo: list[Change] = []
        self._stamp: tuple[int, int] | None = None
        self._library_hidden_for_pane = False
        self.unsaved: list[Change] = []  # changes that could not be written yet, oldest first
        for problem in self.codebook.problems:
            self.notify(str(problem), severity="warning", timeout=10)
        taken = {
            key
            for binding in (*self.BINDINGS, *DocumentView.BINDINGS)
            for key in binding.key.split(",")
        }
        for tag in self.codebook.tags[3:]:
            if tag.key and tag.key not in taken:
                self.bind(tag.key, f"toggle_tag('{tag.name}')", description=tag.name, show=False)
            elif tag.key:
                self.notify(
                    f"Codebook tag {tag.name}: key {tag.key!r} is a reader key; use "
                    "its number instead",
                    severity="warning",
                    timeout=10,
                )

    def annotation_styles(self) -> dict[str, Style]:
        """One style per tag: the theme's for the built-ins, the codebook's colour for others."""
        view = self.view
        styles = {}
        for tag in self.codebook.tags:
            if tag.color:
                try:
                    styles[tag.name] = Style(bgcolor=tag.color, color="black")
                    continue
                except Exception:  # an unknown colour name: fall back to the theme
                    pass
            name = tag.name if tag.name in ("factual", "disputed", "rhetorical") else "tag"
            styles[tag.name] = view.get_component_rich_style(f"document-view--{name}")
        return styles

    # -- showing ---------------------------------------------------------------------------

    def refresh_annotations(self) -> None:
        """Read the open document's annotations again and show them everywhere."""
        view: DocumentView = self.view
        document = view.document
        if document is None:
            return
        try:
            self.placed = self.store.place(document.id, document.text)
        except BriefreaderError as exc:
            self.placed = []
            self.notify(
                f"{exc}. Your changes to it are kept in memory until it is fixed.",
                severity="error",
                timeout=15,
            )
        self.placed = self._with_unsaved(document.id, document.text, self.placed)
        self._stamp = self._file_stamp(document.id)
        shown = [
            p
            for p in self.placed
            if (not self.tag_filter or p.annotation.tag == self.tag_filter)
            and (not self.annotator_filter or p.annotation.annotator == self.annotator_filter)
        ]
        styles = self.annotation_styles()
        view.tag_styles = styles
        view.set_marks(
            [
                Mark(p.anchor.start, p.anchor.end, p.annotation.tag, p.annotation.id)
                for p in shown
                if p.anchor.placed
            ]
        )
        pane = self.query_one(AnnotationList)
        pane.tag_styles = styles
        pane.show(shown)
        self.query_one(Library).set_counts(
            document.id, Counter(p.annotation.tag for p in self.placed), styles
        )

    def incoming_links(self, doc_id: str) -> dict[str, list[str]]:
        """The links other annotations make to this document's, by annotation id, as read
        from this end ("contradicted by …"). Reads every annotation file: call it off the UI."""
        titles = {info.id: info.title for info in self.corpus.documents}
        incoming: dict[str, list[str]] = {}
        for source, annotation, link in self.store.links_to(doc_id):
            label = INVERSE_RELATIONS.get(link.relation, link.relation)
            where = titles.get(source, source)
            incoming.setdefault(link.id, []).append(f"{label} {annotation.tag} in {where}")
        return incoming

    def show_incoming(self, doc_id: str, incoming: dict[str, list[str]]) -> None:
        document = self.view.document
        if document is not None and document.id == doc_id:
            pane = self.query_one(AnnotationList)
            pane.incoming = incoming
            pane.show(pane.items)

    def _with_unsaved(self, doc_id: str, text, placed: list[Placed]) -> list[Placed]:
        """What is on disk, with the changes that could not be saved yet laid over it."""
        for change in self.unsaved:
            if change.doc_id != doc_id:
                continue
            gone = (change.before or change.after).id
            placed = [p for p in placed if p.annotation.id != gone]
            if change.after is not None:
                placed.append(Placed(change.after, anchor(text.text, change.after.target)))
        return sorted(placed, key=lambda p: (p.anchor.start < 0, p.anchor.start, p.anchor.end))

    def retry_unsaved(self) -> None:
        """Try again to save the changes kept in memory, oldest first."""
        if not self.unsaved:
            return
        saved = 0
        while self.unsaved:
            change = self.unsaved[0]
            try:
                self.store.apply(change.doc_id, change.before, change.after)
            except BriefreaderError:
                break
            self.unsaved.pop(0)
            saved += 1
        if saved:
            left = f"; {len(self.unsaved)} still waiting" if self.unsaved else ""
            self.notify(f"Saved {saved} annotation changes kept in memory{left}", timeout=5)
            self.refresh_annotations()
            self.annotations_changed()
        self.show_unsaved()

    def rescue_unsaved(self) -> None:
        """Write the changes still unsaved beside the workspace (see AnnotationStore.rescue)."""
        docs = dict.fromkeys(change.doc_id for change in self.unsaved)
        for doc_id in docs:
            changes = [(c.before, c.after) for c in self.unsaved if c.doc_id == doc_id]
            try:
                self.store.rescue(doc_id, changes)
            except BriefreaderError:
                continue  # nowhere left to write: the session is ending regardless

    def show_unsaved(self) -> None:
        """A warning that stays up while changes are only in memory."""
        if not (found := self.query("#unsaved")):  # a timer's tick while the app shuts down
            return
        warning = found.first(Static)
        count = len(self.unsaved)
        warning.display = bool(count)
        if count:
            warning.update(
                f"⚠ {count} annotation change{'s' * (count != 1)} NOT saved "
                "(disk full, read-only or a broken file?): kept in memory, retrying"
            )

    def _file_stamp(self, doc_id: str) -> tuple[int, int] | None:
        try:
            stat = self.store.path_for(doc_id).stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def poll_annotation_file(self) -> None:
        """Pick up an annotation file changed by hand, by git or by another instance."""
        if not self.query(DocumentView):  # a tick while the app shuts down
            return
        document = self.view.document
        if document is not None and self._file_stamp(document.id) != self._stamp:
            self.refresh_annotations()

    @work(thread=True, group="counts", exit_on_error=False)
    def count_annotations(self) -> None:
        """Fill the library's per-tag counts (off the UI thread: it reads every file),
        after the annotations of renamed documents have followed them, and after the first
        document is shown: parsing a file of 1,000 annotations beside it delayed it 30 ms."""
        self._document_shown.wait()
        styles = self.annotation_styles()
        library = self.query_one(Library)
        for path in self.store.rescued():
            message = f"Changes rescued when the reader last had to quit: {path}; see `check`"
            self.call_from_thread(self.notify, message, severity="warning", timeout=20)
        try:
            for old, new in self.store.relink(self.corpus):
                message = f"{old} was renamed {new}: its annotations follow it"
                self.call_from_thread(self.notify, message, timeout=10)
        except BriefreaderError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=15)
        for doc_id in self.store.doc_ids():
            try:
                counts = Counter(a.tag for a in self.store.load(doc_id).annotations)
            except BriefreaderError as exc:
                self.call_from_thread(self.notify, str(exc), severity="error", timeout=15)
                continue
            self.call_from_thread(library.set_counts, doc_id, counts, styles)

    # -- changing --------------------------------------------------------------------------

    def _apply(self, change: Change, *, undoing: bool = False) -> bool:
        """Make the file agree with `change.after` (or with `before`, when undoing). A change
        that cannot be saved is kept in memory, shown, and saved as soon as it can be."""
        target = change.before if undoing else change.after
        other = change.after if undoing else change.before
        document = self.view.document
        text = document.text if document is not None and document.id == change.doc_id else None
        if self.unsaved:  # keep the order of changes: this one waits behind the others
            self.unsaved.append(Change(change.doc_id, other, target))
        else:
            try:
                conflict = self.store.apply(change.doc_id, other, target, text)
            except BriefreaderError as exc:
                self.unsaved.append(Change(change.doc_id, other, target))
                self.notify(str(exc), severity="error", timeout=15)
            else:
                if conflict:
                    self.notify(conflict, severity="warning", timeout=15)
        self.show_unsaved()
        self.refresh_annotations()
        self.annotations_changed()
        return True

    def _record(self, change: Change) -> None:
        if self._apply(change):
            self._undo.append(change)
            self._redo.clear()

    def _span(self) -> tuple[int, int] | None:
        view = self.view
        if view.selection is not None:
            return view.selection
        passage = view.passage
        return (passage.start, passage.end) if passage is not None else None

    def action_toggle_tag(self, tag: str) -> None:
        """Tag the selection (or the current passage); the same tag again removes it."""
        view = self.view
        span = self._span()
        if view.document is None or span is None:
            return
        if self.toggle_tag_on(view.document, span, tag, self.placed):
            view.clear_selection()

    def toggle_tag_on(
        self, document: Document, span: tuple[int, int], tag: str, placed: list[Placed]
    ) -> bool:
        """Tag `span` of any document (the reader's, or a pane of the split view), whose
        annotations are `placed`; the same tag there again removes it. True if tagged."""
        for item in placed:
            anchor = item.anchor
            if item.annotation.tag == tag and (anchor.start, anchor.end) == span:
                self._record(Change(document.id, item.annotation, None))
                self.notify(f"Removed {tag} (u to undo)", timeout=2)
                return False
        if not self.annotator:
            self.annotator = resolve_annotator(self.cli_annotator, self.workspace)
        try:
            annotation = make_annotation(document.text, *span, tag, self.annotator)
        except BriefreaderError as exc:
            self.notify(str(exc), severity="error")
            return False
        self._record(Change(document.id, None, annotation))
        return True

    def action_codebook_tag(self, number: int) -> None:
        tags = self.codebook.tags
        if number <= len(tags):
            self.action_toggle_tag(tags[number - 1].name)
        else:
            self.notify(f"No tag {number}: the codebook has {len(tags)}", timeout=3)

    def annotation_under_cursor(self) -> Placed | None:
        """The annotation a note or delete applies to: the pane's, if it has focus, else the
        one matching the selection, else the first on the current passage."""
        pane = self.query_one(AnnotationList)
        if pane.has_focus and pane.current is not None:
            return pane.current
        span = self._span()
        if span is None:
            return None
        exact = [p for p in self.placed if (p.anchor.start, p.anchor.end) == span]
        if exact:
            return exact[0]
        overlapping = [
            p
            for p in self.placed
            if p.anchor.placed and p.anchor.start < span[1] and p.anchor.end > span[0]
        ]
        return overlapping[0] if overlapping else None

    def action_note(self) -> None:
        from briefreader.tui.screens.note import NoteScreen  # TextArea loads when first wanted

        placed = self.annotation_under_cursor()
        if placed is None:
            self.notify("No annotation here: tag the passage first (f, d, r)", timeout=4)
            return
        annotation = placed.annotation
        doc_id = self.view.document.id

        def save(note: str | None) -> None:
            if note is None or note == annotation.note:
                return
            self._record(Change(doc_id, annotation, replace(annotation, note=note, updated=now())))

        quote = " ".join(annotation.target.quote.split())[:70]
        self.push_screen(NoteScreen(f"Note on {annotation.tag}: “{quote}”", annotation.note), save)

    def action_delete_annotation(self) -> None:
        placed = self.annotation_under_cursor()
        if placed is None:
            self.notify("No annotation here to delete", timeout=3)
            return
        self._record(Change(self.view.document.id, placed.annotation, None))
        linked = len(self.query_one(AnnotationList).incoming.get(placed.annotation.id, ()))
        if linked:  # their links now lead nowhere: say so while undo is one key away
            self.notify(
                f"Deleted {placed.annotation.tag}; {linked} link{'s' * (linked != 1)} from "
                "other annotations led to it and now lead nowhere (u to undo; check lists them)",
                severity="warning",
                timeout=8,
            )
        else:
            self.notify(f"Deleted {placed.annotation.tag} (u to undo)", timeout=3)

    def action_undo(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo", timeout=2)
            return
        change = self._undo.pop()
        if self._apply(change, undoing=True):
            self._redo.append(change)

    def action_redo(self) -> None:
        if not self._redo:
            self.notify("Nothing to redo", timeout=2)
            return
        change = self._redo.pop()
        if self._apply(change):
            self._undo.append(change)

    # -- pane and filter -------------------------------------------------------------------

    def action_toggle_annotations(self) -> None:
        pane = self.query_one(AnnotationList)
        library = self.query_one(Library)
        pane.display = not pane.display
        if pane.display:
            # three panes leave too little room for the text on a narrow terminal
            self._library_hidden_for_pane = library.display and self.size.width < WIDE
            if self._library_hidden_for_pane:
                library.display = False
            pane.focus()
        else:
            if self._library_hidden_for_pane:
                library.display = True
            self.view.focus()

    def on_annotation_list_chosen(self, event: AnnotationList.Chosen) -> None:
        anchor = event.placed.anchor
        if anchor.start >= 0:
            self.view.show_mark(
                Mark(
                    anchor.start,
                    anchor.end,
                    event.placed.annotation.tag,
                    event.placed.annotation.id,
                )
            )
            self.view.focus()
        else:
            self.notify(
                "This annotation is orphaned: its text is no longer in the document "
                "(its quote is kept in the file)",
                timeout=6,
            )

    def action_filter_tag(self) -> None:
        """Cycle the filter: all tags, then each tag in the codebook."""
        names = ["", *(tag.name for tag in self.codebook.tags)]
        self.tag_filter = (
            names[(names.index(self.tag_filter) + 1) % len(names)]
            if self.tag_filter in names
            else ""
        )
        self.refresh_annotations()
        self.notify(f"Showing {self.tag_filter or 'all'} annotations", timeout=2)

    def action_filter_annotator(self) -> None:
        """Cycle the coders whose annotations show: everyone's, then each one's."""
        names = ["", *sorted({p.annotation.annotator for p in self.placed})]
        at = names.index(self.annotator_filter) if self.annotator_filter in names else 0
        self.annotator_filter = names[(at + 1) % len(names)]
        self.refresh_annotations()
        who = f"{self.annotator_filter}'s" if self.annotator_filter else "everyone's"
        self.notify(f"Showing {who} annotations", timeout=2)
