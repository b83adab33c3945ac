"""How a judge kind calls its judge: the guard first, then one operated call, failures as ``error`` results.

``judged`` wraps a judge kind so that ``JudgeHTTPError`` (reason carries the HTTP status),
``BudgetExhausted`` and ``VerdictParseError`` become ``error`` results with a reason — never a zero — and
``JudgeCannotSee`` (images for a text-only judge) an ``error``, or an ``abstain`` under
``on_unseen_images: abstain``, with what was refused in ``info``.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Awaitable, Callable

from rewardsmith.images import media_parts
from rewardsmith.judges import prompts
from rewardsmith.judges.backends.base import JudgeCannotSee, JudgeHTTPError, JudgeReply, JudgeRequest
from rewardsmith.judges.config import JudgeConfig
from rewardsmith.judges.guard import asks_for_image, check_content
from rewardsmith.judges.operations import BudgetExhausted, JudgeClient, client_for_params
from rewardsmith.judges.parsing import VerdictParseError
from rewardsmith.types import RewardResult, Status


class JudgeCall:
    """The judge of one reward call: config, client, and the usage of the calls made for this sample."""

    def __init__(self, judge_params: dict[str, Any], kind: str | None = None) -> None:
        self.kind = kind
        self.client: JudgeClient = client_for_params(judge_params)
        self.config: JudgeConfig = self.client.config
        self.replies: list[JudgeReply] = []
        self.injection: tuple[str, ...] = ()
        prompts.NEUTRALIZE.set(self.config.guard)  # responses lose grader-addressed sentences unless the guard is off

    async def ask(
        self,
        msgs: tuple[dict[str, Any], ...],
        *,
        max_tokens: int | None = None,
        n: int = 1,
        temperature: float | None = None,
        logprobs: bool = False,
        top_logprobs: int = 0,
        seed: int | None = None,
        prefill: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> JudgeReply:
        c = self.config
        request = JudgeRequest(
            messages=msgs,
            max_tokens=max_tokens or c.max_tokens,
            temperature=c.temperature if temperature is None else temperature,
            n=n,
            logprobs=logprobs,
            top_logprobs=top_logprobs,
            seed=c.seed if seed is None else seed,
            prefill=prefill,
            choices=choices,
        )
        reply = await self.client.ask(request)
        self.replies.append(reply)
        return reply

    def guard(
        self,
        completion: str,
        prompt: str | None,
        floor: float,
        reference: Any = None,
        *,
        require_answer: bool | None = None,
        completion_messages: Any = None,
    ) -> RewardResult | None:
        """The floor result (no call made) when the completion has no answer to judge and the guard is on.

        ``reference``: the row's reference (a completion that is the reference is never blocked); with
        ``require_answer`` (default: a reference is given) an answer of the reference's kind must be there.
        Sentences addressed to the grader are recorded (``info["injection"]``); the prompt builders cut them
        out of what the judge sees (``prompts.fenced``). Images in a completion are its answer only where the
        prompt asks for an image and no reference answer is required (``asks_for_image``): then the judge looks at
        them (a blind judge refuses them). Elsewhere the answer must be in the text: an image attached to no
        answer earns the floor (text drawn in it is an instruction the guard cannot read, and a reference cannot
        be compared with it).
        """
        if not self.config.guard:
            return None
        need = reference is not None if require_answer is None else require_answer
        media = len(media_parts(completion_messages))
        if media and not need and asks_for_image(prompt):
            return None
        verdict = check_content(completion, prompt, reference, require_answer=need)
        if media and verdict.blocked:
            why = "not an answer to compare with the reference" if need else "not an answer: the prompt does not ask for an image"
            verdict = replace(verdict, reason=f"{verdict.reason}; its {media} image part(s) are {why}")
        self.injection = verdict.injection
        if not verdict.blocked:
            return None
        self.client.ledger.add(guarded=1)
        info: dict[str, Any] = {"guard": verdict.kind}
        if verdict.injection:
            info["injection"] = list(verdict.injection)
        return RewardResult.ok(floor, reason=f"guard: {verdict.reason} (no judge call)", info=info)

    @property
    def constrained_only(self) -> bool:
        """The judge is a local model that answers by choosing among fixed labels (no free-form verdicts)."""
        from rewardsmith.judges.backends.local import LocalBackend

        return isinstance(self.client.backends[0], LocalBackend)

    def parse_failed(self) -> None:
        self.client.ledger.add(parse_failures=1)

    def info(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "judge": self.client.identity,
            "calls": len(self.replies),
            "prompt_tokens": sum(r.prompt_tokens for r in self.replies),
            "completion_tokens": sum(r.completion_tokens for r in self.replies),
        }
        cost = sum(r.cost_usd for r in self.replies)
        if cost:
            out["cost_usd"] = round(cost, 8)
        retries = sum(int(r.info.get("retries", 0)) for r in self.replies)
        if retries:
            out["retries"] = retries
        if any(r.info.get("fallback") for r in self.replies):
            out["fallback"] = max(int(r.info.get("fallback", 0)) for r in self.replies)
        if self.injection:
            out["injection"] = list(self.injection)
        if self.client.identity.startswith("embedded:"):
            from rewardsmith.judges.backends.local import EMBEDDED_QUALITY, EMBEDDED_SUPPORT

            support = EMBEDDED_SUPPORT.get(self.kind or "", "")
            out["embedded_judge"] = f"{support}; {EMBEDDED_QUALITY}" if support else EMBEDDED_QUALITY
        if any(r.info.get("constrained") for r in self.replies):
            out["verdict"] = "constrained to fixed labels"
            if len(self.replies) == 1:  # the label distribution of the one verdict (the judge's confidence)
                out["label_probs"] = self.replies[0].info["label_probs"]
                out["label_logprobs"] = self.replies[0].info["label_logprobs"]
        out.update(extra)
        return out


def judged(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Judge failures -> ``error`` results naming the cause (HTTP status, budget, unparseable verdict)."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except JudgeHTTPError as exc:
            return RewardResult.error(str(exc) if "HTTP" in str(exc) or exc.status is None else f"judge HTTP {exc.status}: {exc}")
        except BudgetExhausted as exc:
            return RewardResult.error(str(exc))
        except VerdictParseError as exc:
            return RewardResult.error(f"judge verdict unparseable: {exc}")
        except JudgeCannotSee as exc:
            status = Status.ABSTAIN if exc.abstain else Status.ERROR
            return RewardResult(status, None, {}, str(exc), None, exc.info)

    return wrapper
