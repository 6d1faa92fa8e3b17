"""What the reader remembers between runs: the position in each document, recent queries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from briefreader.core.atomic import write_atomic
from briefreader.core.workspace import Workspace

MAX_QUERIES = 50


@dataclass
class ReaderState:
    """Kept in `.briefreader/reader.json`: a convenience, so an unreadable file is just reset."""

    workspace: Workspace
    positions: dict[str, int] = field(default_factory=dict)  # document id -> passage number
    queries: list[str] = field(default_factory=list)  # most recent last
    last_document: str = ""

    @property
    def path(self):
        return self.workspace.state_dir / "reader.json"

    @classmethod
    def load(cls, workspace: Workspace) -> ReaderState:
        state = cls(workspace)
        try:
            data = json.loads(state.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return state
        if isinstance(data, dict):
            positions = data.get("positions", {})
            if isinstance(positions, dict):
                state.positions = {
                    str(k): v for k, v in positions.items() if isinstance(v, int) and v > 0
                }
            queries = data.get("queries", [])
            if isinstance(queries, list):
                state.queries = [q for q in queries if isinstance(q, str)][-MAX_QUERIES:]
            if isinstance(data.get("last_document"), str):
                state.last_document = data["last_document"]
        return state

    def remember_query(self, query: str) -> None:
        query = query.strip()
        if query:
            if query in self.queries:
                self.queries.remove(query)
            self.queries = [*self.queries, query][-MAX_QUERIES:]

    def save(self) -> None:
        data = {
            "last_document": self.last_document,
            "positions": self.positions,
            "queries": self.queries,
        }
        self.workspace.prepare_state()
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
