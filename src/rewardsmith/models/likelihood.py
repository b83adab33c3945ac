"""Likelihood rewards from token log-probs of a causal LM (one shared, batched log-prob service).

All run per batch on a thread: the samples of a batch go to the model together, and the completions of
one prompt share the prompt's KV cache (see ``logprobs.py``). ``model`` is a local folder / ``.gguf`` file
(transformers) or an OpenAI-compatible base URL whose ``/completions`` returns prompt log-probs (vLLM).
The prompt is read as plain text followed by a newline (``prompt_prefix``); chat templates are not applied.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Literal

from rewardsmith.models.logprobs import LPRequest, LPResult, LogProbBackend, Overlong, check_same_vocab, logprob_service
from rewardsmith.params import PositiveInt
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult, Step

LikelihoodForm = Literal["logprob", "mean_logprob", "prob", "mean_prob"]


def prompt_prefix(prompt: str) -> str:
    """The prompt as the shared prefix: its text, then a newline unless it already ends in whitespace.

    >>> prompt_prefix("2+2?"), prompt_prefix("Q: 2+2?\\n"), prompt_prefix("")
    ('2+2?\\n', 'Q: 2+2?\\n', '')
    """
    if not prompt or prompt[-1:].isspace():
        return prompt
    return prompt + "\n"


def likelihood_value(logprobs: list[float], form: LikelihoodForm) -> float:
    """Sum / mean of token log-probs, the sequence probability (VeriFree) or the mean token probability (RLPR).

    >>> lp = [math.log(0.5), math.log(0.25)]
    >>> [round(likelihood_value(lp, f), 4) for f in ("logprob", "mean_logprob", "prob", "mean_prob")]
    [-2.0794, -1.0397, 0.125, 0.375]
    """
    if not logprobs:
        raise ValueError("no tokens to score")
    if form == "logprob":
        return float(sum(logprobs))
    if form == "mean_logprob":
        return float(sum(logprobs) / len(logprobs))
    if form == "prob":
        return math.exp(sum(logprobs))
    if form == "mean_prob":
        return sum(math.exp(v) for v in logprobs) / len(logprobs)
    raise ValueError(f"unknown form {form!r}")


def first_reference(reference: Any) -> str | None:
    """The reference answer as text: a string, or the first string of a list.

    >>> first_reference(["12", "twelve"]), first_reference(7), first_reference(None)
    ('12', '7', None)
    """
    if reference is None:
        return None
    if isinstance(reference, (list, tuple)):
        return next((str(r) for r in reference if r is not None), None)
    return str(reference)


def _service(model: str, device: str, dtype: str, batch_size: int, prefix_reuse: bool, max_length: int | None,
             overlong: Overlong, remote_model: str | None, tokenizer: str | None = None) -> LogProbBackend:
    return logprob_service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model,
                           tokenizer=tokenizer)


def _results(
    groups: list[list[LPResult]], build: Callable[[list[LPResult]], RewardResult], empty: str | None = None
) -> list[RewardResult]:
    """One result per group of scored requests: the first request error as an error result, an abstain with
    ``empty`` when the group's first request scored no target token, else ``build(group)``."""
    out: list[RewardResult] = []
    for group in groups:
        failed = next((r.error for r in group if r.error is not None), None)
        if failed is not None:
            out.append(RewardResult.error(failed))
        elif empty is not None and not group[0].target_logprobs:
            out.append(RewardResult.abstain(empty))
        else:
            out.append(build(group))
    return out


_SRC_LIKELIHOOD = "Likelihood-Based Reward Designs for General LLM Reasoning (2025); VeriFree (Zhou et al. 2025); RLPR (Yu et al. 2025)"


@reward("ref_logprob", source=_SRC_LIKELIHOOD, per="batch", executor="thread", timeout=600.0)
def ref_logprob(
    prompts: list[str],
    completions: list[str],
    references: list[Any],
    model: str,
    form: LikelihoodForm = "logprob",
    answer_prefix: str = "\nAnswer: ",
    cut_answer_at: str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
    remote_model: str | None = None,
    tokenizer: str | None = None,
) -> list[RewardResult]:
    """Log-probability of the reference answer after prompt + chain of thought + ``answer_prefix``.

    ``form``: ``logprob`` (sum; the form that works in every setting in "Likelihood-Based Reward Designs
    for General LLM Reasoning"), ``mean_logprob``, ``prob`` (VeriFree's sequence probability) or ``mean_prob``
    (RLPR's mean token probability). ``cut_answer_at``: drop the completion from the first occurrence of this
    text (e.g. ``<answer>``), so the policy's own answer is replaced by the reference. No reference: abstain.
    With a server URL as ``model``, ``tokenizer`` (the served model's tokenizer folder) makes the server score
    exactly the tokens the local backend scores (token-id prompts).

    >>> ref_logprob(["q"], ["a"], [None], model="/unused")
    [RewardResult(status=<Status.ABSTAIN: 'abstain'>, value=None, components={}, reason='no reference answer', step_values=None, info={})]
    """
    refs = [first_reference(r) for r in references]
    todo = [i for i, r in enumerate(refs) if r]
    out: list[RewardResult] = [RewardResult.abstain("no reference answer")] * len(prompts)
    if not todo:
        return out
    svc = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model, tokenizer)
    reqs = []
    for i in todo:
        cot = completions[i]
        if cut_answer_at and cut_answer_at in cot:
            cot = cot[: cot.index(cut_answer_at)]
        reqs.append(LPRequest(prompt_prefix(prompts[i]), cot + answer_prefix, str(refs[i])))

    def build(group: list[LPResult]) -> RewardResult:
        r = group[0]
        comps = {"logprob": r.total, "mean_logprob": r.mean, "tokens": float(len(r.target_logprobs))}
        return RewardResult.ok(likelihood_value(r.target_logprobs, form), comps, r.reason)

    for i, res in zip(todo, _results([[r] for r in svc.score(reqs)], build, "the reference answer has no tokens")):
        out[i] = res
    return out


