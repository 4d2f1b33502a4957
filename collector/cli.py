"""`bandsense collect`: stream bands (real or simulated) to MQTT without losing samples."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bandsense.config import settings_from_context
from bandsense.errors import UserError
from collector.spool import FullPolicy
from collector.topics import validate_prefix

if TYPE_CHECKING:
    from collector.service import CollectorOptions

# The BLE stack (bleak, Bumble) and aiomqtt are imported when the command runs, not when
# the CLI is built: every other command (`bandsense analyze` above all) would pay ~0.5 s.

log = logging.getLogger(__name__)


def _sim_spec(sim: str) -> str:
    """``tcp:HOST:PORT`` / ``unix:PATH`` (also Bumble's own ``tcp-client:``/``link:``)."""
    kind, _, rest = sim.partition(":")
    if kind in ("tcp", "tcp-client"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"--sim {sim!r}: expected tcp:HOST:PORT")
        return f"tcp:{host}:{port}"
    if kind == "unix" and rest:
        return sim
    if kind in ("link", "usb", "serial", "hci-socket") and rest:
        return sim
    raise UserError(f"--sim {sim!r}: expected tcp:HOST:PORT or unix:PATH")


def collect(
    ctx: typer.Context,
    mqtt: Annotated[
        str | None, typer.Option("--mqtt", help="Broker URL mqtt://HOST:PORT (mqtt.url).")
    ] = None,
    band: Annotated[
        list[str] | None,
        typer.Option(
            "--band", help="Band name or address to connect to, repeatable (collector.device)."
        ),
    ] = None,
    sim: Annotated[
        str | None,
        typer.Option(
            "--sim",
            help="Simulator HCI: tcp:HOST:PORT or unix:PATH, via bleak + Bumble "
            "(collector.transport). Without it: bleak's backend for the real adapter.",
        ),
    ] = None,
    spool: Annotated[
        Path | None, typer.Option("--spool", help="Spool folder (collector.spool_dir).")
    ] = None,
    rate: Annotated[
        int | None,
        typer.Option("--rate", help="Sample rate to request, Hz (collector.sample_rate_hz)."),
    ] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Topic prefix (mqtt.topic_prefix).")
    ] = None,
    speed: Annotated[
        float,
        typer.Option(
            "--speed", min=0.001, help="Simulator speed: its device clock runs this x real time."
        ),
    ] = 1.0,
    max_bands: Annotated[
        int | None, typer.Option("--max-bands", min=1, help="Stop discovering after N devices.")
    ] = None,
    scan_s: Annotated[float, typer.Option("--scan-s", min=0.5, help="Scan round, s.")] = 5.0,
    spool_max_mb: Annotated[
        float | None,
        typer.Option("--spool-max-mb", min=1, help="Spool bound per band, MiB (spool_max_bytes)."),
    ] = None,
    spool_policy: Annotated[
        FullPolicy, typer.Option("--spool-full", help="What to drop when the spool is full.")
    ] = FullPolicy.DROP_OLDEST,
    liveness: Annotated[
        int | None,
        typer.Option(
            "--liveness-intervals",
            help="Frame periods without frames = dead link (collector.liveness_intervals).",
        ),
    ] = None,
    max_reconnects: Annotated[
        int | None, typer.Option("--max-reconnects", help="Give up after N (default: never).")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status/--no-status", help="Live one-line-per-band status.")
    ] = True,
    collector_id: Annotated[
        str | None, typer.Option("--collector-id", help="Collector name in status payloads.")
    ] = None,
    band_id: Annotated[
        str | None,
        typer.Option(
            "--band-id",
            help="Id of the one band collected, in topics and tags (collector.band_id). "
            "Default: the device's name, else its address.",
        ),
    ] = None,
) -> None:
    """Collect from bands (and Tindeq Progressors) over BLE and publish them to MQTT."""
    from collector.band_session import SessionConfig
    from collector.clock import ClockConfig
    from collector.publisher import BrokerConfig
    from collector.service import CollectorOptions, default_collector_id

    settings = settings_from_context(
        ctx,
        {
            "mqtt.url": mqtt,
            "mqtt.topic_prefix": prefix,
            "collector.transport": sim,
            "collector.spool_dir": spool,
            "collector.sample_rate_hz": rate,
            "collector.liveness_intervals": liveness,
            "collector.band_id": band_id,
            "collector.spool_max_bytes": (
                int(spool_max_mb * 2**20) if spool_max_mb is not None else None
            ),
        },
    )
    m, c = settings.mqtt, settings.collector
    try:
        broker = BrokerConfig.from_url(m.url, keepalive_s=m.keepalive_s)
        if m.username is not None:
            broker = dataclasses.replace(
                broker,
                username=m.username,
                password=m.password.get_secret_value() if m.password is not None else None,
            )
        topic_prefix = validate_prefix(m.topic_prefix)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    session = SessionConfig(
        rate_hz=c.sample_rate_hz,
        liveness_intervals=c.liveness_intervals,
        backoff_initial_s=c.backoff_initial_s,
        backoff_max_s=c.backoff_max_s,
        max_reconnects=max_reconnects,
        clock=ClockConfig(nominal_slope=1.0 / speed),
    )
    bands = list(band or ([c.device] if c.device else []))
    if c.band_id is not None:
        # One id for several bands would merge their streams under one topic.
        if len(bands) > 1 or (max_bands is not None and max_bands > 1):
            raise UserError(
                f"collector.band_id {c.band_id!r} names one band: give at most one --band "
                "and no --max-bands above 1"
            )
        max_bands = 1
    options = CollectorOptions(
        broker=broker,
        topic_prefix=topic_prefix,
        bands=bands,
        hci=_sim_spec(c.transport) if c.transport else None,
        spool_dir=Path(c.spool_dir),
        spool_max_bytes=c.spool_max_bytes,
        spool_policy=spool_policy,
        session=session,
        scan_s=scan_s,
        max_bands=max_bands,
        band_id=c.band_id,
        collector_id=collector_id or default_collector_id(),
    )
    asyncio.run(_main(options, status))


async def _main(options: CollectorOptions, show: bool) -> None:
    from collector.service import Collector

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    collector = Collector(options)
    view: asyncio.Task[None] | None = None
    if show:
        from collector.status_view import show_status

        view = asyncio.create_task(show_status(collector))
    try:
        await collector.run(stop)
    finally:
        if view is not None:
            view.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await view
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        with contextlib.suppress(Exception):
            from collector.backends import close_hosts

            await close_hosts()


def register(app: typer.Typer) -> None:
    """Add ``bandsense collect`` to the root app."""
    app.command("collect")(collect)
