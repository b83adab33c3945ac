"""Completion parsers on adversarial megabytes: time of each parser's worst input, against a linear anchor.

For every parser in ``rewardsmith.testing.adversarial_text.parsers()`` and every adversarial input, the
parser runs in a forked child (killed at the deadline) at two sizes. Reported per parser: its slowest
input at the large size, that time, the anchor on the same text (``re.findall(r"\\S+", text)``: one
linear pass of the regex engine) and the ratio, and the growth from the small to the large size (4x
the text: about 4x for a linear parser, about 16x for a quadratic one; timings on a loaded box are noisy,
so read the growth loosely).

    python bench/bench_extraction.py                # 256 KB and 1 MB, 60 s deadline
    python bench/bench_extraction.py --only fences  # one parser
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from machine import header, write  # noqa: E402

from rewardsmith.testing.adversarial_text import ADVERSARIAL, parsers, time_parser  # noqa: E402

_TOKENS = re.compile(r"\S+")


def anchor_seconds(key: str, size: int) -> float:
    text = ADVERSARIAL[key](size)[:size]
    started = time.perf_counter()
    _TOKENS.findall(text)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1 << 18)
    ap.add_argument("--large", type=int, default=1 << 20)
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--only", default=None, help="substring of the parser names to run")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    keys = list(ADVERSARIAL)
    load_before = os.getloadavg()
    rows = []
    for name, (owner, _) in parsers().items():
        if args.only and args.only not in name:
            continue
        large = time_parser(name, keys, args.large, args.deadline)
        worst = max(keys, key=lambda k: float("inf") if large[k][0] is None else large[k][0])
        small = time_parser(name, [worst], args.small, args.deadline)[worst][0]
        big = large[worst][0]
        anchor = anchor_seconds(worst, args.large)
        errors = sorted({e.split(":")[0] for _, e in large.values() if e and e != "deadline"})
        rows.append((name, owner, worst, big, anchor, small, errors))
        shown = "killed" if big is None else f"{big:.3f}s"
        print(f"{name:36} {worst:30} {shown:>10}  grows x{(big / small) if big and small else float('nan'):.1f}", flush=True)
    load_after = os.getloadavg()
    kb = args.large // 1024
    text = header("Completion parsers on adversarial text (bench/bench_extraction.py)")
    text += (
        f"{len(keys)} adversarial inputs per parser (`rewardsmith.testing.adversarial_text`); each parser's slowest one at "
        f"{kb} KB, in a forked child killed after {args.deadline:g} s. Anchor: `re.findall(r\"\\S+\", text)` on the same text. "
        f"Growth: time at {kb} KB / time at {args.small // 1024} KB (4x the text; ~4 linear, ~16 quadratic). "
        f"Load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (shared 2-core box: times are noisy).\n\n"
        f"| parser | owner | slowest input | time at {kb} KB | anchor | ratio | growth | exceptions raised on some input |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    for name, owner, worst, big, anchor, small, errors in rows:
        big_s = f"killed at {args.deadline:g} s" if big is None else f"{big * 1000:.0f} ms"
        ratio = "" if big is None else f"{big / max(anchor, 1e-6):.0f}x"
        growth = "" if big is None or not small else f"{big / small:.1f}x"
        text += f"| {name} | {owner} | `{worst}` | {big_s} | {anchor * 1000:.1f} ms | {ratio} | {growth} | {', '.join(errors)} |\n"
    print(text)
    if not args.no_write:
        print(f"wrote {write('extraction', text)}")


if __name__ == "__main__":
    main()
