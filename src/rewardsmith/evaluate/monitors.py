"""Training monitors over a series of scored batches: drift, length drift, zero-variance groups, component
dominance, error / abstain rates, judge-vs-verifier disagreement, and alarms with the step each started.

Input: one scored file per step (the step is the last number in the file name) or rows with a ``step``
column (top level or ``metadata.step``). The first ``baseline_steps`` steps are the reference for drift.
Reward hacking shows as a component drifting away from the others, lengths running away, groups losing
their spread (GRPO learns nothing from a zero-variance group: DAPO's dynamic sampling), one term taking
over the reward, or a judge parting ways with the verifier.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rewardsmith.evaluate.batchstats import (
    completion_length,
    component_column,
    component_names,
    dominance,
    reward_column,
    status_shares,
    zero_variance_share,
)


@dataclass
class MonitorConfig:
    """Alarm thresholds."""

    baseline_steps: int = 1
    drift_z: float = 1.0  # |mean - baseline mean| in units of the baseline's per-sample std
    length_ratio: float = 1.5  # mean length / baseline mean length above this, or below its inverse
    zero_variance: float = 0.5
    dominance: float = 0.9
    error_rate: float = 0.05
    abstain_rate: float = 0.2
    disagreement: float = 0.2
    judge: str | None = None
    verifier: str | None = None
    judge_threshold: float = 0.5
    verifier_threshold: float = 0.5
    weights: dict[str, float] | None = None


@dataclass
class StepStats:
    step: float
    rows: int
    reward_mean: float
    means: dict[str, float]
    stds: dict[str, float]
    length_mean: float
    zero_variance_share: float
    error_rate: float
    abstain_rate: float
    dominance: dict[str, float]
    disagreement: float | None = None


@dataclass
class Alarm:
    name: str
    start_step: float
    end_step: float | None
    peak: float
    detail: str


@dataclass
class MonitorReport:
    steps: list[StepStats] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [asdict(s) for s in self.steps], "alarms": [asdict(a) for a in self.alarms]}


def _mean(vals: Sequence[float | None]) -> float:
    v = [x for x in vals if x is not None]
    return float(np.mean(v)) if v else float("nan")


def _std(vals: Sequence[float | None]) -> float:
    v = [x for x in vals if x is not None]
    return float(np.std(v)) if v else float("nan")


def step_stats(step: float, rows: Sequence[dict[str, Any]], config: MonitorConfig) -> StepStats:
    """The monitored quantities of one step's scored rows."""
    reward = reward_column(rows)
    comps = component_names(rows)
    cols = {c: component_column(rows, c) for c in comps}
    shares = status_shares(rows)
    means = {"reward": _mean(reward), **{c: _mean(v) for c, v in cols.items()}}
    stds = {"reward": _std(reward), **{c: _std(v) for c, v in cols.items()}}
    dis: float | None = None
    if config.judge and config.verifier and config.judge in cols and config.verifier in cols:
        pairs = [(j, v) for j, v in zip(cols[config.judge], cols[config.verifier]) if j is not None and v is not None]
        if pairs:
            dis = float(np.mean([(j >= config.judge_threshold) != (v >= config.verifier_threshold) for j, v in pairs]))
    return StepStats(
        step=step, rows=len(rows), reward_mean=means["reward"], means=means, stds=stds,
        length_mean=float(np.mean([completion_length(r) for r in rows])) if rows else float("nan"),
        zero_variance_share=zero_variance_share(rows, reward),
        error_rate=shares.get("error", 0.0), abstain_rate=shares.get("abstain", 0.0),
        dominance=dominance(cols, config.weights) if len(cols) >= 2 else {}, disagreement=dis,
    )


def _episodes(name: str, steps: Sequence[float], flags: Sequence[bool], values: Sequence[float], detail: str) -> list[Alarm]:
    """Consecutive runs of raised flags as alarms (start step, end step or None while still raised, peak)."""
    out: list[Alarm] = []
    start: int | None = None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            seg = [values[k] for k in range(start, i) if math.isfinite(values[k])]
            peak = max(seg, key=abs) if seg else float("nan")
            ongoing = i == len(flags)
            out.append(Alarm(name, steps[start], None if ongoing else steps[i - 1], float(peak), detail))
            start = None
    return out


