"""User-code rewards for the integration tests (referenced from specs as ``rs_integration_rewards:NAME``)."""

from __future__ import annotations

import asyncio
from typing import Any


def fails_on_odd(completion: str, metadata: dict[str, Any]) -> float:
    """Length of the completion mod 7 over 7; raises (an infrastructure error) for rows with an odd ``idx``."""
    if int(metadata["idx"]) % 2:
        raise RuntimeError("simulated outage")
    return (len(completion) % 7) / 7


async def async_length(completion: str) -> float:
    """An async (judge-like) reward: characters / 100, after yielding to the loop."""
    await asyncio.sleep(0.01)
    return len(completion) / 100
