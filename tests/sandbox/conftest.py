"""Sandbox fixtures. Without a usable bubblewrap these tests FAIL (never pass silently without isolation);
set REWARDSMITH_ALLOW_NO_BWRAP=1 to skip them instead, with the reason shown."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rewardsmith.sandbox import Limits, Sandbox
from rewardsmith.sandbox.bwrap import find_bwrap


def require_bwrap() -> str:
    path, why = find_bwrap()
    if path is None:
        message = f"bubblewrap is not usable, the sandbox cannot isolate: {why}"
        if os.environ.get("REWARDSMITH_ALLOW_NO_BWRAP") == "1":
            pytest.skip(message)
        pytest.fail(message + " (set REWARDSMITH_ALLOW_NO_BWRAP=1 to skip instead)")
    return path


@pytest.fixture(scope="session")
def bwrap_path() -> str:
    return require_bwrap()


@pytest.fixture(scope="session")
def box(bwrap_path: str) -> Iterator[Sandbox]:
    """One warm worker, small limits: adversarial programs end quickly."""
    sandbox = Sandbox(
        workers=1,
        backend="bwrap",
        limits=Limits(cpu_s=2, wall_s=4, memory_mb=512, nproc=16, fsize_mb=4, nofile=32, output_bytes=1 << 20),
    )
    yield sandbox
    sandbox.close()


def _sandbox_uid_processes() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if 61000 <= os.stat(f"/proc/{entry}").st_uid < 61256:
                    found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.fixture
def strays():
    """Host processes owned by the sandbox's program uids (61000 + slot): there should be none between runs."""
    return _sandbox_uid_processes
