"""Bound every Bumble await and translate Bumble's exceptions into bleak's.

Bumble's own GATT timeout is 30 s and several of its awaits have none at all (a lost
response, a controller that never answers), so every call this backend makes goes
through `guarded` with an explicit deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core

T = TypeVar("T")


async def guarded(awaitable: Awaitable[T], timeout: float, what: str) -> T:
    """Await a Bumble call with a deadline, raising bleak-style exceptions.

    - ATT error responses become `BleakGATTProtocolError(code)`.
    - Our deadline and Bumble's own `core.TimeoutError` become the builtin `TimeoutError`
      (what bleak's platform backends raise).
    - Bumble cancels a pending GATT request when the link drops; that surfaces as a
      `CancelledError` in a task nobody cancelled, so it becomes a `BleakError`.
    - Any other Bumble error becomes a `BleakError` naming the operation.
    """
    try:
        async with asyncio.timeout(timeout):
            return await awaitable
    except att.ATT_Error as exc:
        raise BleakGATTProtocolError(exc.error_code) from exc
    except core.TimeoutError as exc:
        raise TimeoutError(f"{what}: Bumble timed out") from exc
    except TimeoutError as exc:
        raise TimeoutError(f"{what}: no answer within {timeout:g} s") from exc
    except core.BaseBumbleError as exc:
        raise BleakError(f"{what} failed: {exc}") from exc
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise BleakError(f"{what} failed: connection lost") from None
