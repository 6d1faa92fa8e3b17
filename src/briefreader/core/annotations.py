"""The annotation store: one YAML file per document under `annotations/`, never losing work.

Every change is applied to what is on disk *now*: under a lock, the file is read again, the
one change is applied by id, and the result is written atomically. Two running instances
therefore never overwrite each other's annotations, and a file edited by hand or by git is
picked up. A file that cannot be read is reported and never overwritten.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from briefreader.core.anchoring import Anchor, anchor, context_of
from briefreader.core.atomic import temp_files_of, write_atomic
from briefreader.core.errors import AnnotationError, BriefreaderError, Problem
from briefreader.core.models import RELATIONS, Annotation, Link, NormalizedText, Target
from briefreader.core.workspace import Workspace
from briefreader.core.yamlio import Mapping, Sequence, dump_yaml, load_yaml, location

if TYPE_CHECKING:
    from briefreader.core.corpus import Corpus

SUFFIX = ".yaml"
LOCK_TIMEOUT = 5.0
_KEYS = ("id", "tag", "note", "links", "annotator", "created", "updated", "target")
_TARGET_KEYS = ("quote", "prefix", "suffix", "start", "end")
_LINK_KEYS = ("relation", "doc", "id")
# A top-level key: the hash of the normalised text the file was last saved against, by which
# the annotations of a renamed document find it again (see AnnotationStore.relink).
TEXT_HASH = "text_sha256"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def resolve_annotator(explicit: str | None, workspace: Workspace) -> str:
    """Who is annotating: --annotator, else $BRIEFREADER_ANNOTATOR, else the workspace's git
    user name, else the OS user."""
    for name in (explicit, os.environ.get("BRIEFREADER_ANNOTATOR")):
        if name and name.strip():
            return name.strip()
    try:
        result = subprocess.run(
            ["git", "config", "user.name"],
            cwd=workspace.root,
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@dataclass
class AnnotationFile:
    """The contents of one annotation file."""

    document: str
    annotations: list[Annotation] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)  # unknown top-level keys, kept


@dataclass(frozen=True)
class Placed:
    """An annotation and where it lies in the current text of its document."""

    annotation: Annotation
    anchor: Anchor


class AnnotationStore:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        # Parsing and dumping YAML is most of the cost of saving a big file, so each file's
        # last text read or written here is kept parsed (reused only while the file holds
        # exactly that text), with each annotation's rendered YAML (reused while unchanged).
        self._parsed: dict[Path, tuple[str, AnnotationFile]] = {}
        self._rendered: dict[Path, dict[str, tuple[Annotation, str]]] = {}

    @property
    def root(self) -> Path:
        return self.workspace.annotations_dir

    def path_for(self, doc_id: str) -> Path:
        return self.root / f"{doc_id}{SUFFIX}"

    def doc_ids(self) -> list[str]:
        """The documents that have an annotation file."""
        if not self.root.is_dir():
            return []
        return sorted(
            path.relative_to(self.root).as_posix()[: -len(SUFFIX)]
            for path in self.root.rglob(f"*{SUFFIX}")
            if path.is_file()
            and not any(p.startswith(".") for p in path.relative_to(self.root).parts)
            and path.name != "codebook.yaml"
        )

    # -- reading -------------------------------------------------------------------------

    def load(self, doc_id: str) -> AnnotationFile:
        """The annotations of a document (none if it has no file); AnnotationError names the
        file, line and what is wrong if the file is malformed."""
        path = self.path_for(doc_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AnnotationFile(doc_id)
        except UnicodeDecodeError:
            raise AnnotationError("not UTF-8 text; restore it from a backup or git", path) from None
        except OSError as exc:
            raise AnnotationError(f"cannot read ({exc.strerror})", path) from None
        cached = self._parsed.get(path)
        if cached is None or cached[0] != text:
            cached = text, parse(text, path, doc_id)
            self._parsed[path] = cached
        return _copy(cached[1])

    def prepare(self, doc_id: str) -> None:
        """Read and render a document's file ahead of its next save (the first save of a
        big file otherwise pays for both); a file that cannot be read is left to the save."""
        try:
            contents = self.load(doc_id)
        except AnnotationError:
            return
        render(contents, self._rendered.setdefault(self.path_for(doc_id), {}))

    def place(self, doc_id: str, text: NormalizedText) -> list[Placed]:
        """Every annotation of a document, anchored in its current text, in reading order."""
        placed = [Placed(a, anchor(text.text, a.target)) for a in self.load(doc_id).annotations]
        return sorted(placed, key=lambda p: (p.anchor.start < 0, p.anchor.start, p.anchor.end))

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def _locked(self, doc_id: str) -> Iterator[None]:
        """Hold the lock that every save of this document's annotation file holds."""
        from filelock import FileLock, Timeout  # on the first save: off the reader's start

        locks = self.workspace.prepare_state() / "locks"
        locks.mkdir(exist_ok=True)
        name = hashlib.sha1(doc_id.encode()).hexdigest()[:16]
        try:
            with FileLock(locks / f"{name}.lock", timeout=LOCK_TIMEOUT):
                yield
        except Timeout:
            raise AnnotationError(
                f"another briefreader has held this file's lock for {LOCK_TIMEOUT:.0f} s; "
                "try again, or close the other instance",
                self.path_for(doc_id),
            ) from None

    def change(
        self,
        doc_id: str,
        edit: Callable[[AnnotationFile], None],
        text: NormalizedText | None = None,
    ) -> AnnotationFile:
        """Apply `edit` to the file as it is on disk now, and save the result atomically.
        Given the document's current `text`, annotations that were re-anchored confidently
        are saved at their new place (the only time a move is written)."""
        path = self.path_for(doc_id)
        with self._locked(doc_id):
            # every save of this file holds this lock: a temp file of it now is debris of a
            # save that was killed, never one in progress
            for debris in temp_files_of(path):
                debris.unlink(missing_ok=True)
            current = self.load(doc_id)  # malformed: raises, the file is left alone
            edit(current)
            if text is not None:
                digest = text_hash(text)
                if current.extra.get(TEXT_HASH) != digest:  # else every one is in place
                    current.annotations = [_reanchored(a, text) for a in current.annotations]
                current.extra[TEXT_HASH] = digest
            self._write(path, current)
            return current

    def _write(self, path: Path, contents: AnnotationFile) -> None:
        self._parsed.pop(path, None)
        if not contents.annotations and not contents.extra.keys() - {TEXT_HASH}:
            path.unlink(missing_ok=True)  # no annotations left: no file to clutter git
            return
        rendered = self._rendered.setdefault(path, {})
        text = render(contents, rendered)
        live = {a.id for a in contents.annotations}
        for gone in rendered.keys() - live:
            del rendered[gone]
        try:
            write_atomic(path, text)
            self._parsed[path] = text, _copy(contents, in_file_order=True)
        except OSError as exc:
            raise AnnotationError(
                f"cannot save ({exc.strerror}); your change is not saved: free space or make "
                "annotations/ writable, then try again",
                path,
            ) from None

    def add(
        self, doc_id: str, annotation: Annotation, text: NormalizedText | None = None
    ) -> Annotation:
        def edit(contents: AnnotationFile) -> None:
            if any(a.id == annotation.id for a in contents.annotations):
                raise AnnotationError(f"an annotation with id {annotation.id} already exists")
            contents.annotations.append(annotation)

        self.change(doc_id, edit, text)
        return annotation

    def update(
        self, doc_id: str, annotation_id: str, text: NormalizedText | None = None, **changes
    ) -> Annotation:
        """Change fields of one annotation (e.g. note=...), stamping `updated`."""
        result: list[Annotation] = []

        def edit(contents: AnnotationFile) -> None:
            for i, existing in enumerate(contents.annotations):
                if existing.id == annotation_id:
                    contents.annotations[i] = replace(existing, **changes, updated=now())
                    result.append(contents.annotations[i])
                    return
            raise AnnotationError(f"no annotation {annotation_id} on {doc_id}")

        self.change(doc_id, edit, text)
        return result[0]

    def delete(
        self, doc_id: str, annotation_id: str, text: NormalizedText | None = None
    ) -> Annotation:
        removed: list[Annotation] = []

        def edit(contents: AnnotationFile) -> None:
            for existing in contents.annotations:
                if existing.id == annotation_id:
                    contents.annotations.remove(existing)
                    removed.append(existing)
                    return
            raise AnnotationError(f"no annotation {annotation_id} on {doc_id}")

        self.change(doc_id, edit, text)
        return removed[0]

    # -- links between annotations --------------------------------------------------------

    def find(self, doc_id: str, annotation_id: str) -> Annotation | None:
        """Annotation `annotation_id` of `doc_id`, None if there is none (AnnotationError if
        the document's annotation file is malformed)."""
        return next((a for a in self.load(doc_id).annotations if a.id == annotation_id), None)

    def link(
        self, doc_id: str, annotation_id: str, link: Link, text: NormalizedText | None = None
    ) -> Annotation:
        """Add `link` to annotation `annotation_id` of `doc_id` (stamping `updated`) and
        return the annotation. Linking twice (same document, id and relation) changes
        nothing. The relation must be one of RELATIONS and the annotation linked to must
        exist; an annotation cannot link to itself."""
        if link.relation not in RELATIONS:
            raise AnnotationError(
                f"unknown relation {link.relation!r}; use one of {', '.join(RELATIONS)}"
            )
        if not link.doc or not link.id:
            raise AnnotationError("a link needs the document and the id it links to")
        if (link.doc, link.id) == (doc_id, annotation_id):
            raise AnnotationError(f"annotation {annotation_id} cannot link to itself")
        missing = AnnotationError(
            f"no annotation {link.id} on {link.doc} to link to; annotate that passage first"
        )
        # another document is read as it is now; this one, below, under its lock
        if link.doc != doc_id and self.find(link.doc, link.id) is None:
            raise missing
        result: list[Annotation] = []

        def edit(contents: AnnotationFile) -> None:
            if link.doc == doc_id and not any(a.id == link.id for a in contents.annotations):
                raise missing
            i, existing = _find(contents, doc_id, annotation_id)
            if not existing.linked(link):
                links = (*existing.links, link)
                contents.annotations[i] = replace(existing, links=links, updated=now())
            result.append(contents.annotations[i])

        self.change(doc_id, edit, text)
        return result[0]

    def unlink(
        self, doc_id: str, annotation_id: str, link: Link, text: NormalizedText | None = None
    ) -> Annotation:
        """Remove `link` (matched by document, id and relation) from annotation
        `annotation_id` of `doc_id` and return the annotation; a link it does not hold
        changes nothing."""
        result: list[Annotation] = []

        def edit(contents: AnnotationFile) -> None:
            i, existing = _find(contents, doc_id, annotation_id)
            kept = tuple(other for other in existing.links if other.key != link.key)
            if kept != existing.links:
                contents.annotations[i] = replace(existing, links=kept, updated=now())
            result.append(contents.annotations[i])

        self.change(doc_id, edit, text)
        return result[0]

    def links_to(
        self, doc_id: str, annotation_id: str | None = None
    ) -> list[tuple[str, Annotation, Link]]:
        """Every (document, annotation, link) whose link points at annotation
        `annotation_id` of `doc_id` (at any annotation of it, if None): the other end of its
        links, to show them in both places. Reads every annotation file; malformed ones are
        skipped (problems() reports them)."""
        found = []
        for source in self.doc_ids():
            try:
                contents = self.load(source)
            except AnnotationError:
                continue
            for annotation in contents.annotations:
                if (source, annotation.id) == (doc_id, annotation_id):
                    continue
                found += [
                    (source, annotation, link)
                    for link in annotation.links
                    if link.doc == doc_id and annotation_id in (None, link.id)
                ]
        return found

    def apply(
        self,
        doc_id: str,
        before: Annotation | None,
        after: Annotation | None,
        text: NormalizedText | None = None,
    ) -> str:
        """Move one annotation from `before` (what this caller last saw) to `after` (None:
        deleted). If someone else changed it on disk meanwhile, nothing of theirs is lost:
        their version stays and ours is kept beside it, marked `conflict_with`. Returns a
        message describing the conflict, or "" when there was none."""
        annotation_id = (after or before).id if (after or before) else ""
        conflict: list[str] = []

        def edit(contents: AnnotationFile) -> None:
            current = next((a for a in contents.annotations if a.id == annotation_id), None)
            others = [a for a in contents.annotations if a.id != annotation_id]
            if current in (before, after):
                contents.annotations = others + ([after] if after is not None else [])
            elif after is None:  # we delete what someone else has just changed: keep theirs
                conflict.append(f"annotation {annotation_id} was changed elsewhere; not deleted")
            elif current is None:  # someone deleted what we changed: ours comes back
                contents.annotations = [*others, after]
                conflict.append(f"annotation {annotation_id} was deleted elsewhere; restored")
            else:
                copy = replace(
                    after, id=new_id(), extra=(*after.extra, ("conflict_with", annotation_id))
                )
                contents.annotations.append(copy)
                conflict.append(
                    f"annotation {annotation_id} was changed elsewhere too; both versions are "
                    f"kept ({copy.id} is yours): delete the one you do not want"
                )

        self.change(doc_id, edit, text)
        return conflict[0] if conflict else ""

    def relink(self, corpus: Corpus) -> list[tuple[str, str]]:
        """Move the annotations of renamed documents to their new names: a file whose
        document is gone follows the one document, with no annotations of its own, whose
        text is the text it was last saved against. Returns (old id, new id) pairs."""
        ids = {info.id for info in corpus.documents}
        annotated = set(self.doc_ids())
        lost: dict[str, list[str]] = {}
        for doc_id in sorted(annotated - ids):
            try:
                digest = self.load(doc_id).extra.get(TEXT_HASH)
            except AnnotationError:
                continue  # reported by problems(); left alone
            if isinstance(digest, str):
                lost.setdefault(digest, []).append(doc_id)
        if not lost:
            return []
        found: dict[str, list[str]] = {}
        for info in corpus.documents:
            if info.id not in annotated:
                try:
                    found.setdefault(text_hash(corpus.load(info).text), []).append(info.id)
                except BriefreaderError:
                    continue
        moved = []
        for digest, old in lost.items():
            new = found.get(digest, [])
            if len(old) == 1 and len(new) == 1:  # anything less certain stays as it is
                self._move(old[0], new[0])
                moved.append((old[0], new[0]))
        for old_id, new_id in moved:
            self._retarget_links(old_id, new_id)
        return moved

    def _retarget_links(self, old_id: str, new_id: str) -> None:
        """Links to the annotations of a renamed document follow it to its new name."""

        def retarget(annotation: Annotation) -> Annotation:
            if not any(link.doc == old_id for link in annotation.links):
                return annotation
            links = (replace(x, doc=new_id) if x.doc == old_id else x for x in annotation.links)
            return replace(annotation, links=tuple(links))

        def edit(contents: AnnotationFile) -> None:
            contents.annotations = [retarget(a) for a in contents.annotations]

        for source in self.doc_ids():
            try:
                contents = self.load(source)
            except AnnotationError:
                continue  # reported by problems(); left alone
            if any(link.doc == old_id for a in contents.annotations for link in a.links):
                self.change(source, edit)

    def _move(self, old_id: str, new_id: str) -> None:
        """The new file is written before the old one is removed: a crash in between
        leaves both, never neither."""
        with self._locked(old_id), self._locked(new_id):
            contents = self.load(old_id)
            contents.document = new_id
            self._write(self.path_for(new_id), contents)
            self.path_for(old_id).unlink()
            self._parsed.pop(self.path_for(old_id), None)

    # -- rescue: changes that could not be saved when the reader had to quit --------------

    @property
    def rescue_dir(self) -> Path:
        return self.workspace.state_dir / "rescued"

    def rescue(self, doc_id: str, changes: list[tuple[Annotation | None, Annotation | None]]):
        """Write what a document's annotation file should hold (the file as it is, with
        `changes`, (before, after) pairs, applied) where it can still be written: the
        reader is quitting and nobody is left to retry. The annotation file itself is not
        touched. Returns the path written, falling back to the temp folder (the disk that
        was full may be all of the workspace's)."""
        try:
            contents = self.load(doc_id)
        except AnnotationError:  # unreadable: kept as it is; the changes alone are rescued
            contents = AnnotationFile(doc_id)
        for before, after in changes:
            ident = (after or before).id
            contents.annotations = [a for a in contents.annotations if a.id != ident]
            if after is not None:
                contents.annotations.append(after)
        text = render(contents)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{doc_id.replace('/', '__')}.{stamp}{SUFFIX}"
        for folder in (self.rescue_dir, Path(tempfile.gettempdir()) / "briefreader-rescued"):
            try:
                write_atomic(folder / name, text)
            except OSError:
                continue
            return folder / name
        raise AnnotationError("cannot write the rescued changes anywhere", self.path_for(doc_id))

    def rescued(self) -> list[Path]:
        return sorted(self.rescue_dir.glob(f"*{SUFFIX}")) if self.rescue_dir.is_dir() else []

    def problems(self, known_docs: set[str], tags: set[str]) -> Iterator[Problem]:
        """Malformed files, files of documents that are gone, unknown tags, links that
        lead nowhere or have an unknown relation, changes rescued at a forced exit."""
        for path in self.rescued():
            yield Problem(
                path,
                "annotation changes that could not be saved when the reader had to quit; "
                "compare it with the file in annotations/, copy over what you want, delete it",
                severity="warning",
            )
        loaded: dict[str, AnnotationFile | AnnotationError] = {}
        for doc_id in self.doc_ids():
            try:
                loaded[doc_id] = self.load(doc_id)
            except AnnotationError as exc:
                loaded[doc_id] = exc
        ids = {
            doc_id: {a.id for a in contents.annotations}
            for doc_id, contents in loaded.items()
            if isinstance(contents, AnnotationFile)
        }
        for doc_id, contents in loaded.items():
            path = self.path_for(doc_id)
            if isinstance(contents, AnnotationError):
                yield Problem.from_error(contents)
                continue
            if doc_id not in known_docs:
                yield Problem(path, f"no document {doc_id} in corpus/; its annotations are kept")
            for annotation in contents.annotations:
                conflict = dict(annotation.extra).get("conflict_with")
                if conflict:
                    yield Problem(
                        path,
                        f"annotation {annotation.id} conflicts with {conflict}: two versions "
                        "were kept after simultaneous edits; delete one, then remove "
                        "'conflict_with'",
                    )
                if annotation.tag not in tags:
                    yield Problem(
                        path,
                        f"annotation {annotation.id}: unknown tag {annotation.tag!r}; add it to "
                        "annotations/codebook.yaml or fix it (it is kept as is)",
                    )
                for message, severity in _link_problems(
                    doc_id, annotation, known_docs, ids, set(loaded)
                ):
                    yield Problem(path, message, severity=severity)


