"""Run SQL-style one-shot programs (``rewardsmith.sandbox.oneshot``) that try to reach what they must not,
and print one JSON line of what they saw. Run as the user under test: ``test_sandbox_oneshot.py`` starts
it as the current user and, through ``setpriv``, as ``nobody``. ``REWARDSMITH_TOKEN`` is set to a fresh
secret before anything starts; two samples run at the same time, each with its own database.

Usage: ``python tests/sandbox/oneshot_probe.py``
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path

#: The one-shot program: the shape of ``execution/sql_runner.py`` (a query on a database bound
#: read-only), plus everything a hostile program would try.
PROGRAM = r'''
import ctypes, json, os, sqlite3, sys
own, other = sys.argv[1], sys.argv[2]
seen = {"uid": os.getuid(), "env": dict(os.environ), "stdin": sys.stdin.read()}
def attempt(name, fn):
    try:
        seen[name] = fn()
    except Exception as exc:
        seen[name] = "refused: " + type(exc).__name__
attempt("proc_1_environ", lambda: open("/proc/1/environ").read())
attempt("proc_self_environ", lambda: open("/proc/self/environ").read())
attempt("other_db", lambda: open(other, "rb").read(64).hex())
attempt("other_dir", lambda: os.listdir(os.path.dirname(other)))
attempt("scratch_before", lambda: sorted(os.listdir("/scratch")))
attempt("shm_before", lambda: sorted(os.listdir("/dev/shm")))
attempt("write_own_db", lambda: open(own, "ab").write(b"x"))
attempt("rows", lambda: sqlite3.connect(f"file:{own}?mode=ro", uri=True).execute("SELECT v FROM t").fetchall())
open("/scratch/left-by-" + os.path.basename(own), "w").write("x")
open("/dev/shm/left-by-" + os.path.basename(own), "w").write("x")
libc = ctypes.CDLL(None, use_errno=True)
seen["unshare_user"] = [libc.unshare(0x10000000), ctypes.get_errno()]
header = (ctypes.c_uint32 * 2)(0x20080522, 0)
data = (ctypes.c_uint32 * 6)()
libc.capget(header, data)
seen["cap_effective"] = [data[0], data[3]]
print(json.dumps(seen))
'''

HOG = "x = bytearray(600 << 20)\nprint('allocated')\n"


def main() -> int:
    token = "tok-" + secrets.token_hex(16)
    os.environ["REWARDSMITH_TOKEN"] = token
    from rewardsmith.sandbox import Limits
    from rewardsmith.sandbox.oneshot import python_command, run_oneshot

    b_secret = "b-secret-" + secrets.token_hex(8)  # only sample b's database holds it
    root = Path(tempfile.mkdtemp(prefix="rewardsmith-oneshot-probe-"))
    root.chmod(0o755)
    program = root / "program.py"
    program.write_text(PROGRAM)
    dbs = {}
    for name in ("a", "b"):
        folder = root / name
        folder.mkdir(mode=0o755)
        dbs[name] = str(folder / f"{name}.sqlite")
        with sqlite3.connect(dbs[name]) as conn:
            conn.execute("CREATE TABLE t (v TEXT)")
            conn.execute("INSERT INTO t VALUES (?)", (b_secret if name == "b" else "a-public",))
        os.chmod(dbs[name], 0o644)
    limits = Limits(memory_mb=256, wall_s=30, cpu_s=10)
    runs: dict[str, dict] = {}

    def sample(own: str, other: str) -> None:
        run = run_oneshot(python_command(program) + [dbs[own], dbs[other]], stdin=f"query for {own}",
                          ro_files=[dbs[own], str(program)], limits=limits)
        runs[own] = {"exit": run.exit_code, "limit": run.limit, "stdout": run.stdout, "stderr": run.stderr[-500:]}

    threads = [threading.Thread(target=sample, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    hog = run_oneshot([sys.executable, "-I", "-c", HOG], limits=limits)
    shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({
        "uid": os.getuid(),
        "token": token,
        "b_secret": b_secret,
        "runs": runs,
        "hog": {"exit": hog.exit_code, "limit": hog.limit, "stdout": hog.stdout, "stderr": hog.stderr[-300:]},
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
