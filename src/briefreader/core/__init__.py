"""The library behind briefreader: corpus, normalisation, search, annotations, export.

Nothing in this package imports Textual or the CLI: the TUI and the CLI compose it.
"""
