"""Rubric judges.

``rubric``: weighted checkpoints (XpertBench, "Expert Level Tasks with Rubrics-Based Evaluation": 15-40
weighted checkpoints per task); each checkpoint judged separately or all in one call; per-checkpoint
verdicts in ``components``; reward = weighted share satisfied. Few-shot calibration exemplars (ShotJudge)
go into the prompt. The rubric comes from the spec (``rubric`` param), from the row (``metadata.rubric``),
or is generated once from the reference answer (``rubric_from: reference``).

``nugget_rubric``: nugget-as-rubric ("An Efficient Rubric-based Generative Verifier for Search-Augmented
LLMs"): a short-form reference is one rubric; a long-form reference is one rubric per information nugget;
reward = recall of supported nuggets.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import pydantic

from rewardsmith.images import image_digests
from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.parsing import VerdictParseError, json_objects, parse_checklist, parse_yes_no
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult


class Checkpoint(pydantic.BaseModel):
    """One rubric item: a verifiable statement and its weight (negative weights are penalties)."""

    model_config = pydantic.ConfigDict(extra="ignore")
    criterion: str = pydantic.Field(validation_alias=pydantic.AliasChoices("criterion", "text", "checkpoint", "description", "item"))
    weight: float = 1.0
    id: str | None = None


def as_checkpoints(raw: Any) -> list[Checkpoint]:
    """Checkpoints from a list of strings / dicts, or a dict ``{criterion: weight}``.

    >>> [(c.id, c.weight) for c in as_checkpoints(["cites a source", {"criterion": "is correct", "weight": 3}])]
    [('c1', 1.0), ('c2', 3.0)]
    """
    if isinstance(raw, dict) and not {"criterion", "text"} & set(raw):
        raw = [{"criterion": k, "weight": v} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise ValueError(f"a rubric is a list of checkpoints, got {type(raw).__name__}")
    out = []
    for i, item in enumerate(raw):
        cp = Checkpoint(criterion=item) if isinstance(item, str) else Checkpoint.model_validate(item)
        cp.id = cp.id or f"c{i + 1}"
        out.append(cp)
    return out


def weighted_share(checkpoints: list[Checkpoint], verdicts: list[bool]) -> float:
    """Σ w·pass over Σ positive w, clipped to [0, 1] (penalty checkpoints subtract).

    >>> weighted_share(as_checkpoints([{"criterion": "a", "weight": 3}, "b"]), [True, False])
    0.75
    """
    positive = sum(c.weight for c in checkpoints if c.weight > 0)
    if positive <= 0:
        raise ValueError("a rubric needs at least one checkpoint with a positive weight")
    got = sum(c.weight for c, v in zip(checkpoints, verdicts) if v)
    return min(1.0, max(0.0, got / positive))


def render_exemplars(exemplars: list[dict[str, Any]] | None) -> str:
    """Few-shot calibration examples (ShotJudge): graded responses shown before the one to judge."""
    if not exemplars:
        return ""
    shown = []
    for i, ex in enumerate(exemplars):
        verdict = {k: v for k, v in ex.items() if k not in ("response", "completion")}
        body = ex.get("response", ex.get("completion", ""))
        shown.append(f"Example {i + 1} response:\n{prompts.fenced(f'EXAMPLE {i + 1}', str(body))}\nCorrect grading: {json.dumps(verdict)}")
    return "Calibration examples, graded by experts:\n\n" + "\n\n".join(shown) + "\n\n"


async def check_items(
    call: JudgeCall, prompt: str, completion: str, items: list[str], mode: str, what: str, exemplars: str,
    prompt_messages: Any = None, completion_messages: Any = None,
) -> list[bool]:
    """One verdict per item: all in one call (``single``) or one call each (``separate``); the row's images
    (``prompt_messages`` / ``completion_messages``) go to every call. A local model answers item by item
    (a constrained yes/no each)."""
    shown = [("RESPONSE", completion_messages)]
    if mode == "single" and not call.constrained_only:
        text = prompts.checklist_prompt(prompt, completion, items, what, exemplars)
        reply = await call.ask(prompts.judge_messages(text, prompt_messages, shown), prefill='{"1": ')
        try:
            return parse_checklist(reply.text, len(items))
        except VerdictParseError:
            call.parse_failed()
            raise

    async def one(item: str) -> bool:
        text = prompts.single_check_prompt(prompt, completion, item, what, exemplars)
        reply = await call.ask(prompts.judge_messages(text, prompt_messages, shown), prefill='{"verdict": "', choices=("yes", "no"))
        try:
            return parse_yes_no(reply.text)
        except VerdictParseError:
            call.parse_failed()
            raise

    return list(await asyncio.gather(*(one(i) for i in items)))


_GENERATED: dict[str, list[Checkpoint]] = {}


async def generate_rubric(call: JudgeCall, prompt: str, reference: str, n: int, prompt_messages: Any = None) -> list[Checkpoint]:
    """A rubric written by the judge from the reference answer (once per process per question, its images and
    the reference)."""
    key = json.dumps([call.client.identity, prompt, image_digests(prompt_messages), reference, n])
    if key not in _GENERATED and call.constrained_only:
        raise VerdictParseError("a local judge chooses among fixed labels and cannot write a rubric (rubric_from: "
                                "reference): give the rubric in the spec or the row, or configure a judge server")
    if key not in _GENERATED:
        text = prompts.rubric_generation_prompt(prompt, reference, n)
        reply = await call.ask(prompts.judge_messages(text, prompt_messages))
        items = None
        for obj in reversed(json_objects(reply.text)):
            items = obj.get("rubric") if isinstance(obj, dict) else obj
            if isinstance(items, list) and items:
                break
        try:
            checkpoints = as_checkpoints(items)[:n] if isinstance(items, list) and items else []
        except (ValueError, pydantic.ValidationError):
            checkpoints = []
        if not checkpoints:
            call.parse_failed()
            raise VerdictParseError(f"no rubric in the judge's reply: {reply.text[:80]!r}")
        _GENERATED[key] = checkpoints
    return _GENERATED[key]


@reward("rubric", source="XpertBench: Expert Level Tasks with Rubrics-Based Evaluation (weighted checkpoints); ShotJudge exemplars", executor="async", timeout=600.0)
@with_judge_params
@judged
async def rubric(
    prompt: str,
    completion: str,
    reference: Any = None,
    metadata: dict[str, Any] | None = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    rubric: list[Any] | None = None,
    rubric_from: Literal["auto", "spec", "row", "reference"] = "auto",
    mode: Literal["single", "separate"] = "single",
    exemplars: list[dict[str, Any]] | None = None,
    max_checkpoints: int = 40,
    **judge: Any,
) -> RewardResult:
    """Weighted share of rubric checkpoints the completion satisfies; per-checkpoint verdicts in components.

    Source: XpertBench ("Expert Level Tasks with Rubrics-Based Evaluation"), weighted checkpoints per task;
    few-shot calibration exemplars as in ShotJudge. ``rubric_from: auto`` takes the spec's ``rubric``, else
    the row's ``metadata.rubric``, else generates one from the reference answer.

    >>> import asyncio
    >>> asyncio.run(rubric("Explain TCP.", "Let's solve this problem step by step.", rubric=["mentions handshakes"])).value
    0.0
    """
    call = JudgeCall(judge, "rubric")
    meta = metadata or {}
    source = rubric_from
    if source == "auto":
        source = "spec" if rubric else ("row" if meta.get("rubric") else "reference")
    if source == "spec":
        if not rubric:
            raise ValueError("rubric_from: spec needs the rubric param")
        checkpoints = as_checkpoints(rubric)
    elif source == "row":
        if not meta.get("rubric"):
            raise Abstain("the row has no metadata.rubric")
        checkpoints = as_checkpoints(meta["rubric"])
    else:
        checkpoints = []
    blocked = call.guard(completion, prompt, 0.0, reference, require_answer=source == "reference", completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    if source == "reference":
        if reference is None:
            raise Abstain("no rubric in the spec or row and no reference to generate one from")
        checkpoints = await generate_rubric(call, prompt, str(reference), max_checkpoints, prompt_messages)
    verdicts = await check_items(
        call, prompt, completion, [c.criterion for c in checkpoints], mode, "checkpoint", render_exemplars(exemplars),
        prompt_messages, completion_messages,
    )
    value = weighted_share(checkpoints, verdicts)
    components = {str(c.id): (1.0 if v else 0.0) for c, v in zip(checkpoints, verdicts)}
    return RewardResult.ok(value, components=components, info=call.info(rubric_from=source, checkpoints=len(checkpoints)))


@reward("nugget_rubric", source="An Efficient Rubric-based Generative Verifier for Search-Augmented LLMs (nugget-as-rubric)", executor="async", timeout=600.0)
@with_judge_params
@judged
async def nugget_rubric(
    prompt: str,
    completion: str,
    reference: Any = None,
    metadata: dict[str, Any] | None = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    nuggets: list[str] | None = None,
    mode: Literal["single", "separate"] = "separate",
    **judge: Any,
) -> RewardResult:
    """Recall of supported nuggets: short-form (one reference string) = one rubric; long-form = one per nugget.

    Source: "An Efficient Rubric-based Generative Verifier for Search-Augmented LLMs" (nugget-as-rubric).
    Nuggets come from the ``nuggets`` param, the row's ``metadata.nuggets``, or the reference (a string is
    one nugget, a list is one nugget each).

    >>> import asyncio
    >>> asyncio.run(nugget_rubric("Who wrote Hamlet?", "", reference="Shakespeare")).value
    0.0
    """
    call = JudgeCall(judge, "nugget_rubric")
    meta = metadata or {}
    raw = nuggets or meta.get("nuggets") or reference
    if raw is None or raw == [] or raw == "":
        raise Abstain("no nuggets (nuggets param, metadata.nuggets or reference)")
    items = [str(raw)] if isinstance(raw, (str, int, float)) else [str(x) for x in raw]
    blocked = call.guard(completion, prompt, 0.0, reference, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    rubrics = [f"The response states or clearly supports: {item}" for item in items]
    verdicts = await check_items(call, prompt, completion, rubrics, mode, "rubric", "", prompt_messages, completion_messages)
    recall = sum(verdicts) / len(verdicts)
    components = {f"n{i + 1}": (1.0 if v else 0.0) for i, v in enumerate(verdicts)}
    return RewardResult.ok(recall, components=components, info=call.info(nuggets=len(items), form="short" if len(items) == 1 else "long"))
