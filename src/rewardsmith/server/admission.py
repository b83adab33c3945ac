"""Back-pressure: a bounded number of samples admitted at once, and one engine batch at a time.

A request is admitted when its samples fit under ``max_pending`` (queued + running); otherwise it is
refused at once with a Retry-After estimated from the recent throughput, so memory stays bounded no
matter how many clients push. Admitted batches then run one after another on the engine (FIFO): the
engine's worker pool scores one batch at a time with all its workers.
"""

from __future__ import annotations

import asyncio
import math
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator


class QueueFull(Exception):
    """The service is at capacity; ``retry_after`` is a suggested wait in whole seconds."""

    def __init__(self, retry_after: int, pending: int, limit: int) -> None:
        self.retry_after, self.pending, self.limit = retry_after, pending, limit
        super().__init__(f"server busy: {pending} samples pending (limit {limit}); retry after {retry_after}s")


class Admission:
    """Counts admitted samples and serialises engine batches.

    >>> adm = Admission(max_pending=10)
    >>> adm.enter(8); adm.pending
    8
    >>> try:
    ...     adm.enter(5)
    ... except QueueFull as exc:
    ...     print(exc.limit, exc.pending)
    10 8
    >>> adm.leave(8); adm.pending
    0
    """

    def __init__(self, max_pending: int) -> None:
        self.max_pending = max_pending
        self.pending = 0
        self.requests = 0
        self.rejected = 0
        self._lock: asyncio.Lock | None = None
        self._rate = 0.0  # samples per second, exponential moving average
        self.closing = False

    def check(self, n: int) -> None:
        """Raise ``QueueFull`` if ``n`` samples would not be admitted now."""
        if self.closing:
            raise QueueFull(5, self.pending, self.max_pending)
        if self.pending + n > self.max_pending:
            self.rejected += 1
            raise QueueFull(self.retry_after(n), self.pending, self.max_pending)

    def enter(self, n: int) -> None:
        """Admit ``n`` samples or raise ``QueueFull``."""
        self.check(n)
        self.pending += n
        self.requests += 1

    def leave(self, n: int) -> None:
        self.pending -= n
        self.requests -= 1

    def retry_after(self, n: int = 0) -> int:
        """Seconds until about ``n`` more samples would fit, from the recent throughput (1..60)."""
        if self._rate <= 0:
            return 1
        return int(min(60, max(1, math.ceil((self.pending + n - self.max_pending / 2) / self._rate))))

    def record(self, n: int, seconds: float) -> None:
        if n <= 0 or seconds <= 0:
            return
        rate = n / seconds
        self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate

    @asynccontextmanager
    async def admitted(self, n: int) -> AsyncIterator[None]:
        """``async with adm.admitted(n):`` enter, run, leave (raises QueueFull before anything runs)."""
        self.enter(n)
        try:
            yield
        finally:
            self.leave(n)

    @asynccontextmanager
    async def engine_turn(self, n: int) -> AsyncIterator[None]:
        """Hold the engine for one batch; records the throughput for Retry-After."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            started = time.perf_counter()
            try:
                yield
            finally:
                self.record(n, time.perf_counter() - started)
