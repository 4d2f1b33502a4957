"""`bandsense sim ...` commands: offline recording and the list of built-in scenarios.

The BLE peripheral (`bandsense sim serve`) is added to the same sub-app by
``firmware_sim.serve_cli.add_serve_command``, owned by the BLE part of the simulator.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from firmware_sim.scenario import builtin_names, load_scenario

log = logging.getLogger(__name__)

sim_app = typer.Typer(
    help="Simulated band: offline recordings with ground truth, and the BLE peripheral.",
    no_args_is_help=True,
)

_serve_added = False


@sim_app.command("record")
def record_command(
    scenario: Annotated[
        str,
        typer.Option("--scenario", "-s", help="Built-in scenario name or path to a scenario TOML."),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for recording.csv and truth.json.")
    ],
    rate: Annotated[
        float | None, typer.Option("--rate", help="Sample rate, Hz (default: the scenario's).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")
    ] = None,
    samples_per_frame: Annotated[
        int | None,
        typer.Option(
            "--samples-per-frame", min=1, max=255,
            help="Samples per BLE frame for frame loss (default: about 50 ms of samples).",
        ),
    ] = None,
) -> None:
    """Write a scenario offline as recording.csv (time_s,force_n,stretch_mm) + truth.json."""
    console = Console(stderr=True)
    # Imported here: the synthesis pulls in scipy, which every other command would pay for.
    from firmware_sim.record import record

    loaded = load_scenario(scenario)
    with console.status(f"simulating {loaded.name} ..."):
        result = record(loaded, out, rate_hz=rate, seed=seed, samples_per_frame=samples_per_frame)
    truth = result.truth
    reps = [r for r in truth.reps if not r.partial]
    partial = len(truth.reps) - len(reps)
    console.print(
        f"[bold]{loaded.name}[/]: {result.duration_s:.1f} s at "
        f"{truth.metadata['rate_hz']:g} Hz, {result.samples} samples written "
        f"({result.samples_dropped} lost in {len(truth.gaps)} gaps), {len(truth.sets)} sets, "
        f"{len(reps)} reps (+{partial} partial), {len(truth.holds)} holds -> {result.out_dir} "
        f"in {result.wall_s:.2f} s ({result.speedup:,.0f}x real time)"
    )


@sim_app.command("scenarios")
def scenarios_command() -> None:
    """List the built-in scenarios."""
    for name in builtin_names():
        typer.echo(f"{name:20s} {load_scenario(name).description}")


def _add_serve() -> None:
    global _serve_added
    if _serve_added:
        return
    try:
        from firmware_sim.serve_cli import add_serve_command
    except ImportError as exc:
        # Before the BLE part lands (or if its dependencies are missing) `sim record`
        # must keep working; say why `serve` is absent when it is not just "not there yet".
        if getattr(exc, "name", None) != "firmware_sim.serve_cli":
            log.warning("bandsense sim serve unavailable: %s", exc)
        return
    add_serve_command(sim_app)
    _serve_added = True


def register(app: typer.Typer) -> None:
    """Add ``bandsense sim`` to the root app (idempotent: main() may run more than once)."""
    _add_serve()
    if any(group.typer_instance is sim_app for group in app.registered_groups):
        return
    app.add_typer(sim_app, name="sim")
