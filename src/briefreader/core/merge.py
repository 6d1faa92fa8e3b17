"""A git merge driver for annotation files: merges by annotation id, never writes conflict
markers, and reports a true conflict the way the annotation store does.

git runs `briefreader merge-driver %O %A %B %P` for files marked `merge=briefreader` in
`.gitattributes` (see `install`): %O is the common ancestor ("base"), %A the checked-out
version ("ours", where the result must be written), %B the other branch's ("theirs"), %P the
file's path in the repository. The three-way merge is done per annotation, and within an
annotation per field (tag, note, annotator, created, target, each unknown key), except its
links, which merge as a set keyed by (document, id, relation):

- an annotation new on either side is kept; one deleted on one side and unchanged on the
  other is deleted;
- a field changed on one side only takes that change, so one person re-tagging and another
  editing the note of the same annotation merge cleanly (`updated` becomes the later stamp);
- a link added on either side is kept, and one removed on either side (and not added again
  by the other) is removed, so two people linking the same annotation to different claims
  both keep their links; only the same link given different unknown keys on the two sides
  is a conflict;
- the same field changed differently on both sides is a conflict: ours keeps the id and
  theirs is kept beside it under a new id, marked `conflict_with: <id>`, exactly as
  `AnnotationStore.apply` keeps a simultaneous edit (the file being written keeps its
  version, the incoming one is the copy). The copy's id is derived from its content, so two
  people merging the same two versions get the same file;
- an annotation changed on one side and deleted on the other is kept (work is never lost),
  and reported as a conflict.

The file written is always one that briefreader reads. A conflict exits 1 with a message on
stderr naming the file and the ids, so git lists the file as conflicted; a version that
cannot be parsed exits 2 and nothing is written.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TextIO

from briefreader.core.annotations import SUFFIX, TEXT_HASH, AnnotationFile, parse, render
from briefreader.core.atomic import write_atomic
from briefreader.core.errors import AnnotationError, BriefreaderError, format_location
from briefreader.core.models import Annotation, Link

DRIVER_NAME = "briefreader"
DRIVER_COMMAND = "briefreader merge-driver %O %A %B %P"
CONFLICT_KEY = "conflict_with"
ATTRIBUTE_LINES = (
    "annotations/**/*.yaml merge=briefreader",
    # the codebook is not an annotation file: git's own line merge suits it
    "annotations/codebook.yaml merge=text",
)
_ATTRIBUTES_COMMENT = (
    "# briefreader: merge annotation files by annotation id (briefreader init --git)"
)
_MISSING = object()  # a field or key absent from one version


class MergeError(BriefreaderError):
    """The merge driver cannot be installed (no git, not a repository)."""


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """One annotation (or top-level key) that both sides changed in ways that cannot both
    stand; what was kept is described by `message`."""

    id: str  # the annotation id, or the top-level key
    kind: str  # "changed on both", "changed here, deleted there", ..., "top-level key"
    message: str
    copy_id: str = ""  # the id theirs was kept under, for "changed on both"


@dataclass(frozen=True)
class MergeResult:
    path_name: str
    status: str  # "clean" | "conflict" | "error"
    conflicts: tuple[MergeConflict, ...] = ()
    error: str = ""  # what could not be read, when status is "error"
    written: bool = False  # whether the ours file was rewritten
    merged: AnnotationFile | None = None

    @property
    def exit_code(self) -> int:
        """What git expects of a driver: 0 clean, non-zero conflicted (2: nothing merged)."""
        return {"clean": 0, "conflict": 1}.get(self.status, 2)

    @property
    def message(self) -> str:
        """The lines to print on stderr (empty when clean)."""
        if self.status == "error":
            return f"briefreader merge-driver: {self.error}"
        lines = [f"briefreader merge-driver: {self.path_name}: {c.message}" for c in self.conflicts]
        if lines:
            lines.append(
                f"briefreader merge-driver: {self.path_name} is valid YAML; resolve the "
                "conflicts above (`briefreader check` lists them), then `git add` it"
            )
        return "\n".join(lines)


# -- merging -----------------------------------------------------------------------------


def merge_files(base: Path, ours: Path, theirs: Path, path_name: str) -> MergeResult:
    """Merge three versions of an annotation file into `ours`, atomically.

    Nothing is written when one of them cannot be read or parsed (status "error"). When the
    merge equals ours, ours is left byte for byte; when it equals theirs, theirs' text is
    copied, so hand formatting survives a merge that changes nothing of it."""
    doc_id = doc_id_for(path_name)
    versions: list[tuple[str, AnnotationFile]] = []
    for which, path in (("base (common ancestor)", base), ("our", ours), ("their", theirs)):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            error = f"{path_name}: cannot read the {which} version ({reason}); nothing merged"
            return MergeResult(path_name, "error", error=error)
        try:
            versions.append((text, parse(text, Path(path_name), doc_id)))
        except AnnotationError as exc:
            where = format_location(Path(path_name), exc.line, exc.column)
            error = (
                f"{where}the {which} version is not a valid annotation file ({exc.message}); "
                "nothing merged: fix it, or merge this file by hand"
            )
            return MergeResult(path_name, "error", error=error)
    (_, base_file), (_, ours_file), (their_text, theirs_file) = versions
    merged, conflicts = merge_contents(base_file, ours_file, theirs_file)
    status = "conflict" if conflicts else "clean"
    if _same(merged, ours_file):
        return MergeResult(path_name, status, tuple(conflicts), merged=merged)
    text = their_text if _same(merged, theirs_file) else render(merged)
    try:
        write_atomic(Path(ours), text)
    except OSError as exc:
        error = f"{path_name}: cannot write the merged file ({exc.strerror}); nothing merged"
        return MergeResult(path_name, "error", error=error)
    return MergeResult(path_name, status, tuple(conflicts), written=True, merged=merged)


def merge_contents(
    base: AnnotationFile, ours: AnnotationFile, theirs: AnnotationFile
) -> tuple[AnnotationFile, list[MergeConflict]]:
    """The three-way merge of parsed files (see the module docstring), and its conflicts."""
    conflicts: list[MergeConflict] = []
    document = _merge_value(base.document, ours.document, theirs.document)
    if document is _CONFLICT:
        document = ours.document
        conflicts.append(
            MergeConflict(
                "document",
                "top-level key",
                f"'document' is {ours.document!r} here and {theirs.document!r} there; kept ours",
            )
        )
    extra: dict[str, object] = {}
    for key in _keys(ours.extra, theirs.extra, base.extra):
        b, o, t = (f.extra.get(key, _MISSING) for f in (base, ours, theirs))
        value = _merge_value(b, o, t)
        if value is _CONFLICT and key == TEXT_HASH:
            continue  # saved against two texts: the next save re-anchors and stamps it anew
        if value is _CONFLICT:
            value = o if o is not _MISSING else t
            conflicts.append(
                MergeConflict(key, "top-level key", f"key {key!r} changed on both sides; kept ours")
            )
        if value is not _MISSING:
            extra[key] = value

    by_id = {side: {a.id: a for a in f.annotations} for side, f in (("b", base), ("o", ours))}
    by_id["t"] = {a.id: a for a in theirs.annotations}
    result: list[Annotation] = []
    copies: list[Annotation] = []
    for annotation_id in _keys(by_id["o"], by_id["t"], by_id["b"]):
        b, o, t = (by_id[side].get(annotation_id) for side in "bot")
        if o is None and t is None:
            continue  # deleted on both sides
        if o is None or t is None:
            present = o or t
            if b is None:
                result.append(present)  # new on one side
            elif present != b:
                result.append(present)  # changed on one side, deleted on the other: kept
                here, there = ("here", "there") if o is not None else ("there", "here")
                conflicts.append(
                    MergeConflict(
                        annotation_id,
                        f"changed {here}, deleted {there}",
                        f"annotation {annotation_id} was changed on one side and deleted on "
                        "the other; the changed version is kept: delete it if it should go",
                    )
                )
            continue  # else: deleted on one side, unchanged on the other
        merged = _merge_annotation(b, o, t)
        if merged is not None:
            result.append(merged)
            continue
        result.append(o)
        copy = _conflict_copy(t, annotation_id)
        copies.append(copy)
        conflicts.append(
            MergeConflict(
                annotation_id,
                "changed on both",
                f"annotation {annotation_id} was changed differently on both sides; both "
                f"versions are kept ({copy.id} is theirs, marked conflict_with: "
                f"{annotation_id}): delete the one you do not want",
                copy.id,
            )
        )
    taken = {a.id for a in result}
    for copy in copies:
        if copy.id in taken:  # the same conflict was merged before: its copy is there already
            continue
        taken.add(copy.id)
        result.append(copy)
    return AnnotationFile(str(document), result, extra), conflicts


_CONFLICT = object()


def _merge_value(base: object, ours: object, theirs: object) -> object:
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    return _CONFLICT


def _merge_links(
    base: tuple[Link, ...], ours: tuple[Link, ...], theirs: tuple[Link, ...]
) -> tuple[Link, ...] | object:
    """The three-way merge of two sets of links keyed by (document, id, relation), in our
    order then theirs' new ones; _CONFLICT only when both sides changed the same link's
    unknown keys differently."""
    b, o, t = ({link.key: link for link in links} for links in (base, ours, theirs))
    merged: list[Link] = []
    for key in _keys(o, t):
        value = _merge_value(b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING))
        if value is _CONFLICT:
            if key not in o or key not in t:  # removed on one side, changed on the other
                value = o.get(key) or t.get(key)  # kept: work is never lost
            else:
                return _CONFLICT
        if value is not _MISSING:
            merged.append(value)  # type: ignore[arg-type]
    return tuple(merged)


def _fields(annotation: Annotation | None) -> dict[str, object]:
    if annotation is None:
        return {}
    return {
        "tag": annotation.tag,
        "note": annotation.note,
        "annotator": annotation.annotator,
        "created": annotation.created,
        "target": annotation.target,
        **{f"extra:{key}": value for key, value in annotation.extra},
    }


def _merge_annotation(
    base: Annotation | None, ours: Annotation, theirs: Annotation
) -> Annotation | None:
    """The field-by-field merge of one annotation present on both sides, or None when a
    field was changed differently on each."""
    if ours == theirs:
        return ours
    links = _merge_links(base.links if base else (), ours.links, theirs.links)
    if links is _CONFLICT:
        return None
    b, o, t = _fields(base), _fields(ours), _fields(theirs)
    merged: dict[str, object] = {}
    for key in _keys(o, t, b):
        value = _merge_value(b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING))
        if value is _CONFLICT:
            return None
        if value is not _MISSING:
            merged[key] = value
    return Annotation(
        id=ours.id,
        tag=str(merged["tag"]),
        target=merged["target"],  # type: ignore[arg-type]
        note=str(merged["note"]),
        annotator=str(merged["annotator"]),
        created=str(merged["created"]),
        updated=max(ours.updated, theirs.updated),
        links=links,  # type: ignore[arg-type]
        extra=tuple(
            (key.removeprefix("extra:"), value)
            for key, value in merged.items()
            if key.startswith("extra:")
        ),
    )


def _conflict_copy(theirs: Annotation, original_id: str) -> Annotation:
    """Theirs under an id of its own, marked as conflicting with the original."""
    extra = tuple((k, v) for k, v in theirs.extra if k != CONFLICT_KEY)
    fingerprint = repr((original_id, replace(theirs, extra=extra)))
    copy_id = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:12]
    return replace(theirs, id=copy_id, extra=(*extra, (CONFLICT_KEY, original_id)))


def _keys(*mappings: dict) -> list:
    """Every key of the mappings, in first-seen order."""
    return list(dict.fromkeys(key for mapping in mappings for key in mapping))


def _same(a: AnnotationFile, b: AnnotationFile) -> bool:
    def key(f: AnnotationFile) -> tuple:
        return f.document, sorted(f.annotations, key=lambda a: a.id), f.extra

    return key(a) == key(b)


def doc_id_for(path_name: str) -> str:
    """The document id of an annotation file's repository path
    (`ws/annotations/sub/x.txt.yaml` -> `sub/x.txt`), used only when a file lacks 'document'."""
    parts = PurePosixPath(path_name.replace("\\", "/")).parts
    if "annotations" in parts:
        parts = parts[len(parts) - parts[::-1].index("annotations") :]
    name = "/".join(parts)
    return name.removesuffix(SUFFIX)


def run(argv: Sequence[str], stderr: TextIO | None = None) -> int:
    """The driver as git calls it: BASE OURS THEIRS [PATH]; the message goes to stderr and
    the exit code is returned."""
    stderr = stderr or sys.stderr
    if len(argv) not in (3, 4):
        print(
            "usage: briefreader merge-driver BASE OURS THEIRS [PATH]  (git passes %O %A %B %P)",
            file=stderr,
        )
        return 2
    base, ours, theirs = (Path(arg) for arg in argv[:3])
    path_name = argv[3] if len(argv) == 4 else str(ours)
    result = merge_files(base, ours, theirs, path_name)
    if result.message:
        print(result.message, file=stderr)
    return result.exit_code


# -- installing the driver ---------------------------------------------------------------


@dataclass(frozen=True)
class InstallResult:
    repo_root: Path
    gitattributes: Path
    added_lines: tuple[str, ...] = ()  # appended to .gitattributes (none: already there)
    driver: str = DRIVER_COMMAND
    config: dict[str, str] = field(default_factory=dict)  # the git config entries set

    @property
    def message(self) -> str:
        where = (
            f"added {len(self.added_lines)} line(s) to {self.gitattributes}"
            if self.added_lines
            else f"{self.gitattributes} already routes annotation files to the driver"
        )
        return (
            f"git merge driver 'briefreader' set in {self.repo_root} ({where}); commit "
            ".gitattributes, and run this once in every clone: git config is not shared"
        )


def install(workspace_root: Path, driver: str = DRIVER_COMMAND) -> InstallResult:
    """Route the workspace's annotation files to the merge driver: lines in the workspace's
    `.gitattributes` (existing lines kept, nothing added twice) and `merge.briefreader.*` in
    the configuration of the repository that holds the workspace."""
    root = Path(workspace_root)
    if not root.is_dir():
        raise MergeError("no such folder; give the workspace folder", root)
    top = _git(root, "rev-parse", "--show-toplevel")
    repo_root = Path(top.strip())
    config = {
        f"merge.{DRIVER_NAME}.name": "briefreader: merge annotation files by annotation id",
        f"merge.{DRIVER_NAME}.driver": driver,
    }
    for key, value in config.items():
        _git(root, "config", "--local", key, value)
    path = root / ".gitattributes"
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise MergeError(f"cannot read ({reason})", path) from None
    present = {" ".join(line.split()) for line in existing.splitlines()}
    added = tuple(line for line in ATTRIBUTE_LINES if line not in present)
    if added:
        text = existing
        if text and not text.endswith("\n"):
            text += "\n"
        if _ATTRIBUTES_COMMENT not in present:
            text += ("\n" if text else "") + _ATTRIBUTES_COMMENT + "\n"
        text += "".join(line + "\n" for line in added)
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise MergeError(f"cannot write ({exc.strerror})", path) from None
    return InstallResult(repo_root, path, added, driver, config)


def driver_for_python(python: str = sys.executable) -> str:
    """A driver command that runs this module with a given Python (tests, or a workspace
    whose `briefreader` is not on PATH)."""
    return f"{shlex.quote(python)} -m briefreader.core.merge %O %A %B %P"


def _git(cwd: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
        )
    except FileNotFoundError:
        raise MergeError("git is not installed (or not on PATH); install it first") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise MergeError(f"cannot run git ({exc})", cwd) from None
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        if "not a git repository" in result.stderr:
            raise MergeError(
                "not inside a git repository; run `git init` there first (or clone the team's "
                "repository)",
                cwd,
            )
        raise MergeError(f"git {' '.join(args[:2])} failed: {detail}", cwd)
    return result.stdout


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
