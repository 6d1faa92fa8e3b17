"""The export dialog: format, filters and destination of an export of annotated excerpts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from briefreader.core.export import FORMATS

FORMAT_NAMES = {
    "md": "Markdown report",
    "csv": "CSV spreadsheet",
    "json": "W3C Web Annotations (JSON-LD)",
    "html": "HTML page",
}


@dataclass(frozen=True)
class ExportRequest:
    fmt: str
    path: Path
    tags: tuple[str, ...]
    only_document: bool
    query: str
    group_by: str


class ExportScreen(ModalScreen[ExportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path, document_title: str | None) -> None:
        super().__init__()
        self._folder = folder
        self._document_title = document_title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="export-box"):
            yield Label("Export annotated excerpts", id="export-title")
            yield Label("Format")
            yield Select(
                [(FORMAT_NAMES[f], f) for f in FORMATS],
                value="md",
                allow_blank=False,
                id="export-format",
                compact=True,
            )
            yield Label("Save to")
            yield Input(str(self._folder / "annotations.md"), id="export-path", compact=True)
            yield Label("Only these tags (comma separated; empty: all)")
            yield Input(placeholder="disputed, rhetorical", id="export-tags", compact=True)
            yield Label("Only annotations on passages matching this search (optional)")
            yield Input(placeholder="corridor AND side:armenia", id="export-query", compact=True)
            if self._document_title:
                yield Checkbox(f"Only “{self._document_title}”", id="export-document", compact=True)
            yield Checkbox(
                "Group by tag (else by document and section)", id="export-by-tag", compact=True
            )
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value)
        path_input.value = str(path.with_suffix(f".{event.value}"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-go":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self) -> None:
        self._submit()

    def _submit(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        if not path.name:
            self.notify("Give a file to save to", severity="error")
            return
        tags = self.query_one("#export-tags", Input).value
        only = self.query("#export-document")
        self.dismiss(
            ExportRequest(
                fmt=str(self.query_one("#export-format", Select).value),
                path=path if path.is_absolute() else self._folder / path,
                tags=tuple(t.strip() for t in tags.split(",") if t.strip()),
                only_document=bool(only) and only.first(Checkbox).value,
                query=self.query_one("#export-query", Input).value.strip(),
                group_by="tag" if self.query_one("#export-by-tag", Checkbox).value else "doc",
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
