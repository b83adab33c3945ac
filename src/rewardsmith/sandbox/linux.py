"""The Linux calls the sandbox needs that Python 3.11's ``os`` lacks (standard library only: ctypes on libc).

Loaded inside the sandbox by the worker (trusted code): namespaces (``unshare``), mounts, ``prctl``
(dumpable, bounding set, no-new-privs, seccomp) and ``capset``. Every call raises ``OSError`` on failure.

The seccomp filter (x86-64 only; elsewhere ``seccomp_filter()`` is None and ``rewardsmith check`` says so)
refuses the calls a scored program has no use for and that widen the kernel surface or escape the
limits: new namespaces (``unshare``, ``setns``, ``clone`` with namespace flags; ``clone3`` answers ENOSYS
so libc falls back to ``clone``), mounts, ``ptrace`` and cross-process memory access, keyrings, BPF,
perf, userfaultfd, io_uring, kernel modules, System V IPC (shared memory would outlive the program) and
``memfd_create`` (memory no limit sees without a cgroup).

>>> seccomp_filter() is None or len(seccomp_filter()) % 8 == 0
True
"""

from __future__ import annotations

import ctypes
import os
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080
NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
CAP_LAST = 63  # PR_CAPBSET_DROP of an unknown capability fails with EINVAL: stop there

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long
# resolved here, once: a function first used in a forked program would be looked up there, every time
_libc.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def read_exact(fd: int, n: int) -> bytes:
    """``n`` bytes from ``fd`` (EOFError when it closes first)."""
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), target.encode(), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


def set_dumpable(flag: bool) -> None:
    """Not dumpable: no core, and /proc/PID/{mem,fd,environ,maps} and ptrace need CAP_SYS_PTRACE over us."""
    prctl(PR_SET_DUMPABLE, int(flag))


def die_with_parent() -> None:
    prctl(PR_SET_PDEATHSIG, 9)


def drop_bounding_set() -> None:
    """No capability can come back through exec (needs CAP_SETPCAP, so call it while the caller has it)."""
    for cap in range(CAP_LAST + 1):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the last capability this kernel knows
                return
            _check(-1, f"PR_CAPBSET_DROP {cap}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_CAP_V3 = 0x20080522
_cap_header = _CapHeader(_CAP_V3, 0)
_cap_none = (_CapData * 2)()


def drop_capabilities() -> None:
    """Empty effective, permitted and inheritable sets (in whatever user namespace the caller is in)."""
    _check(_libc.capset(ctypes.byref(_cap_header), _cap_none), "capset")


# ------------------------------------------------------------------------------------------- seccomp

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
#: x86-64 numbers of the refused calls (EPERM).
_REFUSED_X86_64 = {
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_by_handle_at": 304, "name_to_handle_at": 303, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "swapon": 167,
    "swapoff": 168, "acct": 163, "quotactl": 179, "syslog": 103, "personality": 135, "vhangup": 153,
    "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64,
    "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442,
}
_CLONE_X86_64 = 56
_CLONE3_X86_64 = 435

_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_JSET_K = 0x45
_BPF_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _build_x86_64() -> bytes:
    refused = sorted(set(_REFUSED_X86_64.values()))
    prog = [
        _insn(_BPF_LD_W_ABS, 0, 0, 4),  # arch
        _insn(_BPF_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        _insn(_BPF_RET_K, 0, 0, _RET_KILL_PROCESS),  # i386 / x32 entry points: other numbers, no way in
        _insn(_BPF_LD_W_ABS, 0, 0, 0),  # nr
        _insn(_BPF_JGE_K, 0, 1, _X32_BIT),
        _insn(_BPF_RET_K, 0, 0, _RET_KILL_PROCESS),
    ]
    # one comparison per refused call, each jumping to the shared "refuse" return at the end
    n = len(refused)
    # after this block: clone3 check, ENOSYS, clone check, load flags, jset, allow, refuse
    for i, nr in enumerate(refused):
        to_refuse = (n - 1 - i) + 6  # skip the rest of this block and the six instructions below
        prog.append(_insn(_BPF_JEQ_K, to_refuse, 0, nr))
    prog += [
        _insn(_BPF_JEQ_K, 0, 1, _CLONE3_X86_64),
        _insn(_BPF_RET_K, 0, 0, _RET_ERRNO | _ENOSYS),
        _insn(_BPF_JEQ_K, 0, 2, _CLONE_X86_64),
        _insn(_BPF_LD_W_ABS, 0, 0, 16),  # clone's flags (low 32 bits of args[0])
        _insn(_BPF_JSET_K, 1, 0, NAMESPACE_FLAGS),
        _insn(_BPF_RET_K, 0, 0, _RET_ALLOW),
        _insn(_BPF_RET_K, 0, 0, _RET_ERRNO | _EPERM),
    ]
    return b"".join(prog)


def seccomp_filter() -> bytes | None:
    """The BPF program (None where the syscall table is not known: only x86-64 is)."""
    if os.uname().machine not in ("x86_64", "AMD64"):
        return None
    return _build_x86_64()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_filter_bytes = seccomp_filter()
_filter_buf = ctypes.create_string_buffer(_filter_bytes) if _filter_bytes else None
_fprog = _SockFprog(len(_filter_bytes) // 8, ctypes.cast(_filter_buf, ctypes.c_void_p)) if _filter_bytes else None


def install_seccomp() -> bool:
    """No new privileges, then the filter; False where there is no filter for this machine."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if _fprog is None:
        return False
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(_fprog), 0, 0), "seccomp")
    return True
