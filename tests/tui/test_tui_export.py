"""Export and statistics in the reader (issue 5, Deliver 1 and 4): the export dialog (`e` and
the palette) writes the file and says how many annotations it holds; the statistics screen
(`S` and the palette) shows the counts per tag."""

from __future__ import annotations

import csv
import io
import json

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, OptionList, ProgressBar, Select

from briefreader.core.annotations import AnnotationStore, make_annotation, span_in_passage
from briefreader.core.corpus import Corpus
from briefreader.core.export import CSV_COLUMNS
from briefreader.core.index import SearchIndex
from briefreader.core.workspace import Workspace
from briefreader.tui.screens.export import ExportScreen
from briefreader.tui.screens.stats import StatsScreen

AIR_JAN = "air-center-bulletin-2025-01.txt"
TATIKYAN = "tatikyan-azerbaijan-obstruction-of-peace-process.txt"
SIZE = (160, 40)
# (document, passage, tag, annotator): four annotations, a codebook tag among them
CODING = (
    (AIR_JAN, 1, "factual", "alice"),
    (AIR_JAN, 4, "rhetorical", "bob"),
    (TATIKYAN, 3, "disputed", "alice"),
    (TATIKYAN, 17, "framing", "bob"),
)


@pytest.fixture
def coded(tui_workspace: Workspace) -> Workspace:
    """The reader's workspace with a few annotations and an up-to-date index."""
    ws = tui_workspace
    ws.annotations_dir.mkdir()
    (ws.annotations_dir / "codebook.yaml").write_text("tags:\n  - name: framing\n    key: x\n")
    corpus, store = Corpus(ws), AnnotationStore(ws)
    for doc, passage, tag, who in CODING:
        text = corpus.load(doc).text
        span = span_in_passage(text, passage, None)
        store.add(doc, make_annotation(text, *span, tag, who, note=f"{tag} note"))
    index = SearchIndex(Corpus(ws))
    index.update()
    assert index.is_current()
    index.close()
    return ws