@reward("self_aligned", source="Self-Aligned Reward (SAR): relative perplexity difference (2025)", per="batch",
        executor="thread", timeout=600.0)
def self_aligned(
    prompts: list[str],
    completions: list[str],
    model: str,
    clip: float | None = 1.0,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
    remote_model: str | None = None,
    tokenizer: str | None = None,
) -> list[RewardResult]:
    """SAR: ``(ppl(a) - ppl(a | q)) / ppl(a)``, how much the query lowers the answer's perplexity ("Self-Aligned
    Reward"). An answer that only makes sense for this query scores high; generic text scores near 0.
    ``clip`` bounds the value to [-clip, clip] (None: unbounded below).

    >>> self_aligned([], [], model="/unused")
    []
    """
    if not prompts:
        return []
    svc = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model, tokenizer)
    cond = [LPRequest(prompt_prefix(p), "", c) for p, c in zip(prompts, completions)]
    alone = [LPRequest("", "", c) for c in completions]
    scored = svc.score(cond + alone)
    n = len(prompts)

    def build(group: list[LPResult]) -> RewardResult:
        rc, ra = group
        ppl_cond, ppl_alone = math.exp(-rc.mean), math.exp(-ra.mean)
        value = (ppl_alone - ppl_cond) / ppl_alone
        if clip is not None:
            value = max(-clip, min(clip, value))
        return RewardResult.ok(value, {"ppl_conditioned": ppl_cond, "ppl_alone": ppl_alone}, rc.reason)

    return _results([[scored[i], scored[n + i]] for i in range(n)], build, "empty completion")


DEFAULT_POSITIVE = ["Thank you, that is exactly what I needed.", "Great answer, that is correct."]
DEFAULT_NEGATIVE = ["That is wrong.", "That does not answer my question."]


@reward("followup_likelihood", source="Zhang et al. 2025, 'Aligning Language Models Using Follow-up Likelihood as Reward Signal' (FLR)",
        per="batch", executor="thread", timeout=600.0)
def followup_likelihood(
    prompts: list[str],
    completions: list[str],
    model: str,
    positive: list[str] | None = None,
    negative: list[str] | None = None,
    followup_prefix: str = "\nUser: ",
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
    remote_model: str | None = None,
    tokenizer: str | None = None,
) -> list[RewardResult]:
    """FLR: mean per-token log-likelihood of positive follow-up utterances after the response, minus that of
    negative ones ("Aligning Language Models Using Follow-up Likelihood as Reward Signal"). ``negative: []``
    gives the positive likelihood alone.

    >>> followup_likelihood(["q"], ["a"], model="/unused", positive=[])
    Traceback (most recent call last):
    ...
    ValueError: followup_likelihood needs at least one positive follow-up
    """
    pos = DEFAULT_POSITIVE if positive is None else positive
    neg = DEFAULT_NEGATIVE if negative is None else negative
    if not pos:
        raise ValueError("followup_likelihood needs at least one positive follow-up")
    svc = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model, tokenizer)
    follow = pos + neg
    reqs = [LPRequest(prompt_prefix(p), c + followup_prefix, f) for p, c in zip(prompts, completions) for f in follow]
    scored = svc.score(reqs)

    def build(mine: list[LPResult]) -> RewardResult:
        p_mean = sum(r.mean for r in mine[: len(pos)]) / len(pos)
        n_mean = sum(r.mean for r in mine[len(pos) :]) / len(neg) if neg else 0.0
        comps = {"positive": p_mean, "negative": n_mean if neg else None}
        return RewardResult.ok(p_mean - n_mean, comps, mine[0].reason)

    return _results([scored[i * len(follow) : (i + 1) * len(follow)] for i in range(len(prompts))], build)


@reward("self_certainty", source="Kang et al. 2025, 'Scalable Best-of-N Selection for Large Language Models via Self-Certainty'",
        per="batch", executor="thread", timeout=600.0)
