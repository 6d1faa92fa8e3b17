"""Annotated excerpts as Markdown, CSV, JSON (W3C Web Annotation) or a self-contained HTML page."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from briefreader.core.annotations import AnnotationStore
from briefreader.core.atomic import write_atomic
from briefreader.core.codebook import load_codebook
from briefreader.core.corpus import Corpus
from briefreader.core.errors import ExportError
from briefreader.core.excerpts import Collection, Excerpt, Filters, LinkEnd, collect
from briefreader.core.stats import Summary, summarize
from briefreader.core.webanno import to_json

FORMATS = ("md", "csv", "json", "html")
CSV_COLUMNS = (
    "document", "title", "publisher", "date", "side", "section", "passage", "start", "end",
    "tag", "quote", "note", "annotator", "created", "updated", "state", "id",
    "context_before", "context_after", "links",
)  # fmt: skip
LINK_QUOTE_CHARS = 100  # of the linked annotation's quote shown beside a link


def build_export(
    corpus: Corpus,
    store: AnnotationStore,
    filters: Filters,
    fmt: str,
    group_by: str = "doc",
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[str, Collection]:
    """The export's text, and the excerpts (and problems) it was made from."""
    collection = collect(corpus, store, filters, progress)
    tags = tuple(tag.name for tag in load_codebook(store.root).tags)
    summary = summarize(corpus, collection.excerpts, "doc", tags)
    label = f"Annotated excerpts: {corpus.workspace.root.name}"
    return render(fmt, collection.excerpts, summary, group_by=group_by, label=label), collection


def write_export(path: Path, text: str) -> None:
    """Replace `path` atomically: an existing file is never left half-written."""
    if not path.parent.is_dir():
        raise ExportError(f"{path.parent}: no such folder; create it or choose another file")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise ExportError(f"cannot write ({exc.strerror}); choose another file", path) from None


def citation(excerpt: Excerpt) -> str:
    """Title, publisher, date, section, passage and offsets: enough to find the text again."""
    info = excerpt.info
    parts = [info.title, info.source, info.date_label]
    if excerpt.section:
        parts.append(excerpt.section)
    if excerpt.passage is not None:
        parts.append(f"¶{excerpt.passage}")
    parts.append(f"chars {excerpt.start}–{excerpt.end}")
    return ", ".join(p for p in parts if p)


def short_quote(quote: str, limit: int = LINK_QUOTE_CHARS) -> str:
    """A quote on one line, cut at a word to about `limit` characters."""
    flat = " ".join(quote.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def link_ends(excerpt: Excerpt) -> tuple[LinkEnd, ...]:
    """An excerpt's links, those it makes first, then those made to it."""
    return (*excerpt.links, *excerpt.linked_from)


def render(
    fmt: str, excerpts: list[Excerpt], summary: Summary, *, group_by: str = "doc", label: str = ""
) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "md": lambda: to_markdown(excerpts, summary, group_by, label),
        "csv": lambda: to_csv(excerpts),
        "json": lambda: to_json(excerpts, label),
        "html": lambda: to_html(excerpts, summary, group_by, label),
    }
    return renderers[fmt]()


def _groups(excerpts: list[Excerpt], group_by: str):
    """(heading, subgroups of (subheading, excerpts)): by document then section, or by tag
    then document."""
    if group_by == "tag":
        ordered = sorted(excerpts, key=lambda e: (e.annotation.tag, e.info.id, e.start))
        for tag, by_tag in groupby(ordered, key=lambda e: e.annotation.tag):
            yield tag, [(k, list(v)) for k, v in groupby(by_tag, key=lambda e: e.info.title)]
    else:
        for _, by_doc in groupby(excerpts, key=lambda e: e.info.id):
            # annotations whose text is gone have no section: they come last, on their own
            items = sorted(by_doc, key=lambda e: (e.orphaned, e.start))
            sections = groupby(items, key=_section_heading)
            yield items[0].info.title, [(k, list(v)) for k, v in sections]


def _section_heading(excerpt: Excerpt) -> str:
    if excerpt.orphaned:
        return "Not found in the current text (orphaned or needing review)"
    return excerpt.section or "(before the first heading)"


# -- Markdown --------------------------------------------------------------------------------


