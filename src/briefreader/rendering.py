"""Rich text for what both the CLI and the TUI show the same way: search hits."""

from __future__ import annotations

from rich.text import Text

from briefreader.core.models import Hit

SNIPPET_INDENT = 5


def hit_text(rank: int, hit: Hit, *, doc_ref: bool = False) -> Text:
    """Two parts: `rank  title › section  ¶N`, then the snippet with its matches marked."""
    text = Text(f"{rank:>3}  ", style="dim")
    text.append(hit.title, style="bold")
    if hit.section:
        text.append(f" › {hit.section}")
    if doc_ref:
        text.append(f"  {hit.doc_id}#{hit.passage}  {hit.score:.2f}\n", style="dim")
    else:
        text.append(f"  ¶{hit.passage}\n", style="dim")
    snippet = Text(" " * SNIPPET_INDENT + hit.snippet.text)
    for start, end in hit.snippet.matches:
        snippet.stylize("bold reverse", start + SNIPPET_INDENT, end + SNIPPET_INDENT)
    return text + snippet
