"""Build the bundled demo sample from ../shared/data/gsm8k/model_solutions.jsonl (MIT, openai/grade-school-math).

Rows follow the contract's input format; each problem's four model solutions form one group.
Run: python scripts/build_demo_sample.py [N_PROBLEMS]
"""

import json
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
src = root.parent / "shared" / "data" / "gsm8k" / "model_solutions.jsonl"
out = root / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl"
n_problems = int(sys.argv[1]) if len(sys.argv) > 1 else 75
models = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
with open(src) as f, open(out, "w") as w:
    for i, line in enumerate(f):
        if i >= n_problems:
            break
        row = json.loads(line)
        answer = re.search(r"A:\s*(.+?)\s*$", row["ground_truth"]).group(1)
        for m in models:
            sol = row[m]
            w.write(json.dumps({
                "id": f"gsm8k-{i:04d}-{m}",
                "prompt": [{"role": "user", "content": row["question"]}],
                "completion": sol["solution"],
                "reference": answer,
                "group": f"gsm8k-{i:04d}",
                "metadata": {"source": "gsm8k/model_solutions", "model": m, "is_correct": sol["is_correct"]},
            }) + "\n")
print(f"wrote {out}")
