"""User rewards for the spine tests, referenced from specs as ``user_rewards:NAME`` (tests put this folder on
PYTHONPATH) and registered with ``@reward``."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from rewardsmith import RewardResult, reward


@reward("t_len", executor="process", timeout=2.0, replace=True)
def t_len(completion: str, scale: float = 1.0) -> float:
    """Length of the completion, with misbehaviour on request: 'hang', 'die', 'raise', 'str', 'nan'."""
    if completion == "hang":
        time.sleep(60)
    if completion == "die":
        os._exit(7)
    if completion == "raise":
        raise ValueError("boom")
    if completion == "str":
        return "not a number"  # type: ignore[return-value]
    if completion == "nan":
        return float("nan")
    return scale * len(completion)


@reward("t_counted", executor="process", replace=True)
def t_counted(completion: str, log: str) -> float:
    """Appends one line per call to ``log`` so tests can count real calls (dedupe, cache)."""
    with open(log, "a") as f:
        f.write(completion + "\n")
    return float(len(completion))


@reward("t_async", executor="async", replace=True)
async def t_async(completion: str, delay: float = 0.0) -> float:
    await asyncio.sleep(delay)
    if completion == "hang":
        await asyncio.sleep(60)
    return float(completion.count("a"))


@reward("t_group_rank", per="group", executor="inline", replace=True)
def t_group_rank(completions: list[str]) -> list[float]:
    """Rank of each completion's length within its group (0 = shortest)."""
    order = sorted(range(len(completions)), key=lambda i: len(completions[i]))
    ranks = [0.0] * len(completions)
    for r, i in enumerate(order):
        ranks[i] = float(r)
    return ranks


@reward("t_abstain_no_ref", executor="inline", replace=True)
def t_abstain_no_ref(completion: str, reference: object) -> RewardResult | None:
    if reference is None:
        return None
    return RewardResult.ok(float(completion == reference), components={"exact": float(completion == reference)})


class Scaled:
    """A class reward: params go to __init__ (loaded once per process), data to __call__."""

    inits = 0

    def __init__(self, factor: float) -> None:
        Scaled.inits += 1
        self.factor = factor

    def __call__(self, completion: str) -> float:
        return self.factor * len(completion)


reward("t_class", executor="inline", replace=True)(Scaled)


def slow_len(completion: str) -> float:
    """Plain function (no decorator), 20 ms per call: used through ``user_rewards:slow_len`` for resume tests."""
    time.sleep(0.02)
    return float(len(completion))


def write_marker(completion: str, path: str) -> float:
    Path(path).write_text(completion)
    return 1.0


@reward("t_chunky", executor="process", timeout=2.0, replace=True)
def t_chunky(completion: str, log: str = "", delay: float = 0.0) -> RewardResult | float:
    """Length of the completion after ``delay`` seconds, one line per call in ``log``; 'hang', 'die' and
    'unpicklable' (a result that cannot be sent back) misbehave. For the worker pool's chunk tests."""
    if log:
        with open(log, "a") as f:
            f.write(completion + "\n")
    if completion == "hang":
        time.sleep(60)
    if completion == "die":
        os._exit(7)
    if completion == "unpicklable":
        return RewardResult.ok(1.0, info={"f": lambda: 0})
    time.sleep(delay)
    return float(len(completion))


_HOARD: list[bytearray] = []


def leaky(completion: str, mib: int = 20) -> float:
    """Leaks ``mib`` MiB per call (touched, so resident) and returns how many calls this process has served:
    the worker-recycling tests read from it how long a worker lived."""
    block = bytearray(mib << 20)
    block[:: 4096] = b"\x01" * len(block[:: 4096])
    _HOARD.append(block)
    return float(len(_HOARD))


@reward("t_sleepy_thread", executor="thread", timeout=1.0, replace=True)
def t_sleepy_thread(completion: str, marker: str = "", seconds: float = 30.0) -> float:
    """A thread-executor reward that runs past its timeout, then writes ``marker`` when it finally returns."""
    time.sleep(seconds)
    if marker:
        Path(marker).write_text("finished")
    return 1.0


def gated_len(completion: str, release: str) -> float:
    """Length of the completion; a completion starting with 'w' waits until the file ``release`` exists (at
    most 120 s), so a test can hold a run in the middle for as long as it needs."""
    deadline = time.monotonic() + 120
    while completion.startswith("w") and not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return float(len(completion))
