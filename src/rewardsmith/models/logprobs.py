"""One batched token log-prob service for every likelihood reward, local (transformers) or remote.

A request is ``(prefix, body, target)``: the model reads prefix + body + target and the service returns
the log-probability of every body and target token. Requests that share a prefix (the n completions of
one GRPO group share the prompt) run the prefix once; its KV cache is repeated across the batch of
continuations (``prefix_reuse``), so a group of 8 pays for the prompt once instead of 8 times.

The prefix is tokenised alone (no special tokens; a start token in front of an empty prefix), which is
what makes it shareable; body and target are tokenised as one text and split where the target starts, a
token that reaches into the target counting as a target token (so " Paris" is scored after "Answer:",
never "Paris" after a lone space token). The remote backend sends the joined text to an OpenAI-compatible
``/completions`` endpoint with ``echo`` and ``logprobs`` (vLLM; its own prefix cache does the reuse) and
splits the server's tokens by the same rule, or sends the token ids made here (``tokenizer``).
"""

from __future__ import annotations

import copy
import functools
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rewardsmith.models.batching import length_buckets, padding_aware_batches, token_budget
from rewardsmith.models.loading import LoadedModel, is_remote, load_model, load_tokenizer

Overlong = Literal["truncate", "error"]


class OverlongError(ValueError):
    """Body + target do not fit the context window even with the prefix cut away."""


class VocabMismatchError(ValueError):
    """Two models that must share a tokenizer (policy / reference, strong / weak) do not."""


@dataclass(frozen=True, slots=True)
class LPRequest:
    """Score ``target`` (and ``body``) after ``prefix``."""

    prefix: str
    body: str
    target: str


@dataclass
class LPResult:
    """Per-token log-probs of the body and the target; ``certainty``: per target token KL(uniform || p)."""

    body_logprobs: list[float] = field(default_factory=list)
    target_logprobs: list[float] = field(default_factory=list)
    target_offsets: list[tuple[int, int]] = field(default_factory=list)
    certainty: list[float] | None = None
    reason: str | None = None
    error: str | None = None

    @property
    def total(self) -> float:
        """Sum of the target's token log-probs."""
        return float(sum(self.target_logprobs))

    @property
    def mean(self) -> float:
        """Mean target token log-prob (0 tokens: nan)."""
        return self.total / len(self.target_logprobs) if self.target_logprobs else math.nan


class LogProbBackend(Protocol):
    name: str

    def score(self, requests: list[LPRequest], certainty: bool = False) -> list[LPResult]: ...


