"""On-disk spool of outgoing MQTT messages (SQLite in WAL mode).

Every message the collector publishes with QoS 1 is first appended here and deleted only
once the broker acknowledged it (PUBACK), so nothing is lost while the broker is down or
when the collector is killed: on the next start, whatever the spool holds is published
again, in order, before new data.

WAL with ``synchronous=NORMAL``: a committed append survives the process being killed
(SIGKILL) at any point; only an operating-system crash or power loss can lose the last
few appends (``synchronous=FULL`` would cover that at a higher cost per append).

Size bound (``max_bytes`` of payload): when an append would exceed it, the policy decides:

* ``drop_oldest`` (default): delete the oldest entries to make room and log a warning
  (counted in ``dropped``/``dropped_bytes``): the collector keeps streaming live data and
  loses the start of a very long broker outage. This is Telegraf's choice too.
* ``refuse``: keep the oldest entries and refuse the new one (``SpoolFullError``): the
  caller loses the newest data instead.

Either way data is lost only after the bound is reached, and the warning says so once
per fill (not once per message).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)


class FullPolicy(StrEnum):
    DROP_OLDEST = "drop_oldest"
    REFUSE = "refuse"


class SpoolFullError(RuntimeError):
    """The spool is full and its policy is ``refuse``."""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""


class Spool:
    """A FIFO of messages on disk. Not thread-safe: use it from one thread (the event loop);
    each call is one short transaction (well under a millisecond)."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        policy: FullPolicy | str = FullPolicy.DROP_OLDEST,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.policy = FullPolicy(policy)
        self.dropped = 0  # entries removed or refused because the spool was full
        self.dropped_bytes = 0
        self._warned_full = False
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM spool")
        self._count, self._bytes = (int(v) for v in row.fetchone())

    # -- size ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def size_bytes(self) -> int:
        return self._bytes

    # -- operations -----------------------------------------------------------------------------

    def append(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        state: dict[str, str] | None = None,
    ) -> int:
        """Store a message; return its id (ids grow: the publishing order).

        ``state`` key/values are saved in the same transaction: the collector records
        there how far the spooled data goes (e.g. the next frame to expect), so that a
        restart after a crash resumes exactly after what the spool holds."""
        size = len(payload)
        if self._bytes + size > self.max_bytes:
            self._make_room(size)
        self._db.execute("BEGIN")
        try:
            cur = self._db.execute(
                "INSERT INTO spool (topic, payload, qos, retain) VALUES (?, ?, ?, ?)",
                (topic, payload, qos, int(retain)),
            )
            if state:
                self._db.executemany(
                    "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", state.items()
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._count += 1
        self._bytes += size
        if self._warned_full and self._bytes <= self.max_bytes // 2:
            self._warned_full = False  # warn again on the next fill
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def read(self, after_id: int = 0, limit: int = 100) -> list[SpoolEntry]:
        """Up to ``limit`` entries with id > ``after_id``, oldest first."""
        rows = self._db.execute(
            "SELECT id, topic, payload, qos, retain FROM spool WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        return [SpoolEntry(int(i), str(t), bytes(p), int(q), bool(r)) for i, t, p, q, r in rows]

    def delete(self, entry_id: int) -> None:
        """Remove an acknowledged entry (no-op if it is already gone)."""
        row = self._db.execute(
            "DELETE FROM spool WHERE id = ? RETURNING LENGTH(payload)", (entry_id,)
        ).fetchone()
        if row is not None:
            self._count -= 1
            self._bytes -= int(row[0])

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._db.close()

    # -- internals ------------------------------------------------------------------------------

    def _make_room(self, size: int) -> None:
        if not self._warned_full:
            self._warned_full = True
            what = (
                "dropping the OLDEST spooled messages"
                if self.policy is FullPolicy.DROP_OLDEST
                else "REFUSING new messages"
            )
            log.warning(
                "spool %s is full (%d messages, %.1f MiB of %.1f MiB): the broker has been "
                "unreachable too long; %s - data is being lost",
                self.path,
                self._count,
                self._bytes / 2**20,
                self.max_bytes / 2**20,
                what,
            )
        if self.policy is FullPolicy.REFUSE or size > self.max_bytes:
            self.dropped += 1
            self.dropped_bytes += size
            raise SpoolFullError(f"spool {self.path} is full")
        while self._count and self._bytes + size > self.max_bytes:
            row = self._db.execute(
                "DELETE FROM spool WHERE id = (SELECT MIN(id) FROM spool) RETURNING LENGTH(payload)"
            ).fetchone()
            if row is None:
                break
            self._count -= 1
            self._bytes -= int(row[0])
            self.dropped += 1
            self.dropped_bytes += int(row[0])
