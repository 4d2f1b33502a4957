"""The band firmware model without BLE: clock, frames, commands, resend, faults."""

from __future__ import annotations

import numpy as np
import pytest

from bandsense.protocol.band import (
    Command,
    Opcode,
    ResultCode,
    SampleFrame,
    decode_frame,
    decode_response,
    decode_status,
    encode_command,
    samples_per_frame,
)
from firmware_sim.firmware import BandFirmware, FirmwareConfig
from firmware_sim.sample_source import LinkDropSpec, demo_source

MTU = 247
SPF = samples_per_frame(MTU)


def started(duration_s: float = 10.0, **kwargs: object) -> BandFirmware:
    fw = BandFirmware(demo_source(duration_s=duration_s, **kwargs))  # type: ignore[arg-type]
    fw.set_mtu(MTU)
    outcome, _ = fw.handle_command(encode_command(Command.start_stream()), 0.0)
    assert outcome.result is ResultCode.SUCCESS
    return fw


def command(fw: BandFirmware, data: bytes, now: float) -> tuple[ResultCode, bytes]:
    outcome, _ = fw.handle_command(data, now)
    response = decode_response(outcome.response)
    assert response.result is outcome.result
    return outcome.result, outcome.response


def test_frames_come_out_when_their_last_sample_is_due() -> None:
    fw = started()
    rate = fw.sample_rate_hz
    due = (SPF - 1) / rate
    assert fw.advance(due - 1e-6).frames == []
    assert [f.seq for f in fw.advance(due).frames] == [0]
    assert fw.next_deadline() == pytest.approx((2 * SPF - 1) / rate)


def test_whole_source_framed_in_order_then_idle() -> None:
    fw = started(duration_s=5.0)
    frames = fw.advance(100.0).frames
    assert [f.seq for f in frames] == list(range(len(frames)))
    force = np.concatenate([decode_frame(f.payload).force_n() for f in frames])
    np.testing.assert_array_equal(force, np.rint(fw.source.force_n * 100) / 100)
    assert not fw.streaming and fw.finished
    outcome, _ = fw.handle_command(encode_command(Command.start_stream()), 101.0)
    assert outcome.result is ResultCode.INVALID_STATE


def test_frames_follow_the_mtu() -> None:
    fw = BandFirmware(demo_source(duration_s=1.0))
    fw.handle_command(encode_command(Command.start_stream()), 0.0)
    frames = fw.advance(0.5).frames
    assert {f.frame.count for f in frames} == {samples_per_frame(23)}
    assert all(len(f.payload) <= 20 for f in frames)


def test_stop_flushes_the_partial_frame_and_start_skips_the_stopped_time() -> None:
    fw = started()
    rate = fw.sample_rate_hz
    fw.advance(0.5)
    outcome, tick = fw.handle_command(encode_command(Command.stop_stream()), 0.7)
    assert outcome.result is ResultCode.SUCCESS and not fw.streaming
    partial = tick.frames[-1].frame
    assert 0 < partial.count < SPF
    last_taken = partial.t0_us + (partial.count - 1) * partial.interval_us
    assert fw.advance(2.0).frames == []
    fw.handle_command(encode_command(Command.start_stream()), 2.0)
    after = fw.advance(3.0).frames[0].frame
    # No samples from the stopped second: the next one is ~1.3 s (260 samples) later.
    gap = (after.t0_us - last_taken) / 1e6
    assert gap == pytest.approx(1.3, abs=1.5 / rate)
    assert after.seq == partial.seq + 1


def test_tare_subtracts_the_current_force() -> None:
    fw = started()
    fw.advance(1.0)
    raw_now = float(fw.source.force_n[fw.sample_rate_hz * 1])
    result, _ = command(fw, encode_command(Command.tare()), 1.0)
    assert result is ResultCode.SUCCESS
    frame = fw.advance(3.0).frames[-1]
    i0 = round((frame.device_time_us[0] - fw.source.device_time_us[0]) / 5000)
    expected = fw.source.force_n[i0 : i0 + frame.frame.count] - raw_now
    np.testing.assert_allclose(decode_frame(frame.payload).force_n(), expected, atol=0.006)


