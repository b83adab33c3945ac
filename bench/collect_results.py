"""Assemble bench/RESULTS.md from the per-area result files that the benchmarks write to bench/results/."""

from __future__ import annotations

from pathlib import Path

here = Path(__file__).parent
parts = sorted((here / "results").glob("*.md"))
text = "# Benchmark results\n\nEach section is written by `bench/bench_<area>.py` (run all with `make bench`); every figure is\ncompared with its named anchor in the same run.\n\n"
text += "\n".join(p.read_text().strip() + "\n" for p in parts)
(here / "RESULTS.md").write_text(text)
print(f"wrote {here / 'RESULTS.md'} from {len(parts)} result files")
