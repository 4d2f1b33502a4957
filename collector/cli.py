"""`bandsense collect`: stream bands (real or simulated) to MQTT without losing samples."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from bandsense.errors import UserError
from collector.band_session import SessionConfig
from collector.clock import ClockConfig
from collector.publisher import BrokerConfig
from collector.service import Collector, CollectorOptions, default_collector_id
from collector.spool import FullPolicy
from collector.topics import validate_prefix

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


def _settings_defaults() -> tuple[object | None, object | None]:
    """H1's settings (file/env) when they load; flags override them."""
    try:
        from bandsense.config import load_settings

        settings = load_settings()
    except UserError:
        raise
    except Exception:  # config module missing or broken: flags and defaults only
        return None, None
    return settings.mqtt, settings.collector


def collect(
    mqtt: Annotated[
        str | None, typer.Option("--mqtt", help="Broker URL mqtt://HOST:PORT (default: config).")
    ] = None,
    band: Annotated[
        list[str] | None,
        typer.Option("--band", help="Band name or address to connect to (repeatable)."),
    ] = None,
    sim: Annotated[
        str | None,
        typer.Option("--sim", help="Simulator HCI: tcp:HOST:PORT or unix:PATH (bleak+Bumble)."),
    ] = None,
    spool: Annotated[
        Path | None, typer.Option("--spool", help="Spool folder (default: config).")
    ] = None,
    rate: Annotated[
        int | None, typer.Option("--rate", min=20, max=1000, help="Sample rate to set, Hz.")
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Topic prefix.")] = None,
    speed: Annotated[
        float,
        typer.Option("--speed", min=0.001, help="Simulator speed factor (device clock rate)."),
    ] = 1.0,
    max_bands: Annotated[
        int | None, typer.Option("--max-bands", min=1, help="Stop discovering after N.")
    ] = None,
    scan_s: Annotated[float, typer.Option("--scan-s", min=0.5, help="Scan round, s.")] = 5.0,
    spool_max_mb: Annotated[
        float | None, typer.Option("--spool-max-mb", min=1, help="Spool size bound, MiB.")
    ] = None,
    spool_policy: Annotated[
        FullPolicy, typer.Option("--spool-full", help="When the spool is full.")
    ] = FullPolicy.DROP_OLDEST,
    liveness: Annotated[
        int | None,
        typer.Option("--liveness-intervals", min=2, help="Silent frame periods = dead link."),
    ] = None,
    max_reconnects: Annotated[
        int | None, typer.Option("--max-reconnects", help="Default: forever.")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status/--no-status", help="Live one-line-per-band status.")
    ] = True,
    collector_id: Annotated[
        str | None, typer.Option("--collector-id", help="Name in status payloads.")
    ] = None,
) -> None:
    """Collect from bands (and Tindeq Progressors) over BLE and publish to MQTT."""
    mqtt_cfg, coll_cfg = _settings_defaults()
    url = mqtt or (getattr(mqtt_cfg, "url", None) if mqtt_cfg else None) or "mqtt://127.0.0.1:1883"
    try:
        broker = BrokerConfig.from_url(url)
        if mqtt_cfg is not None and broker.username is None:
            password = getattr(mqtt_cfg, "password", None)
            broker = BrokerConfig(
                host=broker.host,
                port=broker.port,
                username=getattr(mqtt_cfg, "username", None),
                password=password.get_secret_value() if password is not None else None,
                keepalive_s=int(getattr(mqtt_cfg, "keepalive_s", 30)),
                tls=broker.tls,
            )
        topic_prefix = validate_prefix(
            prefix or (getattr(mqtt_cfg, "topic_prefix", None) or "bandsense")
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    spool_dir = spool or (getattr(coll_cfg, "spool_dir", None) or Path("spool"))
    max_bytes = (
        int(spool_max_mb * 2**20)
        if spool_max_mb is not None
        else int(getattr(coll_cfg, "spool_max_bytes", 1 << 30))
    )
    session = SessionConfig(
        rate_hz=rate,
        liveness_intervals=liveness or int(getattr(coll_cfg, "liveness_intervals", 10)),
        backoff_initial_s=float(getattr(coll_cfg, "backoff_initial_s", 0.5)),
        backoff_max_s=float(getattr(coll_cfg, "backoff_max_s", 30.0)),
        max_reconnects=max_reconnects,
        clock=ClockConfig(nominal_slope=1.0 / speed),
        # Wall time shrinks with the simulator's speed: batch by wall age accordingly.
        batch_max_age_s=0.25,
    )
    options = CollectorOptions(
        broker=broker,
        topic_prefix=topic_prefix,
        bands=list(band or []),
        hci=_sim_spec(sim) if sim else None,
        spool_dir=Path(spool_dir),
        spool_max_bytes=max_bytes,
        spool_policy=spool_policy,
        session=session,
        scan_s=scan_s,
        max_bands=max_bands,
        collector_id=collector_id or default_collector_id(),
    )
    asyncio.run(_main(options, status))


async def _main(options: CollectorOptions, show: bool) -> None:
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
