"""brief: a command-line archive and search tool for policy briefs kept as plain text."""

__version__ = "0.1.0"
