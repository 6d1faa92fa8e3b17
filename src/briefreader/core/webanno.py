"""The W3C Web Annotation Data Model (JSON-LD): export to it, and import from it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from briefreader.core.anchoring import anchor, context_of
from briefreader.core.annotations import AnnotationStore, new_id
from briefreader.core.corpus import Corpus
from briefreader.core.errors import ExportError
from briefreader.core.excerpts import Excerpt
from briefreader.core.models import Annotation, Link, Target

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
DOC_PREFIX = "urn:briefreader:doc:"
ANNOTATION_PREFIX = "urn:briefreader:annotation:"
RELATION_KEY = "briefreader:relation"


class WebAnnotationError(ExportError):
    """An import file that is not a Web Annotation export briefreader can read."""


def _item(excerpt: Excerpt) -> dict:
    a, info = excerpt.annotation, excerpt.info
    body = [{"type": "TextualBody", "purpose": "tagging", "value": a.tag}]
    if a.note:
        body.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": a.note,
                "format": "text/plain",
            }
        )
    body += [_link_body(link) for link in a.links]
    source = {"id": DOC_PREFIX + info.id, "type": "Text", "title": info.title}
    if info.source:
        source["publisher"] = info.source
    if info.date:
        source["date"] = info.date
    item = {
        "id": ANNOTATION_PREFIX + a.id,
        "type": "Annotation",
        "motivation": _motivation(a),
        "body": body,
        "target": {
            "source": source,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": a.target.quote,
                    "prefix": a.target.prefix,
                    "suffix": a.target.suffix,
                },
                {"type": "TextPositionSelector", "start": excerpt.start, "end": excerpt.end},
            ],
        },
    }
    if a.annotator:
        item["creator"] = {"type": "Person", "name": a.annotator}
    if a.created:
        item["created"] = a.created
    if a.updated:
        item["modified"] = a.updated
    # where it stands in the document: for citations; not part of the model's vocabulary
    item["briefreader:citation"] = {
        "section": excerpt.section,
        "passage": excerpt.passage,
        "state": str(excerpt.state),
    }
    return item


def _motivation(a: Annotation) -> str | list[str]:
    motivations = ["tagging", *(["commenting"] * bool(a.note)), *(["linking"] * bool(a.links))]
    return motivations[0] if len(motivations) == 1 else motivations


def _link_body(link: Link) -> dict:
    """A link as a body with the purpose `linking` (Web Annotation Data Model, "Motivation
    and Purpose"): a SpecificResource whose `source` is the linked annotation's IRI as this
    export names annotations (urn:briefreader:annotation:<id>), whose `scope` (in the model,
    the resource that "provides the scope or context") is the document holding it, and whose
    relation, which the model has no term for, is `briefreader:relation`, in the same
    vocabulary as `briefreader:citation`. For example:

        {"type": "SpecificResource", "purpose": "linking",
         "source": "urn:briefreader:annotation:3e5c16641d01",
         "scope": "urn:briefreader:doc:apri-armenia-articles-on-azerbaijan.txt",
         "briefreader:relation": "contradicts"}

    `from_json` reads it back, so an export imported elsewhere keeps its links."""
    return {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": ANNOTATION_PREFIX + link.id,
        "scope": DOC_PREFIX + link.doc,
        RELATION_KEY: link.relation,
    }


def to_json(excerpts: list[Excerpt], label: str) -> str:
    items = [_item(e) for e in excerpts]
    # the model requires an IRI for each; derived from the content, so the same export
    # gives the same file
    names = "\n".join([label, *(item["id"] for item in items)])
    export_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, names)}"
    collection = {
        "@context": CONTEXT,
        "id": export_id,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(items),
        "first": {
            "id": f"{export_id}/page1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }
    return json.dumps(collection, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class Imported:
    doc_id: str
    annotation: Annotation


def from_json(text: str, path: Path) -> list[Imported]:
    """Every annotation in a W3C export (a collection, a page, a list, or one annotation).
    Raises WebAnnotationError naming the first item that cannot be read; nothing is half-read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebAnnotationError(f"not JSON ({exc.msg})", path, exc.lineno, exc.colno) from None
    if isinstance(data, dict) and data.get("type") == "AnnotationCollection":
        page = data.get("first")
        items = page.get("items") if isinstance(page, dict) else page
    elif isinstance(data, dict) and data.get("type") == "AnnotationPage":
        items = data.get("items")
    elif isinstance(data, dict) and data.get("type") == "Annotation":
        items = [data]
    else:
        items = data
    if not isinstance(items, list):
        raise WebAnnotationError(
            "not a Web Annotation export: expected an AnnotationCollection, a page or a list",
            path,
        )
    return [_read_item(item, i, path) for i, item in enumerate(items, 1)]


def _read_item(item: object, number: int, path: Path) -> Imported:
    def fail(what: str) -> WebAnnotationError:
        return WebAnnotationError(f"annotation {number}: {what}", path)

    if not isinstance(item, dict) or item.get("type") != "Annotation":
        raise fail("not an object of type Annotation")
    bodies = item.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    tags = [b.get("value") for b in bodies if isinstance(b, dict) and b.get("purpose") == "tagging"]
    notes = [
        b.get("value") for b in bodies if isinstance(b, dict) and b.get("purpose") == "commenting"
    ]
    if len(tags) != 1 or not isinstance(tags[0], str) or not tags[0]:
        raise fail("needs exactly one tagging body with a tag as its value")
    target = item.get("target")
    if not isinstance(target, dict):
        raise fail("has no target object")
    source = target.get("source")
    source_id = source.get("id") if isinstance(source, dict) else source
    if not isinstance(source_id, str) or not source_id.startswith(DOC_PREFIX):
        raise fail(f"its target source must be an id starting with {DOC_PREFIX}")
    selectors = target.get("selector", [])
    selectors = selectors if isinstance(selectors, list) else [selectors]
    quote = next(
        (s for s in selectors if isinstance(s, dict) and s.get("type") == "TextQuoteSelector"), None
    )
    position = next(
        (s for s in selectors if isinstance(s, dict) and s.get("type") == "TextPositionSelector"),
        {},
    )
    if quote is None or not isinstance(quote.get("exact"), str) or not quote["exact"]:
        raise fail("needs a TextQuoteSelector with an exact quote")
    start, end = position.get("start", 0), position.get("end", 0)
    if not all(isinstance(v, int) and v >= 0 for v in (start, end)) or end < start:
        raise fail("its TextPositionSelector needs whole numbers with start <= end")
    links = tuple(
        _read_link(body, fail)
        for body in bodies
        if isinstance(body, dict) and body.get("purpose") == "linking"
    )
    creator = item.get("creator")
    annotator = creator.get("name", "") if isinstance(creator, dict) else str(creator or "")
    annotation_id = str(item.get("id", "")).removeprefix(ANNOTATION_PREFIX)
    note = notes[0] if notes and isinstance(notes[0], str) else ""
    return Imported(
        source_id.removeprefix(DOC_PREFIX),
        Annotation(
            id=annotation_id,
            tag=tags[0],
            target=Target(
                quote["exact"],
                str(quote.get("prefix") or ""),
                str(quote.get("suffix") or ""),
                start,
                end,
            ),
            note=note,
            annotator=annotator,
            created=str(item.get("created") or ""),
            updated=str(item.get("modified") or item.get("created") or ""),
            links=links,
        ),
    )


def _read_link(body: dict, fail) -> Link:
    """A `linking` body as `_link_body` writes it (its source and scope may also be objects
    with an `id`)."""

    def iri(key: str, prefix: str) -> str:
        value = body.get(key)
        value = value.get("id") if isinstance(value, dict) else value
        if not isinstance(value, str) or not value.startswith(prefix) or value == prefix:
            raise fail(f"its linking body needs a {key!r} starting with {prefix}")
        return value.removeprefix(prefix)

    source, scope = iri("source", ANNOTATION_PREFIX), iri("scope", DOC_PREFIX)
    relation = body.get(RELATION_KEY)
    if not isinstance(relation, str) or not relation:
        raise fail(f"its linking body needs a {RELATION_KEY!r} (contradicts, supports, ...)")
    return Link(scope, source, relation)


@dataclass
class ImportReport:
    added: int = 0
    duplicates: int = 0
    unplaced: int = 0  # imported, but their quote does not fit the text here (orphans)
    links_added: int = 0  # links of duplicates, new here, added to the annotation here


def import_annotations(
    corpus: Corpus, store: AnnotationStore, items: list[Imported]
) -> ImportReport:
    """Add imported annotations to the workspace, re-anchored, skipping exact duplicates.
    Every target document is checked first: one that is missing stops the whole import."""
    known = {info.id for info in corpus.documents}
    missing = sorted({item.doc_id for item in items} - known)
    if missing:
        raise WebAnnotationError(
            f"targets documents this workspace lacks: {', '.join(missing)}; nothing imported"
        )
    report = ImportReport()
    by_doc: dict[str, list[Annotation]] = {}
    for item in items:
        by_doc.setdefault(item.doc_id, []).append(item.annotation)
    texts = {doc_id: corpus.load(doc_id).text for doc_id in by_doc}
    for doc_id in by_doc:
        store.load(doc_id)  # a malformed file here stops the import before anything is written
    for doc_id, incoming in by_doc.items():
        text = texts[doc_id]

        def edit(contents, incoming=incoming, text=text) -> None:
            ids = {a.id: i for i, a in enumerate(contents.annotations)}
            existing = {_fingerprint(a): i for i, a in enumerate(contents.annotations)}
            for annotation in incoming:
                placed = anchor(text.text, annotation.target)
                if placed.placed:
                    prefix, suffix = context_of(text.text, placed.start, placed.end)
                    quote = text.text[placed.start : placed.end]
                    target = Target(quote, prefix, suffix, placed.start, placed.end)
                    annotation = replace(annotation, target=target)
                # the same id (imported before), or the same tag on the same words at the
                # same place by the same person: already here
                if annotation.id in ids or _fingerprint(annotation) in existing:
                    report.duplicates += 1
                    here = ids.get(annotation.id)
                    here = existing[_fingerprint(annotation)] if here is None else here
                    report.links_added += _add_links(contents, here, annotation.links)
                    continue
                if not placed.placed:
                    report.unplaced += 1
                if not annotation.id:
                    annotation = replace(annotation, id=new_id())
                ids[annotation.id] = len(contents.annotations)
                existing[_fingerprint(annotation)] = len(contents.annotations)
                contents.annotations.append(annotation)
                report.added += 1

        store.change(doc_id, edit)
    return report


def _add_links(contents, index: int, links: tuple[Link, ...]) -> int:
    """Add to annotation `index` the links it lacks (a duplicate brings the links made since
    it was first imported); returns how many."""
    here = contents.annotations[index]
    new = tuple(link for link in links if not here.linked(link))
    new = tuple(link for i, link in enumerate(new) if link.key not in {x.key for x in new[:i]})
    if new:
        contents.annotations[index] = replace(here, links=(*here.links, *new))
    return len(new)


def _fingerprint(a: Annotation) -> tuple:
    target = a.target
    return (a.tag, target.quote, target.start, target.end, a.annotator, a.note.strip())
