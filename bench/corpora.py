"""Scaled corpora (Nx the bundled documents, each copy varied a little), cached in a temp dir."""

from __future__ import annotations

import os
import pickle
import random
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BUNDLED, args_parser, log, sizes_of

VERSION = 1  # bump when the way copies are made changes
CACHE = Path(
    os.environ.get("BRIEFREADER_BENCH_CACHE") or Path(tempfile.gettempdir()) / "briefreader-bench"
)
BAKU = "baku-dialogues-vol6-no2-winter-2022-2023.txt"
# a lowercase word standing alone (not half of a word hyphenated at a line end)
_WORD = re.compile(r"(?<!-\n)(?<![\w\-’'])[a-z]{4,}(?![\w\-’'])")
PER_PARAGRAPH = 2  # words replaced in each blank-line-separated chunk of a copy


class _Varier:
    """Makes copies of one document that differ by a few words per paragraph."""

    def __init__(self, text: str) -> None:
        self.text = text
        counts = Counter(line.strip() for line in text.splitlines())
        self.chunks: list[tuple[str, list[tuple[int, int]]]] = []
        for chunk in text.split("\n\n"):
            spans = [
                (m.start(), m.end())
                for m in _WORD.finditer(chunk)
                # never touch running heads and other repeated lines
                if counts[_line_around(chunk, m.start()).strip()] == 1
            ]
            self.chunks.append((chunk, spans))
        self.vocabulary = sorted(set(_WORD.findall(text)))

    def copy(self, seed: str) -> str:
        rng = random.Random(seed)
        out = []
        for chunk, spans in self.chunks:
            if spans:
                pieces, last = [], 0
                for s, e in sorted(rng.sample(spans, min(PER_PARAGRAPH, len(spans)))):
                    pieces += [chunk[last:s], rng.choice(self.vocabulary)]
                    last = e
                chunk = "".join(pieces) + chunk[last:]
            out.append(chunk)
        return "\n\n".join(out)


def _line_around(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : None if end < 0 else end]


def copy_name(name: str, k: int) -> str:
    stem, dot, suffix = name.rpartition(".")
    return name if k == 0 else f"{stem}--v{k:03d}{dot}{suffix}"


def corpus_dir(size: int) -> Path:
    """The corpus of `size` times the bundled documents (built once, then cached)."""
    target = CACHE / f"corpus-{size}x-v{VERSION}"
    if target.is_dir():
        return target
    log(f"building the {size}x corpus in {target} …")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    catalog = yaml.safe_load((BUNDLED / "catalog.yaml").read_text(encoding="utf-8"))["documents"]
    entries = {}
    for path in sorted(BUNDLED.glob("*.txt")):
        varier = _Varier(path.read_text(encoding="utf-8"))
        for k in range(size):
            name = copy_name(path.name, k)
            text = varier.text if k == 0 else varier.copy(f"{path.name}:{k}")
            (partial / name).write_text(text, encoding="utf-8")
            if path.name in catalog:
                entry = dict(catalog[path.name])
                if k:
                    entry["title"] = f"{entry.get('title', path.stem)} (copy {k})"
                entries[name] = entry
    (partial / "catalog.yaml").write_text(
        yaml.safe_dump({"documents": entries}, sort_keys=False, allow_unicode=True, width=200),
        encoding="utf-8",
    )
    partial.rename(target)
    return target


def megabytes(size: int) -> float:
    root = corpus_dir(size)
    return sum(p.stat().st_size for p in root.glob("*.txt")) / 1e6


def _link_or_copy(src: str, dst: str) -> None:
    # corpus files are shared by hard link (they are never written to: a bench that changes a
    # document writes a new file); everything else (index, state) is copied
    if f"{os.sep}corpus{os.sep}" in dst:
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def scratch(prefix: str, parent: Path | None = None) -> Path:
    """A new empty folder in `parent`, else in the cache (made if it does not exist yet)."""
    parent = parent or CACHE
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def fresh_workspace(size: int, parent: Path | None = None) -> Path:
    """A new workspace holding the `size` corpus and no index."""
    root = scratch(f"ws-{size}x-", parent)
    shutil.copytree(corpus_dir(size), root / "corpus", copy_function=os.link)
    return root


