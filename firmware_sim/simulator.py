"""A served simulator: N bands on one virtual link, reachable over an HCI socket.

This is what ``bandsense sim serve`` runs; tests and tools can run it in-process too::

    sim = Simulator(SimulatorOptions(scenario="one_minute.toml", hci="tcp:127.0.0.1:0"))
    endpoint = await sim.start()          # endpoint.client_spec -> "tcp-client:127.0.0.1:PORT"
    ...
    await sim.close()

Ground truth (``truth_out``): ``<dir>/<band name>/truth.json`` (H3's Truth of that band's
run) is written at start; ``<dir>/<band name>/air.json`` (what happened on the radio: frames
lost on the air, link drops, frames evicted by data-losing drops, counters) is rewritten
after each disconnection and at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bandsense.errors import UserError
from firmware_sim.hci_server import HciEndpoint, HciServer
from firmware_sim.peripheral import (
    BandPeripheral,
    BandSpec,
    SimPeripheral,
    VirtualClock,
    band_spec,
    make_band,
)
from firmware_sim.sample_source import SampleSource, from_synthesis
from firmware_sim.scenario import load_scenario
from firmware_sim.synth import Synthesis, synthesize
from firmware_sim.tindeq_mode import TindeqPeripheral, tindeq_config
from firmware_sim.vlink import SimLink

log = logging.getLogger(__name__)

# A client that stops reading holds the bands back at most this long per burst, then the
# bands carry on (its socket buffer grows; the others must not starve).
_FLOW_GATE_TIMEOUT_S = 2.0


def scenario_source(
    scenario: str, *, seed: int | None = None, rate_hz: float | None = None
) -> tuple[SampleSource, Synthesis]:
    """A band's sample source from a scenario (built-in name or TOML path), plus H3's
    synthesis (``.truth`` is the ground truth) - for ``InProcessLink.add_band``."""
    synth = synthesize(load_scenario(scenario), rate_hz=rate_hz, seed=seed)
    return from_synthesis(synth), synth


@dataclass(slots=True)
class SimulatorOptions:
    scenario: str
    hci: str = "tcp:127.0.0.1:0"
    bands: int = 1
    speed: float = 1.0
    seed: int | None = None
    rate_hz: float | None = None
    tindeq: bool = False
    truth_out: Path | None = None


@dataclass(slots=True)
class SimBand:
    spec: BandSpec
    synthesis: Synthesis
    peripheral: SimPeripheral
    task: asyncio.Task[None] | None = None


class Simulator:
    def __init__(self, options: SimulatorOptions) -> None:
        if options.bands < 1:
            raise UserError("--bands must be at least 1")
        if options.speed <= 0:
            raise UserError("--speed must be > 0")
        self.options = options
        self.link = SimLink()
        self.clock = VirtualClock(options.speed)
        self.server = HciServer(self.link)
        self.bands: list[SimBand] = []
        self.endpoint: HciEndpoint | None = None

    async def start(self) -> HciEndpoint:
        """Synthesize every band's run, start the bands, then listen for HCI clients."""
        opts = self.options
        try:
            endpoint = HciEndpoint.parse(opts.hci)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        scenario = load_scenario(opts.scenario)
        base_seed = opts.seed if opts.seed is not None else scenario.seed
        loop = asyncio.get_running_loop()
        for index in range(1, opts.bands + 1):
            spec = band_spec(index, base_seed)
            # Synthesis is numpy-bound: keep the loop responsive while 20 bands render.
            render = functools.partial(synthesize, scenario, rate_hz=opts.rate_hz, seed=spec.seed)
            synth = await loop.run_in_executor(None, render)
            peripheral = make_band(
                self.link,
                from_synthesis(synth),
                spec,
                self.clock,
                config=tindeq_config() if opts.tindeq else None,
                cls=TindeqPeripheral if opts.tindeq else BandPeripheral,
            )
            peripheral.flow_gate = self._flow_gate
            band = SimBand(spec, synth, peripheral)
            peripheral.on_disconnect = functools.partial(self._on_disconnect, band)
            self.bands.append(band)
            self._write_truth(band)
        for band in self.bands:
            await band.peripheral.start()
            band.task = loop.create_task(band.peripheral.run())
        try:
            self.endpoint = await self.server.start(endpoint)
        except OSError as exc:
            await self.close()
            raise UserError(f"cannot listen on {endpoint}: {exc.strerror or exc}") from None
        return self.endpoint

    async def _flow_gate(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_FLOW_GATE_TIMEOUT_S):
                await self.server.wait_writable()

    def _band_dir(self, band: SimBand) -> Path | None:
        if self.options.truth_out is None:
            return None
        folder = self.options.truth_out / band.spec.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _write_truth(self, band: SimBand) -> None:
        folder = self._band_dir(band)
        if folder is not None:
            band.synthesis.truth.write(folder / "truth.json")

    def air_report(self, band: SimBand) -> dict[str, Any]:
        fw = band.peripheral.firmware
        log_ = fw.air_log
        return {
            "band": band.spec.name,
            "advertised_name": band.peripheral.name,
            "address": str(band.spec.address),
            "seed": band.spec.seed,
            "sample_rate_hz": fw.sample_rate_hz,
            "samples_per_frame": fw.samples_per_frame,
            "scenario_started": fw.scenario_start_s is not None,
            "frames_built": fw.next_seq,
            "frames_sent": fw.frames_sent,
            "frames_resent": fw.frames_resent,
            "command_errors": fw.command_errors,
            "lost_on_air_seqs": log_.lost_seqs,
            "lost_on_air_sample_ranges": log_.lost_sample_ranges,
            "evicted_seq_ranges": log_.evicted_seqs,
            "link_drops": [
                {"at_s": d.at_s, "duration_s": d.duration_s, "lose_data": d.lose_data}
                for d in log_.link_drops
            ],
            "connections": band.peripheral.connections_seen,
            "tx_overflow": band.peripheral.tx_overflow,
        }

    def _on_disconnect(self, band: SimBand, _peripheral: SimPeripheral) -> None:
        self._write_air(band)

    def _write_air(self, band: SimBand) -> None:
        folder = self._band_dir(band)
        if folder is None:
            return
        tmp = folder / "air.json.tmp"
        tmp.write_text(json.dumps(self.air_report(band), indent=1) + "\n", encoding="utf-8")
        tmp.replace(folder / "air.json")

    async def close(self) -> None:
        await self.server.close()
        for band in self.bands:
            await band.peripheral.close()
            if band.task is not None:
                band.task.cancel()
        await asyncio.gather(*(b.task for b in self.bands if b.task), return_exceptions=True)
        for band in self.bands:
            self._write_air(band)