def self_certainty(
    prompts: list[str],
    completions: list[str],
    model: str,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
) -> list[RewardResult]:
    """Self-certainty: KL(uniform || p) of the next-token distribution, averaged over the response tokens
    (Kang et al. 2025); higher = more confident, used for best-of-N selection. Needs a local model.

    >>> self_certainty([], [], model="/unused")
    []
    """
    if not prompts:
        return []
    svc = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, None)
    scored = svc.score([LPRequest(prompt_prefix(p), "", c) for p, c in zip(prompts, completions)], certainty=True)

    def build(group: list[LPResult]) -> RewardResult:
        r = group[0]
        cert = r.certainty or []
        if not cert:
            return RewardResult.error("the log-prob backend returned no self-certainty values")
        return RewardResult.ok(sum(cert) / len(cert), {"mean_logprob": r.mean}, r.reason)

    return _results([[r] for r in scored], build, "empty completion")


@reward("density_ratio", source="Xu et al. 2024, Dr.SoW: density ratio of a strong over a weak LM (CDR)", per="batch",
        executor="thread", timeout=600.0)
def density_ratio(
    prompts: list[str],
    completions: list[str],
    model: str,
    weak_model: str,
    form: Literal["sum", "mean"] = "sum",
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
) -> list[RewardResult]:
    """Contrastive density ratio ``log p_strong(y|x) - log p_weak(y|x)`` (Dr.SoW / CDR); ``form: mean`` divides
    by the token count. Both models must share a tokenizer (else a clear vocabulary error).

    >>> density_ratio([], [], model="/unused", weak_model="/unused")
    []
    """
    if not prompts:
        return []
    strong = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, None)
    weak = _service(weak_model, device, dtype, batch_size, prefix_reuse, max_length, overlong, None)
    check_same_vocab(strong, weak)
    reqs = [LPRequest(prompt_prefix(p), "", c) for p, c in zip(prompts, completions)]

    def build(group: list[LPResult]) -> RewardResult:
        rs, rw = group
        diff = rs.total - rw.total
        value = diff / len(rs.target_logprobs) if form == "mean" else diff
        return RewardResult.ok(value, {"strong": rs.total, "weak": rw.total}, rs.reason)

    return _results([[rs, rw] for rs, rw in zip(strong.score(reqs), weak.score(reqs))], build, "empty completion")


@reward("info_gain", source="IGPO: Information Gain-based Policy Optimization for multi-turn agents (Wang et al. 2025)",
        per="batch", executor="thread", timeout=600.0)
def info_gain(
    prompts: list[str],
    completions: list[str],
    references: list[Any],
    steps_list: list[list[Step] | None],
    model: str,
    form: LikelihoodForm = "mean_prob",
    answer_prefix: str = "\nAnswer: ",
    aggregate: Literal["sum", "mean"] = "sum",
    split: str = "double_newline",
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
    remote_model: str | None = None,
    tokenizer: str | None = None,
) -> list[RewardResult]:
    """IGPO turn rewards: the gain, turn by turn, in the model's probability of the ground-truth answer
    (teacher-forced after the turns so far + ``answer_prefix``). ``step_values`` holds one gain per turn;
    the value is their sum (= final minus initial probability) or mean. Turns: the row's ``steps``
    (content + observation), else the completion split by ``split``.

    >>> info_gain(["q"], ["a"], [None], [None], model="/unused")[0].status.value
    'abstain'
    """
    from rewardsmith.process.steps import steps_of

    out: list[RewardResult] = [RewardResult.abstain("no reference answer")] * len(prompts)
    plans: list[tuple[int, int, int]] = []  # (sample, first request, number of requests)
    reqs: list[LPRequest] = []
    for i, (p, c, ref, steps) in enumerate(zip(prompts, completions, references, steps_list)):
        answer = first_reference(ref)
        if not answer:
            continue
        if steps:
            turns = [s.content + (f"\n{s.observation}" if s.observation else "") for s in steps]
        else:
            turns = steps_of(c, None, split)  # type: ignore[arg-type]
        if not turns:
            out[i] = RewardResult.abstain("no turns")
            continue
        plans.append((i, len(reqs), len(turns) + 1))
        for t in range(len(turns) + 1):
            reqs.append(LPRequest(prompt_prefix(p), "\n\n".join(turns[:t]) + answer_prefix, answer))
    if not reqs:
        return out
    svc = _service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model, tokenizer)
    scored = svc.score(reqs)

    def build(mine: list[LPResult]) -> RewardResult:
        probs = [likelihood_value(r.target_logprobs, form) for r in mine]
        gains = [b - a for a, b in zip(probs, probs[1:])]
        value = sum(gains) if aggregate == "sum" else sum(gains) / len(gains)
        return RewardResult.ok(value, {"p_initial": probs[0], "p_final": probs[-1]}, mine[0].reason, step_values=gains)

    for (i, _, _), res in zip(plans, _results([scored[a : a + n] for _, a, n in plans], build)):
        out[i] = res
    return out
