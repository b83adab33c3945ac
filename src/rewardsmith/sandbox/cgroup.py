"""Memory cgroups for the sandbox workers (host side): one per worker, so memory is bounded per sample.

A sample runs alone in its worker, so the worker's cgroup bounds what the sample uses as a whole: all of
its processes, the files it writes in its tmpfs and the kernel memory behind them (inodes, dentries).
The host makes the cgroup next to its own in the cgroup v1 memory hierarchy (root can; a user without a
delegated hierarchy cannot), binds it into the worker's sandbox and removes it when the worker goes.
Without one, memory is bounded per process only (RLIMIT_AS): a sample can reach ``nproc x memory_mb``
plus its tmpfs sizes, and ``rewardsmith check`` says so.

>>> memory_bound(nproc=32, memory_mb=1024, scratch_mb=64, cgroup=True)
'per sample: memory cgroup of the worker (processes + tmpfs + kernel memory <= memory_mb)'
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path


@functools.lru_cache(maxsize=1)
def memory_root() -> tuple[Path | None, str]:
    """Our own folder in the v1 memory hierarchy when we may create cgroups under it, and why not otherwise."""
    if os.geteuid() != 0:
        return None, "not root, and no delegated cgroup v1 memory hierarchy"
    mount = None
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup" and "memory" in fields[sep + 3].split(","):
                mount = Path(fields[4])
                break
        own = next(
            (line.split(":", 2)[2] for line in Path("/proc/self/cgroup").read_text().splitlines()
             if "memory" in line.split(":", 2)[1].split(",")),
            None,
        )
    except (OSError, ValueError, IndexError):
        return None, "could not read /proc/self/mountinfo or /proc/self/cgroup"
    if mount is None or own is None:
        return None, "no cgroup v1 memory controller mounted (cgroup v2 delegation is not supported)"
    folder = mount / own.lstrip("/")
    probe = folder / f"rewardsmith-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        return None, f"cannot create a cgroup under {folder}: {exc.strerror}"
    _sweep(folder)
    return folder, ""


def _sweep(folder: Path) -> None:
    """Remove the cgroups of host processes that died without closing their sandbox (named
    ``rewardsmith-<pid>-...``): their processes are gone, so the folders are empty."""
    for path in folder.glob("rewardsmith-*"):
        try:
            pid = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            try:
                path.rmdir()
            except OSError:
                pass


def create(name: str) -> Path | None:
    """A fresh memory cgroup (None where we cannot make one)."""
    root, _ = memory_root()
    if root is None:
        return None
    path = root / name
    try:
        path.mkdir()
    except FileExistsError:
        remove(path)
        path.mkdir()
    except OSError:
        return None
    return path


def remove(path: Path, wait_s: float = 2.0) -> None:
    """Remove a cgroup once its processes are gone (they were killed; the kernel may take a moment)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.02)


def memory_bound(nproc: int, memory_mb: int, scratch_mb: int, cgroup: bool) -> str:
    """What bounds one sample's memory, in words (for ``rewardsmith check`` and the docs)."""
    if cgroup:
        return "per sample: memory cgroup of the worker (processes + tmpfs + kernel memory <= memory_mb)"
    return (
        f"per process only (no cgroup: {memory_root()[1]}): a sample may use up to nproc x memory_mb = "
        f"{nproc} x {memory_mb} MB plus 2 x {scratch_mb} MB of tmpfs"
    )