class Notices:
    """Every notification the app shows once `watch` is called, as (message, severity)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def watch(self, app) -> None:
        notify = app.notify

        def record(message, *args, **kwargs):
            self.seen.append((str(message), kwargs.get("severity", "information")))
            return notify(message, *args, **kwargs)

        app.notify = record

    def any(self, fragment: str, severity: str | None = None) -> bool:
        return any(fragment in m and severity in (None, s) for m, s in self.seen)


async def open_export(tui, pilot, app) -> ExportScreen:
    await pilot.press("e")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
    await tui.settle(pilot)
    return app.screen


async def choose_in_palette(tui, pilot, app, text: str, expect: str) -> None:
    await pilot.press("ctrl+p")
    await tui.wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    options = app.screen.query_one(OptionList)
    await pilot.press(*text)

    def highlighted() -> bool:
        index = options.highlighted
        return index is not None and expect in str(options.get_option_at_index(index).prompt)

    await tui.wait_for(pilot, highlighted, f"{expect!r} in the palette")
    await pilot.press("enter")


async def export_via_dialog(tui, pilot, app, fmt: str, path: str, tags: str = "") -> None:
    """In the open export dialog: choose the format with its Select, give the file (and the
    tags), press Export, and wait for the dialog to close."""
    dialog = app.screen
    assert isinstance(dialog, ExportScreen)
    select = dialog.query_one("#export-format", Select)
    assert select.value == "md"
    select.value = fmt
    path_input = dialog.query_one("#export-path", Input)
    await tui.wait_for(pilot, lambda: path_input.value.endswith(f".{fmt}"), f"the .{fmt} suffix")
    path_input.value = path
    dialog.query_one("#export-tags", Input).value = tags
    await pilot.click("#export-go")
    await tui.wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen), "the dialog closed")


def test_e_exports_csv_to_the_chosen_file_and_says_how_many(tui, coded, tmp_path):
    target = tmp_path / "exports" / "coding.csv"
    target.parent.mkdir()
    notices = Notices()

    async def scenario(app, pilot):
        notices.watch(app)
        await open_export(tui, pilot, app)
        await export_via_dialog(tui, pilot, app, "csv", str(target))
        await tui.wait_for(pilot, lambda: notices.any("Wrote"), "the notice")
        await tui.wait_for(pilot, lambda: not app.query(ProgressBar), "the progress bar gone")

    tui.run(scenario, size=SIZE)
    assert (f"Wrote {len(CODING)} annotations to {target}", "information") in notices.seen
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert sorted((r["document"], r["tag"], r["annotator"]) for r in rows) == sorted(
        (doc, tag, who) for doc, _, tag, who in CODING
    )


def test_the_dialog_filters_by_tag_and_a_relative_path_lands_in_the_workspace(tui, coded):
    notices = Notices()

    async def scenario(app, pilot):
        notices.watch(app)
        await open_export(tui, pilot, app)
        await export_via_dialog(tui, pilot, app, "json", "out.json", tags="framing, disputed")
        await tui.wait_for(pilot, lambda: notices.any("Wrote"), "the notice")

    tui.run(scenario, size=SIZE)
    target = coded.root / "out.json"
    assert (f"Wrote 2 annotations to {target}", "information") in notices.seen
    data = json.loads(target.read_text(encoding="utf-8"))
    tags = sorted(item["body"][0]["value"] for item in data["first"]["items"])
    assert tags == ["disputed", "framing"]


def test_an_export_into_a_missing_folder_fails_with_a_notice(tui, coded, tmp_path):
    notices = Notices()
    target = tmp_path / "missing" / "coding.md"

    async def scenario(app, pilot):
        notices.watch(app)
        await open_export(tui, pilot, app)
        await export_via_dialog(tui, pilot, app, "html", str(target.with_suffix(".html")))
        await tui.wait_for(pilot, lambda: notices.any("Export failed", "error"), "the error")

    tui.run(scenario, size=SIZE)
    assert notices.any("no such folder", "error")
    assert not target.parent.exists()


async def wait_for_stats(tui, pilot, app, what: str) -> None:
    await tui.wait_for(pilot, lambda: isinstance(app.screen, StatsScreen), "the statistics")
    await tui.wait_for(pilot, lambda: what in tui.screen_text(app), f"{what!r} in the table")
    await tui.settle(pilot)


def table_row(text: str, name: str) -> list[str]:
    """The cells after the first of the statistics table's row for `name` (long document ids
    are cut short with an ellipsis)."""
    for line in text.splitlines():
        cells = line.replace("│", " ").split()
        if cells and (
            cells[0] == name or (cells[0].endswith("…") and name.startswith(cells[0][:-1]))
        ):
            return cells[1:]
    raise AssertionError(f"no row for {name} in\n{text}")


def test_S_shows_the_statistics_table(tui, coded):
    screens: list[str] = []

    async def scenario(app, pilot):
        await pilot.press("S")
        await wait_for_stats(tui, pilot, app, "framing")
        screens.append(tui.screen_text(app))
        select = app.screen.query_one("#stats-by", Select)
        select.value = "annotator"
        await wait_for_stats(tui, pilot, app, "alice")
        screens.append(tui.screen_text(app))
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, StatsScreen), "closed")

    tui.run(scenario, size=SIZE)
    by_doc, by_annotator = screens
    header = next(line.split() for line in by_doc.splitlines() if "factual" in line)
    tags = [cell for cell in header if cell in ("factual", "disputed", "rhetorical", "framing")]
    assert tags == ["factual", "disputed", "rhetorical", "framing"]
    assert table_row(by_doc, AIR_JAN)[:5] == ["1", "0", "1", "0", "2"]
    assert table_row(by_doc, TATIKYAN)[:5] == ["0", "1", "0", "1", "2"]
    assert table_row(by_doc, "all")[:6] == ["1", "1", "1", "1", "4", "4/538"]
    assert table_row(by_annotator, "alice")[:5] == ["1", "1", "0", "0", "2"]
    assert table_row(by_annotator, "bob")[:5] == ["0", "0", "1", "1", "2"]


def test_the_statistics_screen_draws_bars_on_a_wide_terminal(tui, coded):
    screens: list[str] = []

    async def scenario(app, pilot):
        await pilot.press("S")
        await wait_for_stats(tui, pilot, app, "framing")
        screens.append(tui.screen_text(app))

    tui.run(scenario, size=(220, 40))
    assert "█" in screens[0]


def test_the_palette_offers_export_and_statistics_and_escape_cancels(tui, coded):
    notices = Notices()

    async def scenario(app, pilot):
        notices.watch(app)
        await choose_in_palette(tui, pilot, app, "expor", "Export annotations")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "the dialog")
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen), "closed")
        await choose_in_palette(tui, pilot, app, "statis", "Statistics")
        await wait_for_stats(tui, pilot, app, "framing")

    tui.run(scenario, size=SIZE)
    assert notices.seen == []  # cancelled: nothing exported, nothing to say
    assert not (coded.root / "annotations.md").exists()
