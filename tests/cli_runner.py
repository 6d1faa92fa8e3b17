"""Running the `briefreader` command in-process, and what every user error must look like."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from briefreader.cli.group import cli


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="briefreader")


def assert_user_error(result: Result, *fragments: str) -> str:
    """Exit 1, exactly one line on stderr that starts `briefreader: error:`, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("briefreader: error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
