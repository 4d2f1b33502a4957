"""`bandsense` commands owned by the firmware_sim package."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this package's commands to the root app (filled in by the package's issue)."""
