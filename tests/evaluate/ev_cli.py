"""Run the ``rewardsmith`` CLI in a subprocess for the evaluate tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_DATA = REPO / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl"


def cli(*args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rewardsmith ARGS`` from the repo root, with the test helpers importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(Path(__file__).parent)]), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env)
