"""Score every hack of ``catalog.py`` (each followed by an honest solution in the same worker) and print
one JSON line per hack. Run as the user under test: the suite's test starts it as root and, through
``setpriv``, as ``nobody``. ``REWARDSMITH_TOKEN`` is set to a fresh secret before the sandbox starts;
the "read_host_token" task expects exactly that secret as its output.

Usage: ``python tests/execution/hacks/run_hacks.py [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import secrets
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from catalog import CLEAN_CHECK, HACKS, HONEST  # noqa: E402

DATA = Path(os.environ.get("REWARDSMITH_SHARED_DATA", HERE.parents[3] / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")
LIMITS = {"wall_s": 4.0, "cpu_s": 3.0, "memory_mb": 512, "test_timeout_s": 1.0}


def references(token: str) -> dict[str, dict]:
    rows = {}
    with gzip.open(DATA / "humaneval" / "HumanEval.jsonl.gz", "rt") as f:
        for line in f:
            row = json.loads(line)
            rows[row["task_id"]] = {"tests": row["test"], "entry_point": row["entry_point"], "prefix": row["prompt"]}
    rows["sum"] = {"cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}]}
    rows["token"] = {"cases": [{"input": "", "output": token}]}
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    token = "tok-" + secrets.token_hex(16)
    os.environ["REWARDSMITH_TOKEN"] = token
    from rewardsmith.execution.code_tests import code_tests
    from rewardsmith.sandbox import get_sandbox

    # never anything but the isolating backend: several hacks signal every process they can reach
    box = get_sandbox("bwrap", workers=1)  # one worker: each hack's follower runs right after it, in the same worker
    refs = references(token)
    hacks = [h for h in HACKS if args.only is None or h.name in args.only]
    completions, references_ = [], []
    for h in hacks:
        follow = h.task if h.task != "token" else "sum"
        completions += [h.code, HONEST[follow] + CLEAN_CHECK]
        references_ += [refs[h.task], refs[follow]]
    started = time.monotonic()
    results = code_tests(completions, references_, fence_language="", **LIMITS, backend="bwrap")
    for i, h in enumerate(hacks):
        hack, follower = results[2 * i], results[2 * i + 1]
        text = json.dumps(hack.to_fields() if hasattr(hack, "to_fields") else {}) + json.dumps(follower.info)
        print(json.dumps({
            "name": h.name, "category": h.category, "task": h.task, "expected": h.value,
            "status": hack.status.value, "value": hack.value, "reason": hack.reason[:160],
            "limit": hack.info.get("limit"), "mode": hack.info.get("verdict_mode"),
            "follower_status": follower.status.value, "follower_value": follower.value, "follower_reason": follower.reason[:160],
            "token_leaked": token in text,
        }), flush=True)
    print(json.dumps({"uid": os.getuid(), "seconds": round(time.monotonic() - started, 1), "restarts": box.restarts,
                      "memory": box.memory_bound}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