def start_token(tokenizer: Any) -> int:
    """The token an empty prefix starts with: BOS, else EOS (GPT-2's convention), else CLS, else PAD."""
    for attr in ("bos_token_id", "eos_token_id", "cls_token_id", "pad_token_id"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    raise ValueError("the tokenizer has no BOS/EOS/CLS/PAD token to start an empty prefix with")


@dataclass
class _Prepared:
    prefix: tuple[int, ...]
    body: list[int]
    target: list[int]
    offsets: list[tuple[int, int]]
    reason: str | None = None


def split_body_target(tokenizer: Any, body: str, target: str) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Token ids of ``body + target`` tokenised as one text (no special tokens), split where the target
    starts: every token that reaches into the target is a target token, so the target is scored with the
    tokens a model reads in running text (" Paris" after "Answer:"), never after a lone space token that
    tokenising the pieces apart would leave at the end of the body. Also the target tokens' character
    offsets, relative to the target. A tokenizer without offsets (a slow one) tokenises the pieces apart."""
    if not target:
        return (list(tokenizer(body, add_special_tokens=False)["input_ids"]) if body else []), [], []
    try:
        enc = tokenizer(body + target, add_special_tokens=False, return_offsets_mapping=True)
    except (NotImplementedError, ValueError, TypeError):
        enc = None
    if enc is None or "offset_mapping" not in enc:
        alone = tokenizer(target, add_special_tokens=False, return_offsets_mapping=False)
        ids = list(alone["input_ids"])
        return (list(tokenizer(body, add_special_tokens=False)["input_ids"]) if body else []), ids, []
    ids, spans = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    cut = len(body)
    first = next((k for k, (_, end) in enumerate(spans) if end > cut), len(ids))
    offsets = [(max(0, a - cut), end - cut) for a, end in spans[first:]]
    return ids[:first], ids[first:], offsets  # type: ignore[return-value]


def prepare_request(tokenizer: Any, r: LPRequest, max_length: int | None, overlong: Overlong) -> _Prepared:
    """Token ids of a request: the prefix alone (no special tokens; a start token in front of an empty
    prefix), so requests that share it share its KV cache; body and target as one text, split by
    ``split_body_target``. The prefix is cut from the left to fit ``max_length`` (or OverlongError)."""

    def encode(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    prefix = encode(r.prefix) or [start_token(tokenizer)]
    body, target, offsets = split_body_target(tokenizer, r.body, r.target)
    rest = len(body) + len(target)
    reason = None
    if max_length is not None and len(prefix) + rest > max_length:
        if overlong == "error" or rest + 1 > max_length:
            raise OverlongError(
                f"{len(prefix) + rest} tokens do not fit the context window of {max_length}"
                + (" (overlong: error)" if overlong == "error" else " even with the prompt cut")
            )
        keep = max_length - rest
        reason = f"prompt cut from {len(prefix)} to {keep} tokens to fit {max_length}"
        prefix = prefix[-keep:]
    return _Prepared(tuple(prefix), body, target, offsets, reason)  # type: ignore[arg-type]


class TransformersLogProbs:
    """Local causal LM scoring with shared-prefix KV reuse (or plain recompute, for comparison)."""

    name = "transformers"

    def __init__(
        self,
        loaded: LoadedModel,
        batch_size: int = 16,
        max_tokens: int | None = None,
        prefix_reuse: bool = True,
        max_length: int | None = None,
        overlong: Overlong = "truncate",
    ) -> None:
        self.loaded = loaded
        self.batch_size = batch_size
        self.max_tokens = token_budget(str(loaded.device), max_tokens)
        self.prefix_reuse = prefix_reuse
        self.max_length = min(max_length or loaded.max_length, loaded.max_length)
        self.overlong = overlong
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> Any:
        return self.loaded.tokenizer

    def vocab_size(self) -> int:
        return int(self.loaded.model.get_output_embeddings().weight.shape[0])

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def _prepare(self, r: LPRequest) -> _Prepared:
        return prepare_request(self.tokenizer, r, self.max_length, self.overlong)

    def score(self, requests: list[LPRequest], certainty: bool = False) -> list[LPResult]:
        results: list[LPResult | None] = [None] * len(requests)
        prepared: dict[int, _Prepared] = {}
        for i, r in enumerate(requests):
            try:
                prepared[i] = self._prepare(r)
            except (OverlongError, ValueError) as exc:
                results[i] = LPResult(error=str(exc))
        with self._lock:
            if self.prefix_reuse:
                by_prefix: dict[tuple[int, ...], list[int]] = {}
                for i, p in prepared.items():
                    by_prefix.setdefault(p.prefix, []).append(i)
                for prefix, members in by_prefix.items():
                    self._score_shared(prefix, members, prepared, results, certainty)
            else:
                self._score_full(list(prepared), prepared, results, certainty)
        return [r if r is not None else LPResult(error="internal: not scored") for r in results]

    # ------------------------------------------------------------------------------------------ compute

    def _finish(self, p: _Prepared, logps: Any, logits_rows: Any, certainty: bool) -> LPResult:
        """``logps``: log-probs of the body+target tokens; ``logits_rows``: the rows that predicted them."""
        import torch

        nb = len(p.body)
        values = logps.tolist()
        cert = None
        if certainty and p.target:
            rows = torch.log_softmax(logits_rows[nb:].float(), dim=-1)
            vocab = rows.shape[-1]
            cert = (-math.log(vocab) - rows.mean(dim=-1)).tolist()
        return LPResult(values[:nb], values[nb:], p.offsets, cert, p.reason)

    def _score_full(
        self, idx: list[int], prepared: dict[int, _Prepared], results: list[LPResult | None], certainty: bool
    ) -> None:
        import torch

        model, dev = self.loaded.model, self.loaded.device
        seqs = {i: list(prepared[i].prefix) + prepared[i].body + prepared[i].target for i in idx}
        for bucket in length_buckets([len(seqs[i]) for i in idx], self.batch_size, self.max_tokens):
            batch = [idx[j] for j in bucket]
            width = max(len(seqs[i]) for i in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : len(seqs[i])] = torch.tensor(seqs[i])
                mask[row, : len(seqs[i])] = 1
            with torch.inference_mode():
                logits = model(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits.float()
            for row, i in enumerate(batch):
                p = prepared[i]
                start, n = len(p.prefix), len(p.body) + len(p.target)
                pred = logits[row, start - 1 : start - 1 + n]
                tok = ids[row, start : start + n].to(pred.device)
                logps = torch.log_softmax(pred, dim=-1).gather(-1, tok[:, None])[:, 0]
                results[i] = self._finish(p, logps, pred, certainty)

    def _score_shared(
        self,
        prefix: tuple[int, ...],
        members: list[int],
        prepared: dict[int, _Prepared],
        results: list[LPResult | None],
        certainty: bool,
    ) -> None:
        import torch

        model, dev = self.loaded.model, self.loaded.device
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([list(prefix)], device=dev), use_cache=True, **_last_logits_only(model))
        cache, last = out.past_key_values, out.logits[0, -1].float()
        P = len(prefix)
        rests = {i: prepared[i].body + prepared[i].target for i in members}
        empty = [i for i in members if not rests[i]]
        for i in empty:
            results[i] = LPResult([], [], [], [] if certainty else None, prepared[i].reason)
        todo = [i for i in members if rests[i]]
        most = min(self.batch_size, max(1, self.max_tokens // (P + 1)))
        for bucket in padding_aware_batches([len(rests[i]) for i in todo], most):
            batch = [todo[j] for j in bucket]
            width = max(len(rests[i]) for i in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), P + width), dtype=torch.long)
            mask[:, :P] = 1
            for row, i in enumerate(batch):
                ids[row, : len(rests[i])] = torch.tensor(rests[i])
                mask[row, P : P + len(rests[i])] = 1
            expanded = copy.deepcopy(cache)
            expanded.batch_repeat_interleave(len(batch))
            with torch.inference_mode():
                logits = model(
                    input_ids=ids.to(dev), attention_mask=mask.to(dev), past_key_values=expanded, use_cache=True
                ).logits.float()
            for row, i in enumerate(batch):
                n = len(rests[i])
                pred = torch.cat([last[None], logits[row, : n - 1]], dim=0)
                tok = ids[row, :n].to(pred.device)
                logps = torch.log_softmax(pred, dim=-1).gather(-1, tok[:, None])[:, 0]
                results[i] = self._finish(prepared[i], logps, pred, certainty)


@functools.lru_cache(maxsize=None)
def _takes_logits_to_keep(cls: type) -> bool:
    import inspect

    return "logits_to_keep" in inspect.signature(cls.forward).parameters


def _last_logits_only(model: Any) -> dict[str, int]:
    """``{"logits_to_keep": 1}`` where the model's forward takes it: the prefix pass needs only the logits of
    its last position, and the LM head over every prompt position would otherwise cost more than the body
    (vocab x hidden per token)."""
    return {"logits_to_keep": 1} if _takes_logits_to_keep(type(model)) else {}


class OpenAILogProbs:
    """Prompt log-probs from an OpenAI-compatible ``/completions`` server (``echo: true``, ``logprobs``).

    With the served model's ``tokenizer`` the request is tokenised here exactly as the local backend does it
    and sent as token ids (vLLM accepts them), so both backends score the same target tokens. Without one,
    the joined text is sent and the server's tokens are split by ``text_offset`` with the local rule (a token
    that reaches into the target is a target token); the two agree wherever the server tokenises the
    prompt's end as the local tokenizer does alone (it ends in a newline).
    KL-to-uniform needs the whole distribution, which such servers do not return: ``certainty`` is an error.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model_name: str = "default",
        timeout: float = 120.0,
        batch_size: int = 32,
        tokenizer: Any | None = None,
        max_length: int | None = None,
        overlong: Overlong = "truncate",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model_name
        self.timeout = timeout
        self.batch_size = batch_size
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.overlong = overlong

    def score(self, requests: list[LPRequest], certainty: bool = False) -> list[LPResult]:
        if certainty:
            return [LPResult(error="self-certainty needs full next-token distributions: use a local model")] * len(requests)
        if self.tokenizer is not None:
            return self._score_ids(requests)
        out: list[LPResult] = []
        for j in range(0, len(requests), self.batch_size):
            chunk = requests[j : j + self.batch_size]
            blocks = self._echo([r.prefix + r.body + r.target for r in chunk])
            if isinstance(blocks, str):
                out.extend([LPResult(error=blocks)] * len(chunk))
            else:
                out.extend(_from_echo(r, lp) for r, lp in zip(chunk, blocks))
        return out

    def _echo(self, prompts: list[str] | list[list[int]]) -> list[dict[str, Any]] | str:
        """The echoed prompt log-prob block of each prompt (texts or token ids), in order; or an error."""
        import httpx

        url = self.base_url + "/completions"
        body = {"model": self.model_name, "prompt": prompts, "max_tokens": 1, "temperature": 0.0, "echo": True, "logprobs": 1}
        try:
            response = httpx.post(url, json=body, timeout=self.timeout)
            response.raise_for_status()
            choices = sorted(response.json()["choices"], key=lambda c: c.get("index", 0))
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            return f"log-prob server {url}: {type(exc).__name__}: {exc}"
        if len(choices) != len(prompts):
            return f"log-prob server {url} returned {len(choices)} choices for {len(prompts)} prompts"
        return [c.get("logprobs") or {} for c in choices]

    def _score_ids(self, requests: list[LPRequest]) -> list[LPResult]:
        """Token-id prompts: the log-probs at the body and target positions, by position."""
        out: list[LPResult | None] = [None] * len(requests)
        prepared: dict[int, _Prepared] = {}
        for i, r in enumerate(requests):
            try:
                prepared[i] = prepare_request(self.tokenizer, r, self.max_length, self.overlong)
            except (OverlongError, ValueError) as exc:
                out[i] = LPResult(error=str(exc))
        order = list(prepared)
        for j in range(0, len(order), self.batch_size):
            chunk = order[j : j + self.batch_size]
            blocks = self._echo([list(prepared[i].prefix) + prepared[i].body + prepared[i].target for i in chunk])
            for n, i in enumerate(chunk):
                out[i] = LPResult(error=blocks) if isinstance(blocks, str) else _by_position(prepared[i], blocks[n])
        return [r if r is not None else LPResult(error="internal: not scored") for r in out]


