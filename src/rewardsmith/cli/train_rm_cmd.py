"""``rewardsmith train-rm``: fit a Bradley-Terry reward model on a preference file and save it."""

from __future__ import annotations

import argparse

NAME = "train-rm"
HELP = "train a Bradley-Terry reward model (pairwise log-sigmoid loss) that reward_model loads"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="preference JSONL(.gz): prompt + chosen/rejected, or two dialogues (hh-rlhf)")
    p.add_argument("--backbone", required=True, help="local model folder to start from (a head with one label is added)")
    p.add_argument("--output", "-o", required=True, help="folder to save the reward model in")
    p.add_argument("--heldout", type=float, default=0.2, help="share of pairs held out for accuracy (default 0.2)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N pairs of the file")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=8, help="pairs per step")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--margin", type=float, default=0.0, help="constant margin in -log sigmoid(r_c - r_r - margin)")
    p.add_argument("--max-length", type=int, default=256, help="tokens per text (the start is cut)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--keep-dropout", action="store_true", help="train with the backbone's dropout (default: off)")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console
    from rewardsmith.models.bradley_terry import TrainConfig, train_bradley_terry
    from rewardsmith.models.loading import ModelLoadError
    from rewardsmith.models.preferences import read_pairs, train_heldout_split

    try:
        pairs = list(read_pairs(args.data, args.limit))
    except (OSError, ValueError) as exc:
        console.print(f"[red]error[/red] {exc}")
        return 2
    train, heldout = train_heldout_split(pairs, args.heldout, args.seed)
    console.print(f"{len(pairs)} pairs: {len(train)} train, {len(heldout)} held out")
    cfg = TrainConfig(
        backbone=args.backbone, output=args.output, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        margin=args.margin, max_length=args.max_length, seed=args.seed, device=args.device, max_steps=args.max_steps,
        disable_dropout=not args.keep_dropout,
    )
    try:
        report = train_bradley_terry(cfg, train, heldout, log=console.print)
    except (ModelLoadError, ValueError) as exc:
        console.print(f"[red]error[/red] {exc}")
        return 2
    acc = "n/a" if report.heldout_accuracy is None else f"{report.heldout_accuracy:.3f}"
    console.print(
        f"[green]saved[/green] {args.output}: {report.steps} steps in {report.train_seconds:.0f}s, "
        f"final loss {report.final_loss:.4f}, held-out pairwise accuracy {acc} ({report.heldout_pairs} pairs)"
    )
    return 0
