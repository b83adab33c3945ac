"""Rollout samplers: k sampled continuations of each text prefix, from a local model or a completions server.

Monte Carlo step values (``mc_value.py``) ask a sampler for k completions from every step prefix. Two
backends: ``TransformersSampler`` (a local causal LM, ``generate`` with ``do_sample``, the k continuations of
one prefix in one batch) and ``OpenAISampler`` (an OpenAI-compatible ``/completions`` endpoint, e.g. vLLM,
with ``n: k``; a list of prefixes per request). Both are seeded: the local sampler seeds each prefix from
``seed`` and the prefix text, so a prefix gets the same rollouts whatever else is in the batch; the remote
one sends ``seed`` (vLLM honours it per request).

Tokenisation follows the log-prob service: the prefix is tokenised without special tokens (a start token is
put in front of an empty prefix), and a prefix too long for the context window keeps its end.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from rewardsmith.models.loading import LoadedModel, is_remote, load_model
from rewardsmith.models.logprobs import start_token


@dataclass
class Rollouts:
    """The continuations sampled from one prefix; ``error`` when there are none, ``reason`` for a cut prefix."""

    texts: list[str] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None


class Sampler(Protocol):
    name: str

    def sample(self, prefixes: list[str], k: int) -> list[Rollouts]: ...


def prefix_seed(seed: int, prefix: str) -> int:
    """The seed of one prefix's rollouts: a function of ``seed`` and the prefix text only.

    >>> prefix_seed(0, "2+2=") == prefix_seed(0, "2+2="), prefix_seed(0, "a") == prefix_seed(1, "a")
    (True, False)
    """
    return (seed * 1_000_003 + zlib.crc32(prefix.encode("utf-8"))) % (2**31 - 1)


class TransformersSampler:
    """Local sampling with ``generate(do_sample=True, num_return_sequences=k)``, one prefix per call."""

    name = "transformers"

    def __init__(
        self,
        loaded: LoadedModel,
        max_new_tokens: int = 256,
        temperature: float = 0.7,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> None:
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        self.loaded = loaded
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self._lock = threading.Lock()  # torch's global RNG is seeded per prefix: one generate at a time

    def _ids(self, prefix: str) -> tuple[list[int], str | None]:
        tok = self.loaded.tokenizer
        ids = list(tok(prefix, add_special_tokens=False)["input_ids"]) if prefix else []
        ids = ids or [start_token(tok)]
        room = self.loaded.max_length - self.max_new_tokens
        if room < 1:
            raise ValueError(
                f"max_new_tokens {self.max_new_tokens} leaves no room for the prefix in the context window of "
                f"{self.loaded.max_length}"
            )
        if len(ids) > room:
            return ids[-room:], f"rollout prefix cut from {len(ids)} to {room} tokens to fit {self.loaded.max_length}"
        return ids, None

    def sample(self, prefixes: list[str], k: int) -> list[Rollouts]:
        import torch

        tok, model = self.loaded.tokenizer, self.loaded.model
        greedy = self.temperature <= 0
        out: list[Rollouts] = []
        for prefix in prefixes:
            try:
                ids, reason = self._ids(prefix)
            except ValueError as exc:
                out.append(Rollouts(error=str(exc)))
                continue
            kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "pad_token_id": tok.pad_token_id}
            if greedy:  # temperature 0: one greedy continuation, the same k times
                kwargs.update(do_sample=False, num_return_sequences=1)
            else:
                kwargs.update(do_sample=True, num_return_sequences=k, temperature=self.temperature, top_p=self.top_p,
                              top_k=0)
            input_ids = torch.tensor([ids], device=self.loaded.device)
            with self._lock, torch.inference_mode():
                torch.manual_seed(prefix_seed(self.seed, prefix))
                seqs = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
            texts = list(tok.batch_decode(seqs[:, len(ids) :], skip_special_tokens=True))
            out.append(Rollouts(texts * k if greedy else texts, reason))
        return out


class OpenAISampler:
    """Rollouts from an OpenAI-compatible ``/completions`` server: ``n: k`` samples of each prompt in a list.

    Choices come back in prompt order, k per prompt (``index`` = prompt number * k + sample number).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model_name: str = "default",
        max_new_tokens: int = 256,
        temperature: float = 0.7,
        top_p: float = 1.0,
        seed: int = 0,
        timeout: float = 120.0,
        batch_size: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model_name
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.timeout = timeout
        self.batch_size = batch_size

    def sample(self, prefixes: list[str], k: int) -> list[Rollouts]:
        import httpx

        url = self.base_url + "/completions"
        out: list[Rollouts] = []
        for j in range(0, len(prefixes), self.batch_size):
            chunk = prefixes[j : j + self.batch_size]
            body = {"model": self.model_name, "prompt": chunk, "n": k, "max_tokens": self.max_new_tokens,
                    "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed}
            try:
                response = httpx.post(url, json=body, timeout=self.timeout)
                response.raise_for_status()
                choices = sorted(response.json()["choices"], key=lambda c: c.get("index", 0))
                texts = [str(c["text"]) for c in choices]
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                out.extend(Rollouts(error=f"sampler server {url}: {type(exc).__name__}: {exc}") for _ in chunk)
                continue
            if len(texts) != len(chunk) * k:
                msg = f"sampler server {url} returned {len(texts)} completions for {len(chunk)} prompts x n={k}"
                out.extend(Rollouts(error=msg) for _ in chunk)
                continue
            out.extend(Rollouts(texts[i * k : (i + 1) * k]) for i in range(len(chunk)))
        return out


class SharedRollouts:
    """Rollouts of a prefix that is already being sampled are waited for, not sampled again: ``mc_step_value``
    and ``progress`` in one spec run side by side on the same batch and ask for the same step prefixes, and
    this samples each once. Nothing is kept after the call that sampled it returns (a served policy may
    change between batches; the backends are seeded per prefix, so a waiter gets what it would have drawn).
    """

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner
        self.name = inner.name
        self.sampled = 0  # prefixes sent to the backend
        self.waited = 0  # prefixes waited for, sampled by another caller
        self._running: dict[tuple[str, int], tuple[threading.Event, list[Rollouts]]] = {}
        self._lock = threading.Lock()

    def sample(self, prefixes: list[str], k: int) -> list[Rollouts]:
        wait: dict[str, tuple[threading.Event, list[Rollouts]]] = {}
        mine: dict[str, tuple[threading.Event, list[Rollouts]]] = {}
        with self._lock:
            for p in dict.fromkeys(prefixes):
                if (p, k) in self._running:
                    wait[p] = self._running[(p, k)]
                else:
                    mine[p] = self._running[(p, k)] = (threading.Event(), [])
            self.sampled += len(mine)
            self.waited += len(wait)
        got: dict[str, Rollouts] = {}
        if mine:
            order = list(mine)
            results = [Rollouts(error="sampler: interrupted")] * len(order)
            try:
                results = self.inner.sample(order, k)
            except Exception as exc:  # the waiters get the failure too
                results = [Rollouts(error=f"sampler: {type(exc).__name__}: {exc}")] * len(order)
                raise
            finally:
                with self._lock:
                    for p, r in zip(order, results):
                        event, holder = mine[p]
                        holder.append(r)
                        del self._running[(p, k)]
                        event.set()
            got.update(zip(order, results))
        for p, (event, holder) in wait.items():
            event.wait()
            got[p] = holder[0]
        return [got[p] for p in prefixes]


_SAMPLERS: dict[tuple[Any, ...], Sampler] = {}
_SAMPLERS_LOCK = threading.Lock()


def sampler_service(
    model: str,
    max_new_tokens: int = 256,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int = 0,
    device: str = "auto",
    dtype: str = "auto",
    remote_model: str | None = None,
    timeout: float = 120.0,
    batch_size: int = 16,
) -> Sampler:
    """The shared sampler for ``model`` (a local folder / .gguf file, or an OpenAI-compatible base URL); its
    concurrent callers share the prefixes they both ask for (``SharedRollouts``)."""
    key = (model, max_new_tokens, temperature, top_p, seed, device, dtype, remote_model, timeout, batch_size)
    with _SAMPLERS_LOCK:
        if key not in _SAMPLERS:
            inner: Sampler
            if is_remote(model):
                inner = OpenAISampler(model, remote_model or "default", max_new_tokens, temperature, top_p,
                                      seed, timeout, batch_size)
            else:
                loaded = load_model(model, "causal_lm", device, dtype)
                inner = TransformersSampler(loaded, max_new_tokens, temperature, top_p, seed)
            _SAMPLERS[key] = SharedRollouts(inner)
        return _SAMPLERS[key]
