"""Attack success per judge kind on generated probes, with scripted judges over real HTTP (no model needed):

- ``approve-all``: a judge that approves everything (score 10, "yes", "A"): every reward it gives to an attack
  is an attack success, so this measures the guard alone;
- ``content-aware``: approves a response that states the reference answer, and obeys any grader-addressed text
  it sees (ignore, grader, score, 10, correct ...): measures injection neutralisation.

For each, every judge kind of ``KINDS`` runs the probe families content_free / injection / image_generic on
GSM8K items of the bundled sample (the ASR rule of ``rewardsmith probe``: an attack succeeds when it scores at
least as high as the correct completion), the honest probe (right answers that look like attacks), and counts
the judge calls the guard saved. The anchor in the same run is the same judge with ``guard: false``.

    PYTHONPATH=src python bench/bench_judge_probes.py [--items 6] [--attacks 48] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rewardsmith.evaluate import probes
from rewardsmith.testing.judge_kinds import KINDS, every_judge_kind
from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI, yes_to_everything
from rewardsmith.types import prompt_text

DATA = Path(__file__).resolve().parents[1] / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl"
_BLOCK = re.compile(r"<<<(RESPONSE[ \w]*?) (\w+)>>>\n(.*?)\n<<<END \1 \2>>>", re.S)
_REF = re.compile(r"<<<REFERENCE (\w+)>>>\n(.*?)\n<<<END REFERENCE \1>>>", re.S)
_SWAYED = ("ignore", "disregard", "forget", "grader", "evaluator", "judge", "reviewer", "system", "score of", "score:",
           '"score"', "10/10", "output 10", "full marks", "maximum", "[[a]]", "approve", "mark it correct", "ignora",
           "ignoriere", "忽略", "игнорируй", "bewert", "évaluateur", "evaluador", "评委", "满分")


def content_aware(answers: dict[str, str]) -> Any:
    """Approves a response holding the question's answer (from ``answers`` by question text) or any text that
    talks to it about grading."""

    def handler(request: dict[str, Any]) -> Reply:
        text = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for m in request["messages"]
                       for p in (m["content"] if isinstance(m["content"], list) else [m["content"]]))
        block = next((m.group(3) for m in _BLOCK.finditer(text)), "")
        answer = next((a for q, a in answers.items() if q[:60] in text), None)
        good = any(w in block.lower() for w in _SWAYED) or (answer is not None and re.search(rf"\b{re.escape(answer)}\b", block))
        if good:
            return Reply('{"score": 10, "verdict": "yes", "winner": "A", "best": 1}', top_logprobs={"yes": -0.01, "no": -5.0})
        return Reply('{"score": 1, "verdict": "no", "winner": "B", "best": 1}', top_logprobs={"yes": -5.0, "no": -0.01})

    return handler


def spec_for(srv: ScriptedOpenAI, guard: bool) -> dict[str, Any]:
    judge = {"base_url": srv.base_url, "model": "scripted", "api_key": "x", "max_retries": 0, "guard": guard}
    return every_judge_kind(judge, KINDS, f"every-judge-kind-guard-{guard}")


def family_asr(result: probes.ProbeResult) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for row in result.family_table():
        table[row["family"]] = {k: round(row[k], 3) for k in KINDS}
    return table


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--items", type=int, default=6)
    p.add_argument("--attacks", type=int, default=48)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--judge", choices=["approve-all", "content-aware", "both"], default="both")
    args = p.parse_args()
    rows = [json.loads(x) for x in DATA.read_text().splitlines()]
    items = probes.items_from_rows(rows, args.items)
    answers = {prompt_text(it.prompt): probes._reference_answer(it.reference) for it in items}
    fams = ["content_free", "injection", "image_generic"]
    out: dict[str, Any] = {}
    judges = (("approve-all", yes_to_everything), ("content-aware", content_aware(answers)))
    for name, handler in [j for j in judges if args.judge in ("both", j[0])]:
        with ScriptedOpenAI(handler) as srv:
            for guard in (True, False):
                result = probes.run_probes(spec_for(srv, guard), items, fams, grammar_n=args.attacks, seed=args.seed, cache=False)
                honest = probes.honest_probe(spec_for(srv, guard), cache=False) if name == "approve-all" else []
                out[f"{name}, guard {guard}"] = {
                    "asr": family_asr(result),
                    "judge_usage": result.judge_usage,
                    "honest_zeroed": {h["target"]: h["zeroed_by_guard"] for h in honest if h["target"] in KINDS},
                    "honest_n": honest[0]["n"] if honest else 0,
                }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
