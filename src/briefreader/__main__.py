"""Lets `python -m briefreader` behave exactly like the `briefreader` command."""

from briefreader.cli import main

main()
