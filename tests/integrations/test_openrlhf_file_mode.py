"""OpenRLHF's file mode (``--reward.remote_url path/to/openrlhf.py``) on its first batch: OpenRLHF loads the
file with its own loader and calls ``reward_func`` from several threads at once; every call scores (the
registry and the engine are made once, under locks), in a fresh interpreter each time (the race is on the
first load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CODE = '''
import json, sys, threading
from openrlhf.utils.agent import SingleTurnAgentExecutor
import rewardsmith.integrations.openrlhf as m

executor = SingleTurnAgentExecutor(remote_rm_url=[m.__file__])   # OpenRLHF loads the file itself
barrier = threading.Barrier(4)
out, errors = [], []

def call():
    barrier.wait()
    try:
        r = executor.reward_func(["Q: 3*6?\\nA: 18", "Q: 3*6?\\nA: 17"], ["Q: 3*6?\\nA: ", "Q: 3*6?\\nA: "], ["#### 18", "#### 18"])
        out.append([float(x) for x in r["rewards"]])
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=call) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print("RESULT " + json.dumps({"out": out, "errors": errors}))
'''


def test_file_mode_first_batch_from_four_threads() -> None:
    pytest.importorskip("openrlhf")
    pytest.importorskip("torch")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               REWARDSMITH_NO_CACHE="1")
    env.pop("REWARDSMITH_SPEC", None)
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        result = json.loads(r.stdout.split("RESULT ", 1)[1])
        assert result["errors"] == []
        assert len(result["out"]) == 4 and all(x[0] > x[1] for x in result["out"])
        assert all(x == result["out"][0] for x in result["out"])
