"""The ``bandsense`` command line: one Typer app, one sub-app or command per package.

Each package owns its commands in its own ``cli`` module; this module only wires them
together, sets up logging and turns user errors into one-line messages with exit code 2.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from bandsense import __version__
from bandsense.errors import UserError

try:  # typer >= 0.2x vendors its own click; its exceptions are not click's
    import typer._click.exceptions as click_exc
except ImportError:  # pragma: no cover - older typer on top of click
    import click.exceptions as click_exc  # type: ignore[no-redef]

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
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML settings file (default: $BANDSENSE_CONFIG, else ./bandsense.toml).",
            show_default=False,
        ),
    ] = None,
    log_level: str = typer.Option(
        "WARNING",
        "--log-level",
        "-l",
        help="DEBUG, INFO, WARNING or ERROR.",
        envvar="BANDSENSE_LOG_LEVEL",
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
    if config is not None and not config.is_file():
        raise UserError(f"config file {str(config)!r} does not exist")
    # Subcommands read settings through bandsense.config.settings_from_context(ctx, ...).
    ctx.obj = {"config_path": config}


_registered = False


def _register() -> None:
    global _registered
    if _registered:  # main() may run more than once in one process (tests)
        return
    # Imported here so `bandsense --version` stays fast and one broken package does not
    # take down the others' commands.
    from analysis.cli import register as register_analysis
    from analysis.service_cli import add_analyzer_command
    from bandsense.demo import add_demo_command
    from collector.cli import register as register_collector
    from firmware_sim.cli import register as register_sim

    register_sim(app)
    register_collector(app)
    register_analysis(app)
    add_analyzer_command(app)
    add_demo_command(app)
    _registered = True


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 2 with one line on stderr for any user error."""
    _register()
    try:
        # standalone_mode=False: click raises its usage errors to us instead of printing a
        # multi-line usage block (or a rich panel), so every user error reads the same.
        rc = app(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="bandsense",
            standalone_mode=False,
        )
    except click_exc.NoArgsIsHelpError as exc:
        # Typer's rich help was already printed when the error was built.
        if exc.format_message().strip():
            typer.echo(exc.format_message(), err=True)
        raise SystemExit(2) from None
    except click_exc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "bandsense"
        typer.echo(
            f"bandsense: error: {_one_line(exc.format_message())} (see '{where} --help')",
            err=True,
        )
        raise SystemExit(2) from None
    except UserError as exc:
        typer.echo(f"bandsense: error: {_one_line(str(exc))}", err=True)
        raise SystemExit(2) from None
    except click_exc.ClickException as exc:
        typer.echo(f"bandsense: error: {_one_line(exc.format_message())}", err=True)
        raise SystemExit(exc.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("bandsense: interrupted", err=True)
        raise SystemExit(130) from None
    raise SystemExit(rc if isinstance(rc, int) else 0)
