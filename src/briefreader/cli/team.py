"""Commands for teams: `agreement` between coders, `init --git`, and git's `merge-driver`."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from briefreader.cli.common import err, out, report_skipped, resolve_workspace, workspace_option
from briefreader.core import merge
from briefreader.core.agreement import GROUPINGS, GroupAgreement, TagAgreement, agreement
from briefreader.core.annotations import AnnotationStore
from briefreader.core.corpus import Corpus

SHOWN_DISAGREEMENTS = 20


@click.command("agreement")
@click.option("-d", "--doc", help="Only this document (id or a unique part of it).")
@click.option("--by", type=click.Choice(GROUPINGS), help="Compare within each side or document.")
@click.option("-t", "--tag", multiple=True, help="Only this tag (repeatable).")
@click.option("--coder", multiple=True, help="Only this annotator (repeatable).")
@click.option("--all", "show_all", is_flag=True, help="List every disagreement, not the first 20.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@workspace_option
def agreement_command(
    doc: str | None,
    by: str | None,
    tag: tuple[str, ...],
    coder: tuple[str, ...],
    show_all: bool,
    as_json: bool,
    workspace_path: Path | None,
) -> None:
    """Compare coders: Cohen's kappa (two coders) and Krippendorff's alpha per tag.

    The unit is a passage; a coder counts for a document once they annotated it. Lists the
    confusion table of two coders and the passages where coders disagree.

    \b
    Examples:
      briefreader agreement
      briefreader agreement --by side --coder alice --coder bob
      briefreader agreement --doc tatikyan --json
    """
    ws = resolve_workspace(workspace_path)
    report = agreement(Corpus(ws), AnnotationStore(ws), doc=doc, by=by, tags=tag, coders=coder)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    report_skipped(report.problems)
    if len(report.coders) < 2:
        found = ", ".join(report.coders) or "none"
        err.print(f"Agreement needs two coders or more; annotators found: {found}.")
        return
    for group in report.groups:
        _print_group(group, show_all)
    if report.unplaced:
        err.print(f"{report.unplaced} orphaned or unreviewed annotations left out.", style="dim")


def _print_group(group: GroupAgreement, show_all: bool) -> None:
    title = f"{group.name}: {', '.join(group.coders)} on {group.units} passages"
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in ("Tag", "Passages", "Observed", "Kappa", "Alpha"):
        table.add_column(column, justify="left" if column == "Tag" else "right")
    for item in (*group.tags, group.overall):
        kappa = _figure(item.kappa.value) if item.kappa.defined else "—"
        table.add_row(
            item.tag, str(item.units), _figure(item.observed), kappa, _figure(item.alpha.value)
        )
    out.print(table)
    for item in group.tags:
        if item.confusion is not None and item.confusion.total:
            out.print(_confusion(item))
    disagreements = group.overall.disagreements
    if disagreements:
        out.print(Text(f"Passages where coders disagree ({len(disagreements)}):", style="bold"))
    for case in disagreements if show_all else disagreements[:SHOWN_DISAGREEMENTS]:
        line = Text(f"  {case.doc_id} ¶{case.passage}  ", style="dim")
        line.append("  ".join(f"{coder}: {label}" for coder, label in case.labels.items()))
        out.print(line)
        out.print(Text(f"    “{case.excerpt}”"))
    if not show_all and len(disagreements) > SHOWN_DISAGREEMENTS:
        err.print(f"… and {len(disagreements) - SHOWN_DISAGREEMENTS} more (use --all).")
    out.print()


def _confusion(item: TagAgreement) -> Table:
    confusion = item.confusion
    rows, columns = confusion.coders
    table = Table(title=f"{item.tag}: {rows} (rows) × {columns} (columns)", title_justify="left")
    table.add_column("")
    for label in confusion.labels:
        table.add_column(label, justify="right")
    for label, counts in zip(confusion.labels, confusion.counts, strict=True):
        table.add_row(label, *map(str, counts))
    return table


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@click.command("init")
@click.argument("workspace", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--git", "with_git", is_flag=True, help="Install the merge driver for git.")
def init(workspace: Path | None, with_git: bool) -> None:
    """Make a workspace (corpus/ and annotations/) in WORKSPACE or the current folder.

    With --git, annotation files are merged by annotation id when git merges branches or
    pulls: both sides' new annotations are kept, and the same annotation changed on both
    sides is kept twice and reported, never a broken file. Run it once in every clone.

    \b
    Examples:
      briefreader init ~/briefs
      cd ~/briefs && git init && briefreader init --git
    """
    root = (workspace or Path.cwd()).resolve()
    for folder in (root / "corpus", root / "annotations"):
        folder.mkdir(parents=True, exist_ok=True)
    out.print(f"Workspace {root}: put documents in corpus/; annotations go to annotations/.")
    if with_git:
        out.print(merge.install(root, _driver_command()).message)


def _driver_command() -> str:
    """The driver as git will run it: this very `briefreader`, so a merge works from a shell
    where its virtualenv is not active."""
    script = shutil.which("briefreader")
    if script is None:
        return merge.driver_for_python(sys.executable)
    return f"{shlex.quote(str(Path(script).resolve()))} merge-driver %O %A %B %P"


@click.command("merge-driver")
@click.argument("files", nargs=-1, metavar="BASE OURS THEIRS [PATH]")
def merge_driver(files: tuple[str, ...]) -> None:
    """Merge two versions of an annotation file (git runs this; see `init --git`).

    Writes the result to OURS; exits 0 when clean, 1 when an annotation changed on both
    sides (both versions kept and reported), 2 when a version cannot be read.

    \b
    Example (what `init --git` sets up):
      git config merge.briefreader.driver 'briefreader merge-driver %O %A %B %P'
    """
    sys.exit(merge.run(files))