def clone(workspace: Path, parent: Path | None = None) -> Path:
    """A copy of a workspace (corpus hard-linked, index and state copied)."""
    root = scratch("clone-", parent) / "ws"
    shutil.copytree(workspace, root, copy_function=_link_or_copy)
    return root


def indexed_workspace(size: int) -> Path:
    """A cached workspace of the `size` corpus whose index is current (built once)."""
    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.workspace import Workspace

    root = CACHE / f"indexed-{size}x-v{VERSION}"
    if not (root / "corpus").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        shutil.copytree(corpus_dir(size), root / "corpus", copy_function=os.link)
    index = SearchIndex(Corpus(Workspace(root)))
    if not index.is_current():
        log(f"indexing the {size}x corpus in {root} (once) …")
        index.update()
    index.close()
    return root


ANNOTATIONS = 1000  # on the Baku Dialogues issue, where a bench needs a heavily tagged document
TAGS = ("factual", "disputed", "rhetorical")


def annotate_baku(ws: Path, count: int = ANNOTATIONS) -> None:
    """`count` annotations on random spans of the Baku Dialogues issue, saved at once."""
    from briefreader.core.annotations import AnnotationStore, make_annotation
    from briefreader.core.corpus import Corpus
    from briefreader.core.workspace import Workspace

    workspace = Workspace(ws)
    text = Corpus(workspace).load(BAKU).text
    rng = random.Random(7)
    made = []
    for i in range(count):
        passage = rng.choice(text.passages)
        start = passage.start + rng.randrange(max(1, len(passage.text) - 40))
        end = min(passage.end, start + rng.randint(20, 160))
        made.append(make_annotation(text, start, end, TAGS[i % 3], "bench", f"note {i}"))
    AnnotationStore(workspace).change(BAKU, lambda contents: contents.annotations.extend(made))


def passages_file(size: int) -> Path:
    """The index fields of every passage of the `size` corpus, as briefreader builds them, one
    pickled list per document: what raw Whoosh is fed in the floor benchmarks."""
    from briefreader.core.corpus import Corpus
    from briefreader.core.index import SearchIndex
    from briefreader.core.manifest import INDEX_FORMAT, IndexReport
    from briefreader.core.models import NORMALIZER_VERSION
    from briefreader.core.workspace import Workspace

    path = CACHE / f"passages-{size}x-v{VERSION}-f{INDEX_FORMAT}-n{NORMALIZER_VERSION}.pickle"
    if path.exists():
        return path
    log(f"computing the passages of the {size}x corpus (once) …")
    root = fresh_workspace(size)
    index = SearchIndex(Corpus(Workspace(root)))
    partial = path.with_suffix(".partial")
    with partial.open("wb") as f:
        for info in index.corpus.documents:
            document = index.corpus.load(info)
            index.corpus._loaded.clear()  # keep memory flat at 300x
            fields = list(index._passage_fields(document.info, document, IndexReport()))
            pickle.dump((info.id, fields), f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.rename(path)
    shutil.rmtree(root, ignore_errors=True)
    return path


def read_passages(path: Path):
    """Yield (doc id, [fields, …]) for each document of a passages file."""
    with path.open("rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def main() -> None:
    parser = args_parser(__doc__)
    parser.add_argument("--clean", action="store_true", help=f"delete {CACHE} first")
    args = parser.parse_args()
    if args.clean:
        shutil.rmtree(CACHE, ignore_errors=True)
    for size in sizes_of(args.sizes):
        root = corpus_dir(size)
        files = len(list(root.glob("*.txt")))
        print(f"{size}x: {megabytes(size):.2f} MB in {files} files at {root}")


if __name__ == "__main__":
    main()