def _reanchored(annotation: Annotation, text: NormalizedText) -> Annotation:
    placed = anchor(text.text, annotation.target)
    old = annotation.target
    if not placed.placed or (placed.start, placed.end) == (old.start, old.end):
        return annotation  # in place, or not confidently placed: left exactly as it was
    prefix, suffix = context_of(text.text, placed.start, placed.end)
    moved = Target(text.text[placed.start : placed.end], prefix, suffix, placed.start, placed.end)
    return replace(annotation, target=moved)


def _find(contents: AnnotationFile, doc_id: str, annotation_id: str) -> tuple[int, Annotation]:
    for i, existing in enumerate(contents.annotations):
        if existing.id == annotation_id:
            return i, existing
    raise AnnotationError(f"no annotation {annotation_id} on {doc_id}")


def _link_problems(
    doc_id: str,
    annotation: Annotation,
    known_docs: set[str],
    ids: dict[str, set[str]],
    files: set[str],
) -> Iterator[tuple[str, str]]:
    """(message, severity) for each link of `annotation` that is wrong: `ids` holds the
    annotation ids of each readable file, `files` every annotation file's document."""
    seen: set[tuple[str, str, str]] = set()
    for link in annotation.links:
        what = f"annotation {annotation.id} links ({link.relation}) to {link.doc}#{link.id}"
        remove = "remove the link (in the reader, or from 'links' in this file)"
        if link.relation not in RELATIONS:
            yield (
                f"annotation {annotation.id}: unknown link relation {link.relation!r} "
                f"(to {link.doc}#{link.id}); use {', '.join(RELATIONS)} (it is kept as is)",
                "error",
            )
        if link.key in seen:
            yield f"{what} twice; {remove} once", "warning"
        seen.add(link.key)
        if (link.doc, link.id) == (doc_id, annotation.id):
            yield f"{what}: to itself; {remove}", "error"
        elif link.doc not in known_docs:
            kept = " (its annotations are kept)" if link.doc in files else ""
            yield (
                f"{what}, but there is no document {link.doc} in corpus/{kept}; restore the "
                f"document, or {remove}",
                "error",
            )
        elif link.doc not in files or (link.doc in ids and link.id not in ids[link.doc]):
            yield (
                f"{what}, but {link.doc} has no annotation {link.id} (deleted?); restore it, "
                f"or {remove}",
                "error",
            )
        # else: linked to a file that cannot be read; that file is reported itself


