"""Fit a Bradley-Terry reward model: ``loss = -log sigmoid(r(chosen) - r(rejected) - margin)``.

The pairwise loss of InstructGPT (Ouyang et al. 2022), with the optional margin of Llama 2 (Touvron et al.
2023). Dropout is off while training by default (as in TRL's ``RewardConfig.disable_dropout``): the two
scores of a pair are then computed by the same function, so their difference is not dropout noise. The result is saved as a plain ``AutoModelForSequenceClassification`` folder (one label) that
``reward_model`` loads, with ``rewardsmith_rm.json`` recording data, settings and held-out accuracy;
``reward_model`` reads the training ``max_length`` from it, so its scores reproduce the recorded accuracy.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from rewardsmith.models.chat import format_for_model
from rewardsmith.models.preferences import PreferencePair


#: Written next to the saved model: data, settings and held-out accuracy of the run.
SETTINGS_FILE = "rewardsmith_rm.json"


def trained_max_length(model: str) -> int | None:
    """The ``max_length`` a ``train-rm`` model was trained (and evaluated) with, from its settings file; None
    for any other model, so ``reward_model`` scores it with the same truncation its accuracy was measured at.

    >>> trained_max_length("/no/such/model") is None
    True
    """
    path = Path(model) / SETTINGS_FILE
    try:
        value = json.loads(path.read_text())["config"]["max_length"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


@dataclass
class TrainConfig:
    """Settings of one Bradley-Terry run."""

    backbone: str
    output: str
    epochs: int = 1
    batch_size: int = 8
    lr: float = 5e-5
    weight_decay: float = 0.0
    margin: float = 0.0
    max_length: int = 256
    seed: int = 0
    device: str = "auto"
    max_steps: int | None = None
    disable_dropout: bool = True


@dataclass
class TrainReport:
    """What a run did: pairs, steps, final loss, held-out pairwise accuracy, seconds."""

    train_pairs: int
    heldout_pairs: int
    steps: int
    final_loss: float
    heldout_accuracy: float | None
    train_seconds: float
    config: dict[str, Any] = field(default_factory=dict)


def bt_loss(chosen: Any, rejected: Any, margin: Any = 0.0) -> Any:
    """Mean of ``-log sigmoid(r_c - r_r - margin)`` (torch tensors).

    >>> import math
    >>> round(-math.log(1 / (1 + math.exp(-1.0))), 6)  # one pair, r_c - r_r = 1
    0.313262
    """
    import torch.nn.functional as F

    return -F.logsigmoid(chosen - rejected - margin).mean()


def pairwise_accuracy(chosen_scores: list[float], rejected_scores: list[float]) -> float:
    """Share of pairs where chosen scores strictly higher; ties count one half.

    >>> pairwise_accuracy([2.0, 1.0, 0.5], [1.0, 2.0, 0.5])
    0.5
    """
    if not chosen_scores:
        raise ValueError("no pairs to evaluate")
    wins = sum(1.0 if c > r else 0.5 if c == r else 0.0 for c, r in zip(chosen_scores, rejected_scores))
    return wins / len(chosen_scores)


def disable_dropout(model: Any) -> int:
    """Set every dropout layer's probability to 0; the number of layers changed."""
    import torch

    layers = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    for m in layers:
        m.p = 0.0
    return len(layers)


def _texts(tokenizer: Any, pairs: list[PreferencePair]) -> tuple[list[str], list[str]]:
    chosen = [format_for_model(tokenizer, p.prompt, p.chosen) for p in pairs]
    rejected = [format_for_model(tokenizer, p.prompt, p.rejected) for p in pairs]
    return chosen, rejected


def evaluate_pairs(model_path: str, pairs: list[PreferencePair], device: str = "auto", max_length: int = 512) -> float:
    """Held-out pairwise accuracy of a saved reward model, scored the way ``reward_model`` scores."""
    from rewardsmith.models.loading import forget
    from rewardsmith.models.reward_model import RMSettings, load_rm, score_texts_local

    forget(model_path)

    loaded = load_rm(RMSettings(model=model_path, device=device))
    chosen, rejected = _texts(loaded.tokenizer, pairs)
    scores = score_texts_local(loaded, chosen + rejected, max_length=max_length)
    values = [float(r.value) if r.value is not None else math.nan for r in scores]
    return pairwise_accuracy(values[: len(pairs)], values[len(pairs) :])


def train_bradley_terry(
    cfg: TrainConfig,
    train: list[PreferencePair],
    heldout: list[PreferencePair] | None = None,
    log: Callable[[str], None] = print,
) -> TrainReport:
    """Fine-tune ``cfg.backbone`` (a local folder) with a one-label head on the pairwise loss; save; evaluate."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from rewardsmith.models.loading import check_local_path, load_tokenizer, resolve_device

    if not train:
        raise ValueError("no training pairs")
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    folder, _ = check_local_path(cfg.backbone)
    tokenizer = load_tokenizer(cfg.backbone)
    tokenizer.truncation_side = "left"
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1, local_files_only=True)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if cfg.disable_dropout:
        disable_dropout(model)
    model.to(device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    chosen_texts, rejected_texts = _texts(tokenizer, train)
    order = list(range(len(train)))
    rng = random.Random(cfg.seed)
    total = cfg.epochs * math.ceil(len(train) / cfg.batch_size)
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / max(1, total)))
    step, loss_value, started = 0, math.nan, time.perf_counter()
    running: list[float] = []
    while step < total:
        rng.shuffle(order)
        for j in range(0, len(order), cfg.batch_size):
            if step >= total:
                break
            idx = order[j : j + cfg.batch_size]
            texts = [chosen_texts[i] for i in idx] + [rejected_texts[i] for i in idx]
            enc = tokenizer(texts, truncation=True, max_length=cfg.max_length, padding=True, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items()}
            scores = model(**enc).logits[:, 0].float()
            margins = torch.tensor([cfg.margin + train[i].margin for i in idx], device=device)
            loss = bt_loss(scores[: len(idx)], scores[len(idx) :], margins)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            running.append(float(loss.detach()))
            if step % 20 == 0 or step == total:
                log(f"step {step}/{total}  loss {sum(running[-20:]) / len(running[-20:]):.4f}")
    loss_value = sum(running[-20:]) / len(running[-20:])
    seconds = time.perf_counter() - started
    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    accuracy = None
    if heldout:
        accuracy = evaluate_pairs(str(out), heldout, device=device, max_length=cfg.max_length)
    report = TrainReport(len(train), len(heldout or []), step, loss_value, accuracy, seconds, asdict(cfg))
    (out / SETTINGS_FILE).write_text(json.dumps(asdict(report), indent=2))
    return report
