"""One base error for everything a user can cause, carrying the file (and line) at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BriefreaderError(Exception):
    """An error the user can fix; its message is one line that says what to do."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return format_location(self.path, self.line, self.column) + self.message


class WorkspaceError(BriefreaderError):
    """The workspace folder is missing or unusable."""


class DocumentError(BriefreaderError):
    """A corpus file cannot be read as a document."""


class CatalogError(BriefreaderError):
    """`corpus/catalog.yaml` is malformed."""


class IndexUnavailable(BriefreaderError):
    """The search index cannot be used right now (locked by another process, unwritable)."""


class QueryError(BriefreaderError):
    """A search query that cannot be parsed."""


class SearchCancelled(Exception):
    """A search given up because its caller said its result no longer matters: not an error."""


def format_location(path: Path | None, line: int | None = None, column: int | None = None) -> str:
    """`path:line:column: ` for messages, as compilers print it; empty without a path."""
    if path is None:
        return ""
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where + ": "


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input file that did not stop the rest from loading."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    severity: str = "error"  # "error" fails `check`; "warning" is reported only

    def __str__(self) -> str:
        return format_location(self.path, self.line, self.column) + self.message

    @classmethod
    def from_error(cls, error: BriefreaderError, severity: str = "error") -> Problem:
        return cls(error.path or Path("."), error.message, error.line, error.column, severity)


class AnnotationError(BriefreaderError):
    """An annotation file is malformed, or an annotation cannot be made or saved."""


class ExportError(BriefreaderError):
    """An export that cannot be written, or an import that cannot be read."""