def make_annotation(
    text: NormalizedText,
    start: int,
    end: int,
    tag: str,
    annotator: str,
    note: str = "",
) -> Annotation:
    """A new annotation of text[start:end], with the context that re-anchors it later."""
    if not 0 <= start < end <= len(text.text):
        raise AnnotationError(f"the span {start}..{end} is not inside the document")
    prefix, suffix = context_of(text.text, start, end)
    stamp = now()
    target = Target(text.text[start:end], prefix, suffix, start, end)
    return Annotation(new_id(), tag, target, note, annotator, stamp, stamp)


def span_in_passage(text: NormalizedText, passage: int, quote: str | None) -> tuple[int, int]:
    """The span of a whole passage, or of `quote` inside it (which must occur exactly once)."""
    try:
        chosen = text.passage(passage)
    except IndexError as exc:
        raise AnnotationError(str(exc)) from None
    if not quote:
        return chosen.start, chosen.end
    count = chosen.text.count(quote)
    if count == 0:
        raise AnnotationError(f"passage {passage} does not contain the quote {quote!r}")
    if count > 1:
        raise AnnotationError(
            f"the quote {quote!r} occurs {count} times in passage {passage}; quote more words"
        )
    at = chosen.start + chosen.text.index(quote)
    return at, at + len(quote)


