"""What a judge backend is: an async ``complete(JudgeRequest) -> JudgeReply`` plus a stable identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, Any]


@dataclass(frozen=True)
class JudgeRequest:
    """One judge call: chat ``messages`` (OpenAI shape, image parts allowed) and sampling settings."""

    messages: tuple[Message, ...]
    max_tokens: int = 512
    temperature: float = 0.0
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0
    seed: int | None = None
    #: the start of the judge's answer, forced on backends that can continue a prefix (local models);
    #: servers ignore it. It makes tiny models answer in the asked format ('{"score": ').
    prefill: str | None = None
    #: the fixed verdict labels that may follow the prefill ("1".."10", "yes"/"no", "A"/"B"/"tie"): backends
    #: that can score continuations (local models) choose among them, so a small model always gives a
    #: verdict; servers generate freely and ignore it
    choices: tuple[str, ...] | None = None

    def media_count(self) -> int:
        """How many non-text parts (images, audio ...) the messages carry."""
        return sum(
            1 for m in self.messages if isinstance(m.get("content"), list)
            for p in m["content"] if isinstance(p, dict) and p.get("type", "text") != "text"
        )

    def text_prompt(self) -> str:
        """The messages flattened for a completions endpoint (role-labelled, image parts dropped)."""
        from rewardsmith.types import content_text

        lines = [f"{m.get('role', 'user')}: {content_text(m.get('content'))}" for m in self.messages]
        return "\n\n".join(lines) + "\n\nassistant:"


@dataclass
class JudgeReply:
    """What the judge said: one text per sample, first-token top logprobs when asked, token usage."""

    texts: list[str]
    top_logprobs: list[dict[str, float]] | None = None  # per choice: first-token candidates -> logprob
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""
    backend: str = ""
    cost_usd: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


class JudgeHTTPError(Exception):
    """A judge call failed; ``status`` is the HTTP status (None for timeouts / connection errors)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500 or self.status == 408


class JudgeCannotSee(Exception):
    """The request carries images (or other media) and no configured judge backend can see them.

    ``abstain`` is the judge's policy (``on_unseen_images``); ``info`` says what was refused and by whom.
    """

    def __init__(self, message: str, *, abstain: bool = False, info: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.abstain = abstain
        self.info = dict(info or {})


class Backend(Protocol):
    """A judge backend. ``identity`` names it stably (it goes into cache keys and logs); ``sees_images``
    says whether it passes image parts to a model that reads them (a backend without it is taken as blind)."""

    identity: str
    sees_images: bool

    async def complete(self, request: JudgeRequest) -> JudgeReply: ...
