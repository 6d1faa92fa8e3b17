"""Where things live: the workspace folder, its corpus, annotations and derived data."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from briefreader.core.errors import WorkspaceError

STATE_DIR = ".briefreader"


@dataclass(frozen=True)
class Workspace:
    """A folder holding `corpus/` (read only), `annotations/` and `.briefreader/` (a cache)."""

    root: Path

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def annotations_dir(self) -> Path:
        return self.root / "annotations"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def index_dir(self) -> Path:
        return self.state_dir / "index"

    def prepare_state(self) -> Path:
        """Create `.briefreader/`, ignored by git whatever the repository's own .gitignore says."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            ignore = self.state_dir / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# derived data, rebuilt on demand\n*\n", encoding="utf-8")
        except OSError as exc:
            raise WorkspaceError(
                f"cannot create {STATE_DIR}/ ({exc.strerror}); make the folder writable",
                self.root,
            ) from None
        return self.state_dir


def resolve(path: Path | str | None = None, *, cwd: Path | None = None) -> Workspace:
    """The workspace to open: `path`, else the current folder if it has `corpus/`, else the
    sample workspace in the user data dir (created on first use)."""
    if path is not None:
        root = Path(path).expanduser()
        if not root.is_dir():
            raise WorkspaceError("no such folder; give a workspace that holds corpus/", root)
        if not (root / "corpus").is_dir():
            raise WorkspaceError("not a workspace: it has no corpus/ folder; create one", root)
        return Workspace(root.resolve())
    here = (cwd or Path.cwd()).resolve()
    if (here / "corpus").is_dir():
        return Workspace(here)
    return sample_workspace()


def sample_workspace(data_dir: Path | None = None) -> Workspace:
    """The bundled sample corpus, copied once into the user data dir so it has a writable home."""
    if data_dir is None:
        from platformdirs import user_data_path

        data_dir = user_data_path("briefreader", appauthor=False)
    workspace = Workspace(data_dir / "workspace")
    if not workspace.corpus_dir.is_dir():
        _copy_sample(workspace.corpus_dir)
    return workspace


def _copy_sample(target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with resources.as_file(_sample_source()) as source:
            for item in sorted(Path(source).iterdir()):
                if item.is_file():
                    shutil.copyfile(item, partial / item.name)
        partial.rename(target)  # a half-copied sample is never mistaken for the real one
    except OSError as exc:
        raise WorkspaceError(
            f"cannot set up the sample workspace ({exc.strerror}); pass a workspace folder instead",
            target.parent,
        ) from None


def _sample_source() -> Traversable:
    bundled = resources.files("briefreader") / "sample_corpus"
    if bundled.is_dir():
        return bundled
    # an editable install runs from the source tree, where the corpus sits at the repo root
    checkout = Path(__file__).resolve().parents[3] / "corpus"
    if checkout.is_dir():
        return checkout
    raise WorkspaceError("the sample corpus is missing from this installation; reinstall")
