"""The full-text index of passages: the only module that imports Whoosh.

The index is a cache under `.briefreader/index/`, rebuilt whenever it is missing, stale or
corrupt. Whoosh unpickles its schema from the index files, so an index is opened only if
its table of contents is the one this code recorded in `manifest.json` after writing it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import TypeVar

from filelock import FileLock
from filelock import Timeout as LockTimeout
from whoosh import index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.collectors import FilterCollector, TermsCollector, TopCollector, WrappingCollector
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import FieldAliasPlugin, FuzzyTermPlugin, QueryParser
from whoosh.query import NullQuery, Or, Phrase, Query, Term
from whoosh.searching import Hit as WhooshHit

from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus, Document, read_bytes
from briefreader.core.errors import (
    AnnotationError,
    BriefreaderError,
    DocumentError,
    IndexUnavailable,
    Problem,
    QueryError,
    SearchCancelled,
)
from briefreader.core.manifest import IndexReport, Manifest, meta_hash
from briefreader.core.models import Annotation, DocumentInfo, Hit, SearchResults, Snippet
from briefreader.core.textcache import TextCache

LOCK_TIMEOUT = 10.0  # seconds to wait for another process that is writing the index
SNIPPET_CHARS = 240
KEY_TERMS = 12  # words of a passage that find its counter-passages
SECTION_SEPARATOR = " › "

FIELDS = (
    "title",
    "doc",
    "section",
    "publisher",
    "date",
    "side",
    "kind",
    "tag",
    "note",
    "annotator",
)
ALIASES = {"publisher": ["author", "source"], "tag": ["tags"], "doc": ["document"]}

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]  # asked as a search runs: has its result stopped mattering?
T = TypeVar("T")  # (done, total, what is being indexed)


def _schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),  # "<doc id>#<passage number>"
        doc=ID(stored=True),
        passage=NUMERIC(int, stored=True),
        start=STORED,
        end=STORED,
        title=TEXT(stored=True),
        section=TEXT(stored=True),
        publisher=TEXT,
        date=KEYWORD,  # "2025-02" is indexed as "2025 2025-02", so date:2025 finds it
        side=KEYWORD(lowercase=True),
        kind=TEXT,  # "monthly bulletin": kind:bulletin finds it
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        # the body again, unstemmed: fuzzy terms (`negotiaton~`) are matched against words
        exact=TEXT(analyzer=RegexTokenizer() | LowercaseFilter()),
        tag=KEYWORD(lowercase=True),
        note=TEXT(analyzer=StemmingAnalyzer()),
        annotator=KEYWORD(lowercase=True),
    )


class _Cancellable(WrappingCollector):
    """Stops a search at the next match once `cancelled()` is true: a search for a key
    already typed over must not hold up the search for the newest one."""

    def __init__(self, child, cancelled: Cancelled) -> None:
        super().__init__(child)
        self.cancelled = cancelled

    def matches(self):
        for docnum in self.child.matches():
            if self.cancelled():
                raise SearchCancelled
            yield docnum


def _number(fields: dict) -> str:
    return str(fields["passage"])  # as a key of JSON


def _date_terms(date: str) -> str:
    terms: list[str] = []
    for part in date.split("/"):
        pieces = part.split("-")
        terms += ["-".join(pieces[: i + 1]) for i in range(len(pieces))]
    return " ".join(dict.fromkeys(terms))


class SearchIndex:
    """Builds, updates and searches the passage index of one workspace."""

    def __init__(self, corpus: Corpus, store: AnnotationStore | None = None) -> None:
        self.corpus = corpus
        self.store = store or AnnotationStore(corpus.workspace)
        self.directory = corpus.workspace.index_dir
        self.manifest = Manifest(self.directory, self.store)
        self.schema = _schema()
        self._parser = QueryParser("body", self.schema)
        self._parser.add_plugin(FuzzyTermPlugin())
        self._parser.add_plugin(FieldAliasPlugin(ALIASES))
        self._ix: index.Index | None = None
        self._searcher = None
        self._search_lock = threading.RLock()  # searching may rebuild, which closes

    # -- building ------------------------------------------------------------------------

    def is_current(self) -> bool:
        """Whether the index matches the corpus on disk, judged by file sizes and times."""
        return self.manifest.is_current(self.corpus)

    def _lock(self) -> FileLock:
        self.corpus.workspace.prepare_state()
        return FileLock(self.corpus.workspace.state_dir / "index.lock", timeout=LOCK_TIMEOUT)

    def update(
        self,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Bring the index up to date with the corpus, re-indexing only files that changed."""
        try:
            with self._lock():
                return self._update(rebuild, progress, cancel)
        except LockTimeout:
            raise IndexUnavailable(
                f"another briefreader has been updating the index for {LOCK_TIMEOUT:.0f} s; "
                "wait for it to finish, or stop it",
                self.directory,
            ) from None
        except OSError as exc:
            raise IndexUnavailable(
                f"cannot write the index ({exc.strerror}); make .briefreader/ writable "
                "or delete it",
                self.directory,
            ) from None

    def _update(
        self, rebuild: bool, progress: Progress | None, cancel: threading.Event | None
    ) -> IndexReport:
        report = IndexReport()
        manifest, reason = self.manifest.verified()
        if rebuild or manifest is None:
            report.rebuilt = "rebuilding the index as asked" if rebuild else reason
            self._close()
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory.mkdir(parents=True)
            index.create_in(str(self.directory), self.schema)
            manifest = {"docs": {}}
        old_docs: dict[str, dict] = manifest.get("docs", {})
        docs: dict[str, dict] = {}
        todo: list[tuple[DocumentInfo, bytes | None]] = []
        retagged: list[tuple[DocumentInfo, dict]] = []  # only their annotations changed
        touched = False  # files whose time changed but not their content
        for info in self.corpus.documents:
            entry = old_docs.get(info.id)
            if entry is not None and self.manifest.stat_matches(info, entry):
                docs[info.id] = entry
                report.unchanged.append(info.id)
                continue
            try:
                data = read_bytes(info.path)
            except DocumentError as exc:
                report.problems.append(Problem.from_error(exc))
                continue
            digest = hashlib.sha256(data).hexdigest()
            same = entry is not None and entry.get("sha256") == digest
            if same and self.manifest.meta_matches(info, entry):  # touched, not changed
                stat = info.path.stat()
                docs[info.id] = entry | {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
                report.unchanged.append(info.id)
                touched = True
                continue
            indexed_notes = entry.get("notes") if same else None
            if isinstance(indexed_notes, dict) and entry.get("meta") == meta_hash(info):
                retagged.append((info, entry))
                report.changed.append(info.id)
                continue
            todo.append((info, data))
            (report.changed if info.id in old_docs else report.added).append(info.id)
        report.removed = sorted(set(old_docs) - {info.id for info in self.corpus.documents})
        dropped = set(old_docs) - set(docs) - {info.id for info, _ in todo + retagged}
        retags = self._retag(retagged, docs, report, cancel)
        if report.cancelled:
            return report
        if not todo and not dropped and not retags:
            if report.rebuilt or touched or retagged:
                self._write_manifest(docs)
            return report

        ix = index.open_dir(str(self.directory), schema=self.schema)
        try:
            # separate segment files: whoosh-reloaded reads a compound segment by copying
            # each part into memory (BytesIO over its mmap), 600 MB for a 110 MB corpus
            writer = ix.writer(timeout=LOCK_TIMEOUT, compound=False)
        except LockError:
            ix.close()
            raise IndexUnavailable(
                "the index is locked by another process; wait for it, or delete .briefreader/",
                self.directory,
            ) from None
        total = sum(len(data) for _, data in todo) or 1
        done = 0
        try:
            for doc_id in dropped:
                writer.delete_by_term("doc", doc_id)
            for fields in retags:
                writer.update_document(**fields)
                report.passages += 1
            for info, data in todo:
                if cancel is not None and cancel.is_set():
                    writer.cancel()
                    report.cancelled = True
                    return report
                if progress:
                    progress(done, total, info.id)
                writer.delete_by_term("doc", info.id)
                try:
                    document = self.corpus.load(info)
                except DocumentError as exc:
                    report.problems.append(Problem.from_error(exc))
                    for bucket in (report.added, report.changed):
                        if info.id in bucket:
                            bucket.remove(info.id)
                    continue
                # stamped before they are read: a tag saved meanwhile leaves the stamp stale,
                # so the next update indexes it
                annotations = self.manifest.annotations_stamp(info.id)
                passages, notes = self._passages(document, report)
                for fields in passages:
                    writer.add_document(**fields)
                report.passages += len(passages)
                stat = info.path.stat()
                docs[info.id] = {
                    "sha256": document.sha256,
                    "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns,
                    "meta": meta_hash(info),
                    "annotations": annotations,
                    "passages": len(passages),
                    "notes": notes,
                }
                done += len(data)
            if progress:
                progress(total, total, "")
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
        self._write_manifest(docs)
        return report

    def _retag(
        self,
        retagged: list[tuple[DocumentInfo, dict]],
        docs: dict[str, dict],
        report: IndexReport,
        cancel: threading.Event | None,
    ) -> list[dict]:
        """The fields of the passages whose annotations changed, in documents whose text and
        catalog entry did not, and their manifest entries (into `docs`): a tag re-indexes its
        passage (re-indexing all of the Baku issue, with 1,000 annotations, took 2.7-3.1 s)."""
        retags: list[dict] = []
        for info, entry in retagged:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return []
            annotations = self.manifest.annotations_stamp(info.id)  # before they are read
            try:
                stat = info.path.stat()  # before it is read: an edit after shows next time
                document = self.corpus.load(info)
            except DocumentError as exc:
                report.problems.append(Problem.from_error(exc))
                document = None
            except OSError:  # gone since it was listed: the next update drops it
                document = None
            if document is None or document.sha256 != entry["sha256"]:  # edited meanwhile
                report.changed.remove(info.id)
                docs[info.id] = entry  # as indexed: the next update sees what changed
                continue
            passages, notes = self._passages(document, report)
            old = entry["notes"]
            retags += [f for f in passages if notes.get(_number(f)) != old.get(_number(f))]
            docs[info.id] = entry | {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "annotations": annotations,
                "notes": notes,
            }
        return retags

    def _passages(self, document: Document, report: IndexReport) -> tuple[list[dict], dict]:
        """The fields of each passage, and what the annotations of each annotated passage
        put into them, in short (by passage number), to tell which a change of tags touches."""
        passages = list(self._passage_fields(document.info, document, report))
        notes = {}
        for fields in passages:
            said = [fields["tag"], fields["note"], fields["annotator"]]
            if any(said):
                notes[_number(fields)] = hashlib.sha256(json.dumps(said).encode()).hexdigest()[:16]
        return passages, notes

    def _passage_fields(
        self, info: DocumentInfo, document: Document, report: IndexReport
    ) -> Iterable[dict]:
        side = info.side.casefold()
        notes: dict[int, list[Annotation]] = {}
        try:
            placed = self.store.place(info.id, document.text)
        except AnnotationError as exc:
            report.problems.append(Problem.from_error(exc))
            placed = []
        for item in placed:
            passage = document.text.passage_at(item.anchor.start) if item.anchor.placed else None
            if passage is not None:
                notes.setdefault(passage.number, []).append(item.annotation)
        dates = _date_terms(info.date)
        source = " ".join(filter(None, [info.publisher, info.author]))
        for passage in document.text.passages:
            section = SECTION_SEPARATOR.join(passage.section.path) if passage.section else ""
            yield {
                "key": f"{info.id}#{passage.number}",
                "doc": info.id,
                "passage": passage.number,
                "start": passage.start,
                "end": passage.end,
                "title": info.title,
                "section": section,
                "publisher": source,
                "date": dates,
                "side": side,
                "kind": info.kind,
                "tag": " ".join(a.tag for a in notes.get(passage.number, ())),
                "note": "\n".join(a.note for a in notes.get(passage.number, ())),
                "annotator": " ".join(a.annotator for a in notes.get(passage.number, ())),
                "body": passage.text,
                "exact": passage.text,
            }

    def _write_manifest(self, docs: dict[str, dict]) -> None:
        self.manifest.write(docs)
        TextCache(self.corpus.workspace).prune({entry["sha256"] for entry in docs.values()})

    # -- searching -----------------------------------------------------------------------

    def _close(self) -> None:
        with self._search_lock:
            if self._searcher is not None:
                self._searcher.close()
            if self._ix is not None:
                self._ix.close()
            self._searcher = self._ix = None

    def close(self) -> None:
        self._close()

    def _current_searcher(self):
        """A searcher on the latest committed index, verified before Whoosh opens it."""
        if self._searcher is None:
            manifest, _ = self.manifest.verified()
            if manifest is None:
                self.update()
            try:
                self._ix = index.open_dir(str(self.directory), schema=self.schema)
            except (index.EmptyIndexError, OSError, ValueError) as exc:
                raise IndexUnavailable(
                    f"cannot open the index ({exc}); run `briefreader index --rebuild`",
                    self.directory,
                ) from None
            self._searcher = self._ix.searcher()
        elif not self._searcher.up_to_date():
            # a fresh searcher, not refresh(): refresh reuses segment readers and can keep
            # their old deletions, so a re-indexed passage would show twice
            self._searcher.close()
            self._searcher = self._ix.searcher()
        return self._searcher

    def parse(self, text: str) -> Query:
        """A Whoosh query, or QueryError saying what is wrong with the text."""
        _check_syntax(text)
        try:
            query = self._parser.parse(_UNSTEMMED.sub(r"\1exact:", text))
        except Exception:  # Whoosh's parser trips over some operator sequences
            raise QueryError(f"cannot read the query {text!r}; check its AND, OR, NOT") from None
        if query is NullQuery:
            raise QueryError(
                f"nothing to search for in {text!r} (very common words like 'the' are ignored)"
            )
        for part in _parts(query):
            field_type = self.schema[part.fieldname] if isinstance(part, Phrase) else None
            if field_type is not None and not field_type.format.supports("positions"):
                raise QueryError(
                    f"{part.fieldname}: holds single values, not running text: search it "
                    f'for one word at a time (no "phrase")'
                )
        return query

    def search(
        self,
        text: str,
        limit: int = 20,
        side: str | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> SearchResults:
        """The best `limit` passages for the query (only those of one side, if given), with
        a highlighted snippet each. Raises SearchCancelled as soon as `cancelled()` is true."""
        if limit < 1:  # checked here: inside the search it would pass for a damaged index
            raise ValueError(f"limit must be at least 1, not {limit}")
        query = self.parse(text)
        only = None if side is None else Term("side", side.lower())

        def run() -> SearchResults:
            searcher = self._current_searcher()
            # Whoosh's own chain (searcher.collector) with a cancellable one inside: the
            # filter must stay outermost to see the matches first. Every match is scored
            # in one pass, so len() below is free and exact: with block skipping
            # (usequality) len() runs the whole query again, and a matcher replaced by a
            # cheaper one once the top `limit` are known (replace) stops counting the
            # passages that match one word of an OR.
            top = TopCollector(limit, usequality=False, replace=0)
            collector = TermsCollector(_Cancellable(top, cancelled))
            if only is not None:
                collector = FilterCollector(collector, only)
            searcher.search_with_collector(query, collector)
            results = collector.results()
            hits = []
            for hit in results:
                if cancelled():
                    raise SearchCancelled
                hits.append(self._hit(hit))
            return SearchResults(text, len(results), tuple(hits))

        return self._reading(run)

    def passages(self, text: str) -> set[tuple[str, int]]:
        """Every passage the query matches, as (document id, passage number), unranked and
        without snippets: what filters need."""
        query = self.parse(text)

        def run() -> set[tuple[str, int]]:
            searcher = self._current_searcher()
            found = searcher.search(query, limit=None, scored=False, optimize=False)
            return {(hit["doc"], hit["passage"]) for hit in found}

        return self._reading(run)

    def similar(
        self, doc_id: str, passage: int, limit: int = 20, terms: int = KEY_TERMS
    ) -> tuple[tuple[str, ...], tuple[Hit, ...]]:
        """Passages of *other* documents that speak of the same things as this passage: the
        best `limit` for its most telling words (Whoosh's key terms, Bo1 model, weighted by
        how telling each is), and those words as the passage spells them."""

        def run() -> tuple[tuple[str, ...], tuple[Hit, ...]]:
            searcher = self._current_searcher()
            docnum = searcher.document_number(key=f"{doc_id}#{passage}")
            if docnum is None:
                raise QueryError(f"passage {passage} of {doc_id} is not in the index")
            body = searcher.stored_fields(docnum)["body"]
            weighted = searcher.key_terms_from_text("body", body, numterms=terms)
            if not weighted:
                return (), ()
            query = Or([Term("body", term, boost=weight) for term, weight in weighted])
            mask = Term("doc", doc_id)
            results = searcher.search(query, limit=limit * 3, mask=mask, terms=True)
            # a passage sharing more of the words beats one that repeats a single word
            ranked = sorted(results, key=lambda hit: (-len(hit.matched_terms()), -hit.score))
            spelled = _spelled(body, [t for t, _ in weighted], self.schema["body"].analyzer)
            return spelled, tuple(self._hit(hit) for hit in ranked[:limit])

        return self._reading(run)

    def _reading(self, read: Callable[[], T]) -> T:
        """Run `read` on the index; if the index turns out damaged in a way the manifest
        could not see, rebuild it and try once more. The index is a cache, never trusted."""
        with self._search_lock:
            try:
                return read()
            except (BriefreaderError, SearchCancelled, KeyboardInterrupt):
                raise
            except Exception:  # whoosh fails in many ways on a damaged file
                self._close()
                self.update(rebuild=True)
            try:
                return read()
            except (BriefreaderError, SearchCancelled):
                raise
            except Exception as exc:
                raise IndexUnavailable(
                    f"the index is unreadable even after a rebuild ({exc}); delete .briefreader/",
                    self.directory,
                ) from None

    def _hit(self, hit: WhooshHit) -> Hit:
        body = hit["body"]
        words: dict[str, set[str]] = {"body": set(), "exact": set()}
        for fieldname, term in hit.matched_terms():
            if fieldname in words:
                words[fieldname].add(term.decode() if isinstance(term, bytes) else term)
        return Hit(
            doc_id=hit["doc"],
            title=hit["title"],
            passage=hit["passage"],
            section=hit["section"],
            score=round(hit.score, 4),
            start=hit["start"],
            end=hit["end"],
            snippet=_snippet(body, self._spans(body, words)),
        )

    def match_spans(self, text: str, passage_text: str) -> list[tuple[int, int]]:
        """Where the words of a query occur in `passage_text`, for highlighting a reading
        view; fuzzy and wildcard terms are expanded against the index."""
        query = self.parse(text)

        def expand() -> dict[str, set[str]]:
            words: dict[str, set[str]] = {"body": set(), "exact": set()}
            reader = self._current_searcher().reader()
            for fieldname, term in query.existing_terms(reader, expand=True):
                if fieldname in words:
                    words[fieldname].add(term.decode() if isinstance(term, bytes) else term)
            return words

        return self._spans(passage_text, self._reading(expand))

    def _spans(self, text: str, words: dict[str, set[str]]) -> list[tuple[int, int]]:
        spans: set[tuple[int, int]] = set()
        for fieldname, wanted in words.items():
            if wanted:
                analyzer = self.schema[fieldname].analyzer
                spans.update(
                    (token.startchar, token.endchar)
                    for token in analyzer(text, chars=True, mode="query", removestops=False)
                    if token.text in wanted
                )
        return sorted(spans)


def _spelled(text: str, stems: list[str], analyzer) -> tuple[str, ...]:
    """Indexed (stemmed) terms as `text` spells them: "negoti" as "negotiations"."""
    spelled: dict[str, str] = {}
    for token in analyzer(text, chars=True, mode="query"):
        spelled.setdefault(token.text, text[token.startchar : token.endchar])
    return tuple(spelled.get(stem, stem) for stem in stems)


def _snippet(body: str, spans: list[tuple[int, int]]) -> Snippet:
    """The stretch of `body` around its densest cluster of matches."""
    if len(body) <= SNIPPET_CHARS:
        return Snippet(body, tuple(spans))
    start = 0
    if spans:
        best = max(
            range(len(spans)),
            key=lambda i: sum(1 for s in spans[i:] if s[1] <= spans[i][0] + SNIPPET_CHARS - 70),
        )
        start = max(0, spans[best][0] - 70)
        start = body.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(body), start + SNIPPET_CHARS)
    if end < len(body):
        end = body.rfind(" ", start, end) if " " in body[start:end] else end
    lead = "…" if start else ""
    tail = "…" if end < len(body) else ""
    shift = len(lead) - start
    inside = tuple((a + shift, b + shift) for a, b in spans if a >= start and b <= end)
    return Snippet(lead + body[start:end] + tail, inside)


# A fuzzy or wildcard word with no field is matched against unstemmed words: "negotiaton~"
# must find "negotiation", whose stem "negoti" is too far from the typo, and "negotia*" must
# find "negotiations", whose stem "negoti" does not start with "negotia".
_UNSTEMMED = re.compile(
    r'(^|[\s(])(?:body:)?(?=[^\s:"()]*(?:[*?][^\s:"()]*|[^\s:"()]~\d*)(?:[\s)]|$))'
)
_FIELD_PREFIX = re.compile(r"(?<!\w)([A-Za-z_]\w*):(?=\S)")  # also "doc:start:…"
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"}


def _parts(query: Query) -> Iterable[Query]:
    yield query
    for child in query.children():
        yield from _parts(child)


def _check_syntax(text: str) -> None:
    """Catch the mistakes Whoosh would silently read as something else."""
    if text.count('"') % 2:
        raise QueryError('unclosed quote: a phrase needs a closing "')
    outside = re.sub(r'"[^"]*"', '""', text)
    depth = 0
    for char in outside:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise QueryError("a ')' without its '('")
    if depth:
        raise QueryError("a '(' without its ')'")
    known = {*FIELDS, *(alias for names in ALIASES.values() for alias in names), "body", "exact"}
    for name in _FIELD_PREFIX.findall(outside):
        if name not in known:
            fields = ", ".join(f"{f}:" for f in FIELDS)
            raise QueryError(f"unknown field {name + ':'!r}; use one of {fields}")
    words = outside.split()
    if words and (words[0] in {"AND", "OR"} or words[-1] in {"AND", "OR", "NOT"}):
        raise QueryError("AND, OR and NOT need a term to work on")
    for first, second in pairwise(words):
        if first in _OPERATORS and second in _OPERATORS:
            raise QueryError(f"{first} {second}: two operators in a row need a term between")
