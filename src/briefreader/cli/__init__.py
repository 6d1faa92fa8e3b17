"""The `briefreader` command: a thin layer that parses options, calls the core, prints.

Each family of commands lives in its own module, imported only when one of its commands runs
(or for --help). `briefreader [WORKSPACE]`, which opens the reader, loads none of them, and
not click either (15-50 ms before the first frame): only a command line with anything more
goes through the parser of `briefreader.cli.group`.
"""

from __future__ import annotations

import gc
import os
import sys

from briefreader.core.errors import BriefreaderError
from briefreader.core.workspace import Workspace, resolve

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


def main() -> None:
    try:
        if (workspace := _workspace_alone(sys.argv[1:])) is not None:
            return open_reader(workspace, None)
    except BriefreaderError as exc:  # told as the parser tells it
        from briefreader.cli.common import Failure

        Failure(str(exc)).show()
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nAborted!", file=sys.stderr)  # as the parser says it
        sys.exit(1)
    from briefreader.cli.group import cli

    cli(prog_name="briefreader")


# what the parser reads from the environment: the workspace, and the shell's completion
PARSER_VARIABLES = {"BRIEFREADER_WORKSPACE", "_BRIEFREADER_COMPLETE"}


def _workspace_alone(args: list[str]) -> Workspace | None:
    """The workspace of `briefreader` or `briefreader WORKSPACE`, opened without the parser;
    None for any other command line, one the environment adds to, or a workspace that is
    none (the parser then says why)."""
    if len(args) > 1 or PARSER_VARIABLES & os.environ.keys():
        return None
    if any(arg.startswith("-") or arg in COMMANDS or arg == "open" for arg in args):
        return None
    try:
        return resolve(args[0] if args else None)
    except BriefreaderError:
        return None


def open_reader(ws: Workspace, annotator: str | None) -> None:
    """The reader on `ws`, its first read started before Textual loads."""
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

        # read while Textual loads, to show in the first frame
        first_read = FirstRead(ws, fork=True)
        from briefreader.tui.app import run  # Textual loads only when the reader is wanted

        run(ws, annotator, on_first_frame=first_frame, first_read=first_read)
    finally:
        first_frame()  # again, if the reader failed before its first frame