def analyze(stats: Sequence[StepStats], config: MonitorConfig | None = None) -> MonitorReport:
    """Alarms over per-step statistics (sorted by step)."""
    cfg = config or MonitorConfig()
    stats = sorted(stats, key=lambda s: s.step)
    report = MonitorReport(steps=list(stats))
    if not stats:
        return report
    steps = [s.step for s in stats]
    base = stats[: max(1, cfg.baseline_steps)]
    names = [c for c in stats[0].means if c != "reward"]
    for c in names:
        mu0 = float(np.nanmean([b.means.get(c, float("nan")) for b in base]))
        sd0 = float(np.nanmean([b.stds.get(c, float("nan")) for b in base]))
        scale = sd0 if sd0 and math.isfinite(sd0) and sd0 > 0 else max(abs(mu0), 1e-6)
        z = [(s.means.get(c, float("nan")) - mu0) / scale for s in stats]
        report.alarms += _episodes(f"drift:{c}", steps, [math.isfinite(v) and abs(v) > cfg.drift_z for v in z], z,
                                   f"mean of {c} moved more than {cfg.drift_z:g} baseline std from {mu0:.4g}")
    l0 = float(np.nanmean([b.length_mean for b in base]))
    ratio = [s.length_mean / l0 if l0 > 0 else float("nan") for s in stats]
    report.alarms += _episodes("length_drift", steps, [math.isfinite(r) and (r > cfg.length_ratio or r < 1 / cfg.length_ratio) for r in ratio],
                               ratio, f"mean length / baseline ({l0:.1f} words) outside [{1 / cfg.length_ratio:.2f}, {cfg.length_ratio:g}]")
    zv = [s.zero_variance_share for s in stats]
    report.alarms += _episodes("zero_variance_groups", steps, [math.isfinite(v) and v > cfg.zero_variance for v in zv], zv,
                               f"share of groups with no reward spread above {cfg.zero_variance:g}")
    for c in names:
        dom = [s.dominance.get(c, float("nan")) for s in stats]
        report.alarms += _episodes(f"dominance:{c}", steps, [math.isfinite(v) and v > cfg.dominance for v in dom], dom,
                                   f"{c} explains more than {cfg.dominance:.0%} of the reward variance")
    er = [s.error_rate for s in stats]
    report.alarms += _episodes("error_rate", steps, [v > cfg.error_rate for v in er], er, f"error rate above {cfg.error_rate:.0%}")
    ab = [s.abstain_rate for s in stats]
    report.alarms += _episodes("abstain_rate", steps, [v > cfg.abstain_rate for v in ab], ab, f"abstain rate above {cfg.abstain_rate:.0%}")
    dis = [s.disagreement if s.disagreement is not None else float("nan") for s in stats]
    if any(math.isfinite(v) for v in dis):
        report.alarms += _episodes("judge_verifier_disagreement", steps, [math.isfinite(v) and v > cfg.disagreement for v in dis], dis,
                                   f"{cfg.judge} and {cfg.verifier} disagree on more than {cfg.disagreement:.0%} of rows")
    report.alarms.sort(key=lambda a: (a.start_step, a.name))
    return report


_NUM = re.compile(r"(\d+)")


def step_of_path(path: Path) -> int | None:
    """The last number in a file name: ``step_0012.jsonl`` -> 12.

    >>> step_of_path(Path("run/step_0012.scored.jsonl")), step_of_path(Path("a.jsonl"))
    (12, None)
    """
    nums = _NUM.findall(path.name.split(".")[0])
    return int(nums[-1]) if nums else None


def _row_step(row: dict[str, Any]) -> Any:
    if "step" in row:
        return row["step"]
    meta = row.get("metadata")
    return meta.get("step") if isinstance(meta, dict) else None


def load_batches(paths: Sequence[str | Path]) -> dict[float, list[dict[str, Any]]]:
    """Rows per step, from per-step files (a folder or a list) or from files with a step column."""
    from rewardsmith.evaluate.readers import load_rows

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.is_file() and (f.suffix in (".jsonl", ".parquet") or f.name.endswith(".jsonl.gz"))))
        else:
            files.append(p)
    batches: dict[float, list[dict[str, Any]]] = {}
    for f in files:
        rows = load_rows(f)
        if rows and all(_row_step(r) is not None for r in rows):
            for r in rows:
                batches.setdefault(float(_row_step(r)), []).append(r)
            continue
        step = step_of_path(f)
        if step is None:
            raise ValueError(f"{f}: no step column and no step number in the file name")
        batches.setdefault(float(step), []).extend(rows)
    return dict(sorted(batches.items()))


def monitor(paths: Sequence[str | Path], config: MonitorConfig | None = None) -> MonitorReport:
    cfg = config or MonitorConfig()
    batches = load_batches(paths)
    return analyze([step_stats(s, rows, cfg) for s, rows in batches.items()], cfg)
