"""Training monitors on a synthetic run with hacking injected at known steps."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from ev_cli import cli
from rewardsmith.evaluate import monitors

STEPS = 8


def _run_rows() -> dict[int, list[dict[str, Any]]]:
    """8 steps x 8 groups x 4 rows. Injected: judge says yes to everything from step 3; completions triple in
    length from step 4; every group loses its spread from step 5; a quarter of rows error at step 6."""
    rng = random.Random(7)
    out: dict[int, list[dict[str, Any]]] = {}
    for step in range(STEPS):
        rows = []
        for g in range(8):
            for k in range(4):
                correct = float((g + k) % 2) if step < 5 else float(g % 2)
                fmt = 0.0 if step >= 5 else rng.choice([0.0, 0.1])
                judge = correct if step < 3 else 1.0
                words = 20 if step < 4 else 60
                row: dict[str, Any] = {"prompt": f"q{g}", "group": f"s{step}g{g}", "completion": " ".join(["w"] * words),
                                       "reward": correct + fmt, "status": "ok",
                                       "components": {"correct": correct, "fmt": fmt, "judge": judge}, "reason": None}
                if step == 6 and k == 0:
                    row.update(reward=None, status="error", components={"correct": None, "fmt": None, "judge": None}, reason="timeout")
                rows.append(row)
        out[step] = rows
    return out


def _alarms(report: monitors.MonitorReport) -> dict[str, tuple[float, float | None]]:
    return {a.name: (a.start_step, a.end_step) for a in report.alarms}


CONFIG = dict(drift_z=0.8, judge="judge", verifier="correct", weights={"correct": 1.0, "fmt": 1.0, "judge": 0.0})


def _check(report: monitors.MonitorReport) -> None:
    assert [s.step for s in report.steps] == list(range(STEPS))
    s0, s6 = report.steps[0], report.steps[6]
    assert s0.rows == 32 and s0.length_mean == 20.0
    assert s0.zero_variance_share == 0.0
    assert s6.error_rate == pytest.approx(8 / 32)
    assert s0.disagreement == 0.0
    # from step 3 the judge passes everything; the verifier passes half the rows
    assert report.steps[3].disagreement == pytest.approx(0.5)
    alarms = _alarms(report)
    assert alarms["length_drift"] == (4.0, None)
    assert alarms["zero_variance_groups"] == (5.0, None)
    assert alarms["error_rate"] == (6.0, 6.0)
    assert alarms["judge_verifier_disagreement"] == (3.0, None)  # from step 5 half the groups are all correct: still 0.5
    assert alarms["drift:judge"][0] == 3.0
    assert alarms["dominance:correct"] == (0.0, None)  # weights leave the judge out of the reward
    assert "drift:correct" not in alarms


def test_monitor_per_step_files(tmp_path: Path) -> None:
    for step, rows in _run_rows().items():
        (tmp_path / f"step_{step:04d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = monitors.monitor([tmp_path], monitors.MonitorConfig(**CONFIG))  # type: ignore[arg-type]
    _check(report)


def test_monitor_step_column_and_cli(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with open(path, "w") as f:
        for step, rows in _run_rows().items():
            for r in rows:
                f.write(json.dumps({**r, "step": step}) + "\n")
    report = monitors.monitor([path], monitors.MonitorConfig(**CONFIG))  # type: ignore[arg-type]
    _check(report)
    out = tmp_path / "mon.json"
    proc = cli("monitor", str(path), "--drift-z", "0.8", "--judge", "judge", "--verifier", "correct", "--output", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    saved = json.loads(out.read_text())
    names = {a["name"]: a["start_step"] for a in saved["alarms"]}
    assert names["length_drift"] == 4.0 and names["error_rate"] == 6.0
    assert "alarms" in proc.stdout