def _md_text(note: str) -> str:
    """A note as Markdown shows it as written: no live HTML, no line read as a heading, quote
    or list, and its line breaks kept (two trailing spaces; blank lines stay paragraphs)."""
    lines = []
    for line in html.escape(note.strip(), quote=False).splitlines():
        if re.match(r"\s*([#>*+-]|\d+[.)])", line):
            line = "\\" + line.lstrip()
        lines.append(line)
    return "\n".join(
        line + "  " if line and i + 1 < len(lines) and lines[i + 1] else line
        for i, line in enumerate(lines)
    )


def _md_summary(summary: Summary) -> list[str]:
    header = ["", *summary.tags, "total", "passages annotated", "orphans"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group in [*summary.groups, summary.total]:
        cells = [
            f"**{group.name}**" if group.name == "all" else group.name,
            *(str(group.counts.get(tag, 0)) for tag in summary.tags),
            str(group.total),
            f"{len(group.annotated)} of {group.passages} ({group.share:.0%})",
            str(group.orphans),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def to_markdown(excerpts: list[Excerpt], summary: Summary, group_by: str, label: str) -> str:
    lines = [f"# {label or 'Annotated excerpts'}", "", f"{len(excerpts)} annotations.", ""]
    lines += ["## Summary", "", *_md_summary(summary), ""]
    for heading, subgroups in _groups(excerpts, group_by):
        lines += [f"## {heading}", ""]
        for subheading, items in subgroups:
            lines += [f"### {subheading}", ""]
            for e in items:
                a = e.annotation
                state = f" ({e.state})" if e.orphaned else ""
                lines.append(f"**{a.tag}**{state} · {a.annotator} · {a.updated or a.created}")
                lines.append("")
                quote = " ".join(a.target.quote.split())
                lines.append(f"> {quote}")
                lines.append(">")
                lines.append(f"> — {citation(e)}")
                lines.append("")
                if a.note:
                    lines += [_md_text(a.note), ""]
                if e.links or e.linked_from:
                    lines += [*(_md_link(end) for end in link_ends(e)), ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_link(end: LinkEnd) -> str:
    """One list item: `- contradicts: “quote” — Title (doc#id)`; the id alone when the
    annotation linked to cannot be found."""
    where = f"`{end.doc}#{end.id}`"
    if not end.found:
        return f"- {_md_inline(end.label)}: {where} (not found)"
    quote = _md_inline(short_quote(end.quote))
    return f"- {_md_inline(end.label)}: “{quote}” — {_md_inline(end.title)} ({where})"


def _md_inline(text: str) -> str:
    """Text inside a line of Markdown, shown as written (no live HTML or emphasis)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(text.split()))


# -- CSV -------------------------------------------------------------------------------------


def to_csv(excerpts: list[Excerpt]) -> str:
    """One row per annotation, RFC 4180 quoting (CRLF line ends, as spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in excerpts:
        a, info = e.annotation, e.info
        writer.writerow(
            [
                info.id, info.title, info.source, info.date, info.side, e.section,
                e.passage if e.passage is not None else "", e.start, e.end,
                a.tag, a.target.quote, a.note, a.annotator, a.created, a.updated,
                str(e.state), a.id, e.before, e.after,
                "; ".join(str(link) for link in a.links),
            ]
        )  # fmt: skip
    return buffer.getvalue()


# -- HTML ------------------------------------------------------------------------------------

_PALETTE = {"factual": "#2e7d32", "disputed": "#c62828", "rhetorical": "#ef6c00"}
_OTHER_COLOURS = ("#6a1b9a", "#00838f", "#4e342e", "#283593", "#9e9d24")

_CSS = """
body { font: 16px/1.55 Georgia, 'Times New Roman', serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #1b1b1b; background: #fdfdfb; }
h1, h2, h3 { font-family: system-ui, sans-serif; line-height: 1.25; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1rem; color: #555; }
table { border-collapse: collapse; font: 14px system-ui, sans-serif; width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .3rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.bar { display: inline-block; height: .7rem; vertical-align: middle; }
figure { margin: 1.2rem 0; }
blockquote { margin: 0; padding: .4rem .9rem; border-left: 4px solid var(--tag); }
mark { background: color-mix(in srgb, var(--tag) 22%, transparent); color: inherit; }
.context { color: #777; }
figcaption { font: 13px system-ui, sans-serif; color: #555; margin-top: .3rem; }
.tag { font: bold 12px system-ui, sans-serif; color: #fff; background: var(--tag);
       border-radius: 3px; padding: 0 .35rem; }
.note { display: block; font: italic 15px Georgia, serif; color: #1b1b1b; margin: .4rem 0 0 1rem;
        white-space: pre-wrap; }
.links { margin: .3rem 0 0 1rem; padding-left: 1rem; }
.relation { font-weight: bold; }
"""


def tag_colour(tag: str, tags: list[str]) -> str:
    if tag in _PALETTE:
        return _PALETTE[tag]
    others = [t for t in tags if t not in _PALETTE]
    index = others.index(tag) if tag in others else len(others)
    return _OTHER_COLOURS[index % len(_OTHER_COLOURS)]


def _html_summary(summary: Summary) -> str:
    e = html.escape
    head = "".join(f"<th>{e(t)}</th>" for t in summary.tags)
    rows = []
    most = max((g.total for g in summary.groups), default=0) or 1
    for group in [*summary.groups, summary.total]:
        bars = "".join(
            f'<span class="bar" style="width:{6 * group.counts.get(t, 0) / most:.2f}rem;'
            f'background:{tag_colour(t, summary.tags)}" title="{e(t)}"></span>'
            for t in summary.tags
        )
        cells = "".join(f"<td>{group.counts.get(t, 0)}</td>" for t in summary.tags)
        rows.append(
            f"<tr><td>{e(group.name)}</td>{cells}<td>{group.total}</td>"
            f"<td>{len(group.annotated)} / {group.passages} ({group.share:.0%})</td>"
            f"<td>{group.orphans}</td><td style='text-align:left'>{bars}</td></tr>"
        )
    return (
        f"<table><thead><tr><th></th>{head}<th>total</th><th>passages annotated</th>"
        f"<th>orphans</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _html_anchor(doc_id: str, annotation_id: str) -> str:
    """The element id of an annotation's figure (ids and file names may hold any character)."""
    digest = hashlib.sha1(f"{doc_id}\0{annotation_id}".encode()).hexdigest()[:12]
    return f"a-{digest}"


def _html_links(x: Excerpt, exported: set[tuple[str, str]]) -> str:
    """The list of an excerpt's links; a linked annotation in this export is a link to it."""
    e = html.escape
    items = []
    for end in link_ends(x):
        where = f"<code>{e(end.doc)}#{e(end.id)}</code>"
        if (end.doc, end.id) in exported:
            where = f'<a href="#{_html_anchor(end.doc, end.id)}">{where}</a>'
        if end.found:
            what = f"“{e(short_quote(end.quote))}” — <cite>{e(end.title)}</cite> ({where})"
        else:
            what = f"{where} (not found)"
        items.append(f'<li><span class="relation">{e(end.label)}</span>: {what}</li>')
    return f'<ul class="links">{"".join(items)}</ul>' if items else ""


def to_html(excerpts: list[Excerpt], summary: Summary, group_by: str, label: str) -> str:
    e = html.escape
    title = label or "Annotated excerpts"
    exported = {(x.info.id, x.annotation.id) for x in excerpts}
    body = [f"<h1>{e(title)}</h1>", f"<p>{len(excerpts)} annotations.</p>"]
    body += ["<h2>Summary</h2>", _html_summary(summary)]
    for heading, subgroups in _groups(excerpts, group_by):
        body.append(f"<h2>{e(heading)}</h2>")
        for subheading, items in subgroups:
            body.append(f"<h3>{e(subheading)}</h3>")
            for x in items:
                a = x.annotation
                colour = tag_colour(a.tag, summary.tags)
                state = f" ({e(str(x.state))})" if x.orphaned else ""
                # inside the figcaption: a figure's caption must be its first or last child
                note = f'<span class="note">{e(a.note.strip())}</span>' if a.note else ""
                anchor = _html_anchor(x.info.id, a.id)
                body.append(
                    f'<figure id="{anchor}" style="--tag:{colour}"><blockquote>'
                    f'<span class="context">{e(x.before)}</span>'
                    f"<mark>{e(a.target.quote)}</mark>"
                    f'<span class="context">{e(x.after)}</span></blockquote>'
                    f'<figcaption><span class="tag">{e(a.tag)}</span>{state} '
                    f"{e(a.annotator)} · {e(a.updated or a.created)}<br>{e(citation(x))}"
                    f"{note}{_html_links(x, exported)}</figcaption></figure>"
                )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