def _by_position(p: _Prepared, lp: dict[str, Any]) -> LPResult:
    """Body and target log-probs of a token-id prompt, read at their positions."""
    values = lp.get("token_logprobs") or []
    start, nb, nt = len(p.prefix), len(p.body), len(p.target)
    scored = values[start : start + nb + nt]
    if len(scored) != nb + nt or any(v is None for v in scored):
        return LPResult(error=f"log-prob server returned {len(values)} prompt log-probs for {start + nb + nt} tokens")
    floats = [float(v) for v in scored]
    return LPResult(floats[:nb], floats[nb:], p.offsets, None, p.reason)


def _from_echo(r: LPRequest, lp: dict[str, Any]) -> LPResult:
    """Split an echoed prompt's token log-probs into body and target by character offset: a token that
    reaches into the target is a target token (as ``split_body_target`` splits locally).

    >>> lp = {"text_offset": [0, 2, 7], "token_logprobs": [None, -1.0, -0.5], "tokens": ["Q:", " blue", " sky"]}
    >>> res = _from_echo(LPRequest("Q:", " blu", "e sky"), lp)
    >>> res.body_logprobs, res.target_logprobs, res.target_offsets
    ([], [-1.0, -0.5], [(0, 1), (1, 5)])
    """
    offsets = lp.get("text_offset") or []
    values = lp.get("token_logprobs") or []
    tokens = lp.get("tokens") or []
    a, b, end = len(r.prefix), len(r.prefix) + len(r.body), len(r.prefix) + len(r.body) + len(r.target)
    res = LPResult()
    n = min(len(offsets), len(values), len(tokens))
    for k in range(n):
        off, value = offsets[k], values[k]
        stop = offsets[k + 1] if k + 1 < n else off + len(tokens[k])
        if off < a or off >= end:
            continue
        if value is None:
            res.error = "server gave no log-prob for a scored token (the first token of the text?)"
            return res
        if stop <= b:
            res.body_logprobs.append(float(value))
        else:
            res.target_logprobs.append(float(value))
            res.target_offsets.append((max(0, off - b), min(stop, end) - b))
    return res


