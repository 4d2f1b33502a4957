"""Spool: FIFO on disk, deletes by id, size bound policies, survives SIGKILL."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from collector.spool import FullPolicy, Spool, SpoolFullError


def test_fifo_delete_and_reopen(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.sqlite")
    ids = [sp.append(f"t/{i}", bytes([i]) * 10, retain=i == 2) for i in range(5)]
    assert ids == sorted(ids)
    assert [e.topic for e in sp.read()] == [f"t/{i}" for i in range(5)]
    sp.delete(ids[1])
    sp.delete(ids[1])  # acknowledged twice: harmless
    assert [e.id for e in sp.read(after_id=ids[0])] == [ids[2], ids[3], ids[4]]
    assert sp.read(limit=1)[0].payload == bytes([0]) * 10
    assert [e.retain for e in sp.read()] == [False, True, False, False]
    assert len(sp) == 4 and sp.size_bytes == 40
    sp.close()
    again = Spool(tmp_path / "s.sqlite")
    assert [e.id for e in again.read()] == [ids[0], ids[2], ids[3], ids[4]]
    assert len(again) == 4 and again.size_bytes == 40
    # New ids keep growing after a reopen: order across restarts is preserved.
    assert again.append("t/x", b"x") > ids[-1]


def test_drop_oldest_when_full_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sp = Spool(tmp_path / "s.sqlite", max_bytes=100)
    with caplog.at_level(logging.WARNING):
        for i in range(25):
            sp.append("t", bytes([i]) * 10)
    assert sp.size_bytes <= 100
    assert [e.payload[0] for e in sp.read()] == list(range(15, 25))
    assert sp.dropped == 15 and sp.dropped_bytes == 150
    warnings = [r for r in caplog.records if "is full" in r.getMessage()]
    assert len(warnings) == 1 and "OLDEST" in warnings[0].getMessage()


def test_refuse_when_full_keeps_oldest(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.sqlite", max_bytes=50, policy=FullPolicy.REFUSE)
    for i in range(5):
        sp.append("t", bytes([i]) * 10)
    with pytest.raises(SpoolFullError):
        sp.append("t", b"y" * 10)
    assert [e.payload[0] for e in sp.read()] == list(range(5))
    assert sp.dropped == 1
    sp.delete(sp.read()[0].id)
    sp.append("t", b"z" * 10)  # room again after an acknowledgement
    assert len(sp) == 5


_WRITER = """
import sys
from collector.spool import Spool
sp = Spool(sys.argv[1])
i = 0
while True:
    sp.append("bandsense/b1/samples", b"%08d" % i)
    print(i, flush=True)
    i += 1
"""


def test_survives_sigkill_mid_stream(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    confirmed = -1
    for line in proc.stdout:
        confirmed = int(line)
        if confirmed >= 300:
            break
    proc.kill()  # SIGKILL: no chance to close the database
    proc.wait()
    sp = Spool(path)
    payloads = [int(e.payload) for e in sp.read(limit=10**6)]
    # Every append the writer reported as committed is there, in order (maybe a few
    # more it committed but had not printed yet).
    assert payloads[: confirmed + 1] == list(range(confirmed + 1))
    assert payloads == list(range(len(payloads)))


def test_state_is_saved_with_the_append(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.sqlite")
    assert sp.get_state("next_seq") is None
    sp.append("t", b"a", state={"next_seq": "10", "session_id": "s1"})
    sp.append("t", b"b", state={"next_seq": "12"})
    sp.close()
    again = Spool(tmp_path / "s.sqlite")
    assert again.get_state("next_seq") == "12" and again.get_state("session_id") == "s1"
