"""Format and structured-output rewards, including JSON Schema validation on real BFCL tool schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rewardsmith

from rewardsmith.engine.runner import Engine
from rewardsmith.spec import SpecError, load_spec
from rewardsmith.types import Status
from rewardsmith.verifiers.format import regex_match, tag_format, think_format
from rewardsmith.verifiers.structured import find_json, json_schema, structured_output


def test_think_format() -> None:
    assert think_format("<think>7*6=42</think>\nThe answer is 42.").value == 1.0
    assert think_format("  <think>x</think>42").value == 1.0
    r = think_format("<think>x</think>")
    assert r.value == 0.0 and r.components == {"think": 1.0, "answer": 0.0}
    assert think_format("42 <think>x</think> 42").value == 0.0
    assert think_format("<think></think>42").value == 0.0
    assert think_format("<think></think>42", allow_empty_think=True).value == 1.0
    assert think_format("<think>x</think><answer>42</answer>", require_answer_tag=True).value == 1.0
    assert think_format("<think>x</think>42", require_answer_tag=True).value == 0.0


def test_tag_format_counts_and_order() -> None:
    text = "<think>a</think><search>q1</search><information>i</information><search>q2</search><answer>x</answer>"
    ok = tag_format(text, tags={"think": 1, "search": -1, "answer": 1})
    assert ok.value == 1.0
    wrong_count = tag_format(text, tags={"think": 1, "search": 1, "answer": 1})
    assert wrong_count.components["search"] == 0.0 and wrong_count.value == pytest.approx(3 / 4)
    swapped = tag_format("<answer>x</answer><think>a</think>")
    assert swapped.components == {"think": 1.0, "answer": 1.0, "order": 0.0}
    assert tag_format("<answer>x</answer><think>a</think>", ordered=False).value == 1.0
    assert tag_format("<think>a<think>b</think>", partial=False).value == 0.0


SEARCH_R1 = {"think": 1, "search": -1, "answer": 1}


@pytest.mark.parametrize(
    "hack",
    [
        "<answer>4</answer><think>x</think>",  # optional search absent: the order is still checked
        "<think>x</think><answer>4</answer><search>q</search>",  # a search after the answer
        "</think>x<think><answer>4</answer>",  # closed before it opens: counts balance, the tag is not well formed
        "<think>x</think></answer>4<answer>",
        "<think>x<think></think></think><answer>4</answer>",
    ],
)
def test_tag_format_misordered_or_malformed_tags_fail(hack: str) -> None:
    r = tag_format(hack, tags=SEARCH_R1, partial=False)
    assert r.value == 0.0 and r.reason, r.components
    assert tag_format(hack, tags=SEARCH_R1).value == pytest.approx(3 / 4)  # partial credit: one check of four fails


def test_tag_format_optional_tag_absent_or_repeated_passes() -> None:
    assert tag_format("<think>x</think><answer>4</answer>", tags=SEARCH_R1, partial=False).value == 1.0
    text = "<think>x</think><search>a</search><search>b</search><answer>4</answer>"
    assert tag_format(text, tags=SEARCH_R1, partial=False).value == 1.0


def test_regex_match_modes() -> None:
    assert regex_match("Answer: 42", r"Answer: \d+") == 1.0
    assert regex_match("So. Answer: 42", r"Answer: \d+", mode="match") == 0.0
    assert regex_match("ANSWER: 42", r"answer: \d+", ignore_case=True, mode="fullmatch") == 1.0
    with pytest.raises(ValueError):
        regex_match("x", "x", mode="bogus")


def test_find_json_variants() -> None:
    assert find_json('Here:\n```json\n{"a": 1}\n```\nDone').value == {"a": 1}
    assert find_json('Here:\n```json\n{"a": 1}\n```\nDone').bare is False
    assert find_json('```\n[1, 2]\n```').bare is True
    assert find_json('prefix {"broken": } then {"b": [1, {"c": null}]} suffix').value == {"b": [1, {"c": None}]}
    assert find_json("nothing") is None


_BFCL_TYPES = {"dict": "object", "float": "number", "tuple": "array", "integer": "integer", "string": "string",
               "boolean": "boolean", "array": "array", "any": None}


def _to_json_schema(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _to_json_schema(v) for k, v in node.items() if k not in ("description", "default", "optional")}
        if isinstance(out.get("type"), str):
            mapped = _BFCL_TYPES.get(out["type"], out["type"])
            if mapped is None:
                del out["type"]
            else:
                out["type"] = mapped
        return out
    if isinstance(node, list):
        return [_to_json_schema(v) for v in node]
    return node


def _pick(accepted: dict[str, list[Any]]) -> dict[str, Any]:
    """First accepted value of each argument (nested objects hold lists of alternatives too)."""
    out = {}
    for k, alternatives in accepted.items():
        if not alternatives or alternatives[0] == "":
            continue
        first = alternatives[0]
        if isinstance(first, dict):
            out[k] = _pick(first)
        elif isinstance(first, list) and first and all(isinstance(x, dict) for x in first):
            out[k] = [_pick(x) for x in first]
        else:
            out[k] = first
    return out


def test_json_schema_on_bfcl_simple(shared_data: Path) -> None:
    """Real tool schemas and their accepted argument values (BFCL v4 simple): the accepted call validates,
    dropping a required argument or breaking a type does not."""
    questions = [json.loads(l) for l in (shared_data / "bfcl" / "BFCL_v4_simple_python.json").read_text().splitlines()]
    answers = {a["id"]: a for a in map(json.loads, (shared_data / "bfcl" / "possible_answer_BFCL_v4_simple_python.json").read_text().splitlines())}
    checked = 0
    for q in questions:
        schema = _to_json_schema(q["function"][0]["parameters"])
        accepted = next(iter(answers[q["id"]]["ground_truth"][0].values()))
        args = _pick(accepted)
        if not all(k in args for k in schema.get("required", [])):
            continue
        completion = f"Calling the tool:\n```json\n{json.dumps(args)}\n```"
        assert json_schema(completion, {"schema": schema}).value == 1.0, (q["id"], args)
        required = schema.get("required", [])
        if required:
            broken = {k: v for k, v in args.items() if k != required[0]}
            r = json_schema(json.dumps(broken), {}, schema=schema)
            assert r.value == 0.0 and "required" in (r.reason or "")
        checked += 1
    assert checked >= 350
    schema = {"type": "object", "properties": {"base": {"type": "integer"}}, "required": ["base"]}
    assert json_schema('{"base": "ten"}', {}, schema=schema).value == 0.0
    assert json_schema('I think {"base": 10}', {}, schema=schema, require_bare=True).value == 0.0
    assert json_schema("no json", {}, schema=schema).value == 0.0


def test_structured_output_components() -> None:
    schema = {"type": "object", "required": ["reasoning", "answer"],
              "properties": {"reasoning": {"type": "string"}, "answer": {"type": "integer"}}}
    good = structured_output('{"reasoning": "9*2=18", "answer": 18}', {"answer": 18}, {"schema": schema})
    assert good.components == {"structure": 1.0, "format": 1.0, "validity": 1.0, "content": 1.0} and good.value == 1.0
    wrong_type = structured_output('{"reasoning": "9*2=18", "answer": "18"}', {"answer": 18}, {"schema": schema})
    assert wrong_type.components["validity"] == 0.0 and wrong_type.components["content"] == 1.0
    assert wrong_type.value == pytest.approx(0.75)
    prose = structured_output('Result: {"reasoning": "r", "answer": 17}', {"answer": 18}, {"schema": schema})
    assert prose.components == {"structure": 1.0, "format": 0.0, "validity": 1.0, "content": 0.0}
    missing = structured_output('{"answer": 18}', {"answer": 18}, {"schema": schema})
    assert missing.components == {"structure": 0.0, "format": 0.0, "validity": 0.0, "content": 0.0}
    flat = structured_output('{"answer": 18}', {"answer": 18}, {"schema": schema}, hierarchical=False)
    assert flat.components["content"] == 1.0 and flat.components["format"] == 1.0
    no_ref = structured_output('{"reasoning": "r", "answer": 1}', None, {"schema": schema})
    assert no_ref.components["content"] is None and no_ref.value == 1.0


@pytest.mark.parametrize(
    "name, params, reference",
    [
        ("iou", {}, [[0, 0, 10, 10]]),
        ("structured_output", {}, {"type": "object"}),
        ("json_schema", {"schema": {"type": "object"}}, None),
        ("ndcg", {}, ["a", "b"]),
    ],
)
def test_json_nested_past_the_recursion_limit_is_the_policys_zero(name: str, params: dict, reference: object) -> None:
    """``"[" * 5000`` makes ``json.loads`` raise RecursionError: it must read as "not JSON" (ok 0.0), never
    an infrastructure error a trainer would mask."""
    spec = rewardsmith.load_spec({"components": [{"name": "x", "reward": name, "params": params}]})
    r = spec.score([{"prompt": "p", "completion": "[" * 5000, "reference": reference}])[0]
    assert r.status.value == "ok" and r.value == 0.0, (r.status, r.reason)


SCHEMA_TYPO_SPEC = """components:
  - name: j
    reward: {reward}
    params:
      schema:
        type: object
        properties:
          name: {{type: string, maxLength: 3}}
        requird: [name]
