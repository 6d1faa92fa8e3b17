"""The Textual reader: composes the core, holds no domain logic."""
