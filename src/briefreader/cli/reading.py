"""Commands that read the corpus: `index`, `search`, `read`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.text import Text

from briefreader.cli.common import (
    Failure,
    err,
    hit_json,
    out,
    resolve_workspace,
    updated_index,
    workspace_option,
)
from briefreader.core.corpus import Corpus, decode, read_bytes
from briefreader.core.errors import DocumentError
from briefreader.core.models import BlockKind, SearchResults
from briefreader.rendering import hit_text


@click.command()
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
    ws = resolve_workspace(workspace_path, workspace)
    search_index, report = updated_index(ws, rebuild=rebuild)
    if report is None:
        count = len(search_index.corpus.documents)
        out.print(f"The index of {ws.root} is up to date ({count} documents).")
    else:
        out.print(f"Indexed {ws.root}: {report.summary}.")


@click.command()
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
    search_index, _ = updated_index(resolve_workspace(workspace_path), quiet=as_json)
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
                **hit_json(hit),
                "start": hit.start,
                "end": hit.end,
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


@click.command()
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
    corpus = Corpus(resolve_workspace(workspace_path))
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
