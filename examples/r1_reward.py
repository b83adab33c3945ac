"""Score a generative multimodal reward model's outputs the way R1-Reward trains it (StableReinforce).

R1-Reward (Zhang et al., 2025) trains a vision-language model to compare two responses about an image and
answer ``<think>analysis</think><answer>1|2</answer>``; each output is rewarded with

    Final = Result x (1 + 0.5 x Consistency) + 0.5 x Format

(built-in spec ``r1_reward.yaml``: components ``result``, ``consistency`` (a referee judge: does the verdict
follow from the analysis?) and ``format``). This example builds one VL-RewardBench-style pair (a question about
an image, two responses, the human preference), six hand-made reward-model outputs for it, and prints their
rewards. The referee is the judge given by ``--base-url`` / ``--model`` (a served VLM such as
Qwen2.5-VL-7B-Instruct under vLLM), else ``$OPENAI_BASE_URL``, else the embedded SmolLM2-135M (weak, offline).

    .venv/bin/python examples/r1_reward.py --base-url http://127.0.0.1:8000/v1
    .venv/bin/python examples/r1_reward.py --image my_photo.png --json out.json
"""

from __future__ import annotations

import argparse
import json
import mimetypes
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

import rewardsmith
from rewardsmith.images import data_uri, solid_png
from rewardsmith.verifiers.r1_reward import r1_input

QUESTION = "What colour is the square in the image?"
RESPONSE_1 = "The square is blue, on a white background with a red border."
RESPONSE_2 = "The square is red."
PREFERRED = 2  # the human preference: response 2 describes only what is there

OUTPUTS: dict[str, str] = {
    "consistent, right": "<think>Response 1 says blue and invents a border; the square is red, and Response 2 says "
                         "exactly that without adding anything. Response 2 is better.</think><answer>2</answer>",
    "contradicts itself": "<think>Response 1 is more detailed and describes the background, so Response 1 is the "
                          "better answer.</think><answer>2</answer>",
    "wrong verdict": "<think>Response 1 gives more detail, so it is better.</think><answer>1</answer>",
    "no reasoning": "<answer>2</answer>",
    "empty opener": "<think>Let's solve this problem step by step.</think><answer>2</answer>",
    "hedges on both": "<think>Both have merits.</think><answer>1</answer><answer>2</answer>",
}


def rows(image: str) -> list[dict[str, Any]]:
    prompt = r1_input(QUESTION, RESPONSE_1, RESPONSE_2, [image])
    return [{"id": name, "prompt": prompt, "completion": text, "reference": PREFERRED} for name, text in OUTPUTS.items()]


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", default=None, help="the referee: an OpenAI-compatible server (e.g. vLLM), .../v1")
    ap.add_argument("--model", default=None, help="the referee's model name (default: the server's first model)")
    ap.add_argument("--image", default=None, help="an image file for the pair (default: a 32x32 red square made here)")
    ap.add_argument("--json", default=None, help="also write the scored rows here")
    args = ap.parse_args(argv)

    if args.image:
        mime = mimetypes.guess_type(args.image)[0] or "image/png"
        image = data_uri(Path(args.image).read_bytes(), mime)
    else:
        image = data_uri(solid_png(32, 32, (220, 20, 20)))
    raw = yaml.safe_load(files("rewardsmith").joinpath("specs/r1_reward.yaml").read_text())
    referee = {k: v for k, v in (("base_url", args.base_url), ("model", args.model)) if v}
    for c in raw["components"]:
        if c["name"] == "consistency":
            c.setdefault("params", {}).update(referee)
    spec = rewardsmith.load_spec(raw)
    try:
        results = spec.score(rows(image), cache=False)
    finally:
        spec.close()
    out = []
    print(f"{'output':<20} {'result':>6} {'consistency':>11} {'format':>6} {'reward':>7}  status / reason")
    for name, r in zip(OUTPUTS, results):
        c = r.components
        cells = [f"{c.get(k):>{w}}" if c.get(k) is not None else f"{'-':>{w}}" for k, w in
                 (("result", 6), ("consistency", 11), ("format", 6))]
        reward = f"{r.value:7.2f}" if r.value is not None else "      -"
        print(f"{name:<20} {' '.join(cells)} {reward}  {r.status}{': ' + r.reason if r.reason else ''}")
        out.append({"id": name, **r.to_fields()})
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
