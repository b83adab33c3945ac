"""Vision-language reward models: a VLM backbone with a value head on the last token.

This is the shape of Skywork-VL Reward (Wang et al., 2025), BaseReward (2025) and InternLM-XComposer2.5-Reward
(Zang et al., 2025): the conversation (images included) runs through the vision-language model, and a linear
head reads the last token's final hidden state. Here the backbone is loaded with transformers'
``AutoModel`` (the base model of any VLM architecture it knows: Qwen2-VL, Qwen2.5-VL, LLaVA, Idefics3 ...)
with its ``AutoProcessor`` (chat template + image processor); the head is read from the checkpoint's
safetensors by name (``value_head``, ``v_head.summary`` (TRL), ``v_head``, ``score``, ``reward_head``,
``rm_head``: ``.weight`` of shape ``[labels, hidden]``, optional ``.bias``). A folder trained elsewhere can
be given a head with :func:`save_value_head`. Only linear heads are read (an MLP head is refused by name).

Images reach the local model as ``data:`` URIs (decoded with Pillow); an ``http(s)`` URL or a path in a row is
an error for that row (nothing is fetched or read from disk on a row's say-so). Each conversation is one
forward pass (no padding, no prompt-prefix sharing); an input over the context window is an error, never
cut (cutting would split an image's tokens).

Remotely, a vLLM pooling server (``--runner pooling --convert classify``) scores a conversation with images
through its ``/classify`` chat form: ``{"model", "messages"}``, one request per conversation.
"""

from __future__ import annotations

import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardsmith.images import decode_data_uri, image_url
from rewardsmith.models.loading import ModelLoadError, check_local_path, resolve_device, resolve_dtype
from rewardsmith.types import Message, RewardResult, content_text

HEAD_NAMES: tuple[str, ...] = ("value_head", "v_head.summary", "v_head", "score", "reward_head", "rm_head")
HEAD_FILE = "value_head.safetensors"


