"""Commands that compare narratives: `similar` (counter-passages) and `topic`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.columns import Columns

from briefreader.cli.common import (
    Failure,
    err,
    hit_json,
    out,
    report_skipped,
    resolve_workspace,
    updated_index,
    workspace_option,
)
from briefreader.core.annotations import AnnotationStore
from briefreader.core.compare import Counterparts, SideView, counter_passages, topic
from briefreader.rendering import counterpart_block, side_column


@click.command()
@click.argument("doc")
@click.argument("passage", type=int)
@workspace_option
@click.option("-n", "--limit", default=10, show_default=True, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def similar(doc: str, passage: int, workspace_path: Path | None, limit: int, as_json: bool):
    """Counter-passages: what other documents say about what passage PASSAGE of DOC says.

    Found by the passage's most telling words; those of the other side come first.

    \b
    Examples:
      briefreader similar tatikyan 4
      briefreader similar baku 38 --limit 5 --json
    """
    if limit < 1:
        raise Failure("--limit must be at least 1")
    ws = resolve_workspace(workspace_path)
    index, _ = updated_index(ws, quiet=as_json)
    doc_id = index.corpus.find(doc).id
    found = counter_passages(index, AnnotationStore(ws), doc_id, passage, limit)
    report_skipped(list(found.problems))
    if as_json:
        click.echo(json.dumps(_counterparts_json(found), ensure_ascii=False, indent=2))
        return
    err.print(f"Key terms of {doc_id} ¶{passage}: {', '.join(found.terms)}", style="dim")
    if not found.passages:
        err.print("No other document speaks of these things.")
    for rank, item in enumerate(found.passages, 1):
        out.print(counterpart_block(rank, item))


def _counterparts_json(found: Counterparts) -> dict:
    return {
        "side": found.side,
        "terms": list(found.terms),
        "passages": [
            {**hit_json(item.hit), "side": item.info.side, "date": item.info.date,
             "other_side": item.other_side, "tags": list(item.tags)}
            for item in found.passages
        ],
    }  # fmt: skip


@click.command("topic")
@click.argument("query")
@workspace_option
@click.option("-n", "--limit", default=5, show_default=True, help="Passages shown per side.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
def topic_command(query: str, workspace_path: Path | None, limit: int, as_json: bool) -> None:
    """What each side's documents say about a topic, side by side, with tag counts.

    QUERY is a search query (see `briefreader search --help`).

    \b
    Examples:
      briefreader topic Lachin
      briefreader topic '"Zangezur corridor"' --limit 3
      briefreader topic '"peace agreement"' --json
    """
    if limit < 1:
        raise Failure("--limit must be at least 1")
    ws = resolve_workspace(workspace_path)
    index, _ = updated_index(ws, quiet=as_json)
    found = topic(index, AnnotationStore(ws), query, per_side=limit)
    views = found.sides
    report_skipped(list(found.problems))
    if as_json:
        click.echo(json.dumps([_side_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        err.print(f"No passage matches {query!r}.")
        return
    width = max(40, out.width // len(views) - 2)
    out.print(Columns([side_column(view) for view in views], width=width, padding=(0, 2)))


def _side_json(view: SideView) -> dict:
    return {
        "side": view.side,
        "total": view.total,
        "documents": [info.id for info in view.documents],
        "tags": view.tags,
        "passages": [hit_json(hit) for hit in view.hits],
    }
