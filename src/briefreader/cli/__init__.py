"""The `briefreader` command: a thin layer that parses options, calls the core, prints.

Each family of commands lives in its own module, imported only when one of its commands runs
(or for --help): opening the reader, the default, loads none of them.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path

import click

from briefreader import __version__
from briefreader.cli.common import Failure, annotator_option, resolve_workspace, workspace_option
from briefreader.core.errors import BriefreaderError

# command name -> "module:function" under briefreader.cli
COMMANDS = {
    "index": "reading:index",
    "search": "reading:search",
    "read": "reading:read",
    "annotate": "annotating:annotate",
    "annotations": "annotating:list_annotations",
    "import": "annotating:import_",
    "link": "annotating:link_command",
    "check": "annotating:check",
    "similar": "compare:similar",
    "topic": "compare:topic_command",
    "export": "reports:export",
    "stats": "reports:stats",
    "agreement": "team:agreement_command",
    "merge-driver": "team:merge_driver",
    "init": "team:init",
}


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
def open_reader(workspace: Path | None, workspace_path: Path | None, annotator: str | None) -> None:
    """Open the reader (the default command)."""
    ws = resolve_workspace(workspace_path, workspace)
    # Until the first frame is on screen:
    # - the cyclic garbage collector is paused: importing Textual and building the first
    #   frame make tens of thousands of objects that live as long as the reader, and it
    #   passed over them again and again as they piled up (the frame came 30-70 ms later);
    # - threads take turns every 1 ms, not 5: the first read waits for the GIL after each
    #   file it reads while this thread imports and composes (4-9% of the bare app's start
    #   sooner to the document, two runs of 12 and 20 launches, cold and warm).
    paused, interval = gc.isenabled(), sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(0.001)

    def first_frame() -> None:
        sys.setswitchinterval(interval)
        if paused:
            gc.enable()

    try:
        from briefreader.core.opening import FirstRead

        first_read = FirstRead(ws)  # read while Textual loads, to show in the first frame
        from briefreader.tui.app import run  # Textual loads only when the reader is wanted

        run(ws, annotator, on_first_frame=first_frame, first_read=first_read)
    finally:
        first_frame()  # again, if the reader failed before its first frame


def main() -> None:
    cli(prog_name="briefreader")
