"""End-to-end helpers: `bandsense sim serve` and `bandsense collect` as subprocesses, and
the truth a run is checked against."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bandsense.model import SampleBatch
from firmware_sim.scenario import load_scenario
from firmware_sim.synth import synthesize

SCENARIOS = Path(__file__).parent / "scenarios"


def bandsense_cmd() -> list[str]:
    """The installed console script next to this interpreter (the package is installed
    editable in the venv, pyproject's [project.scripts])."""
    exe = Path(sys.executable).with_name("bandsense")
    if not exe.exists():
        raise AssertionError(f"{exe} missing: pip install -e .[dev] in this venv")
    return [str(exe)]


@dataclass
class SimProcess:
    """`bandsense sim serve` in a subprocess; ``spec`` is what `collect --sim` takes."""

    scenario: Path
    workdir: Path
    speed: float
    bands: int = 1
    tindeq: bool = False
    proc: subprocess.Popen[str] | None = None
    spec: str = ""
    names: list[str] = field(default_factory=list)

    @property
    def truth_dir(self) -> Path:
        return self.workdir / "truth"

    async def start(self) -> None:
        cmd = [
            *bandsense_cmd(), "sim", "serve", "--scenario", str(self.scenario),
            "--speed", str(self.speed), "--bands", str(self.bands),
            "--truth-out", str(self.truth_dir), "--hci", "tcp:127.0.0.1:0",
        ]  # fmt: skip
        if self.tindeq:
            cmd.append("--tindeq")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=(self.workdir / "sim.err").open("w"),
            text=True,
        )
        assert self.proc.stdout is not None
        async with asyncio.timeout(60):
            line = await asyncio.to_thread(self.proc.stdout.readline)
            assert line.startswith("listening on tcp:"), line + self.stderr()
            self.spec = line.split()[-1]
            for _ in range(self.bands):
                band_line = await asyncio.to_thread(self.proc.stdout.readline)
                self.names.append(band_line.split()[1])

    def stderr(self) -> str:
        path = self.workdir / "sim.err"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def air(self, name: str) -> dict[str, Any]:
        """The simulator's radio record of the band advertised as ``name`` (its folder is
        named after the band, which a Tindeq advertises under another name)."""
        for path in sorted(self.truth_dir.glob("*/air.json")):
            data: dict[str, Any] = json.loads(path.read_text())
            if name in (data.get("advertised_name"), data.get("band")):
                return data
        raise AssertionError(f"no air.json for {name} in {self.truth_dir}")

    def expected_force(self, index: int, base_seed: int | None = None) -> np.ndarray:
        """Quantised force of band ``index`` (1-based) as the band sends it (0.01 N)."""
        scenario = load_scenario(str(self.scenario))
        seed = (scenario.seed if base_seed is None else base_seed) + index - 1
        synth = synthesize(scenario, seed=seed)
        return np.round(np.asarray(synth.force_n) * 100.0) / 100.0


@dataclass
class CollectorProcess:
    """`bandsense collect` in a subprocess."""

    mqtt_url: str
    sim_spec: str | None
    spool: Path
    log_path: Path
    speed: float = 1.0
    extra: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            *bandsense_cmd(), "-l", "INFO", "collect", "--mqtt", self.mqtt_url,
            "--spool", str(self.spool), "--speed", str(self.speed), "--no-status",
            *self.extra,
        ]  # fmt: skip
        if self.sim_spec:
            cmd += ["--sim", self.sim_spec]
        env = dict(os.environ)
        # Reconnect quickly: at a high --speed the band's 60 s buffer is a few real seconds.
        env.setdefault("BANDSENSE_COLLECTOR__BACKOFF_INITIAL_S", "0.05")
        env.setdefault("BANDSENSE_COLLECTOR__BACKOFF_MAX_S", "0.5")
        env["COLUMNS"] = "250"  # one log record per line
        env.update(self.env)
        # bandsense logs through rich to stdout: keep both streams.
        log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log_file, stderr=log_file, env=env)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 60.0, sig: signal.Signals = signal.SIGTERM) -> int:
        """SIGTERM or SIGINT (Ctrl-C): a clean shutdown that flushes; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("collector did not stop:\n" + self.log()[-6000:]) from None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@contextlib.asynccontextmanager
async def sim_and_collector(
    mqtt_url: str,
    scenario: Path,
    tmp_path: Path,
    speed: float,
    *,
    bands: int = 1,
    tindeq: bool = False,
    collector_extra: Sequence[str] = (),
) -> AsyncIterator[tuple[SimProcess, CollectorProcess]]:
    """`bandsense sim serve` started, a `bandsense collect` ready to start against it; on
    exit a collector still running is killed and the simulator stopped (writing air.json)."""
    sim = SimProcess(scenario, tmp_path / "sim", speed, bands=bands, tindeq=tindeq)
    await sim.start()
    collector = CollectorProcess(
        mqtt_url,
        sim.spec,
        tmp_path / "spool",
        tmp_path / "collector.log",
        speed,
        extra=list(collector_extra),
    )
    try:
        yield sim, collector
    finally:
        if collector.proc is not None and collector.proc.poll() is None:
            collector.kill()
        sim.stop()


def check_stream(batches: list[SampleBatch], expected: np.ndarray, spf: int) -> dict[str, Any]:
    """Every released frame exactly once and in order; forces equal the band's values.

    Returns gap ranges and counts. Frames ``seq`` hold samples ``seq*spf ..`` of the run
    (the last frame may be shorter)."""
    seq_next: int | None = None
    gaps: list[tuple[int, int]] = []
    got: list[float] = []
    want: list[np.ndarray] = []
    for b in batches:
        for g0, g1 in b.gaps:
            gaps.append((g0, g1))
            assert seq_next is None or g0 == seq_next, (g0, seq_next)
            seq_next = g1 + 1
        assert seq_next is None or b.seq_first == seq_next, (b.seq_first, seq_next)
        seq_next = b.seq_last + 1
        got.extend(b.force_n)
        want.append(expected[b.seq_first * spf : (b.seq_last + 1) * spf])
        assert all(np.diff(b.device_time_us) > 0)
    np.testing.assert_array_equal(np.asarray(got), np.concatenate(want) if want else [])
    return {"gaps": gaps, "samples": len(got), "frames_next": seq_next}
