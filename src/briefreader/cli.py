"""The `briefreader` command: a thin layer that parses options, calls the core, prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from briefreader import __version__
from briefreader.core.anchoring import ORPHAN
from briefreader.core.annotations import (
    AnnotationStore,
    Placed,
    make_annotation,
    resolve_annotator,
    span_in_passage,
)
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus, decode, read_bytes
from briefreader.core.errors import BriefreaderError, DocumentError, Problem
from briefreader.core.excerpts import Filters, collect
from briefreader.core.export import FORMATS, build_export, write_export
from briefreader.core.models import Annotation, BlockKind, SearchResults
from briefreader.core.stats import GROUPINGS, summarize
from briefreader.core.webanno import from_json, import_annotations
from briefreader.core.workspace import Workspace, resolve
from briefreader.rendering import hit_text, stats_table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Failure(click.ClickException):
    """A user error: one line on stderr, exit status 1, no traceback."""

    def show(self, file=None) -> None:
        err.print(Text(f"briefreader: error: {self.message}", style="red"))


class BriefreaderGroup(click.Group):
    """`briefreader [WORKSPACE]` opens the reader; every other first word is a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first not in {*self.commands, "--help", "-h", "--version"}:
            args = ["open", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefreaderError as exc:
            raise Failure(str(exc)) from None


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


def _workspace(path: Path | None, positional: Path | None = None) -> Workspace:
    if path is not None and positional is not None and path != positional:
        raise Failure("give the workspace once, either as an argument or with --workspace")
    return resolve(positional or path)


@click.group(
    cls=BriefreaderGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `briefreader COMMAND --help` for the options and an example of each command.",
)
@click.version_option(__version__, prog_name="briefreader")
def cli() -> None:
    """Read, search and annotate a corpus of political briefs.

    With no command, opens the reader on a workspace: the folder given, else the current
    folder if it has a corpus/, else the bundled sample corpus.

    \b
    Examples:
      briefreader                        open the reader
      briefreader ~/briefs               open the workspace ~/briefs
      briefreader search '"Zangezur corridor" side:armenia'
      briefreader read tatikyan
    """


@cli.command("open", hidden=True)
@click.argument("workspace", required=False, type=click.Path(path_type=Path))
@workspace_option
@annotator_option
def open_reader(workspace: Path | None, workspace_path: Path | None, annotator: str | None) -> None:
    """Open the reader (the default command)."""
    ws = _workspace(workspace_path, workspace)
    from briefreader.tui.app import run  # Textual loads only when the reader is wanted

    run(ws, annotator)


@contextmanager
def _progress(label: str) -> Iterator:
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


def _updated_index(ws: Workspace, *, rebuild: bool = False, quiet: bool = False):
    from briefreader.core.index import SearchIndex

    index = SearchIndex(Corpus(ws))
    if not rebuild and index.is_current():
        return index, None
    with _progress("Indexing") as progress:
        report = index.update(rebuild=rebuild, progress=progress)
    if report.rebuilt and not quiet:
        err.print(f"briefreader: {report.rebuilt}", style="yellow")
    for problem in report.problems:
        err.print(Text(f"briefreader: skipped {problem}", style="yellow"))
    return index, report


@cli.command()
@click.argument("workspace", required=False, type=click.Path(path_type=Path))
@workspace_option
@click.option("--rebuild", is_flag=True, help="Throw the index away and build it again.")
def index(workspace: Path | None, workspace_path: Path | None, rebuild: bool) -> None:
    """Build or update the search index of a workspace.

    Only documents whose content changed are indexed again; the index lives in
    .briefreader/index and can be deleted at any time.

    \b
    Example:
      briefreader index ~/briefs --rebuild
    """
    ws = _workspace(workspace_path, workspace)
    search_index, report = _updated_index(ws, rebuild=rebuild)
    if report is None:
        count = len(search_index.corpus.documents)
        out.print(f"The index of {ws.root} is up to date ({count} documents).")
    else:
        out.print(f"Indexed {ws.root}: {report.summary}.")


@cli.command()
@click.argument("query")
@workspace_option
@click.option("-n", "--limit", default=20, show_default=True, help="Show at most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(query: str, workspace_path: Path | None, limit: int, as_json: bool) -> None:
    """Search the corpus; print the best passages with the matched words highlighted.

    QUERY uses Whoosh's query language: words (all must match), "a phrase", AND / OR / NOT,
    (grouping), word~ for fuzzy spelling, prefix* for word starts, and fields: title:,
    doc:, section:, publisher: (or author:), date:, side:, kind:, tag:, note:.

    \b
    Examples:
      briefreader search Khojaly
      briefreader search '"Zangezur corridor" OR Lachin'
      briefreader search 'side:armenia negotiaton~' --limit 5
      briefreader search 'date:2025 title:bulletin sanctions' --json
    """
    if limit < 1:
        raise Failure("--limit must be at least 1")
    search_index, _ = _updated_index(_workspace(workspace_path), quiet=as_json)
    results = search_index.search(query, limit=limit)
    if as_json:
        click.echo(json.dumps(_results_json(results), ensure_ascii=False, indent=2))
    else:
        _print_results(results)


def _results_json(results: SearchResults) -> dict:
    return {
        "query": results.query,
        "total": results.total,
        "hits": [
            {
                "doc": hit.doc_id,
                "title": hit.title,
                "passage": hit.passage,
                "section": hit.section,
                "score": hit.score,
                "start": hit.start,
                "end": hit.end,
                "snippet": hit.snippet.text,
                "matches": [list(span) for span in hit.snippet.matches],
            }
            for hit in results.hits
        ],
    }


def _print_results(results: SearchResults) -> None:
    if not results.hits:
        err.print(f"No passage matches {results.query!r}.")
        return
    for rank, hit in enumerate(results.hits, 1):
        out.print(hit_text(rank, hit))
    shown = len(results.hits)
    more = f"; showing the best {shown} (use --limit)" if results.total > shown else ""
    matches = "1 passage matches" if results.total == 1 else f"{results.total} passages match"
    err.print(f"{matches}{more}.", style="dim")


@cli.command()
@click.argument("doc")
@workspace_option
@click.option("--raw", is_flag=True, help="Print the file as it is, not the normalised text.")
@click.option("-p", "--passage", type=int, help="Print only this passage.")
@click.option(
    "--numbers/--no-numbers",
    default=None,
    help="Number the passages (the default on a terminal).",
)
def read(
    doc: str, workspace_path: Path | None, raw: bool, passage: int | None, numbers: bool | None
) -> None:
    """Print a document's normalised text: headings and paragraphs, one blank line apart.

    DOC is a document id (its path in corpus/), or any unique part of its id or title.

    \b
    Examples:
      briefreader read baku-dialogues-vol6-no2-winter-2022-2023.txt | less
      briefreader read tatikyan --passage 3
      briefreader read "AIR Center Bulletin, January" --raw
    """
    corpus = Corpus(_workspace(workspace_path))
    info = corpus.find(doc)
    if raw:
        text, _ = decode(read_bytes(info.path), info.path)
        click.echo(text, nl=False)
        return
    document = corpus.load(info)
    if passage is not None:
        try:
            click.echo(document.text.passage(passage).text)
        except IndexError as exc:
            raise DocumentError(str(exc), info.path) from None
        return
    if numbers is None:
        numbers = out.is_terminal
    if not numbers and not out.is_terminal:
        click.echo(document.text.text)
        return
    number = 0
    for block in document.text.blocks:
        if block.kind is BlockKind.HEADING:
            out.print(Text(block.text, style="bold underline" if block.level == 1 else "bold"))
        else:
            number += 1
            style = {BlockKind.BIO: "dim", BlockKind.QUOTE: "italic"}.get(block.kind, "")
            label = f"¶{number:<4} " if numbers else ""
            out.print(Text(label, style="dim") + Text(block.text, style=style))
        out.print()


@cli.command()
@click.argument("doc")
@click.argument("passage", type=int)
@click.option("-t", "--tag", required=True, help="factual, disputed, rhetorical or a codebook tag.")
@click.option("--note", default="", help="A note (memo) on the annotation.")
@click.option("--quote", help="Narrow the annotation to this exact text inside the passage.")
@annotator_option
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the new annotation as JSON.")
def annotate(
    doc: str,
    passage: int,
    tag: str,
    note: str,
    quote: str | None,
    annotator: str | None,
    workspace_path: Path | None,
    as_json: bool,
) -> None:
    """Tag passage PASSAGE of DOC (numbers as `read` and `search` show them).

    \b
    Examples:
      briefreader annotate tatikyan 3 --tag disputed --note "OSCE gives another figure"
      briefreader annotate baku 38 -t rhetorical --quote "what Baku calls the Zangezur Corridor"
    """
    ws = _workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    tags = load_codebook(ws.annotations_dir).names
    if tag not in tags:
        raise Failure(f"unknown tag {tag!r}; use one of {', '.join(sorted(tags))}")
    document = corpus.load(doc)
    start, end = span_in_passage(document.text, passage, quote)
    who = resolve_annotator(annotator, ws)
    annotation = store.add(document.id, make_annotation(document.text, start, end, tag, who, note))
    if as_json:
        click.echo(json.dumps(_annotation_json(document.id, annotation), ensure_ascii=False))
    else:
        out.print(
            f"Tagged {document.id} ¶{passage} as {tag} ({annotation.id}); "
            f"saved to {store.path_for(document.id)}"
        )


def _annotation_json(doc_id: str, annotation: Annotation, state: str = "anchored") -> dict:
    target = annotation.target
    return {
        "doc": doc_id,
        "id": annotation.id,
        "tag": annotation.tag,
        "note": annotation.note,
        "annotator": annotation.annotator,
        "created": annotation.created,
        "updated": annotation.updated,
        "state": state,
        "quote": target.quote,
        "start": target.start,
        "end": target.end,
    }


@cli.command("annotations")
@click.option("-t", "--tag", help="Only this tag.")
@click.option("-d", "--doc", "doc", help="Only this document (id or a unique part of it).")
@click.option("--annotator", help="Only this annotator's.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def list_annotations(
    tag: str | None,
    doc: str | None,
    annotator: str | None,
    workspace_path: Path | None,
    as_json: bool,
) -> None:
    """List annotations in reading order, with where each lies now in its document.

    Orphaned annotations (their text is gone) and those whose new place needs review
    are listed with their original quote.

    \b
    Examples:
      briefreader annotations --tag disputed
      briefreader annotations --doc tatikyan --json
    """
    ws = _workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    doc_ids = [corpus.find(doc).id] if doc else store.doc_ids()
    rows = []
    for doc_id in doc_ids:
        try:
            text = corpus.load(doc_id).text
        except DocumentError:
            text = None
        loaded = store.place(doc_id, text) if text else _unplaced(store, doc_id)
        for placed in loaded:
            a = placed.annotation
            if (tag and a.tag != tag) or (annotator and a.annotator != annotator):
                continue
            rows.append((doc_id, placed, text))
    if as_json:
        items = [_annotation_json(d, p.annotation, str(p.anchor.state)) for d, p, _ in rows]
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not rows:
        err.print("No annotations match.")
        return
    for doc_id, placed, text in rows:
        a = placed.annotation
        where = ""
        if text is not None and placed.anchor.placed:
            passage = text.passage_at(placed.anchor.start)
            where = f"#{passage.number}" if passage else ""
        line = Text(f"{doc_id}{where}  ", style="dim")
        line.append(a.tag, style="bold")
        if not placed.anchor.placed:
            line.append(f"  [{placed.anchor.state}]", style="yellow")
        line.append(f"  {a.annotator}  {a.id}", style="dim")
        out.print(line)
        quote = a.target.quote if len(a.target.quote) <= 200 else a.target.quote[:199] + "…"
        out.print(Text(f"    “{quote}”"))
        if a.note:
            out.print(Text("    " + a.note.strip().replace("\n", "\n    "), style="italic"))


def _unplaced(store: AnnotationStore, doc_id: str) -> list[Placed]:
    return [Placed(a, ORPHAN) for a in store.load(doc_id).annotations]


@cli.command()
@click.argument("workspace", required=False, type=click.Path(path_type=Path))
@workspace_option
def check(workspace: Path | None, workspace_path: Path | None) -> None:
    """Check the corpus, the catalog and every annotation file; exit 1 on any error.

    Errors: unreadable or malformed files (with file and line), annotations with an unknown
    tag, annotations whose text is gone (orphaned) or moved uncertainly (needs review).
    Warnings (a document read as another encoding than UTF-8, catalog entries with no file)
    are listed too but do not fail the check.

    \b
    Example:
      briefreader check ~/briefs && echo "all good"
    """
    ws = _workspace(workspace_path, workspace)
    corpus = Corpus(ws)
    problems = corpus.check() + _annotation_problems(corpus)
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        out.print(Text(f"{problem.severity}: {problem}", style=style))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    documents = len(corpus.documents)
    out.print(f"{ws.root}: {documents} documents; {errors} errors, {warnings} warnings.")
    if errors:
        sys.exit(1)


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
        search_index, _ = _updated_index(ws, quiet=True)
        results = search_index.search(options["query"], limit=1_000_000)
        filters.passages = {(hit.doc_id, hit.passage) for hit in results.hits}
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


def _report_skipped(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(Text(f"briefreader: skipped {problem}", style="yellow"))


@cli.command()
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
    ws = _workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    filters = _filters(ws, corpus, options)
    with _progress("Exporting") as progress:
        text, collection = build_export(corpus, store, filters, fmt, group_by, progress)
    _report_skipped(collection.problems)
    if not collection.excerpts:
        err.print("No annotations match; the export is empty.", style="yellow")
    if output is None:
        click.echo(text, nl=False)
        return
    write_export(output, text)
    err.print(f"Wrote {len(collection.excerpts)} annotations to {output}.")


def _codebook_tags(ws: Workspace) -> list[str]:
    return [tag.name for tag in load_codebook(ws.annotations_dir).tags]


@cli.command()
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
    ws = _workspace(workspace_path)
    corpus = Corpus(ws)
    filters = _filters(ws, corpus, options)
    with _progress("Counting") as progress:
        collection = collect(corpus, AnnotationStore(ws), filters, progress)
    _report_skipped(collection.problems)
    summary = summarize(corpus, collection.excerpts, by, tuple(_codebook_tags(ws)))
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        return
    out.print(stats_table(summary, out.width))


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@workspace_option
def import_(file: Path, workspace_path: Path | None) -> None:
    """Add the annotations of a W3C Web Annotation export (JSON) to this workspace.

    Each is re-anchored in the documents here; exact duplicates are skipped; if any
    annotation cannot be read or targets a missing document, nothing is imported.

    \b
    Example:
      briefreader import alice-coding.jsonld
    """
    ws = _workspace(workspace_path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        raise Failure(f"{file}: cannot read ({reason})") from None
    items = from_json(text, file)
    report = import_annotations(Corpus(ws), AnnotationStore(ws), items)
    unplaced = f", {report.unplaced} orphaned (their text is not here)" if report.unplaced else ""
    out.print(
        f"Imported {report.added} annotation{'s' * (report.added != 1)} "
        f"({report.duplicates} duplicates skipped{unplaced})."
    )


def _annotation_problems(corpus: Corpus) -> list[Problem]:
    store = AnnotationStore(corpus.workspace)
    codebook = load_codebook(corpus.workspace.annotations_dir)
    ids = {info.id for info in corpus.documents}
    problems = list(codebook.problems)
    problems += store.problems(ids, codebook.names)
    for doc_id in store.doc_ids():
        if doc_id not in ids:
            continue
        try:
            placed = store.place(doc_id, corpus.load(doc_id).text)
        except BriefreaderError:
            continue  # already reported
        for item in placed:
            if not item.anchor.placed:
                quote = item.annotation.target.quote[:60]
                problems.append(
                    Problem(
                        store.path_for(doc_id),
                        f"annotation {item.annotation.id} is {item.anchor.state}: "
                        f"“{quote}” no longer fits the document; review it in the reader",
                    )
                )
    return problems


def main() -> None:
    cli(prog_name="briefreader")
