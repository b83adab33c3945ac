"""Every judge kind with the params it needs to run against a scripted judge that answers every verdict format
(``testing.openai_server.yes_to_everything``): the spec that attack tests and probe benchmarks use.

>>> spec = every_judge_kind({"base_url": "http://127.0.0.1:1/v1", "model": "m"})
>>> [c["reward"] for c in spec["components"]][:3]
['judge_score', 'reference_verifier', 'judge_yes_prob']
"""

from __future__ import annotations

from typing import Any

#: component name -> params beyond the judge's own (a "reward" key names the kind when it differs from the name)
KINDS: dict[str, dict[str, Any]] = {
    "judge_score": {},
    "reference_verifier": {},
    "judge_yes_prob": {},
    "judge_vote": {"k": 2},
    "judge_pairwise": {"baseline": "I do not know."},
    "principle": {"principle": "Give the correct answer.", "scale_max": 10},
    "rubric": {"rubric": ["states the right total"], "mode": "separate"},
    "nugget_rubric": {},
    "milestones": {"milestones": ["gives a final answer"], "mode": "separate"},
    "self_judge": {"scale_max": 10},
}


def every_judge_kind(judge: dict[str, Any], kinds: dict[str, dict[str, Any]] | None = None, name: str = "every-judge-kind") -> dict[str, Any]:
    """A spec with one optional component per judge kind, each with ``judge`` params (base_url, model, guard ...)."""
    comps = []
    for comp, params in (kinds if kinds is not None else KINDS).items():
        params = dict(params)
        reward = params.pop("reward", comp)
        comps.append({"name": comp, "reward": reward, "weight": 1.0, "required": False, "params": {**judge, **params}})
    return {"name": name, "components": comps}
