"""``bandsense demo``: the whole pipeline in one process, checked against ground truth.

What runs (all in one asyncio event loop, see docs/demo.md)::

    simulated band(s) ──BLE (Bumble LocalLink, in-process)──▶ collector (bleak + Bumble
    backend, ``link:NAME``) ──MQTT──▶ private mosquitto ──▶ analyzer service ──MQTT──▶
    this module's viewer (live board, then the session summary vs the simulator's truth)

Simulated time runs ``--speed`` times faster than wall time. The collector maps the band's
clock onto the wall clock (slope 1/speed), so the sample times it publishes are
compressed; the analyzer here sees them stretched back onto scenario seconds
(:class:`ScenarioTime`), so phase times, pause timers and set gaps mean what they say.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import math
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import aiomqtt
import numpy as np
import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from analysis.prescription import Prescription
from bandsense.errors import UserError
from bandsense.model import Hold, LiveState, Rep, SessionSummary, SetSummary

if TYPE_CHECKING:
    from bandsense.config import Settings

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = "single_leg_bridge"  # reps with a pause at the top: every column is busy
# single_leg_bridge is 672 simulated seconds: about 70 s of wall time at x10.
DEFAULT_SPEED = 10.0
STATUS_EVERY_S = 5.0  # plain (non-terminal) output: one status line per band this often
START_TIMEOUT_S = 60.0  # bands found and connected (shared 2-core CI is slow)
DRAIN_TIMEOUT_S = 30.0  # after the scenario: every frame through the collector
STOP_TIMEOUT_S = 30.0  # each component's clean shutdown
SUMMARY_TIMEOUT_S = 15.0  # session summaries back from the analyzer
RECENT_EVENTS = 6  # event lines under the live board
CUT_MARGIN_S = 0.5  # a --seconds cut that falls inside a movement moves past its end
_SEQ_LAST = re.compile(rb'"seq_last"\s*:\s*(\d+)')


@dataclass(frozen=True)
class DemoOptions:
    scenario: str = DEFAULT_SCENARIO
    speed: float = DEFAULT_SPEED
    bands: int = 1
    mqtt: str | None = None  # None: a private mosquitto
    seconds: float | None = None  # simulated seconds to play (None: the whole scenario)
    prescribe: str | None = None
    seed: int | None = None
    live: bool | None = None  # rich Live board; None: when stdout is a terminal
    # [analysis.prescription] from the settings; --prescribe wins.
    prescription: Prescription | None = None

    def check(self) -> None:
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise UserError("--speed must be > 0")
        if not 1 <= self.bands <= 20:
            raise UserError("--bands must be between 1 and 20")
        if self.seconds is not None and not self.seconds > 0:
            raise UserError("--seconds must be > 0")


# ------------------------------------------------------------------------ bands and truth


@dataclass
class BandPlan:
    """One simulated band: what it plays and what really happens in that window."""

    name: str
    spec: Any  # firmware_sim.peripheral.BandSpec
    source: Any  # firmware_sim.sample_source.SampleSource (windowed)
    truth: Any  # firmware_sim.truth.Truth (windowed)
    played_s: float  # simulated seconds the band will play


def cut_time(truth: Any, seconds: float | None, duration_s: float) -> float:
    """Where to end the scenario: ``seconds``, moved past the end of a rep or hold it would
    cut in two (a half rep is neither in the truth nor fairly in the analysis)."""
    if seconds is None or seconds >= duration_s:
        return duration_s
    cut = seconds
    spans = [(r.start_s, r.end_s) for r in truth.reps] + [(h.start_s, h.end_s) for h in truth.holds]
    for start, end in sorted(spans):
        if start < cut < end:
            cut = end + CUT_MARGIN_S
    return min(cut, duration_s)


def window_source(source: Any, end_s: float) -> Any:
    """The first ``end_s`` seconds of a sample source."""
    n = int(np.searchsorted(source.time_s, end_s, side="right"))
    if n >= len(source.time_s):
        return source
    full_drops = source.dropped_frames

    def drops(samples_per_frame: int) -> np.ndarray:
        frames = np.asarray(full_drops(samples_per_frame), dtype=np.int64)
        return frames[frames * samples_per_frame < n]

    return replace(
        source,
        time_s=source.time_s[:n],
        force_n=source.force_n[:n],
        stretch_mm=None if source.stretch_mm is None else source.stretch_mm[:n],
        device_time_us=source.device_time_us[:n],
        dropped_frames=drops,
        link_drops=tuple(d for d in source.link_drops if d.at_s < end_s),
    )


def window_truth(truth: Any, end_s: float) -> Any:
    """The truth of the first ``end_s`` seconds: what ended by then."""
    sets = [s for s in truth.sets if s.start_s < end_s]
    return truth.model_copy(
        update={
            "sets": sets,
            "reps": [r for r in truth.reps if r.end_s <= end_s],
            "holds": [h for h in truth.holds if h.end_s <= end_s],
        }
    )


def plan_bands(options: DemoOptions) -> list[BandPlan]:
    """Synthesize each band's run (band k: seed + k - 1, as ``sim serve`` does)."""
    from firmware_sim.peripheral import band_spec
    from firmware_sim.sample_source import from_synthesis
    from firmware_sim.scenario import load_scenario
    from firmware_sim.synth import synthesize

    try:
        scenario = load_scenario(options.scenario)
    except UserError:
        raise
    except (OSError, ValueError) as exc:
        raise UserError(f"--scenario {options.scenario!r}: {exc}") from None
    base_seed = options.seed if options.seed is not None else scenario.seed
    plans = []
    for index in range(1, options.bands + 1):
        spec = band_spec(index, base_seed)
        synth = synthesize(scenario, seed=spec.seed)
        source = from_synthesis(synth)
        end = cut_time(synth.truth, options.seconds, source.duration_s)
        plans.append(
            BandPlan(
                name=spec.name,
                spec=spec,
                source=window_source(source, end),
                truth=window_truth(synth.truth, end),
                played_s=min(end, source.duration_s),
            )
        )
    return plans


