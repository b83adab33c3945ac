"""Helpers of the self-reward tests: an answer reader written independently of the rule verifiers (for
expected values), JSONL in/out, the real command line, hh-rlhf dialogue splitting."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl"
MODELS = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
_A_LINE = re.compile(r"(?:^|\n)A:\s*(.+?)\s*$")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def plain_answer(text: str) -> Fraction | str | None:
    """The number on a GSM8K solution's final ``A: N`` line, else its last number unless it is an operand (the
    verifiers' fallback); written independently of rewardsmith's extractor. A non-numeric answer ("1.8
    billion") stays a string."""
    m = _A_LINE.search(text)
    if m:
        raw = m.group(1)
    else:
        numbers = list(_NUMBER.finditer(text))
        if not numbers:
            return None
        if re.search(r"\w\s*[-+*/x]\s*$", text[: numbers[-1].start()]):
            return None  # a cut-off "... 5 * 1": the operand of an unfinished expression is no answer
        raw = numbers[-1].group()
    raw = raw.replace(",", "").replace("$", "").rstrip(".").strip()
    try:
        return Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return raw


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``rewardsmith`` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True, timeout=600, cwd=REPO
    )


def split_dialogue(text: str) -> tuple[str, str]:
    """hh-rlhf dialogue -> (everything up to the last Assistant turn, that turn's text)."""
    cut = text.rfind("\n\nAssistant:")
    return text[: cut + len("\n\nAssistant:")], text[cut + len("\n\nAssistant:"):].strip()
