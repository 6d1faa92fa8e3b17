"""Search latency: top-20 hits with snippets vs raw Whoosh and `grep -c -i`; typing in the TUI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora
from _common import args_parser, emit, grid, log, median, met, ms, p95, sizes_of

QUERIES = [  # (kind, query, as raw Whoosh is given it, grep patterns for the scan floor)
    ("term", "Khojaly", "Khojaly", ["khojaly"]),
    ("two terms", "Lachin corridor", "Lachin corridor", ["lachin", "corridor"]),
    ("phrase", '"peace agreement"', '"peace agreement"', ["peace agreement"]),
    # briefreader sends a fuzzy word to the unstemmed field (DESIGN.md, Search)
    ("fuzzy", "negotiaton~", "exact:negotiaton~", ["negotiaton", "negotiation"]),
    ("field", "side:armenia corridor", "side:armenia corridor", ["corridor"]),
]
LIMIT = 20
TYPING_INTERVAL = 0.08  # seconds between keys: a fast typist


def raw_whoosh(index_dir: Path):
    """A search function over the same index with plain Whoosh: the same parser plugins, top 20
    with Whoosh's own highlighted snippets."""
    from whoosh import index as windex
    from whoosh.qparser import FieldAliasPlugin, FuzzyTermPlugin, QueryParser

    from briefreader.core.index import ALIASES

    ix = windex.open_dir(str(index_dir))
    searcher = ix.searcher()
    parser = QueryParser("body", ix.schema)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin(ALIASES))

    def search(text: str) -> list:
        query = parser.parse(text)
        results = searcher.search(query, limit=LIMIT, terms=True)
        return [
            (hit["doc"], hit["title"], hit["passage"], hit["section"], hit.score, hit["start"],
             hit["end"], hit.highlights("body") or hit.highlights("exact", text=hit["body"]))
            for hit in results
        ]  # fmt: skip

    return search


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def grep_time(patterns: list[str], folder: Path) -> float:
    cmd = ["grep", "-r", "-c", "-i", "-F", *(a for p in patterns for a in ("-e", p)), str(folder)]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def core_rows(size: int, runs: int) -> list[list[str]]:
    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.workspace import Workspace

    ws = corpora.indexed_workspace(size)
    ours = SearchIndex(Corpus(Workspace(ws)))
    raw = raw_whoosh(ours.directory)
    folder = corpora.corpus_dir(size)
    rows = []
    for kind, query, raw_query, patterns in QUERIES:
        first = timed(ours.search, query, LIMIT)  # opens the searcher on the first query
        assert len(ours.search(query, LIMIT).hits) == len(raw(raw_query)), query
        t_ours, t_raw = [], []
        for _ in range(runs):
            t_ours.append(timed(ours.search, query, LIMIT))
            t_raw.append(timed(raw, raw_query))
        t_grep = [grep_time(patterns, folder) for _ in range(min(runs, 7))]
        ratio = median(t_ours) / median(t_raw)
        rows.append([
            f"{kind}: `{query}`", f"{size}x", f"{ms(median(t_ours))} / {ms(p95(t_ours))}",
            f"{ms(median(t_raw))} / {ms(p95(t_raw))}", f"{ratio:.2f}x", ms(median(t_grep)),
            ms(first) if kind == "term" else "", "≤ 1.2x raw", met(ratio <= 1.2),
        ])  # fmt: skip
        log(f"{size}x {query}: ours {ms(median(t_ours))}, raw {ms(median(t_raw))}")
    ours.close()
    return rows


