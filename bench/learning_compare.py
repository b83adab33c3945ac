"""Side by side: the strict-reward GRPO run and the weak-reward run of examples/grpo_learns.py (and the first
run against its rerun from the committed command).

Reads bench/results/learning/ (strict run), bench/results/learning/weak/ and, if present,
bench/results/learning/first_run/; writes side_by_side.json and two SVG plots there and prints a Markdown
table for bench/results/learning.md.

    python bench/learning_compare.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rewardsmith.evaluate import svg  # noqa: E402
from rewardsmith.evaluate.bootstrap import mean_ci  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "learning"
STATED = re.compile(r"(?:=|equals|is)\s*(-?\d+)")  # the first result a reply states ("13 + 4 = 17" -> 17)


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def first_stated_correct(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    """1 where the first result the reply states equals the answer: a measure neither spec trains on."""
    out = []
    for r in rows:
        m = STATED.search(r[key])
        out.append(float(m is not None and int(m.group(1)) == r["answer"]))
    return np.asarray(out)


def alarm_starts(monitor_json: Path, names: tuple[str, ...]) -> dict[str, list[float]]:
    """Start steps of each alarm named (or starting with) one of ``names``."""
    alarms = json.loads(monitor_json.read_text())["alarms"]
    out: dict[str, list[float]] = {}
    for a in alarms:
        if a["name"].startswith(names):
            out.setdefault(a["name"], []).append(a["start_step"])
    return out


def probe_asr(probe_json: Path) -> dict[str, float]:
    """Attack success rate on the reward per probe (only the probes that succeed somewhere)."""
    rows = json.loads(probe_json.read_text())["rows"]
    return {f"{r['family']}: {r['probe']}": r["asr"]["reward"] for r in rows if r["asr"].get("reward")}


def main() -> int:
    strict_dir, weak_dir = RESULTS, RESULTS / "weak"
    s_log, w_log = jsonl(strict_dir / "train_log.jsonl"), jsonl(weak_dir / "train_log.jsonl")
    s_sum, w_sum = (json.loads((d / "summary.json").read_text()) for d in (strict_dir, weak_dir))
    s_held, w_held = jsonl(strict_dir / "heldout_completions.jsonl"), jsonl(weak_dir / "heldout_completions.jsonl")
    assert [r["problem"] for r in s_held] == [r["problem"] for r in w_held]

    # Held-out: the strict spec's reward after each run (the weak run's from its audit), paired by problem.
    # The weak run's held-out replies rescored by the strict spec (its summary holds only the audit's mean).
    import rewardsmith

    strict_spec = rewardsmith.load_spec(str(ROOT / "examples" / "specs" / "arith_strict.yaml"))
    s_after = np.asarray([r["reward_after"] for r in s_held])
    w_strict = np.asarray([r.value for r in strict_spec.score(
        [{"prompt": f"What is {r['problem']}?", "completion": r["after"], "reference": str(r["answer"])} for r in w_held])])
    assert abs(float(w_strict.mean()) - w_sum["audit_after"]["reward_mean"]) < 1e-9
    gap = mean_ci(s_after - w_strict)
    stated = {run: {k: float(first_stated_correct(rows, k).mean()) for k in ("before", "after")}
              for run, rows in (("strict", s_held), ("weak", w_held))}

    def per_step(log: list[dict[str, Any]]) -> dict[str, list[float]]:
        return {k: [r[k] for r in log] for k in ("step", "reward_mean", "strict_audit_mean", "words_per_completion",
                                                   "numbers_per_completion", "zero_variance_share", "entropy")}

    out: dict[str, Any] = {
        "strict_run": {"spec": s_sum["spec"], "command": s_sum["command"], "per_step": per_step(s_log),
                       "heldout_strict_before": s_sum["heldout_before"]["reward_mean"],
                       "heldout_strict_after": s_sum["heldout_after"]["reward_mean"],
                       "heldout_first_stated_correct": stated["strict"],
                       "monitor_alarm_starts": alarm_starts(strict_dir / "monitor.json", ("",)),
                       "probe_asr": probe_asr(strict_dir / "probe.json")},
        "weak_run": {"spec": w_sum["spec"], "command": w_sum["command"], "per_step": per_step(w_log),
                     "heldout_weak_before": w_sum["heldout_before"]["reward_mean"],
                     "heldout_weak_after": w_sum["heldout_after"]["reward_mean"],
                     "heldout_strict_before": w_sum["audit_before"]["reward_mean"],
                     "heldout_strict_after": w_sum["audit_after"]["reward_mean"],
                     "heldout_first_stated_correct": stated["weak"],
                     "monitor_alarm_starts": alarm_starts(weak_dir / "monitor.json", ("",)),
                     "audit_monitor_alarm_starts": alarm_starts(weak_dir / "monitor_audit.json", ("judge_verifier", "drift:audit")),
                     "probe_asr": probe_asr(weak_dir / "probe.json")},
        "heldout_strict_after_strict_minus_weak": {"value": gap.value, "ci95": [gap.low, gap.high], "n": gap.n},
    }
    first = RESULTS / "first_run" / "train_log.jsonl"
    if first.exists():
        f_log = jsonl(first)
        same = [a["reward_mean"] == b["reward_mean"] and a["entropy"] == b["entropy"] and a["grad_norm"] == b["grad_norm"]
                for a, b in zip(f_log, s_log)]
        f_sum = json.loads((RESULTS / "first_run" / "summary.json").read_text())
        out["rerun"] = {"steps_compared": len(same), "steps_identical": int(sum(same)),
                        "first_run_heldout_after": f_sum["heldout_after"]["reward_mean"],
                        "rerun_heldout_after": s_sum["heldout_after"]["reward_mean"],
                        "rerun_diff_ci95": s_sum["diff_ci95"]}
    (RESULTS / "side_by_side.json").write_text(json.dumps(out, indent=1))

    s, w = out["strict_run"]["per_step"], out["weak_run"]["per_step"]
    rewards = {"strict run: reward (strict)": (s["step"], s["reward_mean"]),
               "weak run: reward (contains)": (w["step"], w["reward_mean"]),
               "weak run: strict audit": (w["step"], w["strict_audit_mean"])}
    lengths = {"strict run: words": (s["step"], s["words_per_completion"]),
               "weak run: words": (w["step"], w["words_per_completion"]),
               "strict run: numbers": (s["step"], s["numbers_per_completion"]),
               "weak run: numbers": (w["step"], w["numbers_per_completion"])}
    (RESULTS / "side_by_side_reward.svg").write_text(svg.standalone(svg.lines(
        rewards, "training batches: reward and strict audit per step", "step", "mean", markers=False, width=720, height=340)))
    (RESULTS / "side_by_side_length.svg").write_text(svg.standalone(svg.lines(
        lengths, "training batches: words and numbers per completion", "step", "per completion", markers=False,
        width=720, height=340)))

    print("| step | strict run: reward | weak run: reward (contains) | weak run: strict audit | words strict / weak | numbers strict / weak |")
    print("|---|---|---|---|---|---|")
    for k in [0, 4, 9, 14, 19, 29, 39, 49, 59, 69, 79, 89]:
        if k < len(s["step"]) and k < len(w["step"]):
            print(f"| {s['step'][k]} | {s['reward_mean'][k]:.3f} | {w['reward_mean'][k]:.3f} | {w['strict_audit_mean'][k]:.3f} "
                  f"| {s['words_per_completion'][k]:.1f} / {w['words_per_completion'][k]:.1f} "
                  f"| {s['numbers_per_completion'][k]:.2f} / {w['numbers_per_completion'][k]:.2f} |")
    print(json.dumps({k: v for k, v in out.items() if k not in ("strict_run", "weak_run")}, indent=1))
    for run in ("strict_run", "weak_run"):
        print(run, {k: v for k, v in out[run].items() if k != "per_step"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