def test_set_rate_resamples_from_the_next_sample() -> None:
    fw = started()
    fw.advance(1.0)
    result, _ = command(fw, encode_command(Command.set_rate(50)), 1.0)
    assert result is ResultCode.SUCCESS
    frames = [f.frame for f in fw.advance(5.0).frames]
    assert frames[-1].interval_us == 20_000
    assert decode_status(fw.status_bytes()).sample_rate_hz == 50
    # Device times stay continuous across the switch (no sample taken twice or skipped).
    times = np.concatenate([f.device_time_us() for f in frames])
    assert np.all(np.diff(times) > 0)
    assert np.diff(times).max() <= 20_000


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", ResultCode.INVALID_LENGTH),
        (b"\x7f", ResultCode.OPCODE_NOT_SUPPORTED),
        (bytes([Opcode.START_STREAM, 0]), ResultCode.INVALID_LENGTH),
        (bytes([Opcode.SET_RATE, 10]), ResultCode.INVALID_LENGTH),
        (bytes([Opcode.SET_RATE]) + (19).to_bytes(2, "little"), ResultCode.OUT_OF_RANGE),
        (bytes([Opcode.SET_RATE]) + (1001).to_bytes(2, "little"), ResultCode.OUT_OF_RANGE),
        (bytes([Opcode.RESEND, 0, 0, 0, 0, 0]), ResultCode.INVALID_LENGTH),
    ],
)
def test_bad_writes_get_their_result_code_and_change_nothing(data: bytes, code: ResultCode) -> None:
    fw = started()
    before = fw.advance(1.0).frames
    result, raw = command(fw, data, 1.0)
    assert result is code
    assert raw[1] == (data[0] if data else 0)
    assert fw.streaming and fw.sample_rate_hz == 200
    assert fw.command_errors == 1
    after = fw.advance(2.0).frames
    assert after[0].seq == before[-1].seq + 1


def test_resend_returns_exactly_the_requested_frames_marked_resent() -> None:
    fw = started()
    live = fw.advance(5.0).frames
    outcome, _ = fw.handle_command(encode_command(Command.resend(3, 4)), 5.0)
    response = decode_response(outcome.response)
    assert response.result is ResultCode.SUCCESS
    assert response.resend is not None
    assert (response.resend.first_resent_seq, response.resend.last_resent_seq) == (3, 6)
    resent = [decode_frame(p) for p in outcome.resend]
    assert [f.seq for f in resent] == [3, 4, 5, 6]
    assert all(f.resent for f in resent)
    for original, again in zip(live[3:7], resent, strict=True):
        assert again.force_cn == original.frame.force_cn
        assert again.t0_us == original.frame.t0_us
    # count 0: up to the newest
    outcome, _ = fw.handle_command(encode_command(Command.resend(10, 0)), 5.0)
    assert [decode_frame(p).seq for p in outcome.resend] == list(range(10, live[-1].seq + 1))


def test_resend_of_frames_not_yet_sent_is_out_of_range() -> None:
    fw = started()
    newest = fw.advance(2.0).frames[-1].seq
    outcome, _ = fw.handle_command(encode_command(Command.resend(newest + 1, 1)), 2.0)
    assert outcome.result is ResultCode.OUT_OF_RANGE and outcome.resend == ()


def test_ring_buffer_keeps_60_s_and_answers_not_available_for_older() -> None:
    fw = started(duration_s=90.0)
    frames = fw.advance(80.0).frames
    first = fw.first_buffered_seq
    assert first > 0
    kept_s = (frames[-1].frame.t0_us - frames[first].frame.t0_us) / 1e6
    assert 59.0 <= kept_s <= 60.0
    assert fw.status().buffered_frames == len(frames) - first
    outcome, _ = fw.handle_command(encode_command(Command.resend(first - 5, 10)), 80.0)
    response = decode_response(outcome.response)
    assert response.result is ResultCode.NOT_AVAILABLE
    assert response.resend is not None
    assert response.resend.first_available_seq == first
    assert [decode_frame(p).seq for p in outcome.resend] == list(range(first, first + 5))
    # wholly gone: nothing resent, an empty range
    outcome, _ = fw.handle_command(encode_command(Command.resend(0, 3)), 80.0)
    response = decode_response(outcome.response)
    assert response.result is ResultCode.NOT_AVAILABLE and outcome.resend == ()
    assert response.resend is not None and response.resend.resent_count == 0


