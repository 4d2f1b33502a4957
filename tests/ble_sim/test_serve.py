"""`bandsense sim serve` as a subprocess: clients over TCP / Unix sockets, abrupt drops."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
from bumble import hci
from bumble.device import Device
from bumble.transport import open_transport
from bumble.transport.common import Transport

from bandsense.protocol.band import Command, ResultCode, encode_command
from tests.ble_sim.central import TIMEOUT_S, BandLink, find_address
from tests.ble_sim.conftest import ONE_MINUTE

REPO = Path(__file__).resolve().parents[2]
BANDSENSE = str(Path(sys.executable).parent / "bandsense")
BAND = "bandsense-sim-02"


async def read_line(stream: asyncio.StreamReader, prefix: str) -> str:
    async with asyncio.timeout(30.0):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream ended before a {prefix!r} line")
            if line.startswith(prefix):
                return line.strip()


@asynccontextmanager
async def served(*args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Run `bandsense sim serve ARGS`; yield (process, the address it listens on)."""
    proc = await asyncio.create_subprocess_exec(
        BANDSENSE,
        "sim",
        "serve",
        "--scenario",
        str(ONE_MINUTE),
        *args,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = await read_line(proc.stdout, "listening on ")
        yield proc, line.removeprefix("listening on ")
    finally:
        if proc.returncode is None:
            proc.kill()
            async with asyncio.timeout(TIMEOUT_S):
                await proc.wait()


async def central(transport: Transport, address: str) -> Device:
    device = Device.with_hci("central", hci.Address(address), transport.source, transport.sink)
    async with asyncio.timeout(TIMEOUT_S):
        await device.power_on()
    return device


async def stream_some(device: Device, count: int = 3) -> list[int]:
    link = await BandLink.connect(device, await find_address(device, BAND))
    response = await link.command(encode_command(Command.start_stream()))
    assert response.result is ResultCode.SUCCESS
    return [(await link.next_frame()).seq for _ in range(count)]


async def test_client_killed_then_reconnect_and_stream_again(tmp_path: Path) -> None:
    truth = tmp_path / "truth"
    async with served(
        "--hci", "tcp:127.0.0.1:0", "--bands", "2", "--speed", "2", "--truth-out", str(truth)
    ) as (server, address):
        assert address.startswith("tcp:127.0.0.1:")
        client_spec = "tcp-client:" + address.removeprefix("tcp:")

        # 1. A central in another process streams, then dies without closing anything.
        doomed = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.ble_sim.central_proc",
            client_spec,
            BAND,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert doomed.stdout is not None
        assert await read_line(doomed.stdout, "start ") == "start SUCCESS"
        seen = [await read_line(doomed.stdout, "frame ") for _ in range(3)]
        doomed.send_signal(signal.SIGKILL)
        async with asyncio.timeout(TIMEOUT_S):
            await doomed.wait()
        last_seen = int(seen[-1].split()[1])

        # 2. The band is advertising again (no ghost connection): reconnect, streaming went on.
        transport = await open_transport(client_spec)
        device = await central(transport, "C0:00:00:00:00:02")
        seqs = await stream_some(device)
        assert seqs[0] > last_seen

        # 3. This time our own socket is cut abruptly (no HCI disconnect).
        sink = transport.sink
        assert hasattr(sink, "transport")
        sink.transport.abort()
        async with asyncio.timeout(TIMEOUT_S):
            await transport.close()

        async with await open_transport(client_spec) as again:
            device = await central(again, "C0:00:00:00:00:03")
            seqs_again = await stream_some(device)
            assert seqs_again[0] > seqs[-1]

        server.send_signal(signal.SIGTERM)
        async with asyncio.timeout(TIMEOUT_S):
            assert await server.wait() == 0

    air = json.loads((truth / BAND / "air.json").read_text())
    assert air["connections"] == 3
    assert air["frames_built"] > seqs_again[-1]
    assert (truth / BAND / "truth.json").is_file()
    assert (truth / "bandsense-sim-01" / "truth.json").is_file()


async def test_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "hci.sock"
    async with served("--hci", f"unix:{path}", "--speed", "2", "--bands", "2") as (server, addr):
        assert addr == f"unix:{path}"
        async with await open_transport(f"unix:{path}") as transport:
            device = await central(transport, "C0:00:00:00:00:04")
            seqs = await stream_some(device)
        assert seqs == sorted(seqs)
        server.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT_S):
            assert await server.wait() == 0
    assert not path.exists()


async def test_simulator_in_process_serves_tindeq_bands_over_tcp(tmp_path: Path) -> None:
    from bumble.core import UUID
    from bumble.device import Peer

    from bandsense.protocol import DecodedSamples, tindeq
    from firmware_sim.simulator import Simulator, SimulatorOptions

    sim = Simulator(
        SimulatorOptions(
            scenario=str(ONE_MINUTE), bands=2, speed=5.0, tindeq=True, truth_out=tmp_path
        )
    )
    endpoint = await sim.start()
    try:
        assert [b.peripheral.name for b in sim.bands] == ["Progressor_SIM01", "Progressor_SIM02"]
        async with await open_transport(endpoint.client_spec) as transport:
            device = await central(transport, "C0:00:00:00:00:05")
            address = await find_address(device, "Progressor_SIM02")
            async with asyncio.timeout(TIMEOUT_S):
                peer = Peer(await device.connect(address))
                await peer.request_mtu(247)
                await peer.discover_services()
                for service in peer.services:
                    await service.discover_characteristics()
                (data,) = peer.get_characteristics_by_uuid(UUID(tindeq.DATA_UUID))
                (control,) = peer.get_characteristics_by_uuid(UUID(tindeq.CONTROL_POINT_UUID))
                queue: asyncio.Queue[bytes] = asyncio.Queue()
                await peer.subscribe(data, queue.put_nowait)
                await peer.write_value(control, tindeq.encode_start_weight(), with_response=True)
                decoded = [tindeq.decode_notification(await queue.get()) for _ in range(3)]
    finally:
        await sim.close()
    synth = sim.bands[1].synthesis
    for item in decoded:
        assert isinstance(item, DecodedSamples)
        # 80 Hz resampled from the scenario's 200 Hz grid; the device clock (drift) counts
        # from the first sample, so the sample index is its time over the nominal 12.5 ms.
        index = np.round(item.device_time_us / 12_500)
        expected = np.interp(index / 80.0, synth.time_s, synth.force_n)
        np.testing.assert_allclose(item.force_n, expected, rtol=1e-5, atol=1e-4)
    air = json.loads((tmp_path / "bandsense-sim-02" / "air.json").read_text())
    assert air["advertised_name"] == "Progressor_SIM02" and air["sample_rate_hz"] == 80
