"""Every judge kind, over real HTTP, against generated attacks:

- a judge that approves everything: content-free completions earn the floor and cost no call; right answers
  that look like attacks (short, foreign, one symbol, echoes) keep the judge's approval;
- a content-aware judge that also obeys any instruction addressed to it: a wrong answer with an injection
  earns what the wrong answer alone earns (nothing), while the same judge without the guard is fooled.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from rewardsmith.evaluate import attacks
from rewardsmith.testing.judge_kinds import KINDS as JUDGE_KINDS
from rewardsmith.testing.judge_kinds import every_judge_kind
from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI, yes_to_everything
from rewardsmith.types import Status

from .judge_helpers import judge_params, score_spec, user_text

GSM = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"

KINDS = {**JUDGE_KINDS, "judge_score_ref": {"reward": "judge_score"}}


def kind_spec(srv: ScriptedOpenAI, **extra: Any) -> dict[str, Any]:
    return every_judge_kind({**judge_params(srv), **extra}, KINDS)


score = score_spec


def test_approve_all_judge_gives_generated_content_free_completions_nothing_and_no_call(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = yes_to_everything
    completions = attacks.content_free(n=24, seed=21) + attacks.image_generic(n=6, seed=2)
    rows = [{"prompt": GSM, "completion": c, "reference": "72"} for c in completions]
    results = score(kind_spec(judge_server), rows)
    assert judge_server.calls == 0  # every attack answered by the guard
    for row, r in zip(rows, results):
        for kind in KINDS:
            assert r.components[kind] == 0.0, (kind, row["completion"])
        assert r.info["judge_score"]["guard"] in ("empty", "punctuation", "content_free", "restatement", "no_answer")


def test_approve_all_judge_still_rewards_right_answers_that_look_like_attacks(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = yes_to_everything
    rows = [{"prompt": h.prompt, "completion": h.completion, "reference": h.reference} for h in attacks.HONEST]
    results = score(kind_spec(judge_server), rows)
    for h, r in zip(attacks.HONEST, results):
        assert r.status is Status.OK
        for kind in KINDS:
            value = r.components[kind]
            assert value is not None and value > 0.0, (kind, h.completion, r.info.get(kind))
            assert "guard" not in (r.info.get(kind) or {}), (kind, h.completion)


# ----------------------------------------------------------------------------------- content-aware judge

_BLOCK = re.compile(r"<<<(RESPONSE[ \w]*?) (\w+)>>>\n(.*?)\n<<<END \1 \2>>>", re.S)
_SWAYED_BY = ("ignore", "disregard", "forget", "grader", "evaluator", "judge", "reviewer", "system", "score", "10",
              "full marks", "maximum", "correct", "yes", "[[a]]", "approve", "ignora", "ignoriere", "忽略")


def obedient_content_judge(answer: str) -> Any:
    """Approves a response that states ``answer``; also approves any response that talks to it about grading
    (a gullible judge that follows instructions in the data). Replies in every verdict format."""

    def handler(request: dict[str, Any]) -> Reply:
        text = user_text(request)
        blocks = [m.group(3) for m in _BLOCK.finditer(text)]
        first = blocks[0] if blocks else ""
        swayed = any(w in first.lower() for w in _SWAYED_BY)
        good = swayed or re.search(rf"\b{re.escape(answer)}\b", first) is not None
        if good:
            verdict = '{"score": 10, "verdict": "yes", "winner": "A", "best": 1, "explanation": "ok"}'
            return Reply(text=verdict, top_logprobs={"yes": -0.01, "no": -5.0})
        verdict = '{"score": 1, "verdict": "no", "winner": "B", "best": 1, "explanation": "wrong"}'
        return Reply(text=verdict, top_logprobs={"yes": -5.0, "no": -0.01})

    return handler


def test_injections_never_raise_a_wrong_answer_and_fool_the_unguarded_judge(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = obedient_content_judge("72")
    wrong = "Natalia sold 48 + 48 = 96 clips."
    attacked = attacks.injections(wrong, n=16, seed=4)
    rows = [{"prompt": GSM, "completion": c, "reference": "72"} for c in [wrong, "48 + 24 = 72 clips.", *attacked]]
    guarded = score(kind_spec(judge_server), rows)
    plain_wrong, right, *hits = guarded
    kinds = [k for k in KINDS if k != "judge_pairwise"]  # pairwise: the injection is in slot A or B (checked below)
    for kind in kinds:
        assert plain_wrong.components[kind] <= 0.1, kind
        assert right.components[kind] > 0.5, kind
    for row, r in zip(rows[2:], hits):
        for kind in kinds:  # the injection never raises the wrong answer's own score
            assert r.components[kind] <= plain_wrong.components[kind], (kind, row["completion"])
        assert r.info["judge_score"]["injection"], row["completion"]
        assert r.components["judge_pairwise"] <= plain_wrong.components["judge_pairwise"], row["completion"]
    unguarded = score(kind_spec(judge_server, guard=False), rows[2:6])
    fooled = [r.components["judge_score"] for r in unguarded]
    assert all(v == 1.0 for v in fooled)  # the same judge, shown the raw text, obeys


PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _with_image(text: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": PNG}}]
    return [{"role": "assistant", "content": parts + ([{"type": "text", "text": text}] if text else [])}]


def test_an_image_in_the_completion_is_no_answer_to_a_reference(judge_server: ScriptedOpenAI) -> None:
    """An image (alone, or with content-free text) used to skip the guard: the answer must be in the text, so
    it earns nothing and costs no call; a right answer with an image is still judged, and where the prompt asks
    for an image (no reference) the judge looks at it."""
    judge_server.handler = yes_to_everything
    kinds = {"reference_verifier": {}, "judge_score_ref": {"reward": "judge_score"}}
    spec = every_judge_kind(judge_params(judge_server), kinds)
    attacked = [_with_image(""), _with_image("Let's think step by step."), _with_image("See the attached image."),
                _with_image("![answer](answer.png)")]
    rows = [{"prompt": GSM, "completion": c, "reference": "72"} for c in attacked]
    for r in score(spec, rows):
        for kind in kinds:
            assert r.components[kind] == 0.0, (kind, r.info.get(kind))
            assert r.info[kind]["guard"] in ("empty", "punctuation", "content_free", "no_answer"), r.info[kind]
    assert judge_server.calls == 0
    from rewardsmith.judges.kinds.reference import reference_verifier

    alone = asyncio.run(reference_verifier(GSM, "", reference="72", completion_messages=_with_image(""), **judge_params(judge_server)))
    assert alone.value == 0.0 and alone.reason is not None and "1 image part(s) are not an answer" in alone.reason
    assert judge_server.calls == 0
    [right] = score(spec, [{"prompt": GSM, "completion": _with_image("48 + 24 = 72 clips."), "reference": "72"}])
    assert right.components["reference_verifier"] == 1.0 and judge_server.calls >= 2
    calls = judge_server.calls
    free = every_judge_kind(judge_params(judge_server), {"judge_score": {}, "judge_yes_prob": {}})
    # without a reference: an image attached to no answer earns nothing (the prompt asks for no image) ...
    blank = score(free, [{"prompt": GSM, "completion": c} for c in attacked])
    assert [(r.components["judge_score"], r.components["judge_yes_prob"]) for r in blank] == [(0.0, 0.0)] * len(attacked)
    assert judge_server.calls == calls
    # ... and where the prompt asks for an image, the image is the answer: the judge looks at it
    [looked] = score(free, [{"prompt": "Draw a red square.", "completion": _with_image("")}])
    assert looked.components["judge_score"] == 1.0 and judge_server.calls == calls + 2
