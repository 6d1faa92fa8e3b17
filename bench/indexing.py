"""Index builds, full and incremental (a document changed, one added, a tag added), vs raw
Whoosh; peak RSS."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora
from _common import (
    PYTHON,
    Row,
    args_parser,
    emit,
    last_json,
    log,
    mb,
    median,
    run_measured,
    secs,
    sizes_of,
    table,
)

NEW_DOC = "baku-dialogues-added-by-bench.txt"


def _changed_text(ws: Path) -> str:
    original = (corpora.corpus_dir(1) / corpora.BAKU).read_text(encoding="utf-8")
    return corpora._Varier(original).copy("changed by the bench")


def _touch_corpus(ws: Path, mode: str) -> str:
    """Change the Baku Dialogues issue (a new file: the old one may be a shared hard link) or
    add a new document; return its id."""
    target = ws / "corpus" / (corpora.BAKU if mode == "change" else NEW_DOC)
    target.unlink(missing_ok=True)
    target.write_text(_changed_text(ws), encoding="utf-8")
    return target.name


def worker(kind: str, ws: Path, size: int) -> dict:
    """One measured operation, run in its own process so that its peak RSS is its own."""
    from whoosh import index as windex

    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex, _schema
    from briefreader.core.manifest import IndexReport
    from briefreader.core.workspace import Workspace

    who, what = kind.split("-")
    if what == "tag":
        return _tag(who, ws)
    if what == "build" and who == "raw":
        directory = ws / "raw-index"
        directory.mkdir(parents=True)
        feed = corpora.passages_file(size)
        start = time.perf_counter()
        ix = windex.create_in(str(directory), _schema())
        writer = ix.writer()
        passages = 0
        for _, fields in corpora.read_passages(feed):
            for item in fields:
                writer.add_document(**item)
            passages += len(fields)
        writer.commit()
        ix.close()
        return {"seconds": time.perf_counter() - start, "passages": passages}
    if what in ("change", "add"):
        doc_id = _touch_corpus(ws, what)
    if who == "ours":
        start = time.perf_counter()
        index = SearchIndex(Corpus(Workspace(ws)))
        report = index.update()
        seconds = time.perf_counter() - start
        assert not report.problems, report.problems
        assert what == "build" or report.passages > 0, report.summary
        return {"seconds": seconds, "passages": report.passages, "summary": report.summary}
    # raw Whoosh: the same delete-and-add on the same index, from passages made beforehand
    index = SearchIndex(Corpus(Workspace(ws)))
    document = index.corpus.load(doc_id)
    fields = list(index._passage_fields(document.info, document, IndexReport()))
    start = time.perf_counter()
    ix = windex.open_dir(str(index.directory))
    writer = ix.writer()
    if what == "change":
        writer.delete_by_term("doc", doc_id)
    for item in fields:
        writer.add_document(**item)
    writer.commit()
    ix.close()
    return {"seconds": time.perf_counter() - start, "passages": len(fields)}


def tagged_workspace(size: int, parent: Path) -> Path:
    """A copy of the indexed `size` workspace with 1,000 annotations on the Baku Dialogues
    issue, indexed with them."""
    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.workspace import Workspace

    ws = corpora.clone(corpora.indexed_workspace(size), parent)
    corpora.annotate_baku(ws)
    index = SearchIndex(Corpus(Workspace(ws)))
    index.update()
    index.close()
    return ws


def _tag(who: str, ws: Path) -> dict:
    """One more tag on the Baku Dialogues issue (1,000 on it already), then its index update:
    ours as the reader's indexing process runs it; raw Whoosh replacing that passage only."""
    from whoosh import index as windex

    from briefreader.core.annotations import AnnotationStore, make_annotation
    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.manifest import IndexReport
    from briefreader.core.workspace import Workspace

    workspace = Workspace(ws)
    text = Corpus(workspace).load(corpora.BAKU).text
    passage = text.passages[len(text.passages) // 2]
    made = make_annotation(text, passage.start, passage.end, "disputed", "bench", "one more")
    AnnotationStore(workspace).add(corpora.BAKU, made, text)
    index = SearchIndex(Corpus(workspace))
    if who == "ours":
        start = time.perf_counter()
        report = index.update()
        seconds = time.perf_counter() - start
        assert report.changed == [corpora.BAKU] and report.passages == 1, report.summary
        assert not report.problems, report.problems
        return {"seconds": seconds, "passages": report.passages}
    document = index.corpus.load(corpora.BAKU)
    passages, _ = index._passages(document, IndexReport())
    fields = passages[passage.number - 1]
    start = time.perf_counter()
    ix = windex.open_dir(str(index.directory))
    writer = ix.writer()
    writer.update_document(**fields)
    writer.commit()
    ix.close()
    return {"seconds": time.perf_counter() - start, "passages": 1}


def measure(kind: str, size: int, base: Path | None) -> tuple[float, int]:
    """(seconds, peak RSS KiB) of one worker run on a fresh workspace (or a clone of `base`)."""
    scratch = corpora.scratch("indexing-")
    try:
        ws = corpora.clone(base, scratch) if base else corpora.fresh_workspace(size, scratch)
        cmd = [PYTHON, __file__, "--worker", kind, "--ws", str(ws), "--sizes", str(size)]
        _, peak, out = run_measured(cmd)
        return last_json(out)["seconds"], peak
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def profile_build(size: int) -> None:
    from pyinstrument import Profiler

    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.workspace import Workspace

    ws = corpora.fresh_workspace(size)
    with Profiler(interval=0.001) as profiler:
        SearchIndex(Corpus(Workspace(ws))).update()
    print(profiler.output_text(unicode=True, color=False))
    shutil.rmtree(ws, ignore_errors=True)


def main() -> None:
    parser = args_parser(__doc__)
    parser.add_argument("--runs-300", type=int, default=3, help="full builds at 300x (default 3)")
    parser.add_argument(
        "--profile", action="store_true", help="profile one full build at each size"
    )
    parser.add_argument("--worker", help=argparse_hidden())
    parser.add_argument("--ws", type=Path, help=argparse_hidden())
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.ws, int(args.sizes))))
        return
    if args.profile:
        for size in sizes_of(args.sizes):
            profile_build(size)
        return
    rows: list[Row] = []
    for size in sizes_of(args.sizes):
        label = f"{size}x ({corpora.megabytes(size):.0f} MB)" if size > 1 else "1x (0.37 MB)"
        corpora.passages_file(size)  # made once, outside any timing
        runs = args.runs_300 if size >= 300 else args.runs
        figures: dict[str, list[tuple[float, int]]] = {}
        for _ in range(runs):
            for kind in ("ours-build", "raw-build"):
                log(f"{size}x {kind} …")
                figures.setdefault(kind, []).append(measure(kind, size, None))
        base = corpora.indexed_workspace(size)
        for _ in range(args.runs):
            for kind in ("ours-change", "raw-change", "ours-add", "raw-add"):
                figures.setdefault(kind, []).append(measure(kind, size, base))
        scratch = corpora.scratch("tagged-")
        try:
            tagged = tagged_workspace(size, scratch)
            for _ in range(args.runs):
                for kind in ("ours-tag", "raw-tag"):
                    figures.setdefault(kind, []).append(measure(kind, size, tagged))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        t = {k: median([s for s, _ in v]) for k, v in figures.items()}
        peak = {k: max(p for _, p in v) for k, v in figures.items()}
        big = size >= 30
        ratio = t["ours-build"] / t["raw-build"]
        rows += [
            Row(f"full build (n={runs})", label, secs(t["ours-build"]), secs(t["raw-build"]),
                ratio, "≤ 1.1x raw" if big else "", ratio <= 1.1 if big else None),
            Row("  peak RSS of the build", label, mb(peak["ours-build"]), mb(peak["raw-build"]),
                peak["ours-build"] / peak["raw-build"]),
            Row("incremental: 1 doc changed", label, secs(t["ours-change"]),
                secs(t["raw-change"]), t["ours-change"] / t["raw-change"],
                "≤ 1 s" if size == 30 else "", t["ours-change"] <= 1 if size == 30 else None),
            Row("incremental: 1 doc added", label, secs(t["ours-add"]), secs(t["raw-add"]),
                t["ours-add"] / t["raw-add"]),
            Row("incremental: 1 tag added (1,000 on the doc)", label, secs(t["ours-tag"]),
                secs(t["raw-tag"]), t["ours-tag"] / t["raw-tag"]),
        ]  # fmt: skip
    notes = [
        "ours: `SearchIndex(Corpus(ws)).update()` in a fresh process (read, decode, normalise, "
        "place annotations, write, commit, manifest); reference: raw Whoosh (default writer, "
        "same `_schema()`) adding the same passage fields, read back from a pickle made "
        "beforehand, and committing",
        "incremental: the Baku Dialogues issue (262 kB) replaced by a variant, or added as a new "
        "file, on a copy of a current index; raw Whoosh deletes its passages by `doc` and adds "
        "the new ones (normalised beforehand)",
        "tag: one annotation added to the Baku Dialogues issue, which has 1,000 (indexed); ours "
        "finds which passages' tags changed and re-indexes those; raw Whoosh replaces that "
        "passage (`update_document`, fields made beforehand)",
        "times are medians measured inside the child (interpreter start excluded); peak RSS is "
        "the child's ru_maxrss (interpreter and imports included), the maximum over runs",
    ]
    emit(table("Indexing", rows, notes))


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
