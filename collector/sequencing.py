"""Per-band frame sequencer: put frames back in order, get missing ones resent, declare gaps.

Pure logic, no I/O and no clock of its own: the caller passes ``now`` (monotonic seconds)
and carries out the resend requests this module asks for. Every frame sequence number
leaves the sequencer exactly once, in increasing order, either as a :class:`Frame` or
inside a :class:`Gap`. A gap is declared only when the band said it no longer holds the
frames (``NOT_AVAILABLE``: older than its ``first_available_seq``), after a bounded number
of unanswered resend attempts, or when the reorder buffer would grow past its bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Frame(Generic[T]):
    """One frame released in order."""

    seq: int
    item: T


@dataclass(frozen=True, slots=True)
class Gap:
    """Frames ``first..last`` (inclusive) that are lost for good."""

    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


Event = Frame[T] | Gap


@dataclass(frozen=True, slots=True)
class ResendRequest:
    """Ask the band for ``count`` frames starting at ``from_seq`` (RESEND opcode)."""

    from_seq: int
    count: int


@dataclass(slots=True)
class SequencerStats:
    frames_in: int = 0  # every frame handed to on_frame, duplicates included
    frames_out: int = 0  # frames released in order
    duplicates: int = 0  # already released or already buffered: dropped
    missing_detected: int = 0  # seq numbers that were missing at some point
    recovered: int = 0  # missing seq numbers that arrived later (resent or reordered)
    lost: int = 0  # seq numbers declared gaps
    resend_requests: int = 0
    not_available: int = 0  # seq numbers the band said it no longer held


@dataclass(slots=True)
class _Missing:
    attempts: int = 0
    due: float = 0.0  # earliest time the next request (or the give-up) may happen


@dataclass(slots=True)
class SequencerConfig:
    max_attempts: int = 5  # resend requests per missing frame before it becomes a gap
    # How long to wait for a requested frame before asking again; the band sends resent
    # frames right after its answer, so this only has to cover a few connection intervals.
    retry_timeout_s: float = 1.0
    # A frame seen after a hole may just be reordered: wait this long before asking.
    reorder_grace_s: float = 0.0
    max_request_count: int = 512  # frames per RESEND request
    # Bound on frames held back behind a hole (memory bound); past it the oldest hole is
    # declared a gap. At 20 frames/s 20000 frames are over 15 minutes.
    max_buffered: int = 20000
    # A jump larger than this is not a hole to repair but a band that restarted its
    # numbering or a corrupt frame; see on_frame.
    max_jump: int = 1_000_000


@dataclass
class Sequencer(Generic[T]):
    """Reorders frames of one band; see the module docstring."""

    config: SequencerConfig = field(default_factory=SequencerConfig)
    stats: SequencerStats = field(default_factory=SequencerStats)
    next_seq: int | None = None  # next sequence number to release
    highest_seen: int | None = None
    _buffer: dict[int, T] = field(default_factory=dict)
    _missing: dict[int, _Missing] = field(default_factory=dict)
    _lost: set[int] = field(default_factory=set)
    # While requested frames keep coming back, the ones still outstanding are most likely
    # queued behind them: their retry clock only runs once recoveries stop.
    _progress_until: float = float("-inf")

    # -- state ------------------------------------------------------------------------------

    @property
    def pending_missing(self) -> int:
        return len(self._missing)

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def idle(self) -> bool:
        """Nothing held back: everything seen so far has been released."""
        return not self._buffer and not self._missing and not self._lost

    def start_at(self, seq: int) -> None:
        """Expect ``seq`` as the first frame (before any frame was seen)."""
        if self.next_seq is None:
            self.next_seq = seq
            self.highest_seen = seq - 1

    def reset(self) -> list[Event[T]]:
        """The band restarted its numbering: flush what is held (as gaps) and start over."""
        events: list[Event[T]] = []
        if self.next_seq is not None and self.highest_seen is not None:
            for seq in list(self._missing):
                self._give_up(seq)
            events = self._drain()
        self.next_seq = None
        self.highest_seen = None
        self._buffer.clear()
        self._missing.clear()
        self._lost.clear()
        return events

    # -- inputs -------------------------------------------------------------------------------

    def on_frame(self, seq: int, item: T, now: float) -> list[Event[T]]:
        """Take one frame (live or resent); return what can be released now, in order."""
        self.stats.frames_in += 1
        if self.next_seq is None or self.highest_seen is None:
            self.next_seq = seq
            self.highest_seen = seq - 1
        if seq < self.next_seq or seq in self._buffer or seq in self._lost:
            # Already released or held (or, in _lost, given up and released as part of a
            # gap): keeping the promise "exactly once" means dropping it.
            self.stats.duplicates += 1
            if seq <= self.highest_seen:
                # An old frame still arriving means the link is busy with a resend backlog;
                # the frames still missing are likely queued behind it, so their retry
                # clock waits as it does after a recovery.
                self._progress_until = now + self.config.retry_timeout_s
            return []
        if seq - self.highest_seen > self.config.max_jump:
            # Not a hole worth repairing: release everything held, then continue from here.
            events = self.reset()
            self.next_seq = seq
            self.highest_seen = seq - 1
            return [*events, *self._accept(seq, item, now)]
        return self._accept(seq, item, now)

    def _accept(self, seq: int, item: T, now: float) -> list[Event[T]]:
        assert self.highest_seen is not None
        if seq > self.highest_seen + 1:
            self._note_missing(self.highest_seen + 1, seq - 1, now + self.config.reorder_grace_s)
        if seq in self._missing:
            del self._missing[seq]
            self.stats.recovered += 1
            self._progress_until = now + self.config.retry_timeout_s
        self.highest_seen = max(self.highest_seen, seq)
        self._buffer[seq] = item
        return self._drain_bounded()

    def note_newest(self, newest_seq: int, now: float) -> list[Event[T]]:
        """The band reports ``newest_seq`` as its latest frame (e.g. from its status after a
        reconnect): frames up to it that we never saw are missing and worth asking for."""
        if self.highest_seen is None or newest_seq <= self.highest_seen:
            return []
        if newest_seq - self.highest_seen > self.config.max_jump:
            return []
        self._note_missing(self.highest_seen + 1, newest_seq, now)
        self.highest_seen = newest_seq
        return self._drain_bounded()

    def next_request(self, now: float) -> ResendRequest | None:
        """The next resend request to send, if one is due (marks it as sent)."""
        due = sorted(s for s, m in self._missing.items() if self._is_due(m, now))
        for first in due:
            state = self._missing.get(first)
            if state is None or state.attempts >= self.config.max_attempts:
                continue
            count = 1
            while (
                count < self.config.max_request_count
                and (nxt := self._missing.get(first + count)) is not None
                and self._is_due(nxt, now)
                and nxt.attempts < self.config.max_attempts
            ):
                count += 1
            for seq in range(first, first + count):
                m = self._missing[seq]
                m.attempts += 1
                m.due = now + self.config.retry_timeout_s
            self.stats.resend_requests += 1
            return ResendRequest(first, count)
        return None

    def on_resend_response(self, first_available_seq: int | None) -> list[Event[T]]:
        """The band answered a RESEND (SUCCESS or NOT_AVAILABLE) with the oldest frame it
        still holds; None when it answered with an error and no payload.

        Only what lies before ``first_available_seq`` is gone for good. Other requested
        frames that do not come back stay missing and are asked for again until their
        attempts run out (a resent frame can be lost too, or may not exist yet)."""
        if first_available_seq is None:
            return []
        for seq in list(self._missing):
            if seq < first_available_seq:
                self.stats.not_available += 1
                self._give_up(seq)
        return self._drain()

    def poll(self, now: float) -> list[Event[T]]:
        """Give up on frames whose attempts are exhausted and whose last wait expired."""
        for seq, m in list(self._missing.items()):
            if m.attempts >= self.config.max_attempts and self._is_due(m, now):
                self._give_up(seq)
        return self._drain()

    def give_up_all(self) -> list[Event[T]]:
        """Declare every missing frame a gap and release everything (on shutdown)."""
        for seq in list(self._missing):
            self._give_up(seq)
        return self._drain()

    # -- internals -----------------------------------------------------------------------------

    def _is_due(self, m: _Missing, now: float) -> bool:
        if m.attempts and now < self._progress_until:
            return False
        return m.due <= now

    def _note_missing(self, first: int, last: int, due: float) -> None:
        for seq in range(first, last + 1):
            if seq not in self._buffer and seq not in self._missing and seq not in self._lost:
                self._missing[seq] = _Missing(due=due)
                self.stats.missing_detected += 1

    def _give_up(self, seq: int) -> None:
        if self._missing.pop(seq, None) is not None:
            self._lost.add(seq)

    def _drain_bounded(self) -> list[Event[T]]:
        events = self._drain()
        while len(self._buffer) > self.config.max_buffered and self._missing:
            # The oldest hole is what holds the buffer back; give up on it first.
            self._give_up(min(self._missing))
            events.extend(self._drain())
        return events

    def _drain(self) -> list[Event[T]]:
        if self.next_seq is None:
            return []  # nothing seen yet
        out: list[Event[T]] = []
        seq = self.next_seq
        while True:
            item = self._buffer.pop(seq, _SENTINEL)
            if item is not _SENTINEL:
                out.append(Frame(seq, item))  # type: ignore[arg-type]
                self.stats.frames_out += 1
                seq += 1
                continue
            if seq in self._lost:
                first = seq
                while seq in self._lost:
                    self._lost.discard(seq)
                    seq += 1
                out.append(Gap(first, seq - 1))
                self.stats.lost += seq - first
                continue
            break
        self.next_seq = seq
        return out


_SENTINEL: object = object()
