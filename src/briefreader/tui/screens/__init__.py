"""Screens pushed over the reader: search, help."""
