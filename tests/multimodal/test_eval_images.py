"""``rewardsmith eval`` on image pair and best-of-N files built here (VL-RewardBench's pair shape: query, image,
two responses, human ranking; RewardBench 2's best-of-N shape plus an image column): the judge sees each pair's
image, accuracy comes with intervals and both orders, and the HTML report shows the listed examples' images."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardsmith.evaluate.report import build_report
from rewardsmith.testing.openai_server import ScriptedOpenAI
from tests.judges.judge_helpers import user_text

from .pngs import png, request_images

REPO = Path(__file__).resolve().parents[2]
COLOURS = {"red": (220, 20, 20), "blue": (20, 20, 220), "green": (20, 160, 20), "yellow": (230, 210, 30)}
URI_COLOUR = {"data:image/png;base64," + base64.b64encode(png(16, 16, rgb)).decode(): name for name, rgb in COLOURS.items()}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=env)


def seeing_judge(request: dict[str, Any]) -> str:
    """A stand-in vision judge: the response that names the colour of the image it was shown is the better one."""
    images = request_images(request)
    assert len(images) == 1, "each judge call must carry the pair's one image"
    colour = URI_COLOUR[images[0]]
    text = user_text(request)
    if '"winner"' in text:
        blocks = dict(re.findall(r"<<<RESPONSE (A|B) \w+>>>\n(.*?)\n<<<END", text, re.S))
        named = [side for side in "AB" if colour in blocks[side].lower()]
        return '{"winner": "%s"}' % (named[0] if len(named) == 1 else "tie")
    response = re.search(r"<<<RESPONSE \w+>>>\n(.*?)\n<<<END", text, re.S).group(1)  # type: ignore[union-attr]
    return '{"score": %d}' % (9 if colour in response.lower() else 2)


def write_pairs(folder: Path) -> Path:
    (folder / "img").mkdir()
    for name, rgb in COLOURS.items():
        (folder / "img" / f"{name}.png").write_bytes(png(16, 16, rgb))
    rows = [
        {"id": "p-red", "query": "What colour is the square?", "image": "img/red.png",
         "response": ["A blue square.", "A red square."], "human_ranking": [1, 0], "query_source": "RLAIF-V"},
        {"id": "p-blue", "query": "What colour is the square?", "image": {"bytes": base64.b64encode(png(16, 16, COLOURS["blue"])).decode(), "path": "b.png"},
         "response": ["It is blue.", "It is green."], "human_ranking": [0, 1], "query_source": "RLAIF-V"},
        {"id": "p-green", "query": "Name the colour.", "image": str(folder / "img" / "green.png"),
         "response": ["Green.", "Yellow."], "human_ranking": [0, 1], "query_source": "WildVision"},
        # the human label disagrees with what the image shows: the judge must get this one "wrong"
        {"id": "p-yellow", "query": "Name the colour.", "image": "img/yellow.png",
         "response": ["Yellow.", "Red."], "human_ranking": [1, 0], "query_source": "WildVision"},
    ]
    path = folder / "vl_pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def judge_spec(folder: Path, srv: ScriptedOpenAI, reward: str) -> Path:
    spec = {"name": f"vision-{reward}", "components": [{"name": "judge", "reward": reward, "params":
            {"base_url": srv.base_url, "model": "vision-judge", "backoff_s": 0.0}}]}
    path = folder / f"{reward}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_eval_pairs_with_images_both_orders_intervals_and_report_thumbnails(tmp_path: Path) -> None:
    data = write_pairs(tmp_path)
    with ScriptedOpenAI(seeing_judge) as srv:
        spec = judge_spec(tmp_path, srv, "judge_pairwise")
        out = tmp_path / "eval.json"
        run = cli("eval", str(spec), "--data", str(data), "--format", "pairs", "--no-cache", "-o", str(out))
        assert run.returncode == 0, run.stderr
        # two orders per pair; the rejected side's comparison repeats the same two requests (deduped or repeated)
        assert srv.calls >= 8 and all(len(request_images(r)) == 1 for r in srv.requests)
    [rep] = json.loads(out.read_text())
    m = rep["metrics"]
    assert m["pairwise_accuracy"]["value"] == 0.75 and m["pairwise_accuracy"]["n"] == 4
    lo, hi = m["pairwise_accuracy"]["ci"]
    assert 0.0 <= lo < 0.75 < hi <= 1.0
    assert m["both_orders_accuracy[judge]"]["value"] == 0.75 and m["order_consistency[judge]"]["value"] == 1.0
    assert m["first_order_accuracy[judge]"]["value"] == m["second_order_accuracy[judge]"]["value"] == 0.75
    assert rep["slices"]["source"]["RLAIF-V"]["value"] == 1.0 and rep["slices"]["source"]["WildVision"]["value"] == 0.5
    [wrong] = rep["disagreements"]
    yellow = "data:image/png;base64," + base64.b64encode(png(16, 16, COLOURS["yellow"])).decode()
    assert wrong["id"] == "p-yellow" and wrong["images"] == [yellow] and wrong["prompt"] == "Name the colour."

    page = build_report([{"prompt": "q", "completion": "a", "reward": 1.0, "status": "ok", "components": {"c": 1.0}}],
                        evals=[rep])
    assert page.count('<img class="thumb"') == 1 and f'src="{yellow}"' in page
    scored = tmp_path / "scored.jsonl"
    scored.write_text(json.dumps({"prompt": "q", "completion": "a", "reward": 1.0, "status": "ok", "components": {"c": 1.0}}) + "\n")
    html = tmp_path / "report.html"
    assert cli("report", str(scored), "--eval", str(out), "--html", str(html)).returncode == 0
    assert f'src="{yellow}"' in html.read_text()


def test_eval_best_of_n_with_an_image_column(tmp_path: Path) -> None:
    red = base64.b64encode(png(16, 16, COLOURS["red"])).decode()
    rows = [
        {"id": "b1", "prompt": "What colour is the square?", "image": "data:image/png;base64," + red,
         "chosen": ["It is red."], "rejected": ["It is blue.", "It is green.", "It is yellow."]},
        {"id": "b2", "prompt": "What colour is the square?", "images": [{"bytes": base64.b64encode(png(16, 16, COLOURS["green"])).decode()}],
         "chosen": ["Green."], "rejected": ["Red.", "Blue."]},
    ]
    data = tmp_path / "bon.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with ScriptedOpenAI(seeing_judge) as srv:
        spec = judge_spec(tmp_path, srv, "judge_score")
        out = tmp_path / "bon.json"
        run = cli("eval", str(spec), "--data", str(data), "--format", "bon", "--no-cache", "-o", str(out))
        assert run.returncode == 0, run.stderr
        assert srv.calls == 7
    [rep] = json.loads(out.read_text())
    assert rep["metrics"]["best_of_n_accuracy"]["value"] == 1.0 and rep["unscored"] == 0


def test_a_missing_image_file_names_the_row_and_field(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"query": "q", "image": "nowhere/x.png", "response": ["a", "b"], "human_ranking": [0, 1]}) + "\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"components": [{"name": "len", "reward": "regex_match", "params": {"pattern": "a"}}]}))
    run = cli("eval", str(spec), "--data", str(data), "--format", "pairs", "--no-cache")
    assert run.returncode == 2
    said = " ".join(run.stderr.split())  # the console wraps long lines
    assert "bad.jsonl row 0: field 'image': cannot read" in said and "nowhere/x.png" in said


def test_probe_examples_show_their_images() -> None:
    probe = {"spec": "s", "targets": ["reward"], "rows": [], "examples": [
        {"id": "q1", "probe": "generic_description", "prompt": "What colour?", "completion": "The image shows something.",
         "images": [next(iter(URI_COLOUR)), "https://images.example/a.png"], "reward": 0.0}]}
    page = build_report([{"prompt": "q", "completion": "a", "reward": 1.0, "status": "ok", "components": {"c": 1.0}}], probe=probe)
    assert page.count('<img class="thumb"') == 1 and "image 2: https://images.example/a.png" in page
    assert "The image shows something." in page


def test_eval_labels_and_labelled_groups_with_an_image_column(tmp_path: Path) -> None:
    (tmp_path / "sq.png").write_bytes(png(16, 16, COLOURS["green"]))
    rows = [{"id": f"r{i}", "prompt": "What colour is the square?", "image": "sq.png", "completion": text, "label": ok}
            for i, (text, ok) in enumerate([("Green.", True), ("Red.", False), ("It is green.", True), ("Blue.", False)])]
    data = tmp_path / "labels.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with ScriptedOpenAI(seeing_judge) as srv:
        spec = judge_spec(tmp_path, srv, "judge_score")
        labels, bon = tmp_path / "labels.json", tmp_path / "bon.json"
        assert cli("eval", str(spec), "--data", str(data), "--format", "labels", "--no-cache", "-o", str(labels)).returncode == 0
        assert cli("eval", str(spec), "--data", str(data), "--format", "bon", "--no-cache", "-o", str(bon)).returncode == 0
    assert json.loads(labels.read_text())[0]["metrics"]["accuracy"]["value"] == 1.0
    [rep] = json.loads(bon.read_text())
    assert rep["n_items"] == 1 and rep["metrics"]["best_of_n_accuracy"]["value"] == 1.0