def is_vision_model(path: str) -> bool:
    """True when a local model folder holds a vision-language model (its config has a ``vision_config``).

    >>> is_vision_model("/nonexistent")
    False
    """
    try:
        config = json.loads((Path(path) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and isinstance(config.get("vision_config"), dict)


def save_value_head(folder: str | os.PathLike[str], weight: Any, bias: Any = None, name: str = "value_head") -> Path:
    """Write a linear head (``weight`` ``[labels, hidden]``, optional ``bias`` ``[labels]``) next to a saved VLM."""
    from safetensors.torch import save_file

    tensors = {f"{name}.weight": weight.detach().float().contiguous().cpu()}
    if bias is not None:
        tensors[f"{name}.bias"] = bias.detach().float().contiguous().cpu()
    out = Path(folder) / HEAD_FILE
    save_file(tensors, str(out))
    return out


def read_value_head(folder: str) -> tuple[Any, Any, str]:
    """(weight ``[labels, hidden]``, bias ``[labels]`` or None, name) of the head in the folder's safetensors."""
    import torch
    from safetensors import safe_open

    files = sorted(Path(folder).glob("*.safetensors"))
    for name in HEAD_NAMES:
        for f in files:
            with safe_open(str(f), framework="pt") as st:
                keys = set(st.keys())
                if f"{name}.weight" not in keys:
                    continue
                nested = sorted(k for k in keys if k.startswith(f"{name}.") and k.count(".") > name.count(".") + 1)
                if nested:
                    raise ModelLoadError(f"{f}: head {name!r} has more than one layer ({nested[0]} ...); only linear heads are read")
                weight = st.get_tensor(f"{name}.weight").to(torch.float32)
                bias = st.get_tensor(f"{name}.bias").to(torch.float32) if f"{name}.bias" in keys else None
                if weight.dim() == 1:
                    weight = weight[None, :]
                return weight, bias, name
    tried = ", ".join(f"{n}.weight" for n in HEAD_NAMES)
    raise ModelLoadError(f"no value head in {folder} (looked for {tried} in its .safetensors files)")


@dataclass
class LoadedVLM:
    """A vision-language backbone in eval mode, its processor, the value head, and a lock for its forwards."""

    model: Any
    processor: Any
    weight: Any
    bias: Any
    head: str
    path: str
    device: str
    lock: threading.Lock

    @property
    def max_length(self) -> int:
        cfg = self.model.config
        for c in (getattr(cfg, "text_config", None), cfg):
            value = getattr(c, "max_position_embeddings", None) if c is not None else None
            if isinstance(value, int) and value > 0:
                return value
        return 32768


_CACHE: dict[tuple[str, str, str], LoadedVLM] = {}
_LOCK = threading.Lock()


def load_vlm_rm(path: str, device: str = "auto", dtype: str = "auto") -> LoadedVLM:
    """The backbone, processor and head of a local VLM reward model, loaded once per process."""
    dev = resolve_device(device)
    key = (path, dev, dtype)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _load(path, dev, dtype)
        return _CACHE[key]


def _load(path: str, device: str, dtype: str) -> LoadedVLM:
    import transformers

    folder, _ = check_local_path(path)
    weight, bias, head = read_value_head(folder)
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
        model = transformers.AutoModel.from_pretrained(folder, local_files_only=True, dtype=resolve_dtype(dtype, device))
    except Exception as exc:
        raise ModelLoadError(f"cannot load {path!r} as a vision-language model: {type(exc).__name__}: {exc}") from exc
    hidden = _hidden_size(model.config)
    if hidden is not None and weight.shape[-1] != hidden:
        raise ModelLoadError(f"{path}: head {head!r} reads {weight.shape[-1]} features, the model's hidden size is {hidden}")
    model.to(device)
    model.eval()
    return LoadedVLM(model, processor, weight.to(device), None if bias is None else bias.to(device), head, path, device,
                     threading.Lock())


def _hidden_size(cfg: Any) -> int | None:
    for c in (getattr(cfg, "text_config", None), cfg):
        value = getattr(c, "hidden_size", None) if c is not None else None
        if isinstance(value, int):
            return value
    return None


class ImageInputError(ValueError):
    """An image in a row that this reward model cannot read (the row's result is an error naming it)."""


def conversation(prompt: str, completion: str, prompt_messages: list[Message] | None,
                 completion_messages: list[Message] | None = None) -> list[Message]:
    """The chat to score, in the OpenAI shape (images as ``image_url`` parts): the prompt's messages (or one
    user turn) and the completion as the assistant turn(s).

    >>> conversation("hi", "hello", None)
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
    """
    head = list(prompt_messages) if prompt_messages else [{"role": "user", "content": prompt}]
    tail = list(completion_messages) if completion_messages else [{"role": "assistant", "content": completion}]
    return head + tail


def processor_messages(conv: list[Message]) -> tuple[list[Message], list[Any]]:
    """The conversation as an HF processor's chat template takes it (content as parts, ``{"type": "image"}``
    placeholders) and the decoded images in the same order (PIL, RGB)."""
    from PIL import Image

    out: list[Message] = []
    images: list[Any] = []
    for m in conv:
        content = m.get("content")
        parts: list[dict[str, Any]] = []
        for part in content if isinstance(content, list) else [{"type": "text", "text": content_text(content)}]:
            if isinstance(part, str) or part.get("type", "text") == "text":
                parts.append({"type": "text", "text": part if isinstance(part, str) else str(part.get("text", ""))})
                continue
            url = image_url(part)
            if url is None:
                raise ImageInputError(f"a {part.get('type')!r} part: this reward model reads text and images only")
            if not url.startswith("data:"):
                raise ImageInputError(f"image {url[:60]!r}: a local reward model reads images given as data: URIs "
                                      "(nothing is fetched); inline the image as base64")
            try:
                images.append(Image.open(io.BytesIO(decode_data_uri(url)[1])).convert("RGB"))
            except Exception as exc:
                raise ImageInputError(f"image {url[:40]!r}...: not a readable image ({type(exc).__name__}: {exc})") from None
            parts.append({"type": "image"})
        out.append({"role": str(m.get("role", "user")), "content": parts})
    return out, images


def score_conversations(
    loaded: LoadedVLM, convs: list[list[Message]], *, max_length: int | None = None, label_index: int = 0,
    scale: str = "logit",
) -> list[RewardResult]:
    """One forward per conversation: the head's value at the last token (``label_value`` of its outputs)."""
    import torch

    from rewardsmith.models.reward_model import label_value

    labels = int(loaded.weight.shape[0])
    if not 0 <= label_index < labels:
        raise ValueError(f"label_index {label_index} is out of range: the head has {labels} label(s)")
    limit = min(max_length or loaded.max_length, loaded.max_length)
    out: list[RewardResult] = []
    for conv in convs:
        try:
            messages, images = processor_messages(conv)
        except ImageInputError as exc:
            out.append(RewardResult.error(str(exc)))
            continue
        text = loaded.processor.apply_chat_template(messages, tokenize=False)
        inputs = loaded.processor(text=[text], images=images or None, return_tensors="pt")
        n = int(inputs["input_ids"].shape[1])
        if n > limit:
            out.append(RewardResult.error(f"input is {n} tokens with its images, over the limit of {limit} (never cut: "
                                          "cutting would split an image's tokens)"))
            continue
        inputs = {k: v.to(loaded.device) if hasattr(v, "to") else v for k, v in inputs.items()}
        with loaded.lock, torch.inference_mode():
            hidden = loaded.model(**inputs).last_hidden_state[0, -1].float()
        logits = loaded.weight @ hidden
        if loaded.bias is not None:
            logits = logits + loaded.bias
        value = label_value(logits.tolist(), label_index, scale)  # type: ignore[arg-type]
        out.append(RewardResult.ok(value, info={"images": len(images), "tokens": n}))
    return out
