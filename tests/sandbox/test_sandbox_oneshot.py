"""One-shot runs (``sandbox/oneshot.py``: SQL against a database file) have the properties of code
programs, as root and as an unprivileged user: a program uid in a user namespace, no variable of the
host's environment (the token included), no /proc, no other sample's files, private empty scratch and
/dev/shm, no capabilities, the seccomp filter, memory bounded for the run. ``oneshot_probe.py`` runs two
samples at once, each trying to read the other's database, plus a memory hog; the unprivileged half
drops to ``nobody`` with ``setpriv`` (``rewardsmith.testing.unprivileged``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewardsmith.sandbox.zygote import INSIDE_ID
from rewardsmith.testing import unprivileged

HERE = Path(__file__).resolve().parent
PROBE = HERE / "oneshot_probe.py"
REPO = HERE.parents[1]
CHILD_ENV_NAMES = ["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "TMPDIR"]


def run_probe(as_nobody: bool) -> dict:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "HOME": "/tmp"}
    argv = [sys.executable, str(PROBE)]
    if as_nobody:
        argv = unprivileged.as_nobody(argv, env)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, cwd="/")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, out.stderr[-3000:]
    return json.loads(lines[-1])


def check(report: dict) -> None:
    token, secret = report["token"], report["b_secret"]
    assert sorted(report["runs"]) == ["a", "b"]
    for name, run in report["runs"].items():
        assert (run["exit"], run["limit"]) == (0, None), run
        seen = json.loads(run["stdout"])
        assert seen["uid"] == INSIDE_ID
        assert sorted(seen["env"]) == CHILD_ENV_NAMES
        assert seen["stdin"] == f"query for {name}"
        assert seen["proc_1_environ"] == seen["proc_self_environ"] == "refused: PermissionError"
        assert seen["other_db"] == seen["other_dir"] == "refused: FileNotFoundError"  # the other sample's database
        assert seen["scratch_before"] == seen["shm_before"] == []  # nothing left by the other sample
        # bound read-only: EACCES for a file of another uid (as root), EROFS for one of its own (as nobody)
        assert seen["write_own_db"] in ("refused: PermissionError", "refused: OSError")
        assert seen["rows"] == ([[secret]] if name == "b" else [["a-public"]])
        assert seen["unshare_user"] == [-1, 1]  # seccomp: EPERM
        assert seen["cap_effective"] == [0, 0]
        assert token not in run["stdout"] + run["stderr"]
    assert secret not in json.dumps(report["runs"]["a"])
    assert report["hog"]["limit"] == "memory" and report["hog"]["stdout"] == "", report["hog"]


def test_oneshot_as_the_current_user(bwrap_path: str) -> None:
    report = run_probe(as_nobody=False)
    assert report["uid"] == os.getuid()
    check(report)


@pytest.mark.skipif(not unprivileged.available(),
                    reason="dropping to nobody needs root, setpriv and unshare (the current-user half covers an unprivileged run)")
def test_oneshot_as_nobody(bwrap_path: str) -> None:
    report = run_probe(as_nobody=True)
    assert report["uid"] == unprivileged.NOBODY_UID
    check(report)
