"""Sandbox fixtures. Without a usable bubblewrap these tests FAIL (never pass silently without isolation);
set REWARDSMITH_ALLOW_NO_BWRAP=1 to skip them instead, with the reason shown."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rewardsmith.sandbox import Limits, Sandbox
from rewardsmith.sandbox.bwrap import find_bwrap
from rewardsmith.sandbox.uids import BLOCK, BLOCKS, FIRST


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


def _program_uid(pid: int | str) -> bool:
    try:
        return FIRST <= os.stat(f"/proc/{pid}").st_uid < FIRST + BLOCK * BLOCKS
    except OSError:
        return False


def _parent(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return "0"


def _sandbox_uid_processes() -> list[int]:
    """Processes of the program uids other than the runners' mount keepers (each a child of its worker,
    which runs as root) and the runners (each a child of its keeper)."""
    return [
        int(e) for e in os.listdir("/proc")
        if e.isdigit() and _program_uid(e) and _program_uid(_parent(e)) and _program_uid(_parent(_parent(e)))
    ]


@pytest.fixture
def strays():
    """Host processes owned by the sandbox's program uids (as root: a block per instance, ``uids.py``): there
    should be none between runs."""
    return _sandbox_uid_processes
