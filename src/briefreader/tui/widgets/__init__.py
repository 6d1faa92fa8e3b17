"""Widgets of the reader: the library tree and the reading view."""
