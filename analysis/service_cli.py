"""`bandsense analyzer`: run the analyzer service (docs/analyzer-service.md)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from analysis.prescription import Prescription, parse_prescription
from bandsense.config import Settings, settings_from_context

if TYPE_CHECKING:
    from analysis.service import AnalyzerService, ServiceConfig

# analysis.service (aiomqtt, the analysis and its compiled kernels) is imported when the
# command runs, not when the CLI is built (~0.3 s for every other command).
from bandsense.errors import UserError

log = logging.getLogger(__name__)

DEFAULT_GROUP = "bandsense-analyzer"


def service_config(
    settings: Settings,
    *,
    group: str = DEFAULT_GROUP,
    share: bool = True,
    idle_timeout_s: float = 30.0,
    live_rate_hz: float = 10.0,
    persistent_session: bool = False,
) -> ServiceConfig:
    """The service configuration from the settings (flags already merged in) and flags.

    ``mqtt.client_id``, when set, is the analyzer's id (and MQTT client id);
    ``persistent_session`` needs it: the broker then queues this analyzer's messages while
    it reconnects (see docs/analyzer-service.md for the catch with shared subscriptions).
    """
    from analysis.service import ServiceConfig, validate_group

    mqtt = settings.mqtt
    try:
        validate_group(group)
    except ValueError as exc:
        raise UserError(f"--group: {exc}") from None
    if idle_timeout_s <= 0 or live_rate_hz <= 0:
        raise UserError("--idle-timeout and --live-rate must be > 0")
    if persistent_session and mqtt.client_id is None:
        raise UserError("--persistent-session needs a stable id: set mqtt.client_id")
    config = ServiceConfig(
        host=mqtt.host,
        port=mqtt.port,
        username=mqtt.username,
        password=mqtt.password.get_secret_value() if mqtt.password else None,
        tls=mqtt.tls,
        keepalive_s=mqtt.keepalive_s,
        prefix=mqtt.topic_prefix,
        group=group,
        share=share,
        idle_timeout_s=idle_timeout_s,
        live_rate_hz=live_rate_hz,
        persistent_session=persistent_session,
        backoff_initial_s=settings.collector.backoff_initial_s,
        backoff_max_s=settings.collector.backoff_max_s,
    )
    if mqtt.client_id is None:
        return config
    try:
        return dataclasses.replace(config, analyzer_id=mqtt.client_id)
    except ValueError as exc:  # it becomes a topic level: same rules as a band id
        raise UserError(f"invalid setting mqtt.client_id: {exc}") from None


def prescription_of(settings: Settings, prescribe: str | None) -> Prescription | None:
    """``--prescribe`` wins over ``[analysis.prescription]`` in the settings."""
    if prescribe:
        return parse_prescription(prescribe)
    p = settings.analysis.prescription
    return None if p is None else Prescription.from_settings(p)


async def serve(service: AnalyzerService) -> None:
    """Run until SIGTERM (stop: finish sessions, flush) or Ctrl-C (cancel: the same)."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, service.stop)
    try:
        await service.run()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        s = service.stats
        print(  # the command's closing line
            f"analyzer {service.config.analyzer_id}: {s.batches} batches, {s.samples} samples, "
            f"{s.sessions} sessions, {s.duplicates} duplicates, {s.malformed} malformed, "
            f"published {s.published}",
            file=sys.stderr,
        )


def analyzer(
    ctx: typer.Context,
    mqtt: Annotated[str | None, typer.Option(
        "--mqtt", help="Broker URL mqtt://HOST:PORT (default: setting mqtt.url).",
        show_default=False)] = None,
    group: Annotated[str, typer.Option(
        "--group", help="Shared-subscription group: analyzers in one group split the bands."
    )] = DEFAULT_GROUP,
    no_share: Annotated[bool, typer.Option(
        "--no-share", help="Plain subscription: this analyzer takes every band.")] = False,
    prescribe: Annotated[str | None, typer.Option(
        "--prescribe",
        help='Prescription to check, e.g. "10 reps, pause 1.0s, left first".')] = None,
    idle_timeout: Annotated[float, typer.Option(
        "--idle-timeout", help="Seconds without samples after which a band's session ends.",
        min=0.1)] = 30.0,
    live_rate: Annotated[float, typer.Option(
        "--live-rate", help="Live state messages per band and second, at most.",
        min=0.1)] = 10.0,
    persistent_session: Annotated[bool, typer.Option(
        "--persistent-session",
        help="Persistent MQTT session under mqtt.client_id: the broker queues messages "
             "while this analyzer reconnects.")] = False,
) -> None:
    """Analyse the collectors' sample streams live: reps, sets, holds and live state on MQTT."""
    from analysis.service import AnalyzerService, live_analyzer_factory

    settings = settings_from_context(ctx, {"mqtt.url": mqtt})
    config = service_config(settings, group=group, share=not no_share,
                            idle_timeout_s=idle_timeout, live_rate_hz=live_rate,
                            persistent_session=persistent_session)
    factory = live_analyzer_factory(prescription_of(settings, prescribe))
    log.info("analyzer %s on %s (group %s)", config.analyzer_id, settings.mqtt.url,
             group if config.share else "none")
    asyncio.run(serve(AnalyzerService(config, factory)))


def add_analyzer_command(app: typer.Typer) -> None:
    """Register ``bandsense analyzer`` on the root app."""
    app.command("analyzer")(analyzer)


def _standalone() -> typer.Typer:
    """``python -m analysis.service_cli``: the command without the rest of bandsense."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    add_analyzer_command(app)
    return app


if __name__ == "__main__":
    _standalone()()