"""


@pytest.mark.parametrize("reward", ["json_schema", "structured_output"])
def test_schema_keyword_typo_is_a_spec_error_with_its_line(reward: str) -> None:
    """JSON Schema ignores unknown keywords: with "requird" the schema would accept {} (checked below), so the
    spec is refused at load, naming the key and its line."""
    import jsonschema

    jsonschema.validate({}, {"type": "object", "requird": ["name"]})  # the silent weakening being prevented
    with pytest.raises(SpecError) as err:
        load_spec(SCHEMA_TYPO_SPEC.format(reward=reward))
    assert f"components[0].params.schema.requird (line 9): unknown JSON Schema keyword 'requird'" in str(err.value)


@pytest.mark.parametrize(
    "schema, where",
    [
        ({"type": "objekt"}, "schema.type"),
        ({"type": "object", "properties": {"a": {"type": "string", "maxlength": 3}}}, "schema.properties.a.maxlength"),
        ({"type": "array", "items": {"type": "integer", "minimun": 0}}, "schema.items.minimun"),
        ({"anyOf": [{"type": "string"}, {"typ": "null"}]}, "schema.anyOf[1].typ"),
        ({"$defs": {"p": {"type": "object", "requried": ["x"]}}}, "schema.$defs.p.requried"),
        ({"$schema": "http://json-schema.org/draft-07/schema#", "prefixItems": [{"type": "string"}]}, "schema.prefixItems"),
    ],
)
def test_bad_schemas_rejected_at_load(schema: dict[str, object], where: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec({"components": [{"name": "j", "reward": "json_schema", "params": {"schema": schema}}]})
    assert f"components[0].params.{where}:" in str(err.value)


def test_good_schemas_load_and_property_names_are_not_keywords() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "t", "type": "object", "x-vendor": {"anything": 1},
        "properties": {"type": {"type": "string"}, "requird": {"type": "integer", "description": "a field named so"}},
        "$defs": {"n": {"type": "number", "examples": [1]}}, "required": ["type"],
    }
    spec = load_spec({"components": [{"name": "j", "reward": "json_schema", "params": {"schema": schema}}]})
    assert spec.components[0].params["schema"] == schema


def test_row_schema_with_a_typo_is_an_error_not_a_weaker_check() -> None:
    with Engine({"components": [{"name": "j", "reward": "json_schema"}]}, cache=False) as engine:
        r = engine.score([{"prompt": "q", "completion": "{}", "metadata": {"schema": {"type": "object", "requird": ["a"]}}}])[0]
    assert r.status is Status.ERROR and "metadata.schema.requird" in (r.reason or "")


def test_structured_output_list_of_candidate_objects_is_charged() -> None:
    reference = [{"city": "Berlin"}]
    honest = structured_output('[{"city": "Berlin"}]', reference, {})
    spray = structured_output('[{"city": "Berlin"}, {"city": "Paris"}, {"city": "Rome"}, {"city": "Madrid"}]', reference, {})
    assert honest.components["content"] == 1.0
    assert spray.components["content"] == pytest.approx(0.25)  # one hit over 1 reference + 3 extra leaves
    nested = structured_output('{"cities": ["Berlin", "Paris"]}', {"cities": ["Berlin"]}, {})
    assert nested.components["content"] == 0.0  # a list of scalars is one leaf, compared whole
