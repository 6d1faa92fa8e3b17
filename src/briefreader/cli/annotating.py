"""Commands on annotations: `annotate`, `annotations`, `import`, and `check` of the files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.text import Text

from briefreader.cli.common import (
    Failure,
    annotator_option,
    err,
    out,
    resolve_workspace,
    workspace_option,
)
from briefreader.core.anchoring import ORPHAN
from briefreader.core.annotations import (
    AnnotationStore,
    Placed,
    make_annotation,
    resolve_annotator,
    span_in_passage,
)
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus
from briefreader.core.errors import BriefreaderError, DocumentError, Problem
from briefreader.core.models import RELATIONS, Annotation, Link
from briefreader.core.webanno import from_json, import_annotations


@click.command()
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
    ws = resolve_workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    tags = load_codebook(ws.annotations_dir).names
    if tag not in tags:
        raise Failure(f"unknown tag {tag!r}; use one of {', '.join(sorted(tags))}")
    document = corpus.load(doc)
    start, end = span_in_passage(document.text, passage, quote)
    who = resolve_annotator(annotator, ws)
    made = make_annotation(document.text, start, end, tag, who, note)
    annotation = store.add(document.id, made, document.text)
    if as_json:
        click.echo(json.dumps(_annotation_json(document.id, annotation), ensure_ascii=False))
    else:
        out.print(
            f"Tagged {document.id} ¶{passage} as {tag} ({annotation.id}); "
            f"saved to {store.path_for(document.id)}"
        )


@click.command("link")
@click.argument("doc")
@click.argument("annotation_id")
@click.argument("relation", type=click.Choice(RELATIONS))
@click.argument("other_doc")
@click.argument("other_id")
@click.option("--remove", is_flag=True, help="Remove this link instead of adding it.")
@workspace_option
def link_command(
    doc: str,
    annotation_id: str,
    relation: str,
    other_doc: str,
    other_id: str,
    remove: bool,
    workspace_path: Path | None,
) -> None:
    """Link annotation ANNOTATION_ID of DOC to annotation OTHER_ID of OTHER_DOC.

    The link is saved with the first annotation and shown at both ends (`annotations
    --json`, exports, the reader's pane); `check` reports links that lead nowhere.
    Annotation ids are those `briefreader annotations` lists.

    \b
    Examples:
      briefreader link tatikyan 3e5c16641d01 contradicts baku 9f2a7c0b11d4
      briefreader link tatikyan 3e5c16641d01 same-event apri 51c0de2a9b7e --remove
    """
    ws = resolve_workspace(workspace_path)
    corpus, store = Corpus(ws), AnnotationStore(ws)
    source, target = corpus.load(doc), corpus.find(other_doc)
    made = Link(target.id, other_id, relation)
    (store.unlink if remove else store.link)(source.id, annotation_id, made, source.text)
    what = "Removed the link" if remove else "Linked"
    out.print(f"{what}: {source.id}#{annotation_id} {relation} {made.doc}#{other_id}.")


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
        "links": [
            {"relation": link.relation, "doc": link.doc, "id": link.id} for link in annotation.links
        ],
    }


@click.command("annotations")
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
    ws = resolve_workspace(workspace_path)
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
    # a tag that matches nothing may be a typo; one dropped from the codebook still matches
    if tag and not rows and tag not in (tags := load_codebook(ws.annotations_dir).names):
        raise Failure(f"unknown tag {tag!r}; use one of {', '.join(sorted(tags))}")
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


@click.command()
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
    ws = resolve_workspace(workspace_path, workspace)
    corpus = Corpus(ws)
    for old, new in AnnotationStore(ws).relink(corpus):
        out.print(f"Renamed document: the annotations of {old} now belong to {new}.")
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


@click.command("import")
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
    ws = resolve_workspace(workspace_path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8"
        raise Failure(f"{file}: cannot read ({reason})") from None
    items = from_json(text, file)
    report = import_annotations(Corpus(ws), AnnotationStore(ws), items)
    unplaced = f", {report.unplaced} orphaned (their text is not here)" if report.unplaced else ""
    links = f", {report.links_added} new links added to them" if report.links_added else ""
    out.print(
        f"Imported {report.added} annotation{'s' * (report.added != 1)} "
        f"({report.duplicates} duplicates skipped{links}{unplaced})."
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
