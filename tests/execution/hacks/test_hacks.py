"""The hacking suite (``catalog.py``) as root and as an unprivileged user: every hack gets exactly its
expected outcome (``ok`` and its value, 0.0 for all but the constant-equivalent ones), the honest
program that follows it in the same worker still gets 1.0, no worker dies, the host's token never
shows up anywhere.

The unprivileged half drops to ``nobody`` with ``setpriv`` (CI runs as root; ``rewardsmith.testing.unprivileged``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rewardsmith.testing import unprivileged
from tests.execution.hacks.catalog import HACKS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
RUNNER = HERE / "run_hacks.py"


def run_suite(as_nobody: bool) -> tuple[list[dict], dict]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "HOME": "/tmp"}
    if "REWARDSMITH_SHARED_DATA" in os.environ:
        env["REWARDSMITH_SHARED_DATA"] = os.environ["REWARDSMITH_SHARED_DATA"]
    argv = [sys.executable, str(RUNNER)]
    if as_nobody:
        argv = unprivileged.as_nobody(argv, env)
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
    rows, summary = run_suite(as_nobody=False)
    assert summary["uid"] == os.getuid()
    check_outcomes(rows, summary)


@pytest.mark.skipif(not unprivileged.available(),
                    reason="dropping to nobody needs root, setpriv and unshare (the current-user half covers an unprivileged run)")
def test_hacks_as_nobody() -> None:
    rows, summary = run_suite(as_nobody=True)
    assert summary["uid"] == unprivileged.NOBODY_UID
    assert summary["memory"].startswith("per process only")  # no cgroup without root: said, not hidden
    check_outcomes(rows, summary)