# -- the file format ---------------------------------------------------------------------


def parse(text: str, path: Path, doc_id: str) -> AnnotationFile:
    data = load_yaml(text, path, AnnotationError)
    if data is None:
        return AnnotationFile(doc_id)
    if not isinstance(data, Mapping):
        raise AnnotationError("expected a mapping with 'document' and 'annotations'", path, 1)
    items = data.get("annotations", [])
    if items is None:
        items = []
    if not isinstance(items, list):
        line, column = location(data, "annotations")
        raise AnnotationError("'annotations' must be a list", path, line, column)
    extra = {k: v for k, v in data.items() if k not in ("document", "annotations")}
    result = AnnotationFile(str(data.get("document") or doc_id), extra=extra)
    seen: dict[str, int | None] = {}
    for number, item in enumerate(items):
        line, column = items.lines[number] if isinstance(items, Sequence) else (None, None)
        if not isinstance(item, Mapping):
            raise AnnotationError("each annotation must be a mapping of keys", path, line, column)
        annotation = _annotation(item, path)
        if annotation.id in seen:
            raise AnnotationError(
                f"duplicate annotation id {annotation.id} (first at line {seen[annotation.id]})",
                path,
                line,
            )
        seen[annotation.id] = line
        result.annotations.append(annotation)
    return result


