"""The ``bandsense`` command line: one Typer app, one sub-app or command per package.

Each package owns its commands in its own ``cli`` module; this module only wires them
together, sets up logging and turns user errors into one-line messages with exit code 2.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.logging import RichHandler

from bandsense import __version__
from bandsense.errors import UserError

app = typer.Typer(
    name="bandsense",
    help="Instrumented resistance band: simulate, collect, analyse, store, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bandsense {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    log_level: str = typer.Option(
        "WARNING", "--log-level", "-l", help="DEBUG, INFO, WARNING or ERROR.", envvar="BANDSENSE_LOG_LEVEL"
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    level = logging.getLevelName(log_level.upper())
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, console=None, rich_tracebacks=False)],
        force=True,
    )


def _register() -> None:
    # Imported here so `bandsense --version` stays fast and one broken package does not
    # take down the others' commands.
    from analysis.cli import register as register_analysis
    from collector.cli import register as register_collector
    from firmware_sim.cli import register as register_sim

    register_sim(app)
    register_collector(app)
    register_analysis(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    _register()
    try:
        app(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="bandsense",
            standalone_mode=True,
        )
    except UserError as exc:
        typer.echo(f"bandsense: error: {exc}", err=True)
        raise SystemExit(2) from None
