"""``bandsense sim serve``: run simulated bands and serve the virtual link over HCI.

Prints one line ``listening on tcp:HOST:PORT`` (or ``unix:PATH``) on stdout once clients can
connect (with ``--hci tcp:127.0.0.1:0`` the real port), then one line per band
``band NAME ADDRESS``; a Bumble client connects with ``tcp-client:HOST:PORT`` / ``unix:PATH``.
Runs until SIGINT or SIGTERM, then writes the ground truth and exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    # Bumble takes ~0.6 s to import: only `sim serve` itself pays for it, not every
    # `bandsense` command that registers this one.
    from firmware_sim.simulator import SimulatorOptions


async def serve(options: SimulatorOptions, stop: asyncio.Event | None = None) -> None:
    """Run the simulator until ``stop`` is set or SIGINT/SIGTERM arrives."""
    from firmware_sim.simulator import Simulator

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sim = Simulator(options)
    try:
        endpoint = await sim.start()
        # Tests and scripts parse these lines: keep their format.
        print(f"listening on {endpoint}", flush=True)
        for band in sim.bands:
            print(f"band {band.peripheral.name} {band.spec.address}", flush=True)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await sim.close()


def add_serve_command(sim_app: typer.Typer) -> None:
    """Register ``serve`` on the ``bandsense sim`` Typer app."""

    @sim_app.command("serve")
    def serve_command(
        scenario: Annotated[
            str,
            typer.Option("--scenario", "-s", help="Built-in scenario name or path to a TOML."),
        ],
        hci: Annotated[
            str,
            typer.Option(
                "--hci", help="Where to serve HCI: tcp:HOST:PORT (port 0: any) or unix:PATH."
            ),
        ] = "tcp:127.0.0.1:0",
        bands: Annotated[int, typer.Option("--bands", min=1, max=200, help="Bands.")] = 1,
        speed: Annotated[
            float, typer.Option("--speed", min=0.01, help="Sample clock x real time.")
        ] = 1.0,
        seed: Annotated[
            int | None, typer.Option("--seed", help="Base seed (band k uses seed + k - 1).")
        ] = None,
        rate: Annotated[
            float | None, typer.Option("--rate", help="Sample rate, Hz (default: scenario's).")
        ] = None,
        tindeq: Annotated[
            bool, typer.Option("--tindeq", help="Present the bands as Tindeq Progressors.")
        ] = False,
        truth_out: Annotated[
            Path | None,
            typer.Option("--truth-out", help="Folder for <band>/truth.json and air.json."),
        ] = None,
    ) -> None:
        """Serve simulated bands as BLE peripherals on a virtual link (HCI over a socket)."""
        from firmware_sim.simulator import SimulatorOptions

        options = SimulatorOptions(
            scenario=scenario,
            hci=hci,
            bands=bands,
            speed=speed,
            seed=seed,
            rate_hz=rate,
            tindeq=tindeq,
            truth_out=truth_out,
        )
        try:
            asyncio.run(serve(options))
        except KeyboardInterrupt:  # a second Ctrl-C during shutdown
            sys.exit(130)