def with_scenario_sides(prescription: Prescription | None, scenario_name: str
                        ) -> Prescription | None:
    """The prescription with the scenario's side of every set, unless it gives sides.

    The scenario is the session's plan: the analyzer labels each set left or right from
    it, as it would from a physio's "3 x 10 a leg, left first".
    """
    from firmware_sim.scenario import load_scenario
    from firmware_sim.session_plan import set_sides

    if prescription is not None and prescription.sides:
        return prescription
    sides = set_sides(load_scenario(scenario_name))
    if not sides or any(side is None for side in sides):
        return prescription  # a set on no particular side: the plan labels nothing
    plan = tuple(side for side in sides if side is not None)
    return replace(prescription or Prescription(), sides=plan)


# ------------------------------------------------------------------ analyzer time scaling


def demo_clock(speed: float) -> Any:
    """The collector's device-to-wall clock for a band ``speed`` times faster than life.

    The collector stamps samples with wall-clock time fitted to the receive times. At x50
    a 20 ms hiccup of the shared event loop is a whole second of exercise, and each better
    fit moves the stamps by that much (the analyzer drops samples that step back in time).
    The simulated band has no real clock to track, so here the first frame anchors the
    mapping for good: one bucket (the estimator only refits on a new one) and no slope
    fit, i.e. wall = first receive + device time / speed.
    """
    from collector.clock import ClockConfig

    return ClockConfig(
        nominal_slope=1.0 / speed,
        bucket_s=1e12,
        min_span_s=1e12,
        jump_below_s=3600.0,  # the simulated band never restarts
        jump_above_s=3600.0,
    )


class ScenarioTime:
    """A live analyzer fed sample times stretched from wall seconds to scenario seconds.

    ``t' = origin + (t - origin) * speed``: durations come out in simulated seconds;
    ``first_s`` (stretched time of the first sample) is the scenario's time 0.
    """

    def __init__(self, inner: Any, origin_s: float, speed: float) -> None:
        self.inner = inner
        self.origin_s = origin_s
        self.speed = speed
        self.first_s: float | None = None
        self.last_s: float | None = None

    def _map(self, t: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.origin_s + (np.asarray(t, dtype=float) - self.origin_s) * self.speed
        return out

    def feed(self, time_s: np.ndarray, force_n: np.ndarray, stretch_mm: np.ndarray | None) -> Any:
        t = self._map(time_s)
        if len(t):
            if self.first_s is None:
                self.first_s = float(t[0])
            self.last_s = float(t[-1])
        return self.inner.feed(t, force_n, stretch_mm)

    def gap(self, start_s: float, end_s: float) -> None:
        if hasattr(self.inner, "gap"):
            a, b = self._map(np.array([start_s, end_s]))
            self.inner.gap(float(a), float(b))

    def finish_events(self) -> Any:
        return self.inner.finish_events()


# ------------------------------------------------------------------------ what we observe


@dataclass
class BandView:
    """Everything the viewer heard about one band over MQTT."""

    band_id: str
    link: str = "waiting"
    batches: int = 0
    last_seq: int = -1
    live: LiveState | None = None
    reps: dict[int, Rep] = field(default_factory=dict)  # by index; later versions replace
    sets: dict[int, SetSummary] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)
    session: SessionSummary | None = None

    @property
    def last_rep(self) -> Rep | None:
        return self.reps[max(self.reps)] if self.reps else None