async def _typing(size: int, runs: int) -> list[list[str]]:
    """Type each query into the TUI's search screen, a key every TYPING_INTERVAL: the worst
    delay before a key shows in the input, and the time from the last key to its hits."""
    from textual import events
    from textual.keys import _character_to_key
    from textual.widgets import Input

    from briefreader.core.workspace import Workspace
    from briefreader.tui.app import BriefreaderApp
    from briefreader.tui.screens.search import SearchScreen

    app = BriefreaderApp(Workspace(corpora.indexed_workspace(size)), annotator="bench")
    rows = []
    async with app.run_test(size=(120, 40)):
        # everything reaches the app as messages, handled in its own task as a terminal's keys
        while not (app.index_ready and app.view.document is not None):
            await asyncio.sleep(0.01)
        app.post_message(events.Key("slash", "/"))
        while not isinstance(app.screen, SearchScreen):
            await asyncio.sleep(0.01)
        screen = app.screen
        await _painted(app)
        box = screen.query_one("#query", Input)
        for kind, query, _, _ in QUERIES:
            key_lag, to_hits = [], []
            for _ in range(runs):
                app.call_later(setattr, box, "value", "")
                await asyncio.sleep(0.3)  # the cleared query settles
                for i, char in enumerate(query):
                    sent = time.perf_counter()
                    app.post_message(events.Key(_character_to_key(char), char))
                    while box.value != query[: i + 1]:
                        await asyncio.sleep(0.0005)
                    key_lag.append(time.perf_counter() - sent)
                    if i < len(query) - 1:
                        await asyncio.sleep(max(0, TYPING_INTERVAL - (time.perf_counter() - sent)))
                while screen._results is None or screen._results.query != query:
                    await asyncio.sleep(0.0005)
                await _painted(app)
                to_hits.append(time.perf_counter() - sent)
            ok = p95(to_hits) <= 0.1 and max(key_lag) < 0.05
            rows.append([
                f"{kind}: `{query}`", f"{size}x", ms(median(to_hits)), ms(p95(to_hits)),
                ms(max(key_lag)), "hits ≤ 100 ms p95 (11 MB)", met(ok) if size == 30 else "—",
            ])  # fmt: skip
            log(f"typing {size}x {query}: {ms(median(to_hits))}")
    return rows


async def _painted(app) -> None:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


def main() -> None:
    parser = args_parser(__doc__, runs=30)
    parser.add_argument("--typing-runs", type=int, default=5, help="TUI typing runs per query")
    parser.add_argument("--no-typing", action="store_true", help="skip the TUI typing figures")
    args = parser.parse_args()
    os.environ.setdefault("BRIEFREADER_ANNOTATOR", "bench")
    rows, typing = [], []
    for size in sizes_of(args.sizes):
        rows += core_rows(size, args.runs)
        if not args.no_typing:
            typing += asyncio.run(_typing(size, args.typing_runs))
    headers = ["Query", "Size", "Ours med / p95", "Raw Whoosh med / p95", "Ours/raw",
               "grep -c -i", "Ours, 1st query", "Target", "Met"]  # fmt: skip
    emit(grid("Search: top 20 hits with highlighted snippets", headers, rows, [
        f"in-process, warm searcher, {args.runs} runs per query (medians; p95 nearest rank); "
        "ours: `SearchIndex.search(q, limit=20)`; raw Whoosh: the same index files, the same "
        "parser plugins, `searcher.search(q, limit=20, terms=True)` and "
        "`hit.highlights()` for each hit; the fuzzy word is given as `exact:negotiaton~`, "
        "the field briefreader sends it to",
        "grep: `grep -r -c -i -F -e …` over the raw files (a process spawn included), median "
        "of up to 7 runs; the fuzzy query greps the typo and the word, `side:` is not filtered",
        "'Ours, 1st query': the first search of a session (opens the index)",
    ]))  # fmt: skip
    if typing:
        headers = ["Query typed", "Size", "Last key → hits med", "p95", "Worst key echo",
                   "Target", "Met"]  # fmt: skip
        emit(grid("Search as you type (TUI, headless)", headers, typing, [
            f"a key every {TYPING_INTERVAL * 1000:.0f} ms into the search screen, "
            f"{args.typing_runs} runs per query; 'last key → hits': until the screen shows "
            "the results of the whole query (then a refresh); the screen starts a search 1 ms "
            "after a key, cancelling the one still running for the key before, and lists the "
            "first 20 hits (more as the list is scrolled); 'worst key "
            "echo': the longest a key took to reach the input",
        ]))  # fmt: skip


if __name__ == "__main__":
    main()
