"""Errors that the CLI turns into a one-line message and exit code 2 (no traceback)."""

from __future__ import annotations


class BandsenseError(Exception):
    """Base of bandsense's own errors."""


class UserError(BandsenseError):
    """Bad input from the user: arguments, configuration or an unreadable/malformed file.

    The message must be one line and say what to fix (with file and line number where
    there is one).
    """