def _annotation(item: Mapping, path: Path) -> Annotation:
    def fail(message: str, key: str | None = None) -> AnnotationError:
        return AnnotationError(message, path, *location(item, key))

    for key in ("id", "tag"):
        if not item.text(key):
            raise fail(f"annotation without {key!r}", None)
    if item.get("target") is None:
        raise fail("annotation without 'target'", None)
    for key in ("id", "tag", "note", "annotator", "created", "updated"):
        if key in item and item[key] is not None and item.text(key) is None:
            raise fail(f"{key!r} must be text", key)
    target = item["target"]
    if not isinstance(target, Mapping):
        raise fail("'target' must be a mapping with quote, prefix, suffix, start, end", "target")
    quote = target.text("quote")
    if not quote:
        raise AnnotationError("target without a 'quote'", path, *location(target, "quote"))
    offsets = []
    for key in ("start", "end"):
        value = target.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise AnnotationError(
                f"target {key!r} must be a whole number >= 0", path, *location(target, key)
            )
        offsets.append(value)
    if offsets[1] < offsets[0]:
        raise AnnotationError("target 'end' is before 'start'", path, *location(target, "end"))
    for key in ("prefix", "suffix"):
        if target.get(key) is not None and target.text(key) is None:
            raise AnnotationError(f"target {key!r} must be text", path, *location(target, key))
    prefix, suffix = target.text("prefix") or "", target.text("suffix") or ""
    links = _links(item, path)
    unknown = [(k, v) for k, v in item.items() if k not in _KEYS]
    unknown += [(f"target.{k}", v) for k, v in target.items() if k not in _TARGET_KEYS]
    return Annotation(
        id=item.text("id"),
        tag=item.text("tag"),
        target=Target(quote, prefix, suffix, offsets[0], offsets[1]),
        note=item.text("note") or "",
        annotator=item.text("annotator") or "",
        created=item.text("created") or "",
        updated=item.text("updated") or "",
        links=links,
        extra=tuple(unknown),
    )


