"""The live one-line-per-band status: a rich table on a terminal, log lines otherwise."""

from __future__ import annotations

import asyncio
import logging
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from collector.service import BandEntry, Collector

log = logging.getLogger(__name__)


def band_line(entry: BandEntry, now: float) -> dict[str, str]:
    s = entry.session
    pub = entry.publisher
    mqtt = "up" if pub.connected.is_set() else "DOWN"
    if s is None:
        return {"band": entry.band_id, "link": "replay", "mqtt": mqtt, "spool": str(pub.backlog)}
    st = s.stats
    return {
        "band": entry.band_id,
        "kind": s.profile.kind,
        "link": st.state,
        "rate": f"{st.rate(now):.0f}/s",
        "frames": str(st.frames),
        "lost": str(st.lost_frames),
        "recovered": str(st.recovered),
        "malformed": str(st.malformed),
        "battery": "-" if st.battery_pct is None else f"{st.battery_pct}%",
        "reconnects": str(max(0, st.connects - 1)),
        "mqtt": mqtt,
        "spool": str(pub.backlog),
    }


COLUMNS = [
    "band", "kind", "link", "rate", "frames", "lost", "recovered", "malformed", "battery",
    "reconnects", "mqtt", "spool",
]  # fmt: skip


def render(collector: Collector) -> Table:
    table = Table(box=None, pad_edge=False)
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("band", "kind", "link") else "right")
    now = time.monotonic()
    for entry in sorted(collector.entries.values(), key=lambda e: e.band_id):
        line = band_line(entry, now)
        table.add_row(*(line.get(c, "") for c in COLUMNS))
    return table


async def show_status(collector: Collector, console: Console | None = None) -> None:
    """Refresh the table twice a second until cancelled. Without a terminal (a service,
    a pipe) log one line per band every 10 s instead of drawing."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        while True:
            await asyncio.sleep(10.0)
            now = time.monotonic()
            for entry in collector.entries.values():
                line = band_line(entry, now)
                log.info(" ".join(f"{k}={v}" for k, v in line.items()))
    with Live(render(collector), console=console, refresh_per_second=2, transient=False) as live:
        while True:
            await asyncio.sleep(0.5)
            live.update(render(collector))
