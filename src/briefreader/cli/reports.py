"""Commands that report on annotations: `export` and `stats`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from briefreader.cli.common import (
    err,
    out,
    progress_bar,
    report_skipped,
    resolve_workspace,
    updated_index,
    workspace_option,
)
from briefreader.core.annotations import AnnotationStore
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus
from briefreader.core.excerpts import Filters, collect
from briefreader.core.export import FORMATS, build_export, write_export
from briefreader.core.stats import GROUPINGS, summarize
from briefreader.core.workspace import Workspace
from briefreader.rendering import stats_table


def _filters(ws: Workspace, corpus: Corpus, options: dict) -> Filters:
    filters = Filters(
        tags=options["tag"],
        docs=tuple(corpus.find(d).id for d in options["doc"]),
        sides=options["side"],
        publishers=options["publisher"],
        annotators=options["annotator"],
        since=options["since"] or "",
        until=options["until"] or "",
        orphaned=options["orphaned"],
    )
    if options["query"]:
        search_index, _ = updated_index(ws, quiet=True)
        filters.passages = search_index.passages(options["query"])
    return filters


def filter_options(command):
    """The filters shared by `export` and `stats`."""
    options = [
        click.option("-t", "--tag", multiple=True, help="Only this tag (repeatable)."),
        click.option("-d", "--doc", multiple=True, help="Only this document (repeatable)."),
        click.option("--side", multiple=True, help="Only documents of this side."),
        click.option("--publisher", multiple=True, help="Only this publisher or author (part)."),
        click.option("--annotator", multiple=True, help="Only this annotator's (repeatable)."),
        click.option("--since", help="Only documents dated from this ISO date (2025, 2025-02)."),
        click.option("--until", help="Only documents dated up to this ISO date."),
        click.option(
            "--orphaned/--placed",
            default=None,
            help="Only annotations whose text is gone / only those still in place.",
        ),
        click.option("-q", "--query", help="Only annotations on passages matching this search."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="md",
    show_default=True,
    help="md: a report; csv: a spreadsheet; json: W3C Web Annotations; html: a web page.",
)
@filter_options
@click.option(
    "--group-by",
    type=click.Choice(["doc", "tag"]),
    default="doc",
    show_default=True,
    help="Group md and html reports by document (then section) or by tag.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced atomically). Default: stdout.",
)
@workspace_option
def export(
    fmt: str, group_by: str, output: Path | None, workspace_path: Path | None, **options
) -> None:
    """Export annotated excerpts with their citations.

    \b
    Examples:
      briefreader export -f md -o report.md
      briefreader export -f csv --tag disputed --side armenia -o disputed.csv
      briefreader export -f json --query 'corridor AND tag:disputed' > corridor.jsonld
      briefreader export -f html --group-by tag --since 2025 -o coding.html
    """
    ws = resolve_workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    filters = _filters(ws, corpus, options)
    with progress_bar("Exporting") as progress:
        text, collection = build_export(corpus, store, filters, fmt, group_by, progress)
    report_skipped(collection.problems)
    if not collection.excerpts:
        err.print("No annotations match; the export is empty.", style="yellow")
    if output is None:
        click.echo(text, nl=False)
        return
    write_export(output, text)
    err.print(f"Wrote {len(collection.excerpts)} annotations to {output}.")


def _codebook_tags(ws: Workspace) -> list[str]:
    return [tag.name for tag in load_codebook(ws.annotations_dir).tags]


@click.command()
@click.option(
    "--by",
    type=click.Choice(GROUPINGS),
    default="doc",
    show_default=True,
    help="Group the counts by document, side, publisher or annotator.",
)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@workspace_option
def stats(by: str, as_json: bool, workspace_path: Path | None, **options) -> None:
    """Count annotations per tag and group, with the share of passages annotated.

    \b
    Examples:
      briefreader stats
      briefreader stats --by side
      briefreader stats --by annotator --json
    """
    ws = resolve_workspace(workspace_path)
    corpus = Corpus(ws)
    filters = _filters(ws, corpus, options)
    with progress_bar("Counting") as progress:
        collection = collect(corpus, AnnotationStore(ws), filters, progress)
    report_skipped(collection.problems)
    summary = summarize(corpus, collection.excerpts, by, tuple(_codebook_tags(ws)))
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        return
    out.print(stats_table(summary, out.width))
