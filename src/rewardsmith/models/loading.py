"""Load a Hugging Face model once per process and share it between every component that names it.

A module-level cache keyed by (path, kind, device, dtype): two components of a spec that both say
``model: /models/rm`` use one copy. A ``.gguf`` path (or ``gguf_file``) is dequantised by transformers.
Nothing is fetched from a hub: a path that is not a local folder is a clear error.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["causal_lm", "sequence_classification", "token_classification"]

_CACHE: dict[tuple[str, str, str, str, str], "LoadedModel"] = {}
_LOCK = threading.Lock()


class ModelLoadError(RuntimeError):
    """A model that cannot be loaded: missing path, wrong kind, unreadable files."""


@dataclass
class LoadedModel:
    """A model in eval mode, its tokenizer, and where it runs."""

    model: Any
    tokenizer: Any
    path: str
    device: str
    dtype: Any

    @property
    def max_length(self) -> int:
        """The context window: the config's position limit, else the tokenizer's (if sane), else 2048."""
        cfg = self.model.config
        for name in ("max_position_embeddings", "n_positions", "max_sequence_length"):
            value = getattr(cfg, name, None)
            if isinstance(value, int) and value > 0:
                return value
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
            return tok_max
        return 2048


def is_remote(model: str) -> bool:
    """True for an ``http(s)://`` server URL, false for a local path.

    >>> is_remote("http://127.0.0.1:8000/v1"), is_remote("/models/rm")
    (True, False)
    """
    return model.startswith(("http://", "https://"))


def split_gguf(path: str, gguf_file: str | None = None) -> tuple[str, str | None]:
    """``folder/model.gguf`` -> (``folder``, ``model.gguf``); a folder stays as it is.

    >>> split_gguf("/m/SmolLM2.Q4_1.gguf")
    ('/m', 'SmolLM2.Q4_1.gguf')
    >>> split_gguf("/m", "x.gguf")
    ('/m', 'x.gguf')
    """
    if gguf_file is None and path.endswith(".gguf"):
        return os.path.dirname(path) or ".", os.path.basename(path)
    return path, gguf_file


def resolve_device(device: str = "auto") -> str:
    """``auto``: ``cuda`` when a GPU is visible, else ``cpu``."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str) -> Any:
    """``auto``: bfloat16 on GPU, float32 on CPU; else a torch dtype name (``float16``, ``bfloat16``, ...)."""
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    value = getattr(torch, dtype, None)
    if not isinstance(value, torch.dtype):
        raise ModelLoadError(f"unknown dtype {dtype!r} (use auto, float32, bfloat16 or float16)")
    return value


def check_local_path(path: str, gguf_file: str | None = None) -> tuple[str, str | None]:
    """The folder (and GGUF file) of a local model, or a ModelLoadError that says what is missing."""
    if not path:
        raise ModelLoadError("params.model is empty: give a local model folder, a .gguf file or a server URL")
    folder, gguf = split_gguf(path, gguf_file)
    if not os.path.isdir(folder):
        raise ModelLoadError(
            f"model path {path!r} does not exist or is not a folder (params.model must be a local folder, "
            "a .gguf file or an http(s) server URL; nothing is downloaded)"
        )
    if gguf is not None and not os.path.isfile(os.path.join(folder, gguf)):
        raise ModelLoadError(f"GGUF file {gguf!r} not found in {folder!r}")
    if gguf is None and not os.path.isfile(os.path.join(folder, "config.json")):
        raise ModelLoadError(f"model folder {folder!r} has no config.json (not a saved transformers model)")
    return folder, gguf


def load_tokenizer(path: str, gguf_file: str | None = None) -> Any:
    """The tokenizer saved with a model, with a pad token (eos or unk when it has none)."""
    from transformers import AutoTokenizer

    folder, gguf = check_local_path(path, gguf_file)
    kwargs: dict[str, Any] = {"local_files_only": True}
    if gguf is not None:
        kwargs["gguf_file"] = gguf
    try:
        tok = AutoTokenizer.from_pretrained(folder, **kwargs)
    except Exception as exc:
        raise ModelLoadError(f"cannot load a tokenizer from {path!r}: {type(exc).__name__}: {exc}") from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    return tok


def load_model(
    path: str, kind: Kind, device: str = "auto", dtype: str = "auto", gguf_file: str | None = None
) -> LoadedModel:
    """Load (or fetch from this process's cache) a model of ``kind`` with its tokenizer, in eval mode."""
    dev = resolve_device(device)
    key = (path, kind, dev, dtype, gguf_file or "")
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        loaded = _load(path, kind, dev, dtype, gguf_file)
        _CACHE[key] = loaded
        return loaded


def forget(path: str) -> None:
    """Drop every cached model loaded from ``path`` (after it was overwritten on disk)."""
    with _LOCK:
        for key in [k for k in _CACHE if k[0] == path]:
            del _CACHE[key]


def clear_cache() -> None:
    """Forget every loaded model (tests, benchmarks)."""
    with _LOCK:
        _CACHE.clear()


def _load(path: str, kind: Kind, device: str, dtype: str, gguf_file: str | None) -> LoadedModel:
    import transformers

    folder, gguf = check_local_path(path, gguf_file)
    torch_dtype = resolve_dtype(dtype, device)
    cls = {
        "causal_lm": transformers.AutoModelForCausalLM,
        "sequence_classification": transformers.AutoModelForSequenceClassification,
        "token_classification": transformers.AutoModelForTokenClassification,
    }[kind]
    kwargs: dict[str, Any] = {"local_files_only": True, "dtype": torch_dtype}
    if gguf is not None:
        kwargs["gguf_file"] = gguf
    tokenizer = load_tokenizer(path, gguf_file)
    try:
        model = cls.from_pretrained(folder, **kwargs)
    except Exception as exc:
        raise ModelLoadError(f"cannot load {path!r} as a {kind} model: {type(exc).__name__}: {exc}") from exc
    model.to(device)
    model.eval()
    if getattr(model.config, "pad_token_id", None) is None and tokenizer.pad_token_id is not None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return LoadedModel(model=model, tokenizer=tokenizer, path=path, device=device, dtype=torch_dtype)
