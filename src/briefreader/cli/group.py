"""The `briefreader` command line as click parses it: every command, options and help."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from briefreader import __version__
from briefreader.cli import COMMANDS, open_reader
from briefreader.cli.common import Failure, annotator_option, resolve_workspace, workspace_option
from briefreader.core.errors import BriefreaderError


class BriefreaderGroup(click.Group):
    """`briefreader [WORKSPACE]` opens the reader; every other first word is a command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, function = COMMANDS[name].split(":")
            return getattr(importlib.import_module(f"briefreader.cli.{module}"), function)
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if first not in {*self.commands, *COMMANDS, "--help", "-h", "--version"}:
            args = ["open", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefreaderError as exc:
            raise Failure(str(exc)) from None


@click.group(
    cls=BriefreaderGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `briefreader COMMAND --help` for the options and an example of each command.",
)
@click.version_option(__version__, prog_name="briefreader")
def cli() -> None:
    """Read, search and annotate a corpus of political briefs.

    With no command, opens the reader on a workspace: the folder given, else the current
    folder if it has a corpus/, else the bundled sample corpus.

    \b
    Examples:
      briefreader                        open the reader
      briefreader ~/briefs               open the workspace ~/briefs
      briefreader search '"Zangezur corridor" side:armenia'
      briefreader read tatikyan
    """


@cli.command("open", hidden=True)
@click.argument("workspace", required=False, type=click.Path(path_type=Path))
@workspace_option
@annotator_option
def open_command(
    workspace: Path | None, workspace_path: Path | None, annotator: str | None
) -> None:
    """Open the reader (the default command)."""
    open_reader(resolve_workspace(workspace_path, workspace), annotator)