class Board:
    """The viewer's state, fed by the MQTT subscriber; prints plain event lines when
    ``echo`` is given (no terminal: the live board is not shown)."""

    def __init__(
        self, band_ids: Iterable[str], prefix: str, echo: Callable[[str], None] | None
    ) -> None:
        self.prefix = prefix
        self.bands = {b: BandView(b) for b in band_ids}
        self.echo = echo
        self.recent: deque[str] = deque(maxlen=RECENT_EVENTS)  # shown under the live board
        self.changed = asyncio.Event()
        self.malformed = 0
        self.first_s: dict[str, float] = {}  # scenario time 0 per band (from the analyzer)
        self.pause_target_s: float | None = None  # prescribed pause: colours the top timer

    def scenario_s(self, band_id: str, t: float) -> float:
        return t - self.first_s.get(band_id, t)

    def handle(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        prefix_len = len(self.prefix.split("/"))
        if len(parts) < prefix_len + 2:
            return
        band_id, kind = parts[prefix_len], "/".join(parts[prefix_len + 1 :])
        view = self.bands.get(band_id)
        if view is None:
            return
        try:
            self._apply(view, kind, payload)
        except (ValidationError, ValueError):
            self.malformed += 1
        self.changed.set()

    def _apply(self, view: BandView, kind: str, payload: bytes) -> None:
        if kind == "samples":
            # Only the progress is needed here; validating every batch would cost the
            # viewer as much CPU as the analyzer spends on it.
            found = _SEQ_LAST.search(payload)
            if found is None:
                raise ValueError("samples message without seq_last")
            view.batches += 1
            view.last_seq = max(view.last_seq, int(found.group(1)))
        elif kind == "status":
            if payload:
                from collector.messages import BandStatusMessage

                status = BandStatusMessage.model_validate_json(payload)
                if status.state != view.link:
                    self._say(f"{view.band_id}: link {status.state}")
                view.link = status.state
        elif kind == "analysis/live":
            view.live = LiveState.model_validate_json(payload)
        elif kind == "analysis/rep":
            rep = Rep.model_validate_json(payload)
            first = rep.index not in view.reps
            view.reps[rep.index] = rep
            if first:
                self._say(f"{view.band_id}: rep {rep.index + 1} (set {rep.set + 1}) {_phases(rep)}")
        elif kind == "analysis/set":
            s = SetSummary.model_validate_json(payload)
            view.sets[s.index] = s
            what = f"{s.rep_count} reps" if s.kind == "reps" else "hold"
            self._say(f"{view.band_id}: set {s.index + 1} closed: {what}")
        elif kind == "analysis/hold":
            hold = Hold.model_validate_json(payload)
            view.holds.append(hold)
            self._say(f"{view.band_id}: hold {hold.duration_s:.1f} s at {hold.mean_force_n:.1f} N")
        elif kind == "analysis/session":
            view.session = SessionSummary.model_validate_json(payload)

    def _say(self, text: str) -> None:
        self.recent.append(text)
        if self.echo is not None:
            self.echo(text)


def _phases(rep: Rep) -> str:
    return f"up {rep.concentric_s:.1f} s, top {rep.pause_s:.1f} s, down {rep.eccentric_s:.1f} s"


def _f(value: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if value is None else fmt.format(value)


# --------------------------------------------------------------------------- rendering


@dataclass
class Progress:
    """Where each band is in its scenario (read from the simulated firmware)."""

    played_s: dict[str, float]
    total_s: dict[str, float]


def short_id(band_id: str) -> str:
    """``bandsense-sim-01`` -> ``sim-01``: the live board must fit 80 columns."""
    return band_id.removeprefix("bandsense-")


def live_table(
    board: Board, progress: Progress, speed: float, pause_target_s: float | None = None
) -> Table:
    """One row per band: where it is, what the analyzer says now, and the last rep."""
    links: dict[str, int] = {}
    for view in board.bands.values():
        links[view.link] = links.get(view.link, 0) + 1
    caption = "last rep: up/top/down s; BLE links: " + ", ".join(
        f"{n} {state}" for state, n in sorted(links.items())
    )
    table = Table(
        title=f"bandsense demo (x{speed:g})", caption=caption, box=box.SIMPLE_HEAD, expand=False
    )
    for col, justify in (
        ("band", "left"), ("sim s", "right"), ("force", "right"), ("phase", "left"),
        ("set", "right"), ("reps", "right"), ("at top", "right"),
        ("last rep", "right"),
    ):  # fmt: skip
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for band_id, view in board.bands.items():
        live = view.live
        rep = view.last_rep
        band = Text(short_id(band_id), style="" if view.link == "streaming" else "dim")
        phase = Text(live.phase if live else "-")
        at_top = Text("-")
        if live and live.phase == "top":
            phase.stylize("bold green")
            at_top = Text(f"{live.time_at_top_s:.1f} s", style="bold")
            if pause_target_s is not None:
                at_top.stylize("green" if live.time_at_top_s >= pause_target_s else "yellow")
        played = progress.played_s.get(band_id, 0.0)
        total = progress.total_s.get(band_id, 0.0)
        last = f"{rep.concentric_s:.1f}/{rep.pause_s:.1f}/{rep.eccentric_s:.1f}" if rep else "-"
        table.add_row(
            band,
            f"{played:.0f}/{total:.0f}",
            f"{live.force_n:.1f} N" if live else "-",
            phase,
            str(live.set_index + 1) if live else "-",
            str(live.rep_count) if live else "-",
            at_top,
            last,
        )
    return table


def status_line(view: BandView, played_s: float, total_s: float) -> str:
    live = view.live
    head = f"{view.band_id} {view.link} (sim {played_s:.0f}/{total_s:.0f} s)"
    if live is None:
        return f"{head}, {view.batches} sample batches"
    top = f", at top {live.time_at_top_s:.1f} s" if live.phase == "top" else ""
    return (
        f"{head}: force {live.force_n:6.1f} N, {live.phase}{top}, set {live.set_index + 1}, "
        f"reps {live.rep_count}"
    )


def summary_tables(board: Board) -> list[Table]:
    """Per band: sets, reps with phase times, holds (from the analyzer's session summary)."""
    tables = []
    for band_id, view in board.bands.items():
        s = view.session
        if s is None:
            continue
        sets = Table(
            title=f"{band_id}: {len(s.sets)} sets, {len(s.reps)} reps, {len(s.holds)} holds"
        )
        for col in (
            "set",
            "kind",
            "side",
            "reps",
            "partial",
            "up s",
            "top s",
            "down s",
            "pauses ok",
        ):
            sets.add_column(col, justify="right")
        for st in s.sets:
            sets.add_row(
                str(st.index + 1), st.kind, st.side or "-", str(st.rep_count),
                str(st.partial_count), _f(st.concentric_mean_s, "{:.2f}"),
                _f(st.pause_mean_s, "{:.2f}"), _f(st.eccentric_mean_s, "{:.2f}"),
                "-" if st.pauses_ok is None else str(st.pauses_ok),
            )  # fmt: skip
        tables.append(sets)
        if s.reps:
            reps = Table(title=f"{band_id}: reps (times from the start of the session)")
            for col in ("set", "rep", "start s", "up s", "top s", "down s", "peak N", "note"):
                reps.add_column(col, justify="right")
            for rep in s.reps:
                note = "partial" if rep.partial else ""
                if rep.pause_ok is False:
                    note = (note + " short pause").strip()
                reps.add_row(
                    str(rep.set + 1), str(rep.index + 1),
                    f"{board.scenario_s(band_id, rep.start_s):.1f}", f"{rep.concentric_s:.2f}",
                    f"{rep.pause_s:.2f}", f"{rep.eccentric_s:.2f}", f"{rep.peak_force_n:.1f}",
                    note,
                )  # fmt: skip
            tables.append(reps)
        if s.holds:
            holds = Table(title=f"{band_id}: holds")
            for col in ("set", "start s", "held s", "mean N", "cv"):
                holds.add_column(col, justify="right")
            for h in s.holds:
                holds.add_row(
                    str(h.set + 1), f"{board.scenario_s(band_id, h.start_s):.1f}",
                    f"{h.duration_s:.1f}", f"{h.mean_force_n:.1f}", f"{h.force_cv:.3f}",
                )  # fmt: skip
            tables.append(holds)
    return tables


# -------------------------------------------------------------------- truth comparison


@dataclass(frozen=True)
class Comparison:
    band_id: str
    reps_found: int
    reps_true: int
    reps_matched: int
    sets_found: int
    sets_true: int
    holds_found: int
    holds_true: int
    # median |found - true| of the matched reps' phase times, seconds
    concentric_err_s: float | None
    pause_err_s: float | None
    eccentric_err_s: float | None
    hold_err_s: float | None = None  # median |found - true| time held, matched holds


def compare(band_id: str, summary: SessionSummary, truth: Any, first_s: float) -> Comparison:
    from analysis.scoring import match

    found = [
        {"start_s": r.start_s - first_s, "end_s": r.end_s - first_s, "rep": r} for r in summary.reps
    ]
    true = [{"start_s": r.start_s, "end_s": r.end_s, "rep": r} for r in truth.reps]
    pairs = match(true, found)

    def median_err(a: str) -> float | None:
        if not pairs:
            return None
        errs = [abs(getattr(found[j]["rep"], a) - getattr(true[i]["rep"], a)) for i, j in pairs]
        return float(np.median(errs))

    return Comparison(
        band_id=band_id,
        reps_found=len(summary.reps),
        reps_true=len(truth.reps),
        reps_matched=len(pairs),
        sets_found=len(summary.sets),
        sets_true=len(truth.sets),
        holds_found=len(summary.holds),
        holds_true=len(truth.holds),
        concentric_err_s=median_err("concentric_s"),
        pause_err_s=median_err("pause_s"),
        eccentric_err_s=median_err("eccentric_s"),
        hold_err_s=_hold_error(summary, truth, first_s, match),
    )


def _hold_error(summary: SessionSummary, truth: Any, first_s: float, match: Any) -> float | None:
    """Median |found - true| time held at the top, over holds matched by overlap."""
    found = [{"start_s": h.start_s - first_s, "end_s": h.end_s - first_s} for h in summary.holds]
    true = [{"start_s": h.start_s, "end_s": h.end_s} for h in truth.holds]
    pairs = match(true, found)
    if not pairs:
        return None
    errs = [abs(summary.holds[j].duration_s - truth.holds[i].duration_s) for i, j in pairs]
    return float(np.median(errs))


def comparison_table(rows: list[Comparison]) -> Table:
    table = Table(
        title="analysis vs the simulator's ground truth",
        caption="found/true; err: median |found - true| over matched reps (holds)",
        box=box.SIMPLE_HEAD,
    )
    for col in (
        "band", "reps", "matched", "sets", "holds", "err up s", "top s", "down s", "held s",
    ):  # fmt: skip
        table.add_column(col, justify="left" if col == "band" else "right", no_wrap=True)
    for c in rows:
        table.add_row(
            short_id(c.band_id), f"{c.reps_found}/{c.reps_true}", str(c.reps_matched),
            f"{c.sets_found}/{c.sets_true}", f"{c.holds_found}/{c.holds_true}",
            _f(c.concentric_err_s, "{:.2f}"), _f(c.pause_err_s, "{:.2f}"),
            _f(c.eccentric_err_s, "{:.2f}"), _f(c.hold_err_s, "{:.2f}"),
        )  # fmt: skip
    return table


# --------------------------------------------------------------------------- the run


@dataclass
class DemoResult:
    summaries: dict[str, SessionSummary]
    comparisons: list[Comparison]
    interrupted: bool
    wall_s: float
    broker_pid: int | None
    played_s: dict[str, float] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """JSON-ready: per band the comparison with the truth and the session summary."""
        by_band = {c.band_id: c for c in self.comparisons}
        return {
            "interrupted": self.interrupted,
            "wall_s": self.wall_s,
            "broker_pid": self.broker_pid,
            "bands": {
                name: {
                    "played_s": self.played_s.get(name),
                    "comparison": dataclasses.asdict(by_band[name]) if name in by_band else None,
                    "summary": summary.model_dump(mode="json"),
                }
                for name, summary in self.summaries.items()
            },
        }


@contextlib.asynccontextmanager
async def _broker(url: str | None, say: Any) -> AsyncIterator[tuple[str, int | None]]:
    if url is not None:
        yield url, None
        return
    from bandsense.broker import private_mosquitto

    async with private_mosquitto() as broker:
        say(f"broker: private mosquitto (pid {broker.pid}) on {broker.url}")
        yield broker.url, broker.pid
    say("broker: stopped")


async def _subscribe(url: str, board: Board, ready: asyncio.Event) -> None:
    """Feed ``board`` from the broker until cancelled; reconnect if the broker goes away."""
    from collector.publisher import BrokerConfig

    cfg = BrokerConfig.from_url(url)
    identifier = f"bandsense-demo-view-{uuid.uuid4().hex[:8]}"
    while True:
        try:
            async with aiomqtt.Client(
                cfg.host, cfg.port, username=cfg.username, password=cfg.password,
                identifier=identifier,
            ) as client:  # fmt: skip
                for suffix in ("samples", "status", "analysis/#"):
                    await client.subscribe(f"{board.prefix}/+/{suffix}", qos=1)
                ready.set()
                async for message in client.messages:
                    payload = message.payload
                    if isinstance(payload, bytes | bytearray):
                        board.handle(message.topic.value, bytes(payload))
        except aiomqtt.MqttError as exc:
            log.warning("viewer: MQTT %s unavailable (%s); retrying", url, exc)
            await asyncio.sleep(1.0)  # reconnect period


async def _wait(event: asyncio.Event, timeout: float) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
            return True
    return False


async def _until(predicate: Any, board: Board, timeout: float, stop: asyncio.Event) -> bool:
    """Wait until ``predicate()`` holds (re-checked on every message), ``stop`` or timeout."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while not predicate():
                if stop.is_set():
                    return False
                board.changed.clear()
                # Timeout too: the predicate may read the firmware, which sends no message.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.25):
                        await board.changed.wait()
            return True
    return False


@contextlib.contextmanager
def _signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM: a clean shutdown with the summary so far (a second one: abort)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    hits = 0

    def handler() -> None:
        nonlocal hits
        hits += 1
        stop.set()
        if hits > 1 and task is not None:
            task.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, handler)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_demo(
    options: DemoOptions, console: Console | None = None, stop: asyncio.Event | None = None
) -> DemoResult:
    """Run the demo; ``stop`` (or Ctrl-C) ends it early with the summary so far."""
    options.check()
    if console is None:
        # Not a terminal (CI, a pipe): rich would wrap at 80 columns and cut table cells.
        console = Console(soft_wrap=True) if sys.stdout.isatty() else Console(width=120)
    live_view = console.is_terminal if options.live is None else options.live
    stop = stop or asyncio.Event()
    started = time.monotonic()

    def say(text: str) -> None:
        stamp = f"[{time.monotonic() - started:5.1f} s]"
        console.print(f"{stamp} {text}", markup=False, highlight=False, soft_wrap=True)

    prescription = options.prescription
    if options.prescribe:
        from analysis.prescription import parse_prescription

        prescription = parse_prescription(options.prescribe)

    with _signals(stop):
        say(f"scenario {options.scenario}: synthesizing {options.bands} band(s)")
        plans = await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(plan_bands, options)
        )
        prescription = with_scenario_sides(prescription, options.scenario)
        # A broker given with --mqtt may carry other bandsense traffic: keep to our topics.
        prefix = "bandsense" if options.mqtt is None else f"bandsense-demo-{uuid.uuid4().hex[:6]}"
        board = Board([p.name for p in plans], prefix, None if live_view else say)
        board.pause_target_s = prescription.pause_s if prescription is not None else None
        broker_pid = None
        interrupted = stop.is_set()  # Ctrl-C while synthesizing: start nothing
        if not interrupted:
            async with _broker(options.mqtt, say) as (url, broker_pid):
                interrupted = await _pipeline(options, plans, board, url, prescription, stop,
                                              say, console, live_view)  # fmt: skip

    comparisons = []
    summaries = {}
    for plan in plans:
        view = board.bands[plan.name]
        if view.session is None:
            continue
        summaries[plan.name] = view.session
        truth = plan.truth if not interrupted else window_truth(plan.truth, plan.played_s)
        comparisons.append(
            compare(plan.name, view.session, truth, board.first_s.get(plan.name, 0.0))
        )
    for table in summary_tables(board):
        console.print(table)
    if comparisons:
        console.print(comparison_table(comparisons))
    missing = [p.name for p in plans if p.name not in summaries]
    if missing:
        say(f"no session summary from the analyzer for {', '.join(missing)}")
    wall = time.monotonic() - started
    say(f"done in {wall:.1f} s" + (" (interrupted)" if interrupted else ""))
    played = {p.name: p.played_s for p in plans}
    return DemoResult(summaries, comparisons, interrupted, wall, broker_pid, played)


async def _pipeline(
    options: DemoOptions,
    plans: list[BandPlan],
    board: Board,
    url: str,
    prescription: Any,
    stop: asyncio.Event,
    say: Any,
    console: Console,
    live_view: bool,
) -> bool:
    """Bands, collector, analyzer and viewer; returns True when interrupted by ``stop``."""
    from analysis.service import AnalyzerService, ServiceConfig, live_analyzer_factory
    from collector.backends import (
        close_hosts,
        configure_bumble,
        register_link,
        unregister_link,
    )
    from collector.band_session import SessionConfig
    from collector.publisher import BrokerConfig
    from collector.service import Collector, CollectorOptions
    from firmware_sim.peripheral import InProcessLink

    try:
        broker_cfg = BrokerConfig.from_url(url)
    except ValueError as exc:
        raise UserError(f"--mqtt: {exc}") from None
    link_name = f"demo-{uuid.uuid4().hex[:8]}"
    origin = time.time()
    scaled: dict[str, ScenarioTime] = {}
    make_live = live_analyzer_factory(prescription)

    def analyzer_factory(band_id: str) -> Any:
        wrapper = ScenarioTime(make_live(band_id), origin, options.speed)
        scaled[band_id] = wrapper
        return wrapper

    analyzer = AnalyzerService(
        ServiceConfig(
            host=broker_cfg.host, port=broker_cfg.port, username=broker_cfg.username,
            password=broker_cfg.password, tls=broker_cfg.tls, prefix=board.prefix,
            share=False, idle_timeout_s=3600.0, live_rate_hz=8.0,
            backoff_initial_s=0.1, backoff_max_s=2.0,
        ),
        analyzer_factory,
    )  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="bandsense-demo-") as tmp:
        collector = Collector(
            CollectorOptions(
                broker=broker_cfg,
                topic_prefix=board.prefix,
                bands=[p.name for p in plans],
                spool_dir=Path(tmp) / "spool",
                session=SessionConfig(
                    clock=demo_clock(options.speed),
                    batch_max_age_s=0.25,
                    backoff_initial_s=0.05,
                    backoff_max_s=0.5,
                ),
                collector_id="bandsense-demo",
                shutdown_timeout_s=STOP_TIMEOUT_S / 2,
            )
        )
        async with InProcessLink(speed=options.speed) as sim:
            spec = register_link(link_name, sim.link)
            collector.options.hci = spec
            try:
                return await _run_parts(
                    options, plans, board, url, stop, say, console, live_view,
                    sim, collector, analyzer, scaled,
                )  # fmt: skip
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await close_hosts()
                unregister_link(link_name)
                configure_bumble(None)  # the process-wide default pointed at our link


async def _run_parts(
    options: DemoOptions,
    plans: list[BandPlan],
    board: Board,
    url: str,
    stop: asyncio.Event,
    say: Any,
    console: Console,
    live_view: bool,
    sim: Any,
    collector: Any,
    analyzer: Any,
    scaled: dict[str, ScenarioTime],
) -> bool:
    bands = {}
    for plan in plans:
        bands[plan.name] = await sim.add_band(plan.source, spec=plan.spec)
    say(
        f"bands: {', '.join(bands)} advertising on an in-process BLE link "
        f"({plans[0].played_s:.0f} simulated s at x{options.speed:g})"
    )

    def played() -> Progress:
        now = sim.clock.now()
        out = {}
        for name, band in bands.items():
            t = band.firmware.scenario_time(now)
            out[name] = 0.0 if t is None else min(t, plans_by[name].played_s)
        return Progress(out, {p.name: p.played_s for p in plans})

    plans_by = {p.name: p for p in plans}
    collector_stop = asyncio.Event()
    subscribed = asyncio.Event()
    interrupted = False

    async with asyncio.TaskGroup() as tg:
        viewer = tg.create_task(_subscribe(url, board, subscribed), name="demo viewer")
        if not await _wait(subscribed, START_TIMEOUT_S):
            raise UserError(f"cannot subscribe on {url}")
        analyzer_task = tg.create_task(analyzer.run(), name="analyzer")
        async with asyncio.timeout(START_TIMEOUT_S):
            await analyzer.wait_subscribed()
        say("analyzer: subscribed")
        collector_task = tg.create_task(collector.run(collector_stop), name="collector")
        say("collector: scanning over bleak (Bumble backend) and publishing to MQTT")
        show = tg.create_task(_show(board, played, options.speed, console, live_view, say))
        try:
            connected = await _until(
                lambda: all(v.batches > 0 for v in board.bands.values()),
                board, START_TIMEOUT_S, stop,
            )  # fmt: skip
            if not connected and not stop.is_set():
                raise UserError(f"no samples from the band(s) within {START_TIMEOUT_S:.0f} s")
            if connected:
                say("collector: streaming")
            total_wall = max(p.played_s for p in plans) / options.speed
            finished = await _until(
                lambda: all(b.firmware.finished for b in bands.values()),
                board, total_wall * 2 + START_TIMEOUT_S, stop,
            )  # fmt: skip
            interrupted = stop.is_set()
            if finished:
                say("scenario finished: waiting for the last frames")
                complete = await _until(
                    lambda: all(
                        board.bands[n].last_seq >= b.firmware.next_seq - 1 for n, b in bands.items()
                    ),
                    board, DRAIN_TIMEOUT_S, stop,
                )  # fmt: skip
                if not complete:
                    say(f"warning: last frames not seen on MQTT in {DRAIN_TIMEOUT_S:.0f} s")
            elif not interrupted:
                say("warning: the scenario did not finish in time")
        finally:
            say("stopping: collector")
            collector_stop.set()
            await _bounded(collector_task, STOP_TIMEOUT_S)
            say("stopping: analyzer (finishing sessions)")
            analyzer.stop()
            await _bounded(analyzer_task, STOP_TIMEOUT_S)
            await _until(
                lambda: all(v.session is not None for v in board.bands.values()),
                board, SUMMARY_TIMEOUT_S, asyncio.Event(),
            )  # fmt: skip
            for name, wrapper in scaled.items():
                if wrapper.first_s is not None and wrapper.last_s is not None:
                    board.first_s[name] = wrapper.first_s
                    # Stopped early, the truth is cut where the analysed samples end (the
                    # band itself got further: frames on their way were never collected).
                    if stop.is_set() and name in plans_by:
                        plans_by[name].played_s = wrapper.last_s - wrapper.first_s
            show.cancel()
            viewer.cancel()
    return interrupted


async def _bounded(task: asyncio.Task[Any], timeout: float) -> None:
    """Wait for a task to end by itself; cancel it after ``timeout``."""
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        log.warning("%s did not stop in %.0f s: cancelled", task.get_name(), timeout)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def _show(
    board: Board, played: Any, speed: float, console: Console, live_view: bool, say: Any
) -> None:
    if live_view:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            while True:
                recent = Text("\n".join(board.recent), style="dim")
                table = live_table(board, played(), speed, board.pause_target_s)
                live.update(Group(table, recent))
                await asyncio.sleep(0.25)  # the screen's refresh period
    while True:
        await asyncio.sleep(STATUS_EVERY_S)  # the plain log's status period
        progress = played()
        for name, view in board.bands.items():
            say(status_line(view, progress.played_s[name], progress.total_s[name]))


# ------------------------------------------------------------------------------ the CLI


def apply_settings(options: DemoOptions, settings: Settings, given: set[str]) -> DemoOptions:
    """Fill what the flags left at their defaults from the settings file/environment:
    ``[sim] scenario`` and ``seed`` (only if set there: the demo's own defaults stay its
    defaults) and ``[analysis.prescription]``. The broker stays private unless ``--mqtt``:
    a collector's ``mqtt.url`` in the same file must not send the demo to it."""
    changes: dict[str, Any] = {}
    sim = settings.sim
    for name in ("scenario", "seed"):
        if name not in given and name in sim.model_fields_set:
            changes[name] = getattr(sim, name)
    pres = settings.analysis.prescription
    if "prescribe" not in given and pres is not None:
        changes["prescription"] = Prescription.from_settings(pres)
    return replace(options, **changes)



def demo(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario", help="Built-in scenario name or TOML path (bandsense sim scenarios)."
        ),
    ] = DEFAULT_SCENARIO,
    speed: Annotated[
        float, typer.Option("--speed", min=0.01, help="Simulated seconds per wall second.")
    ] = DEFAULT_SPEED,
    bands: Annotated[int, typer.Option("--bands", min=1, max=20, help="Simulated bands.")] = 1,
    mqtt: Annotated[
        str | None,
        typer.Option(
            "--mqtt",
            help="Use this broker (mqtt://HOST:PORT) instead of a private mosquitto.",
            show_default=False,
        ),
    ] = None,
    seconds: Annotated[
        float | None,
        typer.Option(
            "--seconds",
            min=1.0,
            help="Play only the first S simulated seconds.",
            show_default=False,
        ),
    ] = None,
    prescribe: Annotated[
        str | None,
        typer.Option(
            "--prescribe",
            help='Prescription to check, e.g. "10 reps, pause 1.0s, left first".',
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Scenario seed (default: the scenario's).", show_default=False),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the summary and comparison as JSON here.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Simulated band -> BLE -> collector -> MQTT -> analyzer, live, then the summary
    against the simulator's ground truth (all in this process)."""
    options = DemoOptions(
        scenario=scenario, speed=speed, bands=bands, mqtt=mqtt, seconds=seconds,
        prescribe=prescribe, seed=seed,
    )  # fmt: skip
    from click.core import ParameterSource

    from bandsense.config import settings_from_context

    given = {name for name in ("scenario", "seed", "prescribe")
             if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)}
    options = apply_settings(options, settings_from_context(ctx), given)
    options.check()
    try:
        result = asyncio.run(run_demo(options))
    except (KeyboardInterrupt, asyncio.CancelledError):  # a second Ctrl-C: no summary
        typer.echo("bandsense: demo aborted", err=True)
        raise typer.Exit(130) from None
    if report is not None:
        try:
            report.write_text(json.dumps(result.report(), indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--report {str(report)!r}: {exc.strerror or exc}") from None
    if result.interrupted:
        raise typer.Exit(130)
    if len(result.summaries) < bands:
        raise typer.Exit(1)


def add_demo_command(app: typer.Typer) -> None:
    """Register ``bandsense demo`` on the root app."""
    app.command("demo")(demo)


def _standalone() -> typer.Typer:
    """``python -m bandsense.demo``: the command without the rest of the CLI."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    add_demo_command(app)
    return app


if __name__ == "__main__":
    try:
        _standalone()()
    except UserError as exc:
        print(f"bandsense: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