def test_frames_lost_on_air_are_flagged_and_still_resendable() -> None:
    fw = started(duration_s=10.0, drop_every=7)
    frames = fw.advance(20.0).frames
    lost = [f.seq for f in frames if f.lost_on_air]
    assert lost == list(range(6, len(frames), 7))
    assert fw.air_log.lost_seqs == lost
    outcome, _ = fw.handle_command(encode_command(Command.resend(lost[0], 1)), 20.0)
    (again,) = (decode_frame(p) for p in outcome.resend)
    assert again.seq == lost[0] and again.resent


def test_link_drop_is_reported_once_and_data_losing_drops_evict_the_buffer() -> None:
    drops = (LinkDropSpec(2.0, 1.0), LinkDropSpec(5.0, 1.0, lose_data=True))
    fw = started(duration_s=10.0, link_drops=drops)
    assert fw.next_deadline() is not None
    ticks = [fw.advance(t / 10) for t in range(1, 80)]
    reported = [t.link_drop for t in ticks if t.link_drop is not None]
    assert reported == list(drops)
    assert fw.air_log.link_drops == list(drops)
    # After the data-losing outage ends (6 s) nothing from before it can be re-sent.
    (first_gone, last_gone) = fw.air_log.evicted_seqs[0]
    assert first_gone == 0
    outcome, _ = fw.handle_command(encode_command(Command.resend(last_gone, 1)), 8.0)
    assert outcome.result is ResultCode.NOT_AVAILABLE and outcome.resend == ()


def test_status_counts_and_battery_drain() -> None:
    config = FirmwareConfig(battery_pct=50.0, drain_streaming_pct_per_h=3600.0)
    fw = BandFirmware(demo_source(duration_s=60.0), config)
    fw.set_mtu(MTU)
    fw.handle_command(encode_command(Command.start_stream()), 0.0)
    tick = fw.advance(10.0)
    assert tick.battery_changed
    assert fw.status().battery_pct == 40
    fw.record_sent(3)
    fw.record_sent(2, resent=True)
    fw.handle_command(b"\xee", 10.0)
    status = fw.status()
    assert (status.frames_sent, status.frames_resent, status.command_errors) == (3, 2, 1)
    assert status.next_seq == len(tick.frames) and status.streaming
    fw.advance(60.0)  # battery empty at 50 s
    assert fw.battery_int == 0 and not fw.streaming
    outcome, _ = fw.handle_command(encode_command(Command.start_stream()), 60.0)
    assert outcome.result is ResultCode.INVALID_STATE


def test_read_status_answers_with_the_status() -> None:
    fw = started()
    fw.advance(1.0)
    outcome, _ = fw.handle_command(encode_command(Command.read_status()), 1.0)
    response = decode_response(outcome.response)
    assert response.status is not None
    assert response.status == decode_status(fw.status_bytes())


def _frames(fw: BandFirmware, until: float) -> list[SampleFrame]:
    return [f.frame for f in fw.advance(until).frames]


def test_start_and_stop_are_idempotent() -> None:
    fw = started()
    outcome, tick = fw.handle_command(encode_command(Command.start_stream()), 0.5)
    assert outcome.result is ResultCode.SUCCESS and fw.streaming
    seqs = [f.seq for f in tick.frames] + [f.seq for f in _frames(fw, 1.0)]
    assert seqs == list(range(len(seqs)))  # a second START does not restart anything
    command(fw, encode_command(Command.stop_stream()), 1.0)
    result, _ = command(fw, encode_command(Command.stop_stream()), 1.1)
    assert result is ResultCode.SUCCESS and not fw.streaming
    assert fw.command_errors == 0
