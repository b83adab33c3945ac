"""``reward_model`` on image+text: a tiny LLaVA-shaped VLM with a value head (built from a config, random
weights) scored locally and through the stand-in server's vLLM ``/classify`` chat form over real HTTP, checked
against a direct forward pass; a text-only reward model refuses image rows with a reason."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.images import decode_data_uri
from rewardsmith.models.reward_model import reward_model
from rewardsmith.spec import load_spec
from rewardsmith.testing.openai_server import ScriptedOpenAI
from rewardsmith.types import Status

from .pngs import BLUE, GREEN, RED, image_part, image_prompt, request_images
from .tiny_vlm import build_tiny_vlm_rm

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("PIL")

Q = "What colour is the square?"


@pytest.fixture(scope="module")
def vlm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("vlm-rm")
    parts = build_tiny_vlm_rm(folder)
    parts["path"] = str(folder)
    return parts


def direct_score(vlm: dict[str, Any], image_uri: str | None, question: str, answer: str) -> float:
    """The head on the last token's final hidden state, from the in-memory model (not the loaded copy), with
    the chat text written out by hand."""
    import torch
    from PIL import Image

    user = ("<image>" if image_uri else "") + question
    text = f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n"
    images = [Image.open(io.BytesIO(decode_data_uri(image_uri)[1])).convert("RGB")] if image_uri else None
    inputs = vlm["processor"](text=[text], images=images, return_tensors="pt")
    with torch.no_grad():
        hidden = vlm["model"](**inputs, output_hidden_states=True).hidden_states[-1][0, -1]
    return float(hidden @ vlm["weight"][0] + vlm["bias"][0])


def test_local_vlm_scores_equal_a_direct_forward_pass_and_depend_on_the_image(vlm: dict[str, Any]) -> None:
    cases = [(RED, "It is red."), (BLUE, "It is red."), (GREEN, "A green square."), (None, "It is red.")]
    prompts = [Q] * len(cases)
    messages = [image_prompt(Q, img) if img else None for img, _ in cases]
    results = reward_model(prompts, [a for _, a in cases], messages, model=vlm["path"])
    assert all(r.status is Status.OK for r in results), [r.reason for r in results]
    expected = [direct_score(vlm, img, Q, a) for img, a in cases]
    assert [r.value for r in results] == pytest.approx(expected, abs=1e-5)
    assert abs(results[0].value - results[1].value) > 1e-4  # same words, another image: another score
    assert results[0].info == {"images": 1, "tokens": results[0].info["tokens"]} and results[3].info["images"] == 0
    prob = reward_model([Q], ["It is red."], [image_prompt(Q, RED)], model=vlm["path"], scale="prob")[0].value
    assert prob == pytest.approx(1 / (1 + math.exp(-expected[0])), abs=1e-6)


def test_vlm_rows_through_the_engine_and_what_it_refuses(vlm: dict[str, Any]) -> None:
    spec = load_spec({"components": [{"name": "rm", "reward": "reward_model", "params": {"model": vlm["path"]}}]})
    rows = [
        {"id": "red", "prompt": image_prompt(Q, RED), "completion": "It is red."},
        {"id": "url", "prompt": image_prompt(Q, "https://images.example/red.png"), "completion": "It is red."},
        {"id": "bad", "prompt": image_prompt(Q, "data:image/png;base64,bm90IGEgcG5n"), "completion": "It is red."},
        {"id": "drawn", "prompt": "Draw a green square.", "completion": [{"role": "assistant", "content": [image_part(GREEN)]}]},
    ]
    try:
        red, url, bad, drawn = spec.score(rows, cache=False)
    finally:
        spec.close()
    assert red.value == pytest.approx(direct_score(vlm, RED, Q, "It is red."), abs=1e-5)
    assert url.status is Status.ERROR and "data: URIs" in (url.reason or "") and "nothing is fetched" in (url.reason or "")
    assert bad.status is Status.ERROR and "not a readable image" in (bad.reason or "")
    assert drawn.status is Status.OK and drawn.value is not None  # a completion's image is read too


def test_text_reward_model_refuses_image_rows_and_reads_text_parts(tiny: dict[str, str]) -> None:
    as_parts = [{"role": "user", "content": [{"type": "text", "text": Q}]}]
    as_string = [{"role": "user", "content": Q}]
    img, parts, plain = reward_model([Q] * 3, ["Red."] * 3, [image_prompt(Q, RED), as_parts, as_string], model=tiny["rm"])
    assert img.status is Status.ERROR and "reads text only" in (img.reason or "") and "1 image" in (img.reason or "")
    assert parts.status is Status.OK and parts.value == pytest.approx(plain.value, abs=1e-6)  # no TypeError, same text


def test_remote_chat_classify_carries_the_images_and_matches_the_local_scores(vlm: dict[str, Any]) -> None:
    """The stand-in vLLM server scores what it receives with the same tiny VLM (one-label head: sigmoid probs)."""
    from rewardsmith.models.vision_rm import load_vlm_rm, score_conversations

    loaded = load_vlm_rm(vlm["path"])

    def classify(body: dict[str, Any]) -> list[list[float]]:
        [r] = score_conversations(loaded, [body["messages"]])
        return [[1 / (1 + math.exp(-r.value))]]

    rows = [(image_prompt(Q, RED), "It is red."), (image_prompt(Q, BLUE, GREEN), "Blue, then green.")]
    with ScriptedOpenAI(classify) as srv:
        remote = reward_model([Q, Q], [a for _, a in rows], [m for m, _ in rows], model=srv.base_url.removesuffix("/v1"),
                              remote_input="chat", remote_model="vl-rm")
        sent = sorted(srv.requests, key=lambda r: len(request_images(r)))
        text_form = reward_model([Q], ["It is red."], [rows[0][0]], model=srv.base_url.removesuffix("/v1"))
    local = reward_model([Q, Q], [a for _, a in rows], [m for m, _ in rows], model=vlm["path"])
    assert [r.value for r in remote] == pytest.approx([r.value for r in local], abs=1e-4)
    assert [request_images(r) for r in sent] == [[RED], [BLUE, GREEN]]
    assert all(r["_path"] == "/classify" and r["model"] == "vl-rm" and "input" not in r for r in sent)
    assert sent[1]["messages"][-1] == {"role": "assistant", "content": "Blue, then green."}
    [t] = text_form  # the default text form cannot carry an image: an error naming the fix, no request made
    assert t.status is Status.ERROR and "remote_input: chat" in (t.reason or "")


def test_a_folder_without_a_head_is_a_clear_load_error(vlm: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    from rewardsmith.models.loading import ModelLoadError

    bare = tmp_path / "no-head"
    shutil.copytree(vlm["path"], bare)
    (bare / "value_head.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="no value head"):
        reward_model([Q], ["Red."], [image_prompt(Q, RED)], model=str(bare))