def _links(item: Mapping, path: Path) -> tuple[Link, ...]:
    """The links of an annotation as the file holds them (a relation outside RELATIONS is
    kept as written, for `check` to report; a link's unknown keys are kept too)."""
    shape = "'links' must be a list of mappings, each with relation, doc and id"
    value = item.get("links")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AnnotationError(shape, path, *location(item, "links"))
    links = []
    for number, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            where = value.lines[number] if isinstance(value, Sequence) else location(item, "links")
            raise AnnotationError(shape, path, *where)
        fields = []
        for key in _LINK_KEYS:
            if entry.get(key) is None:
                raise AnnotationError(f"link without {key!r}", path, entry.line, entry.column)
            text = entry.text(key)
            if not text:
                raise AnnotationError(
                    f"link {key!r} must be text, not empty", path, *location(entry, key)
                )
            fields.append(text)
        relation, doc, ident = fields
        extra = tuple((k, v) for k, v in entry.items() if k not in _LINK_KEYS)
        links.append(Link(doc, ident, relation, extra))
    return tuple(links)


def text_hash(text: NormalizedText) -> str:
    return hashlib.sha256(text.text.encode("utf-8")).hexdigest()


def _copy(contents: AnnotationFile, *, in_file_order: bool = False) -> AnnotationFile:
    """A copy whose list and extra keys can be edited without touching the original (the
    annotations themselves are immutable)."""
    annotations = _in_file_order(contents.annotations) if in_file_order else contents.annotations
    return AnnotationFile(contents.document, list(annotations), dict(contents.extra))


