"""Fixtures of the evaluate tests: the demo's scored rows (default spec over the bundled GSM8K sample)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the ev_* helper modules and ev_toy_rewards

from ev_cli import DEMO_DATA, cli  # noqa: E402


@pytest.fixture(scope="session")
def demo_scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make demo` scores: default.yaml over the GSM8K sample (groups of 4, metadata.is_correct gold)."""
    out = tmp_path_factory.mktemp("demo") / "scored.jsonl"
    proc = cli("score", "default.yaml", "--input", str(DEMO_DATA), "--output", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out
