"""Scalar reward models: a Hugging Face sequence classifier (local) or a vLLM / SGLang classify endpoint.

Local scoring applies the chat template (policy in ``chat.py``), sorts the batch into length buckets and
pads each bucket only to its own longest item (``batching.py``); fp32 on CPU, bf16 on GPU. Inputs longer
than the context window are cut from the left (the completion's end is kept) with a ``reason``, or are
an ``error`` under ``overlong: error``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardsmith.images import media_parts
from rewardsmith.models.batching import length_buckets, token_budget
from rewardsmith.models.bradley_terry import trained_max_length
from rewardsmith.models.chat import ChatTemplateError, TemplatePolicy, format_for_model, plain_join
from rewardsmith.models.loading import LoadedModel, is_remote, load_model, load_tokenizer
from rewardsmith.models.rm_prefix import prefix_reuse_safe, score_shared_groups
from rewardsmith.models.vision_rm import conversation, is_vision_model, load_vlm_rm, score_conversations
from rewardsmith.params import NonNegativeInt, PositiveFloat, PositiveInt
from rewardsmith.registry import reward
from rewardsmith.types import Message, RewardResult, content_text

Overlong = Literal["truncate", "error"]
Scale = Literal["logit", "prob"]
RemoteInput = Literal["text", "chat"]


def label_value(logits: list[float], label_index: int, scale: Scale) -> float:
    """One label's score from a classifier's logits: the raw logit, or its probability (sigmoid for a
    one-label head, softmax over the labels otherwise: what vLLM's classify pooler returns).

    >>> label_value([0.0], 0, "prob"), label_value([2.0], 0, "logit")
    (0.5, 2.0)
    >>> round(label_value([0.0, math.log(3.0)], 1, "prob"), 6)
    0.75
    """
    if scale == "logit":
        return logits[label_index]
    if len(logits) == 1:
        return 1.0 / (1.0 + math.exp(-logits[0]))
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    return exps[label_index] / sum(exps)


def remote_label_value(probs: list[float], label_index: int, scale: Scale) -> RewardResult:
    """One label's score from a classify server's probabilities, on the scale asked for. A one-label
    head's sigmoid is inverted back to the logit the local backend gives; softmax probabilities of several
    labels do not determine one label's logit, so ``scale: logit`` is then an error that says so.

    >>> remote_label_value([0.5], 0, "logit").value, remote_label_value([0.2, 0.8], 1, "prob").value
    (0.0, 0.8)
    >>> remote_label_value([0.2, 0.8], 1, "logit").reason
    'the server returned softmax probabilities of 2 labels: a logit cannot be recovered (set scale: prob)'
    """
    if label_index >= len(probs):
        return RewardResult.error(f"server returned {len(probs)} class(es), no label {label_index}")
    p = float(probs[label_index])
    if scale == "prob":
        return RewardResult.ok(p)
    if len(probs) > 1:
        return RewardResult.error(
            f"the server returned softmax probabilities of {len(probs)} labels: a logit cannot be recovered (set scale: prob)"
        )
    if not 0.0 < p < 1.0:
        return RewardResult.error(f"the server returned probability {p!r}: saturated, its logit cannot be recovered (set scale: prob)")
    return RewardResult.ok(math.log(p) - math.log1p(-p))


@dataclass
class RMSettings:
    """How to run one reward model (the params of ``reward_model``, also one member of ``rm_ensemble``)."""

    model: str
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 32
    max_tokens: int | None = None
    max_length: int | None = None
    overlong: Overlong = "truncate"
    chat_template: TemplatePolicy = "auto"
    label_index: int = 0
    remote_model: str | None = None
    tokenizer: str | None = None
    timeout: float = 120.0
    prefix_reuse: bool = True
    scale: Scale = "logit"
    remote_input: RemoteInput = "text"
    extra: dict[str, Any] = field(default_factory=dict)


def load_rm(settings: RMSettings) -> LoadedModel:
    """The cached sequence-classification model of ``settings`` (truncation keeps the end of the text)."""
    loaded = load_model(settings.model, "sequence_classification", settings.device, settings.dtype)
    loaded.tokenizer.truncation_side = "left"
    return loaded


def rm_texts(
    tokenizer: Any,
    prompts: list[str],
    completions: list[str],
    prompt_messages_list: list[list[Message] | None] | None,
    policy: TemplatePolicy,
) -> list[str]:
    """The texts the reward model reads, one per sample."""
    msgs = prompt_messages_list or [None] * len(prompts)
    if tokenizer is None:
        return [plain_join(p, c) for p, c in zip(prompts, completions)]
    return [format_for_model(tokenizer, p, c, m, policy) for p, c, m in zip(prompts, completions, msgs)]


def score_texts_local(
    loaded: LoadedModel,
    texts: list[str],
    *,
    batch_size: int = 32,
    max_tokens: int | None = None,
    max_length: int | None = None,
    overlong: Overlong = "truncate",
    label_index: int = 0,
    bucketed: bool = True,
    groups: list[Hashable] | None = None,
    prefix_reuse: bool = True,
    scale: Scale = "logit",
) -> list[RewardResult]:
    """Score texts with a local classifier: length buckets + dynamic padding (``bucketed``), or in order.

    With ``groups`` (one key per text, e.g. its prompt) and ``prefix_reuse``, texts of one group that share
    a long token prefix run it once (``rm_prefix.py``; causal models only, checked by a probe).
    """
    import torch

    tok, model = loaded.tokenizer, loaded.model
    limit = min(max_length or loaded.max_length, loaded.max_length)
    encoded = tok(texts, add_special_tokens=True, truncation=False)["input_ids"]
    results: list[RewardResult | None] = [None] * len(texts)
    reasons: list[str | None] = [None] * len(texts)
    for i, ids in enumerate(encoded):
        if len(ids) > limit:
            if overlong == "error":
                results[i] = RewardResult.error(
                    f"input is {len(ids)} tokens, over the model's limit of {limit} (overlong: error)"
                )
                continue
            encoded[i] = tok(texts[i], add_special_tokens=True, truncation=True, max_length=limit)["input_ids"]
            reasons[i] = f"truncated from {len(ids)} to {len(encoded[i])} tokens (start cut)"
    todo = [i for i in range(len(texts)) if results[i] is None]
    budget = token_budget(str(loaded.device), max_tokens)
    n_labels = int(getattr(model.config, "num_labels", 1))
    if not 0 <= label_index < n_labels:
        raise ValueError(f"label_index {label_index} is out of range: the model has {n_labels} label(s)")
    if bucketed and prefix_reuse and groups is not None:
        by_key: dict[Hashable, list[int]] = {}
        for i in todo:
            by_key.setdefault(groups[i], []).append(i)
        shareable = [m for m in by_key.values() if len(m) > 1]
        if shareable and prefix_reuse_safe(loaded):
            shared = score_shared_groups(loaded, encoded, shareable, batch_size, budget)
            for i, row in shared.items():
                results[i] = RewardResult.ok(label_value(row, label_index, scale), reason=reasons[i])
            todo = [i for i in todo if results[i] is None]
    if bucketed:
        batches = [[todo[j] for j in b] for b in length_buckets([len(encoded[i]) for i in todo], batch_size, budget)]
    else:
        batches = [todo[j : j + batch_size] for j in range(0, len(todo), batch_size)]
    with torch.inference_mode():
        for batch in batches:
            padded = tok.pad({"input_ids": [encoded[i] for i in batch]}, return_tensors="pt")
            padded = {k: v.to(loaded.device) for k, v in padded.items()}
            rows = model(**padded).logits.float().tolist()
            for i, row in zip(batch, rows):
                results[i] = RewardResult.ok(label_value(row, label_index, scale), reason=reasons[i])
    return [r if r is not None else RewardResult.error("internal: not scored") for r in results]


def score_texts_remote(settings: RMSettings, texts: list[str]) -> list[RewardResult]:
    """Score texts on a vLLM / SGLang classify endpoint (``POST {url}/classify``, ``{"model", "input"}``)."""
    import httpx

    url = settings.model.rstrip("/")
    if not url.endswith("/classify"):
        url += "/classify"
    body = {"model": settings.remote_model or "default", "input": texts}
    try:
        response = httpx.post(url, json=body, timeout=settings.timeout)
    except httpx.HTTPError as exc:
        return [RewardResult.error(f"reward model server {url}: {type(exc).__name__}: {exc}")] * len(texts)
    if response.status_code != 200:
        msg = f"reward model server {url}: HTTP {response.status_code}: {response.text[:200]}"
        return [RewardResult.error(msg)] * len(texts)
    data = sorted(response.json().get("data", []), key=lambda d: d.get("index", 0))
    if len(data) != len(texts):
        return [RewardResult.error(f"reward model server returned {len(data)} scores for {len(texts)} inputs")] * len(texts)
    return [remote_item_result(item, settings) for item in data]


def remote_item_result(item: dict[str, Any], settings: RMSettings) -> RewardResult:
    """One classify ``data`` item as a reward: its ``score``, its ``logits``' label value, or its ``probs``."""
    if "score" in item:
        return RewardResult.ok(float(item["score"]))
    if item.get("probs") is None and isinstance(item.get("logits"), list) and settings.label_index < len(item["logits"]):
        return RewardResult.ok(label_value([float(v) for v in item["logits"]], settings.label_index, settings.scale))
    return remote_label_value(item.get("probs") or [], settings.label_index, settings.scale)


def score_chats_remote(settings: RMSettings, convs: list[list[Message]], workers: int = 8) -> list[RewardResult]:
    """Score conversations (images as content parts) on vLLM's ``/classify`` chat form: one
    ``{"model", "messages"}`` request per conversation, ``workers`` in flight."""
    import concurrent.futures

    import httpx

    url = settings.model.rstrip("/")
    if not url.endswith("/classify"):
        url += "/classify"
    model = settings.remote_model or "default"

    def one(client: httpx.Client, conv: list[Message]) -> RewardResult:
        try:
            response = client.post(url, json={"model": model, "messages": conv})
        except httpx.HTTPError as exc:
            return RewardResult.error(f"reward model server {url}: {type(exc).__name__}: {exc}")
        if response.status_code != 200:
            return RewardResult.error(f"reward model server {url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json().get("data")
            if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
                raise ValueError(f"expected one data item, got {type(data).__name__} {str(data)[:80]}")
        except ValueError as exc:
            return RewardResult.error(f"reward model server {url}: malformed reply ({exc})")
        return remote_item_result(data[0], settings)

    with httpx.Client(timeout=settings.timeout) as client, concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        return list(pool.map(lambda c: one(client, c), convs))


def input_format(tokenizer: Any, policy: TemplatePolicy) -> str:
    """What the reward model was shown, for ``info["input"]``: the chat template or a plain join, and why
    (no tokenizer: a server given no ``params.tokenizer``).

    >>> input_format(None, "auto")
    "plain join: no params.tokenizer, so the served model's chat template was not applied"
    """
    if tokenizer is None:
        return "plain join: no params.tokenizer, so the served model's chat template was not applied"
    if policy == "plain":
        return "plain join (chat_template: plain)"
    if not getattr(tokenizer, "chat_template", None):
        return f"plain join: tokenizer {getattr(tokenizer, 'name_or_path', '?')!r} has no chat template"
    return f"chat template of {getattr(tokenizer, 'name_or_path', '?')!r}"


def score_samples(
    settings: RMSettings,
    prompts: list[str],
    completions: list[str],
    prompt_messages_list: list[list[Message] | None] | None = None,
    completion_messages_list: list[list[Message] | None] | None = None,
) -> list[RewardResult]:
    """Score (prompt, completion) pairs with one reward model, local or remote. Rows with images go to a
    vision-language reward model (a local VLM folder, or a server under ``remote_input: chat``); a text-only
    reward model gives them an error that says so, never a score of their text alone."""
    n = len(prompts)
    pms = list(prompt_messages_list or [None] * n)
    cms = list(completion_messages_list or [None] * n)
    remote = is_remote(settings.model)
    if (remote and settings.remote_input == "chat") or (not remote and is_vision_model(settings.model)):
        convs = [conversation(p, c, pm, cm) for p, c, pm, cm in zip(prompts, completions, pms, cms)]
        if remote:
            return score_chats_remote(settings, convs)
        loaded = load_vlm_rm(settings.model, settings.device, settings.dtype)
        return score_conversations(loaded, convs, max_length=settings.max_length, label_index=settings.label_index,
                                   scale=settings.scale)
    out: list[RewardResult | None] = [None] * n
    for i, (pm, cm) in enumerate(zip(pms, cms)):
        media = len(media_parts(pm, cm))
        if media:
            fix = "set remote_input: chat for a server that takes images" if remote else "use a vision-language reward model"
            out[i] = RewardResult.error(f"reward model {settings.model} reads text only and the row has {media} image/media "
                                        f"part(s); {fix}")
    todo = [i for i in range(n) if out[i] is None]
    if todo:
        sub_p = [prompts[i] for i in todo]
        sub_c = [completions[i] for i in todo]
        sub_m = [text_only(pms[i]) for i in todo]
        for i, r in zip(todo, _score_text(settings, sub_p, sub_c, sub_m)):
            out[i] = r
    return [r if r is not None else RewardResult.error("internal: not scored") for r in out]


def text_only(messages: list[Message] | None) -> list[Message] | None:
    """Chat messages with their content as plain text (a text reward model's template takes strings)."""
    if not messages:
        return messages
    return [dict(m, content=content_text(m.get("content"))) if isinstance(m.get("content"), list) else m for m in messages]


def _score_text(
    settings: RMSettings, prompts: list[str], completions: list[str], prompt_messages_list: list[list[Message] | None]
) -> list[RewardResult]:
    """Text rows: each result's ``info["input"]`` says whether the chat template was applied (``input_format``)."""
    if is_remote(settings.model):
        tok = load_tokenizer(settings.tokenizer) if settings.tokenizer else None
        if tok is None and settings.chat_template == "require":
            raise ChatTemplateError(
                "a remote reward model cannot apply the served model's chat template without params.tokenizer "
                "(chat_template: require): give tokenizer (the served model's tokenizer folder), or chat_template: plain"
            )
        texts = rm_texts(tok, prompts, completions, prompt_messages_list, settings.chat_template)
        return _noting(score_texts_remote(settings, texts), input_format(tok, settings.chat_template))
    loaded = load_rm(settings)
    texts = rm_texts(loaded.tokenizer, prompts, completions, prompt_messages_list, settings.chat_template)
    results = score_texts_local(
        loaded,
        texts,
        batch_size=settings.batch_size,
        max_tokens=settings.max_tokens,
        max_length=settings.max_length or trained_max_length(settings.model),
        overlong=settings.overlong,
        label_index=settings.label_index,
        groups=list(prompts),
        prefix_reuse=settings.prefix_reuse,
        scale=settings.scale,
    )
    return _noting(results, input_format(loaded.tokenizer, settings.chat_template))


def _noting(results: list[RewardResult], shown: str) -> list[RewardResult]:
    return [RewardResult(r.status, r.value, r.components, r.reason, r.step_values, {**r.info, "input": shown}) for r in results]


@reward(
    "reward_model",
    source="Ouyang et al. 2022 (InstructGPT) scalar reward model; vLLM/SGLang classify API",
    per="batch",
    executor="thread",
    timeout=600.0,
)
def reward_model(
    prompts: list[str],
    completions: list[str],
    prompt_messages_list: list[list[Message] | None],
    model: str,
    completion_messages_list: list[list[Message] | None] | None = None,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 32,
    max_tokens: PositiveInt | None = None,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
    chat_template: TemplatePolicy = "auto",
    label_index: NonNegativeInt = 0,
    remote_model: str | None = None,
    tokenizer: str | None = None,
    timeout: PositiveFloat = 120.0,
    prefix_reuse: bool = True,
    scale: Scale = "logit",
    remote_input: RemoteInput = "text",
) -> list[RewardResult]:
    """Score each completion with a sequence-classification reward model (InstructGPT-style scalar RM).

    ``model`` is a local folder (``AutoModelForSequenceClassification``; loaded once per process and shared)
    or a vLLM / SGLang server URL (its ``/classify`` endpoint). The value is the logit of ``label_index``
    (``scale: logit``) or its probability (``scale: prob``: sigmoid for one label, softmax over several),
    the same number from either backend: a server's one-label sigmoid is inverted back to the logit.
    Completions of one prompt share its tokens: a causal RM runs them once per prompt (``prefix_reuse``).
    A model saved by ``rewardsmith train-rm`` is read with the ``max_length`` it was trained with unless
    ``max_length`` is given. ``info["input"]`` says whether the chat template was applied: a server needs
    ``tokenizer`` (the served model's tokenizer folder) for it, and ``chat_template: require`` without one is
    an error.
    Runs per batch on a thread: one model call scores many samples, and torch releases the GIL so the
    engine's event loop keeps serving async rewards meanwhile.

    Images: a local folder holding a vision-language model (``vision_config`` in its config) is scored as a
    VLM backbone with a value head on the last token (``vision_rm.py``; Skywork-VL Reward / BaseReward /
    IXC-2.5-Reward shape), images given as data: URIs; ``remote_input: chat`` sends each conversation, images
    included, to vLLM's ``/classify`` chat form. A text-only model gives image rows an error, never a score.

    >>> reward_model(["q"], ["a"], [None], model="/nonexistent/rm")
    Traceback (most recent call last):
    ...
    rewardsmith.models.loading.ModelLoadError: model path '/nonexistent/rm' does not exist or is not a folder (params.model must be a local folder, a .gguf file or an http(s) server URL; nothing is downloaded)
    """
    settings = RMSettings(
        model, device, dtype, batch_size, max_tokens, max_length, overlong, chat_template, label_index,
        remote_model, tokenizer, timeout, prefix_reuse, scale, remote_input,
    )
    return score_samples(settings, prompts, completions, prompt_messages_list, completion_messages_list)