def _in_file_order(annotations: list[Annotation]) -> list[Annotation]:
    return sorted(annotations, key=lambda a: (a.target.start, a.target.end, a.id))


def render(
    contents: AnnotationFile, rendered: dict[str, tuple[Annotation, str]] | None = None
) -> str:
    """The file text: sorted by position, keys in a fixed order, so diffs stay small.
    `rendered` (by id) holds annotations rendered before; those unchanged are reused, and
    it is filled with the rest."""
    head = dump_yaml(_plain({"document": contents.document, **contents.extra}))
    if not contents.annotations:
        return head + "annotations: []\n"
    rendered = {} if rendered is None else rendered
    chunks = []
    for a in _in_file_order(contents.annotations):
        known = rendered.get(a.id)
        if known is None or known[0] != a:
            known = a, dump_yaml([_plain(_item(a))])
            rendered[a.id] = known
        chunks.append(known[1])
    return head + "annotations:\n" + "".join(chunks)


def _item(a: Annotation) -> dict[str, object]:
    """One annotation as the file holds it."""
    item: dict[str, object] = {"id": a.id, "tag": a.tag}
    if a.note:
        item["note"] = a.note
    if a.links:
        item["links"] = [
            {"relation": x.relation, "doc": x.doc, "id": x.id, **dict(x.extra)} for x in a.links
        ]
    item |= {"annotator": a.annotator, "created": a.created, "updated": a.updated}
    target: dict[str, object] = {
        "quote": a.target.quote,
        "prefix": a.target.prefix,
        "suffix": a.target.suffix,
        "start": a.target.start,
        "end": a.target.end,
    }
    for key, value in a.extra:
        if key.startswith("target."):
            target[key.removeprefix("target.")] = value
        else:
            item[key] = value
    item["target"] = target
    return item


def _plain(value: object) -> object:
    """Mappings loaded from YAML carry line numbers; the dumper wants plain dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
