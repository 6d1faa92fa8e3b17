"""What every command shares: the consoles, user errors, common options, progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from briefreader.core.errors import Problem, WorkspaceError
from briefreader.core.models import Hit
from briefreader.core.workspace import Workspace, resolve

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Failure(click.ClickException):
    """A user error: one line on stderr, exit status 1, no traceback."""

    def show(self, file=None) -> None:
        err.print(Text(f"briefreader: error: {self.message}", style="red"))


workspace_option = click.option(
    "-w",
    "--workspace",
    "workspace_path",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BRIEFREADER_WORKSPACE",
    help="Workspace folder (holds corpus/). Default: the current folder if it has corpus/, "
    "else the bundled sample.",
)


annotator_option = click.option(
    "--annotator",
    help="Who annotates. Default: $BRIEFREADER_ANNOTATOR, else git user.name, else the OS user.",
)


def resolve_workspace(path: Path | None, positional: Path | None = None) -> Workspace:
    if path is not None and positional is not None and path != positional:
        raise Failure("give the workspace once, either as an argument or with --workspace")
    return resolve(positional or path)


@contextmanager
def progress_bar(label: str) -> Iterator:
    """A rich progress bar on stderr (shown only on a terminal), fed by the core's callback."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None, item="")

        def update(done: int, total: int, item: str) -> None:
            bar.update(task, completed=done, total=total, item=item)

        yield update


def updated_index(ws: Workspace, *, rebuild: bool = False, quiet: bool = False):
    from briefreader.core.corpus import NO_DOCUMENTS, Corpus
    from briefreader.core.index import SearchIndex  # whoosh loads only for commands that search

    index = SearchIndex(Corpus(ws))
    if not index.corpus.documents:  # else every query would quietly match nothing
        raise WorkspaceError(NO_DOCUMENTS, ws.corpus_dir)
    if not rebuild and index.is_current():
        return index, None
    with progress_bar("Indexing") as progress:
        report = index.update(rebuild=rebuild, progress=progress)
    if report.rebuilt and not quiet:
        err.print(f"briefreader: {report.rebuilt}", style="yellow")
    for problem in report.problems:
        err.print(Text(f"briefreader: skipped {problem}", style="yellow"))
    return index, report


def report_skipped(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(Text(f"briefreader: skipped {problem}", style="yellow"))


def hit_json(hit: Hit) -> dict:
    """A passage found, as every command's JSON names it."""
    return {
        "doc": hit.doc_id,
        "title": hit.title,
        "passage": hit.passage,
        "section": hit.section,
        "score": hit.score,
        "snippet": hit.snippet.text,
    }
