"""briefreader: read, search and annotate a corpus of political briefs in the terminal."""

__version__ = "0.1.0"