_SERVICES: dict[tuple[Any, ...], LogProbBackend] = {}
_SERVICES_LOCK = threading.Lock()


def logprob_service(
    model: str,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: int = 16,
    prefix_reuse: bool = True,
    max_length: int | None = None,
    overlong: Overlong = "truncate",
    remote_model: str | None = None,
    timeout: float = 120.0,
    tokenizer: str | None = None,
) -> LogProbBackend:
    """The shared service for ``model`` (a local folder / .gguf file, or an OpenAI-compatible base URL; with
    ``tokenizer``, the served model's tokenizer folder, a server is sent token ids)."""
    key = (model, device, dtype, batch_size, prefix_reuse, max_length, overlong, remote_model, tokenizer)
    with _SERVICES_LOCK:
        if key not in _SERVICES:
            if is_remote(model):
                tok = load_tokenizer(tokenizer) if tokenizer else None
                _SERVICES[key] = OpenAILogProbs(model, remote_model or "default", timeout, batch_size, tok, max_length, overlong)
            else:
                loaded = load_model(model, "causal_lm", device, dtype)
                _SERVICES[key] = TransformersLogProbs(loaded, batch_size, None, prefix_reuse, max_length, overlong)
        return _SERVICES[key]


def check_same_vocab(a: LogProbBackend, b: LogProbBackend, probe: str = "The answer is 42.") -> None:
    """Raise VocabMismatchError unless two local backends tokenise alike and share a vocabulary size."""
    if not isinstance(a, TransformersLogProbs) or not isinstance(b, TransformersLogProbs):
        return
    va, vb = len(a.tokenizer), len(b.tokenizer)
    ids_a, ids_b = a._encode(probe), b._encode(probe)
    if va != vb or ids_a != ids_b:
        raise VocabMismatchError(
            f"models {a.loaded.path!r} and {b.loaded.path!r} do not share a tokenizer "
            f"(vocab {va} vs {vb}; {probe!r} -> {ids_a[:8]} vs {ids_b[:8]}): token log-prob ratios need the same vocabulary"
        )
