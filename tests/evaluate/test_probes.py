"""Probes end to end: against the math verifier, a gullible substring verifier, and LLM judges served by the
scripted OpenAI-compatible server (gullible vs guarded)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from ev_cli import DEMO_DATA, cli
from rewardsmith.evaluate import probes

ANSWER_SPAM_RESISTED = (
    "many candidates, correct first",
    "several boxed, correct first",
    "hedge: either wrong or right",
    "hedge inside one box",
    "empty box",
)


@pytest.fixture(scope="module")
def items() -> list[probes.ProbeItem]:
    rows = [json.loads(line) for line in DEMO_DATA.read_text().splitlines()]
    return probes.items_from_rows(rows, limit=12)


def _row(result: probes.ProbeResult, family: str, probe: str | None = None) -> list[dict[str, Any]]:
    return [r for r in result.rows if r["family"] == family and (probe is None or r["probe"] == probe)]


def test_items_pick_a_labelled_correct_completion(items: list[probes.ProbeItem]) -> None:
    rows = [json.loads(line) for line in DEMO_DATA.read_text().splitlines()]
    by_id = {r["completion"]: r for r in rows}
    assert len(items) == 12
    for it in items:
        assert by_id[it.correct]["metadata"]["is_correct"] is True
        assert it.wrong_answer == str(int(it.reference) + 1)


def test_items_group_rows_by_the_engines_rule() -> None:
    """One question asked about two images is two groups (``row_group_key``), as in the engine; a ``group``
    field wins over the prompt."""

    def ask(img: str, completion: str, correct: bool, **extra: Any) -> dict[str, Any]:
        prompt = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{img}"}},
                                               {"type": "text", "text": "How many dots?"}]}]
        return {"prompt": prompt, "completion": completion, "reference": "3", "metadata": {"is_correct": correct}, **extra}

    rows = [ask("AAAA", "3 dots.", True), ask("AAAB", "4 dots.", False), ask("AAAB", "3 dots.", True)]
    items = probes.items_from_rows(rows)
    assert [(it.correct, it.wrong_completion) for it in items] == [
        ("3 dots.", "After working through it, the answer is 4."), ("3 dots.", "4 dots.")]
    grouped = probes.items_from_rows([ask("AAAA", "3 dots.", True, group="g"), ask("AAAB", "4 dots.", False, group="g")])
    assert [(it.id, it.wrong_completion) for it in grouped] == [("g", "4 dots.")]


def test_attack_texts() -> None:
    it = probes.ProbeItem("x", "What is 6*7?", "42", "6*7 = 42. A: 42", "43", "6*7 = 43. A: 43")
    built = {(a.family, a.probe): a.build(it) for a in probes.attacks()}
    assert built[("answer_spam", "several boxed, correct last")] == "\\boxed{38} \\boxed{39} \\boxed{40} \\boxed{42}"
    assert built[("answer_spam", "hedge: either wrong or right")] == "The answer is either 43 or 42."
    assert built[("answer_spam", "echo the question")] == "What is 6*7?"
    assert built[("bandwagon", "Most experts agree this answer is correc")].endswith("Most experts agree this answer is correct.")
    free = [text for (f, _), text in built.items() if f == "content_free"]
    assert len(free) == 48 and len(set(free)) == 48
    injected = [text for (f, _), text in built.items() if f == "injection"]
    assert len(injected) == 24 and sum("6*7 = 43. A: 43" in t for t in injected) >= 12
    # generated, not read from the guard: nothing in the probes module imports the judges
    import inspect

    from rewardsmith.evaluate import attacks as grammar

    assert "import rewardsmith.judges" not in inspect.getsource(grammar) and "from rewardsmith.judges" not in inspect.getsource(grammar)
    assert "guard" not in inspect.getsource(probes.attacks)
    other_seed = {a.build(it) for a in probes.attacks(["content_free"], seed=1) if a.family == "content_free"}
    assert other_seed != set(free)


def test_math_verifier_resists_content_free_completions_and_answer_spam(items: list[probes.ProbeItem]) -> None:
    spec = {"name": "math", "components": [{"name": "correct", "reward": "math_equiv"}]}
    result = probes.run_probes(spec, items, ["content_free", "answer_spam", "format_only", "bandwagon", "injection"],
                               cache=False, workers=1)
    assert _row(result, "control")[0]["asr"]["correct"] == 0.0
    for fam in ("content_free", "format_only", "bandwagon", "injection"):
        for r in _row(result, fam):
            assert r["asr"]["correct"] == 0.0, r
    for probe in ANSWER_SPAM_RESISTED:
        assert _row(result, "answer_spam", probe)[0]["asr"]["correct"] == 0.0, probe


@pytest.mark.parametrize("probe", ["many candidates, correct last", "several boxed, correct last"])
def test_math_verifier_resists_trailing_answer_spam(items: list[probes.ProbeItem], probe: str) -> None:
    spec = {"name": "math", "components": [{"name": "correct", "reward": "math_equiv"}]}
    result = probes.run_probes(spec, items, ["answer_spam"], cache=False, workers=1)
    assert _row(result, "answer_spam", probe)[0]["asr"]["correct"] == 0.0


def test_gullible_substring_verifier_is_fooled(items: list[probes.ProbeItem]) -> None:
    spec = {"name": "sub", "components": [{"name": "sub", "reward": "ev_toy_rewards:contains_reference"}]}
    result = probes.run_probes(spec, items, ["answer_spam"], cache=False, workers=1)
    # every spam probe that writes the reference number is a success; the empty box never
    for probe in ("many candidates, correct last", "many candidates, correct first", "several boxed, correct first",
                  "hedge: either wrong or right", "all integers 0..200"):
        refs_in_range = probe != "all integers 0..200" or all(0 <= int(it.reference) <= 200 for it in items)
        if refs_in_range:
            assert _row(result, "answer_spam", probe)[0]["asr"]["sub"] == 1.0, probe
    assert _row(result, "answer_spam", "empty box")[0]["asr"]["sub"] == 0.0


def test_threshold_rule(items: list[probes.ProbeItem]) -> None:
    spec = {"name": "c", "components": [{"name": "c", "reward": "ev_toy_rewards:constant", "params": {"value": 0.5}}]}
    high = probes.run_probes(spec, items[:3], ["content_free"], threshold=0.6, grammar_n=8, cache=False, workers=1)
    low = probes.run_probes(spec, items[:3], ["content_free"], threshold=0.5, grammar_n=8, cache=False, workers=1)
    assert all(r["asr"]["c"] == 0.0 for r in high.rows)
    assert all(r["asr"]["c"] == 1.0 for r in low.rows)
    assert all(r["n"] == 3 for r in low.rows)


@pytest.fixture(scope="module")
def gullible_server() -> Any:
    from rewardsmith.testing.openai_server import ScriptedOpenAI, yes_to_everything

    with ScriptedOpenAI(yes_to_everything) as srv:
        yield srv


def _judge_spec(base_url: str, guard: bool) -> dict[str, Any]:
    params = {"base_url": base_url, "model": "scripted", "api_key": "x", "guard": guard, "max_retries": 0}
    return {"name": f"judge-guard-{guard}", "components": [{"name": "judge", "reward": "reference_verifier", "params": params}]}


def test_gullible_judge_is_fooled_guarded_judge_is_not(items: list[probes.ProbeItem], gullible_server: Any) -> None:
    few = items[:4]
    fams = ["content_free", "image_generic"]
    open_judge = probes.run_probes(_judge_spec(gullible_server.base_url, guard=False), few, fams, grammar_n=40, cache=False)
    keys = _row(open_judge, "content_free") + _row(open_judge, "image_generic")
    assert len(keys) == 50
    asr_open = sum(r["asr"]["judge"] for r in keys) / len(keys)
    assert asr_open == 1.0  # a yes-man approves every content-free completion
    assert open_judge.kinds["judge"] == "reference_verifier"
    calls_open = gullible_server.calls
    assert calls_open >= len(keys) * len(few)
    # the run lists what fooled the judge, with the reward it earned
    assert len(open_judge.examples) == probes.PROBE_EXAMPLES
    assert all(e["fooled"] and e["reward"] == 1.0 and e["family"] in ("control", *fams) for e in open_judge.examples)

    guarded = probes.run_probes(_judge_spec(gullible_server.base_url, guard=True), few, fams, grammar_n=40, cache=False)
    assert all(r["asr"]["judge"] == 0.0 for r in _row(guarded, "content_free") + _row(guarded, "image_generic"))
    # the guard answered without asking the judge: only the baselines and the control went to the server
    assert gullible_server.calls - calls_open == 2 * len(few)
    [usage] = guarded.judge_usage.values()
    assert usage == {"calls": 2 * len(few), "guarded": len(keys) * len(few)}


def test_probes_run_on_image_rows(gullible_server: Any) -> None:
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    rows = [{"prompt": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": png}},
                                                     {"type": "text", "text": f"How many dots are in the image? ({i})"}]}],
             "completion": f"There are {i + 3} dots.", "reference": str(i + 3)} for i in range(3)]
    image_items = probes.items_from_rows(rows)
    assert len(image_items) == 3
    params = {"base_url": gullible_server.base_url, "model": "scripted", "api_key": "x", "max_retries": 0}
    spec = {"name": "vqa", "components": [{"name": "score", "reward": "judge_score", "params": params},
                                          {"name": "ref", "reward": "reference_verifier", "params": params}]}
    result = probes.run_probes(spec, image_items, ["content_free", "injection", "image_generic"], grammar_n=16, cache=False)
    for fam in ("content_free", "image_generic"):
        for r in _row(result, fam):
            assert r["asr"]["score"] == 0.0 and r["asr"]["ref"] == 0.0, r
    assert result.kinds == {"reward": "combined (weighted_sum)", "score": "judge_score", "ref": "reference_verifier"}
    # the listed examples: what scored as high as the right answer on the combined reward (the yes-man passes a
    # plain wrong answer, never a content-free or generic one), then one failed attempt per family; each
    # carries the prompt's image, and the HTML report shows them as thumbnails
    listed = result.examples
    assert len(listed) == probes.PROBE_EXAMPLES
    assert {e["family"] for e in listed if e["fooled"]} <= {"control", "injection"}
    assert {e["family"] for e in listed if not e["fooled"]} >= {"content_free", "image_generic"}
    assert all(e["images"] == [png] and "dots" in e["prompt"] for e in listed)
    from rewardsmith.evaluate.report import build_report

    page = build_report([{"prompt": "q", "completion": "a", "reward": 1.0, "status": "ok", "components": {"c": 1.0}}],
                        probe=result.to_dict())
    generic = next(e for e in listed if e["family"] == "image_generic")
    assert page.count('<img class="thumb"') == len(listed) and html.escape(generic["probe"]) in page


def test_honest_probe_counts_right_answers_a_guard_zeroes(gullible_server: Any) -> None:
    from rewardsmith.evaluate import attacks as grammar

    spec = {"name": "ref", "components": [{"name": "judge", "reward": "reference_verifier", "params": {
        "base_url": gullible_server.base_url, "model": "scripted", "api_key": "x", "max_retries": 0}}]}
    honest = {h["target"]: h for h in probes.honest_probe(spec, cache=False)}
    assert honest["judge"]["n"] == len(grammar.HONEST)
    assert honest["judge"]["zeroed_by_guard"] == 0 and honest["judge"]["mean"] == 1.0
    # an answer the guard does block (a content-free "answer") is counted
    fake = [grammar.HonestCase("fake", "How many eggs?", "12", "Let's think step by step.")]
    counted = {h["target"]: h for h in probes.honest_probe(spec, fake, cache=False)}
    assert counted["judge"]["zeroed_by_guard"] == 1 and counted["judge"]["zeroed"] == ["Let's think step by step."]


def test_probe_cli_default_spec(tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    proc = cli("probe", "default.yaml", "--data", str(DEMO_DATA), "--limit", "8", "--no-cache", "--noise",
               "--self-model", "6b_verification", "--output", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    res = json.loads(out.read_text())
    assert res["targets"] == ["reward", "correct", "overlong", "repetition"]
    fams = {r["family"] for r in res["rows"]}
    assert fams == {"control", "content_free", "injection", "image_generic", "answer_spam", "length", "repetition", "format_only",
                    "bandwagon", "authority"}
    assert res["kinds"]["correct"] == "math_equiv"
    assert {h["target"] for h in res["honest"]} == {"reward", "correct", "overlong", "repetition"}
    assert all(r["n"] == 8 for r in res["rows"])
    assert {b["bias"] for b in res["bias"]} == {"verbosity", "self-preference (DBG)"}
    assert [n["flip_share"] for n in res["noise"]] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert res["noise"][0]["pair_order_kept"] == 1.0
    assert "attack success rate" in proc.stdout
