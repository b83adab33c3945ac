"""Program uids for a sandbox instance when running as root (host side).

As root, each worker's programs run under a host uid of their own (``base + slot``). Two instances (two
processes, two engines) must not share them: a uid is where the kernel counts RLIMIT_NPROC and what
decides who may signal whom. An instance takes the first free block of ``BLOCK`` uids by holding an
exclusive lock on its lock file for as long as it lives (the kernel drops the lock when the process ends,
even killed).
"""

from __future__ import annotations

import fcntl
import os
import threading

FIRST = 200_000
BLOCK = 256
BLOCKS = 1024
LOCK_DIR = "/run/rewardsmith-uids"
#: The program uid of the one-program probe that checks bubblewrap works (``bwrap.probe``).
PROBE_UID = FIRST - 1


class UidBlock:
    """``BLOCK`` host uids held by this process until ``release()``.

    >>> import os
    >>> b = UidBlock() if os.geteuid() == 0 else None
    >>> b is None or (b.uid(3) == b.base + 3 and b.base >= FIRST)
    True
    """

    def __init__(self) -> None:
        folder = LOCK_DIR if os.access("/run", os.W_OK) else "/tmp/rewardsmith-uids"
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for n in range(BLOCKS):
            fd = os.open(os.path.join(folder, f"{n}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.fd: int | None = fd
            self.base = FIRST + n * BLOCK
            return
        raise RuntimeError(f"no free block of program uids ({BLOCKS} sandboxes in use?)")

    def uid(self, slot: int) -> int:
        if not 0 <= slot < BLOCK:
            raise ValueError(f"slot {slot} outside the block of {BLOCK} uids")
        return self.base + slot

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class UidLender:
    """Lends the uids of one ``UidBlock`` one at a time (one-shot sandboxes: any number of threads
    start them; each holds its uid until its run is over, so no two runs share one). Blocks while all
    ``BLOCK`` are out.

    >>> import os
    >>> lender = UidLender() if os.geteuid() == 0 else None
    >>> lender is None or lender.take() != lender.take()
    True
    """

    def __init__(self) -> None:
        self.block = UidBlock()
        self._free = list(range(BLOCK - 1, -1, -1))
        self._cond = threading.Condition()

    def take(self) -> int:
        """A free slot of the block (its uid: ``block.uid(slot)``)."""
        with self._cond:
            while not self._free:
                self._cond.wait()
            return self._free.pop()

    def give_back(self, slot: int) -> None:
        with self._cond:
            self._free.append(slot)
            self._cond.notify()
