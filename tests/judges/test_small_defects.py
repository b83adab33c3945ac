"""Smaller judge defects, each pinned: verdict_match's format credit needs reasoning then verdict; `rewardsmith
check` fails on an unreachable judge URL; `rewardsmith list` shows bracketed text and the embedded judge's support.
(judge_vote's meta pick is tested with the other judge kinds in test_judge_http.py.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rewardsmith.testing.openai_server import ScriptedOpenAI, always
from rewardsmith.verifiers.verdict import verdict_match

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "250", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True, timeout=120, env=env, cwd=REPO)


@pytest.mark.parametrize(
    "judgment,fmt",
    [
        ("x [[A]]", 0.0),
        ("foo bar baz [[A]]", 0.0),  # words, but no reasoning about the responses
        ("[[A]] because Response A is more accurate than Response B.", 0.0),  # verdict first, reasoning after
        ("<think></think><answer>[[A]]</answer>", 0.0),
        ("<answer>[[A]]</answer> Response A cites the source, B does not.", 0.0),
        ("Response A cites the source and B does not. [[A]]", 1.0),
        ("<think>A computes 48 + 24 = 72; B stops at 48.</think>\n<answer>[[A]]</answer>", 1.0),
        ("Both responses add the numbers, but B drops the second term. Score A: 9\nScore B: 4", 1.0),
    ],
)
def test_verdict_match_format_needs_reasoning_then_verdict(judgment: str, fmt: float) -> None:
    r = verdict_match(judgment, "A>B", {})
    assert r.components["correct"] == 1.0
    assert r.components["format"] == fmt, judgment


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _spec_file(tmp_path: Path, base_url: str) -> Path:
    spec = {"name": "j", "components": [{"name": "q", "reward": "judge_score", "params": {"base_url": base_url, "model": "m"}}]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_check_fails_for_an_unreachable_judge_and_passes_for_a_live_one(tmp_path: Path) -> None:
    dead = cli("check", str(_spec_file(tmp_path, f"http://127.0.0.1:{_closed_port()}/v1")))
    assert dead.returncode == 1, dead.stdout + dead.stderr
    assert "not ok" in dead.stdout and "cannot be reached" in dead.stdout and "ConnectError" in dead.stdout
    with ScriptedOpenAI(always("{}")) as srv:
        live = cli("check", str(_spec_file(tmp_path, srv.base_url)))
    assert live.returncode == 0, live.stdout + live.stderr
    assert live.stdout.startswith("ok ") and "ERROR" not in live.stdout


def test_list_shows_bracketed_text_and_what_the_embedded_judge_supports() -> None:
    out = cli("list")
    assert out.returncode == 0, out.stderr
    assert "[scale_min, scale_max]" in out.stdout  # not swallowed as rich markup
    judge_line = next(line for line in out.stdout.splitlines() if line.startswith("│ judge_score "))
    assert "constrained verdict over the scale's labels" in judge_line
    assert "embedded judge (SmolLM2-135M-Instruct" in out.stdout and "math_equiv" in out.stdout
