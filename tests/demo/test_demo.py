"""`bandsense demo` end to end: simulated band over in-process BLE, collector, private
mosquitto, analyzer service, viewer; the summary is checked against the simulator's truth
computed here independently (the scenario synthesized again with the band's seed)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bandsense.demo import DemoOptions, run_demo
from firmware_sim.scenario import load_scenario
from firmware_sim.session_plan import set_sides
from firmware_sim.synth import synthesize
from tests.services import MosquittoServer

SCENARIO = "single_leg_bridge"
# 75 simulated seconds: the first set (10 reps, ~5-63 s) and part of the rest after it,
# so the set closes inside the window and no rep is cut in two.
SECONDS = 75.0
SPEED = 50.0
PROCESS_TIMEOUT_S = 180.0  # upper bound for a shared 2-core CI machine, not a target


def true_reps(band_index: int, seconds: float = SECONDS) -> int:
    """Reps the simulator really made in the first ``seconds`` (band k: seed + k - 1)."""
    scenario = load_scenario(SCENARIO)
    truth = synthesize(scenario, seed=scenario.seed + band_index - 1).truth
    assert not any(r.start_s < seconds < r.end_s for r in truth.reps), "window cuts a rep"
    return sum(1 for r in truth.reps if r.end_s <= seconds)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone too: the demo waited for it, so this only guards pid reuse races.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_demo_process_matches_truth_and_leaves_no_broker(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [
            sys.executable, "-m", "bandsense", "demo", "--seconds", str(SECONDS),
            "--speed", str(SPEED), "--report", str(report),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        cwd=tmp_path,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    data = json.loads(report.read_text())
    band = data["bands"]["bandsense-sim-01"]
    expected = true_reps(1)
    assert expected == 10  # the scenario's first set, as the comment above says
    assert band["comparison"]["reps_true"] == expected
    assert band["comparison"]["reps_found"] == expected, out[-4000:]
    assert len(band["summary"]["reps"]) == expected
    assert band["comparison"]["reps_matched"] == expected
    # No terminal: progress is plain lines, then the tables.
    assert "broker: private mosquitto" in out
    assert "bandsense-sim-01: rep 1 (set 1)" in out
    assert "set 1 closed: 10 reps" in out
    assert "analysis vs the simulator's ground truth" in out
    assert "broker: stopped" in out
    pid = data["broker_pid"]
    assert isinstance(pid, int)
    assert not alive(pid), f"mosquitto {pid} left running"
    assert not list(tmp_path.glob("spool*")), "spool written into the working folder"


async def test_demo_in_process_two_bands_on_a_given_broker(mosquitto: MosquittoServer) -> None:
    out = io.StringIO()
    options = DemoOptions(seconds=SECONDS, speed=SPEED, bands=2, mqtt=mosquitto.url, live=False)
    result = await run_demo(options, console=Console(file=out, width=140))
    text = out.getvalue()
    assert not result.interrupted
    assert result.broker_pid is None  # --mqtt: no private broker
    assert sorted(result.summaries) == ["bandsense-sim-01", "bandsense-sim-02"], text
    for k, comparison in enumerate(result.comparisons, start=1):
        expected = true_reps(k)
        assert comparison.reps_true == expected
        assert comparison.reps_found == expected, text
        assert comparison.reps_matched == expected
        assert comparison.sets_found == comparison.sets_true == 1
        # Phase times are on scenario seconds despite the x50 wall clock: the pause at
        # the top (0.6-1.3 s in this scenario) comes out within a fraction of a second.
        assert comparison.pause_err_s is not None and comparison.pause_err_s < 0.3
    # The scenario is the plan: its first set's side labels the set found.
    first_side = set_sides(load_scenario(options.scenario))[0]
    assert first_side is not None
    for summary in result.summaries.values():
        assert [st.side for st in summary.sets] == [first_side]
    assert "broker:" not in text


class _StopOnText(io.StringIO):
    """Console output that sets ``stop`` (as Ctrl-C does) once ``marker`` was written."""

    def __init__(self, marker: str, stop: asyncio.Event) -> None:
        super().__init__()
        self.marker = marker
        self.stop = stop

    def write(self, s: str) -> int:
        n = super().write(s)
        if self.marker in self.getvalue():
            self.stop.set()
        return n


async def test_demo_stopped_early_still_summarises_and_stops_its_broker() -> None:
    stop = asyncio.Event()
    out = _StopOnText("rep 2 (set 1)", stop)
    options = DemoOptions(speed=SPEED, live=False)  # the whole scenario: stopped long before
    result = await run_demo(options, console=Console(file=out, width=140), stop=stop)
    text = out.getvalue()
    assert result.interrupted
    # The band's position when stopped: the truth is cut there. (Under load the pipeline
    # trails the band at x50, so the analysis may still be at the first set.)
    played = result.played_s["bandsense-sim-01"]
    assert 0 < played < 600, text
    [comparison] = result.comparisons
    # Reps over by the time it stopped; the one in progress may or may not be counted.
    assert comparison.reps_found - comparison.reps_true in (0, 1), text
    assert comparison.reps_found >= 2
    assert result.broker_pid is not None and not alive(result.broker_pid)
    assert "broker: stopped" in text


def test_missing_mosquitto_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import bandsense.broker as broker
    from bandsense.errors import UserError

    monkeypatch.setattr(broker.shutil, "which", lambda *a, **k: None)
    with pytest.raises(UserError, match="apt-get install -y mosquitto"):
        broker.mosquitto_binary()


async def test_ctrl_c_prints_the_summary_so_far_and_exits_130(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bandsense", "demo", "--speed", "20",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            while "rep 1 (set 1)" not in (lines[-1] if lines else ""):
                line = (await proc.stdout.readline()).decode()
                assert line, "".join(lines)
                lines.append(line)
            proc.send_signal(signal.SIGINT)
            rest, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out = "".join(lines) + rest.decode()
    assert proc.returncode == 130, out[-4000:]
    assert "analysis vs the simulator's ground truth" in out
    assert "(interrupted)" in out
    [pid] = [int(m) for m in re.findall(r"private mosquitto \(pid (\d+)\)", out)]
    assert not alive(pid), f"mosquitto {pid} left running"
