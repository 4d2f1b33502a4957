"""SAMPLES frames: round trips at every MTU, the MTU rule, quantisation, every error path."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandsense.protocol import band
from bandsense.protocol.band import (
    FLAG_HAS_STRETCH,
    FLAG_RESENT,
    FLAG_SATURATED,
    SampleFrame,
    decode_frame,
    decode_samples,
    encode_frame,
    frame_from_samples,
    frame_to_samples,
    samples_per_frame,
)
from bandsense.protocol.errors import (
    InconsistentFrameError,
    InvalidParameterError,
    OversizedFrameError,
    ProtocolError,
    TruncatedFrameError,
)

U32 = st.integers(0, 2**32 - 1)


@st.composite
def frames(draw: st.DrawFn, has_stretch: bool | None = None) -> tuple[int, SampleFrame]:
    """A valid frame sized for a drawn MTU; returns (mtu, frame)."""
    mtu = draw(st.integers(23, 517))
    stretch = draw(st.booleans()) if has_stretch is None else has_stretch
    count = draw(st.integers(1, samples_per_frame(mtu, stretch)))
    force = tuple(draw(st.lists(st.integers(-(2**15), 2**15 - 1), min_size=count, max_size=count)))
    dmm = (
        tuple(draw(st.lists(st.integers(0, 2**16 - 1), min_size=count, max_size=count)))
        if stretch
        else None
    )
    flags = (
        (FLAG_HAS_STRETCH if stretch else 0)
        | (FLAG_RESENT if draw(st.booleans()) else 0)
        | (FLAG_SATURATED if draw(st.booleans()) else 0)
    )
    frame = SampleFrame(
        seq=draw(U32),
        t0_us=draw(U32),
        interval_us=draw(st.integers(1, 2**16 - 1)),
        flags=flags,
        force_cn=force,
        stretch_dmm=dmm,
    )
    return mtu, frame


# ------------------------------------------------------------------------------ round trips
@given(frames())
def test_frame_round_trip_fits_the_mtu(mtu_frame: tuple[int, SampleFrame]) -> None:
    mtu, frame = mtu_frame
    data = encode_frame(frame)
    assert len(data) <= mtu - 3
    assert len(data) == band.frame_size(frame.count, frame.has_stretch)
    assert decode_frame(data) == frame


@given(frames())
def test_fast_decode_equals_frame_to_samples(mtu_frame: tuple[int, SampleFrame]) -> None:
    _, frame = mtu_frame
    data = encode_frame(frame)
    fast = decode_samples(data)
    slow = frame_to_samples(decode_frame(data))
    assert fast.seq == slow.seq == frame.seq
    assert fast.resent == slow.resent == bool(frame.flags & FLAG_RESENT)
    assert fast.saturated == slow.saturated == bool(frame.flags & FLAG_SATURATED)
    np.testing.assert_array_equal(fast.device_time_us, slow.device_time_us)
    np.testing.assert_array_equal(fast.force_n, slow.force_n)
    assert fast.device_time_us.dtype == np.int64
    assert fast.force_n.dtype == np.float64
    # Units: centinewtons and tenths of millimetres, times t0 + i*interval, not unwrapped.
    np.testing.assert_array_equal(fast.force_n, np.array(frame.force_cn) / 100)
    expected_t = [frame.t0_us + i * frame.interval_us for i in range(frame.count)]
    assert fast.device_time_us.tolist() == expected_t
    if frame.stretch_dmm is None:
        assert fast.stretch_mm is None and slow.stretch_mm is None
    else:
        assert fast.stretch_mm is not None and slow.stretch_mm is not None
        np.testing.assert_array_equal(fast.stretch_mm, slow.stretch_mm)
        np.testing.assert_array_equal(fast.stretch_mm, np.array(frame.stretch_dmm) / 10)


@given(frames())
def test_bleak_style_buffers_decode_like_bytes(mtu_frame: tuple[int, SampleFrame]) -> None:
    # bleak hands notifications over as bytearray; Bumble sometimes as memoryview.
    _, frame = mtu_frame
    data = encode_frame(frame)
    for buffer in (bytearray(data), memoryview(data)):
        assert decode_frame(buffer) == frame
        assert decode_samples(buffer) == decode_samples(data)


def test_decoded_samples_compare_by_value() -> None:
    one = decode_samples(encode_frame(frame_from_samples(4, 10, 1000, [1.0, 2.0], [3.0, 4.0])))
    same = frame_to_samples(frame_from_samples(4, 10, 1000, [1.0, 2.0], [3.0, 4.0]))
    assert one == same
    assert one != frame_to_samples(frame_from_samples(4, 10, 1000, [1.0, 2.5], [3.0, 4.0]))
    assert one != frame_to_samples(frame_from_samples(4, 10, 1000, [1.0, 2.0], None))
    assert one != frame_to_samples(frame_from_samples(5, 10, 1000, [1.0, 2.0], [3.0, 4.0]))
    assert one.count == 2


def test_documented_example_frame() -> None:
    # The hex dump in docs/protocol.md, written out: seq 1, t0 1 s, 5000 us (200 Hz),
    # 2 samples with stretch: 12.34 N / 101.5 mm and 56.78 N / 150.2 mm.
    data = bytes.fromhex("01000000 40420f00 8813 02 01 d204 f703 2e16 de05")
    assert data == struct.pack("<IIHBBhHhH", 1, 1_000_000, 5000, 2, 1, 1234, 1015, 5678, 1502)
    frame = decode_frame(data)
    assert (frame.seq, frame.t0_us, frame.interval_us, frame.count) == (1, 1_000_000, 5000, 2)
    assert frame.force_n().tolist() == [12.34, 56.78]
    stretch = frame.stretch_mm()
    assert stretch is not None and stretch.tolist() == [101.5, 150.2]
    assert frame.device_time_us().tolist() == [1_000_000, 1_005_000]
    assert not frame.resent and not frame.saturated
    built = frame_from_samples(1, 1_000_000, 5000, [12.34, 56.78], [101.5, 150.2])
    assert encode_frame(built) == data


# --------------------------------------------------------------------------------- MTU rule
def test_samples_per_frame_at_minimum_mtu() -> None:
    assert samples_per_frame(23) == 2
    assert samples_per_frame(23, has_stretch=True) == 2
    assert samples_per_frame(23, has_stretch=False) == 4
    # 512 bytes is the longest ATT value: the cap at large MTUs.
    assert samples_per_frame(517) == 125
    assert samples_per_frame(517, has_stretch=False) == 250
    assert samples_per_frame(247) == (247 - 15) // 4


@given(st.integers(23, 2000), st.booleans())
def test_samples_per_frame_fills_but_never_overflows(mtu: int, has_stretch: bool) -> None:
    n = samples_per_frame(mtu, has_stretch)
    assert 1 <= n <= 255
    limit = min(mtu - 3, 512)
    assert band.frame_size(n, has_stretch) <= limit
    assert n == band.max_samples(has_stretch) or band.frame_size(n + 1, has_stretch) > limit
    assert samples_per_frame(mtu + 1, has_stretch) >= n


def test_samples_per_frame_rejects_mtu_below_23() -> None:
    with pytest.raises(ValueError, match="below"):
        samples_per_frame(22)


# ------------------------------------------------------------------------ the builder
@given(
    st.lists(st.floats(-327.0, 327.0), min_size=1, max_size=125),
    st.booleans(),
    st.integers(0, 2**40),
)
def test_builder_quantises_within_half_a_step(force: list[float], resent: bool, t0: int) -> None:
    stretch = [abs(f) * 10 for f in force]
    frame = frame_from_samples(9, t0, 2500, force, stretch, resent=resent)
    assert frame.resent == resent
    assert not frame.saturated
    assert frame.t0_us == t0 % 2**32
    decoded = decode_frame(encode_frame(frame))
    assert np.max(np.abs(decoded.force_n() - np.array(force))) <= 0.005 + 1e-9
    stretch_mm = decoded.stretch_mm()
    assert stretch_mm is not None
    assert np.max(np.abs(stretch_mm - np.array(stretch))) <= 0.05 + 1e-9


@pytest.mark.parametrize(
    ("force", "stretch", "force_cn", "stretch_dmm"),
    [
        ([400.0, 1.0], None, (32767, 100), None),
        ([-400.0], None, (-32768,), None),
        ([1.0], [-2.0], (100,), (0,)),
        ([1.0], [7000.0], (100,), (65535,)),
    ],
)
def test_builder_saturates_and_flags_clipping(
    force: list[float],
    stretch: list[float] | None,
    force_cn: tuple[int, ...],
    stretch_dmm: tuple[int, ...] | None,
) -> None:
    frame = frame_from_samples(0, 0, 1000, force, stretch)
    assert frame.saturated
    assert frame.force_cn == force_cn
    assert frame.stretch_dmm == stretch_dmm
    assert decode_samples(encode_frame(frame)).saturated


def test_builder_does_not_flag_values_at_the_range_edge() -> None:
    frame = frame_from_samples(0, 0, 1000, [327.67, -327.68], [0.0, 6553.5])
    assert frame.force_cn == (32767, -32768)
    assert frame.stretch_dmm == (0, 65535)
    assert not frame.saturated


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"force_n": [float("nan")]}, InvalidParameterError),
        ({"force_n": [1.0], "stretch_mm": [float("inf")]}, InvalidParameterError),
        ({"force_n": []}, InconsistentFrameError),
        ({"force_n": [1.0, 2.0], "stretch_mm": [1.0]}, InconsistentFrameError),
        ({"force_n": [1.0] * 126, "stretch_mm": [1.0] * 126}, OversizedFrameError),
        ({"force_n": [1.0] * 251}, OversizedFrameError),
        ({"force_n": [1.0], "interval_us": 0}, InvalidParameterError),
        ({"force_n": [1.0], "seq": 2**32}, InvalidParameterError),
    ],
)
def test_builder_rejects_unencodable_input(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    args: dict[str, object] = {"seq": 0, "t0_us": 0, "interval_us": 1000, "stretch_mm": None}
    args.update(kwargs)
    with pytest.raises(error):
        frame_from_samples(**args)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ error paths
def _header(count: int, flags: int, interval: int = 5000) -> bytes:
    return struct.pack("<IIHBB", 3, 77, interval, count, flags)


@given(frames(), st.data())
def test_truncated_frame_raises(mtu_frame: tuple[int, SampleFrame], data: st.DataObject) -> None:
    _, frame = mtu_frame
    encoded = encode_frame(frame)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    truncated = encoded[:cut]
    # Cut to exactly the length of the no-stretch layout, a stretch frame reads as a
    # wrong stretch flag: reported as inconsistent, which is the more precise diagnosis.
    other_layout = frame.has_stretch and cut == band.frame_size(frame.count, False)
    expected = InconsistentFrameError if other_layout else TruncatedFrameError
    with pytest.raises(expected):
        decode_frame(truncated)
    with pytest.raises(expected):
        decode_samples(truncated)


@given(frames(), st.integers(1, 600))
def test_oversized_frame_raises(mtu_frame: tuple[int, SampleFrame], extra: int) -> None:
    _, frame = mtu_frame
    encoded = encode_frame(frame) + bytes(extra)
    other_layout = (
        not frame.has_stretch and len(encoded) == band.frame_size(frame.count, True)
    ) and len(encoded) <= 512
    expected = InconsistentFrameError if other_layout else OversizedFrameError
    with pytest.raises(expected):
        decode_frame(encoded)
    with pytest.raises(expected):
        decode_samples(encoded)


@pytest.mark.parametrize("length", [0, 1, 11])
def test_shorter_than_header_is_truncated(length: int) -> None:
    with pytest.raises(TruncatedFrameError):
        decode_frame(_header(1, 0)[:length])


def test_more_than_512_bytes_is_oversized() -> None:
    with pytest.raises(OversizedFrameError):
        decode_frame(_header(250, 0) + bytes(501))


@pytest.mark.parametrize(("count", "flags"), [(126, FLAG_HAS_STRETCH), (251, 0), (255, 0)])
def test_count_beyond_one_att_value_is_oversized(count: int, flags: int) -> None:
    # Rejected on the header alone: no valid frame can declare this many samples.
    with pytest.raises(OversizedFrameError):
        decode_frame(_header(count, flags) + bytes(8))


def test_zero_count_is_inconsistent() -> None:
    with pytest.raises(InconsistentFrameError, match="0 samples"):
        decode_frame(_header(0, 0))


def test_zero_interval_is_inconsistent() -> None:
    with pytest.raises(InconsistentFrameError, match="interval"):
        decode_frame(_header(1, 0, interval=0) + bytes(2))


@pytest.mark.parametrize("bit", [0x08, 0x10, 0x20, 0x40, 0x80])
def test_unknown_flag_bits_are_inconsistent(bit: int) -> None:
    with pytest.raises(InconsistentFrameError, match="flag"):
        decode_frame(_header(1, bit) + bytes(2))


def test_stretch_flag_mismatch_is_inconsistent() -> None:
    # Flag says stretch, bytes hold 3 force-only samples (and the other way round).
    with pytest.raises(InconsistentFrameError, match="FLAG_HAS_STRETCH"):
        decode_frame(_header(3, FLAG_HAS_STRETCH) + bytes(6))
    with pytest.raises(InconsistentFrameError, match="FLAG_HAS_STRETCH"):
        decode_frame(_header(3, 0) + bytes(12))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (SampleFrame(0, 0, 1000, 0, (), None), InconsistentFrameError),
        (SampleFrame(0, 0, 1000, FLAG_HAS_STRETCH, (1,), None), InconsistentFrameError),
        (SampleFrame(0, 0, 1000, 0, (1,), (1,)), InconsistentFrameError),
        (SampleFrame(0, 0, 1000, 0x08, (1,), None), InconsistentFrameError),
        (SampleFrame(0, 0, 1000, FLAG_HAS_STRETCH, (1, 2), (1,)), InconsistentFrameError),
        (SampleFrame(0, 0, 0, 0, (1,), None), InvalidParameterError),
        (SampleFrame(-1, 0, 1000, 0, (1,), None), InvalidParameterError),
        (SampleFrame(0, 2**32, 1000, 0, (1,), None), InvalidParameterError),
        (SampleFrame(0, 0, 1000, 0, (2**15,), None), InvalidParameterError),
        (SampleFrame(0, 0, 1000, FLAG_HAS_STRETCH, (1,), (-1,)), InvalidParameterError),
        (SampleFrame(0, 0, 1000, 0, (1,) * 251, None), OversizedFrameError),
    ],
)
def test_encode_rejects_invalid_frames(frame: SampleFrame, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        encode_frame(frame)


@given(frames(), st.data())
def test_mutated_bytes_decode_exactly_or_raise_protocol_error(
    mtu_frame: tuple[int, SampleFrame], data: st.DataObject
) -> None:
    # Whatever arrives, the decoder either returns a frame that re-encodes to the very
    # same bytes or raises a ProtocolError (a ValueError): never another exception and
    # never a frame that does not describe the bytes.
    _, frame = mtu_frame
    raw = bytearray(encode_frame(frame))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    raw += data.draw(st.binary(max_size=4))
    try:
        decoded = decode_frame(bytes(raw))
    except ProtocolError as error:
        assert isinstance(error, ValueError)
    else:
        assert encode_frame(decoded) == bytes(raw)
