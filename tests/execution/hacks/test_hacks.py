"""The hacking suite (``catalog.py``) as root and as an unprivileged user: every hack gets exactly its
expected outcome (``ok`` and its value, 0.0 for all but the constant-equivalent ones), the honest
program that follows it in the same worker still gets 1.0, no worker dies, the host's token never
shows up anywhere.

The unprivileged half drops to ``nobody`` with ``setpriv`` (CI runs as root). When the interpreter lives
under a folder ``nobody`` cannot enter (e.g. /root/.pyenv), the run gets a private mount namespace in
which only that interpreter's tree is visible at its path (everything else of that folder is hidden).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.execution.hacks.catalog import HACKS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
RUNNER = HERE / "run_hacks.py"


def _blocked_for_others(path: str) -> str | None:
    """The first ancestor of ``path`` that other users cannot enter, if any."""
    for parent in reversed(Path(path).parents):
        if str(parent) != "/" and not os.stat(parent).st_mode & 0o001:
            return str(parent)
    return None


def as_nobody(argv: list[str], env: dict[str, str]) -> list[str]:
    """``argv`` run as nobody (root only), with the interpreter made reachable when it is not."""
    roots = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)})
    script = ["set -e"]
    for n, root in enumerate(roots):
        blocked = _blocked_for_others(root)
        if blocked is None:
            continue
        view = f"/tmp/rewardsmith-view-{os.getpid()}-{n}"
        script += [f"mkdir -p {view}", f"mount --bind {root} {view}", f"mount -t tmpfs -o mode=0755 tmpfs {blocked}",
                   f"mkdir -p {root}", f"mount --move {view} {root}", f"rmdir {view}"]
    envs = [f"{k}={v}" for k, v in env.items()]
    script.append('exec setpriv --reuid=nobody --regid=nogroup --clear-groups env -i "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script), "sh", *envs, *argv]


def run_suite(unprivileged: bool) -> tuple[list[dict], dict]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "HOME": "/tmp"}
    if "REWARDSMITH_SHARED_DATA" in os.environ:
        env["REWARDSMITH_SHARED_DATA"] = os.environ["REWARDSMITH_SHARED_DATA"]
    argv = [sys.executable, str(RUNNER)]
    if unprivileged:
        argv = as_nobody(argv, env)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, cwd="/")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines and "uid" in lines[-1], out.stderr[-3000:]
    return lines[:-1], lines[-1]


def check_outcomes(rows: list[dict], summary: dict) -> None:
    expected = {h.name: h.value for h in HACKS}
    assert sorted(r["name"] for r in rows) == sorted(expected)
    wrong = [
        (r["name"], r["status"], r["value"], r["reason"], r["follower_value"], r["follower_reason"])
        for r in rows
        if not (r["status"] == "ok" and r["value"] == expected[r["name"]] and r["follower_status"] == "ok"
                and r["follower_value"] == 1.0 and not r["token_leaked"])
    ]
    assert wrong == []
    assert summary["restarts"] == 0


def test_the_catalog_has_at_least_forty_hacks_in_every_category() -> None:
    assert len(HACKS) >= 40
    cats = {h.category for h in HACKS}
    assert {"issue", "types", "patch", "discovery", "signals", "exit", "threads", "files", "limits", "isolation"} <= cats


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_hacks_as_the_current_user() -> None:
    rows, summary = run_suite(unprivileged=False)
    assert summary["uid"] == os.getuid()
    check_outcomes(rows, summary)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("unshare") is None,
                    reason="dropping to nobody needs root, setpriv and unshare (the current-user half covers an unprivileged run)")
def test_hacks_as_nobody() -> None:
    rows, summary = run_suite(unprivileged=True)
    assert summary["uid"] == 65534
    assert summary["memory"].startswith("per process only")  # no cgroup without root: said, not hidden
    check_outcomes(rows, summary)
