"""Structured output: JSON extraction from prose or code fences, jsonschema validation, and the RL-Struct
hierarchy (structure, format, validity, content as separate components)."""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from rewardsmith import policy_json
from rewardsmith.params import AfterValidator, AtPath, NonNegativeFloat, some_weight
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

_FENCE = re.compile(r"```(?:json|JSON)?(.*?)```", re.DOTALL)  # no \s* before (.*?): it backtracked quadratically on a whitespace run (json.loads skips the whitespace)
_MAX_STARTS = 200
#: ``weights`` of structured_output: only the four component names (a typo is a spec error, never a silent 0).
StructWeights = Annotated[
    dict[Literal["structure", "format", "validity", "content"], NonNegativeFloat], AfterValidator(some_weight)
]


# Where a JSON Schema holds subschemas: keyword -> "one" (a schema), "list" (schemas), "map" (name -> schema).
_SUBSCHEMAS = {
    **dict.fromkeys(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"], "map"),
    **dict.fromkeys(["allOf", "anyOf", "oneOf", "prefixItems"], "list"),
    **dict.fromkeys(
        ["not", "if", "then", "else", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
         "propertyNames", "additionalItems", "contentSchema"],
        "one",
    ),
}


@lru_cache(maxsize=16)
def schema_keywords(validator_cls: Any) -> frozenset[str]:
    """The keywords a JSON Schema dialect defines: what its validator checks plus the properties of its
    meta-schema and of the vocabulary meta-schemas it is made of (titles, ``$defs``, annotations ...)."""
    from urllib.parse import urljoin

    import jsonschema_specifications

    meta = validator_cls.META_SCHEMA
    keys = set(validator_cls.VALIDATORS) | set(meta.get("properties", {}))
    for part in meta.get("allOf", []):
        if isinstance(part, dict) and "$ref" in part:
            vocab = jsonschema_specifications.REGISTRY.contents(urljoin(meta.get("$id", ""), part["$ref"]))
            keys |= set(vocab.get("properties", {}))
    return frozenset(keys)


def unknown_keywords(schema: Any, known: frozenset[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, keyword) of every key in a schema position that its dialect does not define (vendor keywords
    written ``x-...`` are allowed). JSON Schema ignores unknown keywords, so a typo ("requird", "maxlength")
    makes validation silently weaker.

    >>> from jsonschema import Draft202012Validator as D
    >>> unknown_keywords({"type": "object", "properties": {"a": {"type": "string", "maxlength": 3}}, "x-note": 1}, schema_keywords(D))
    [(('properties', 'a', 'maxlength'), 'maxlength')]
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    todo: deque[tuple[tuple[str | int, ...], Any]] = deque([((), schema)])
    while todo:  # breadth first, keys in their order: the shallowest typo first
        path, node = todo.popleft()
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key not in known and not str(key).startswith("x-"):
                out.append(((*path, key), key))
                continue
            how = "list" if key == "items" and isinstance(value, list) else "one" if key == "items" else _SUBSCHEMAS.get(key)
            if key == "dependencies" and isinstance(value, dict):
                todo += [((*path, key, name), sub) for name, sub in value.items() if isinstance(sub, dict)]
            elif how == "one":
                todo.append(((*path, key), value))
            elif how == "list" and isinstance(value, list):
                todo += [((*path, key, i), sub) for i, sub in enumerate(value)]
            elif how == "map" and isinstance(value, dict):
                todo += [((*path, key, name), sub) for name, sub in value.items()]
    return out


def checked_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema that its dialect's meta-schema accepts (jsonschema's ``check_schema``) and that uses no
    keyword the dialect does not define: an ``AtPath`` error naming the key otherwise."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise AtPath(tuple(exc.absolute_path), f"not a valid JSON Schema: {exc.message}") from None
    unknown = unknown_keywords(schema, schema_keywords(cls))
    if unknown:
        path, key = unknown[0]
        more = "; also " + ", ".join(".".join(map(str, p)) for p, _ in unknown[1:4]) if len(unknown) > 1 else ""
        raise AtPath(
            path,
            f"unknown JSON Schema keyword {key!r}: validators ignore it, so the schema would check less than it says "
            f"(a typo?); a vendor keyword must start with 'x-'{more}",
        )
    return schema


#: A ``schema`` param: checked against its meta-schema and for unknown keywords when the spec loads.
SchemaParam = Annotated[dict[str, Any], AfterValidator(checked_schema)]


@dataclass(frozen=True, slots=True)
class FoundJSON:
    """A JSON value found in a completion: ``value``, whether the completion is only that JSON (``bare``,
    optionally inside one code fence), and how it was found."""

    value: Any
    bare: bool
    how: str


def find_json(text: str) -> FoundJSON | None:
    """The last parseable JSON object/array: a fenced block, the whole text, or the first one in the prose.

    >>> find_json('Sure! ```json\\n{"a": 1}\\n```').value, find_json('{"a": [1, 2]}').bare
    ({'a': 1}, True)
    >>> find_json('The result is {"ok": true} as asked.').value, find_json("no json here") is None
    ({'ok': True}, True)
    """
    stripped = text.strip()
    fences = _FENCE.findall(text)
    for block in reversed(fences):
        try:
            value = policy_json.loads(block)
        except ValueError:
            continue
        bare = len(fences) == 1 and stripped.startswith("```") and stripped.endswith("```")
        return FoundJSON(value, bare, "code fence")
    try:
        return FoundJSON(policy_json.loads(stripped), True, "whole text")
    except ValueError:
        pass
    starts = [m.start() for m in re.finditer(r"[{\[]", text)][:_MAX_STARTS]
    for i in starts:
        try:
            value, _ = policy_json.raw_decode(text, i)
        except ValueError:
            continue
        if isinstance(value, (dict, list)):
            return FoundJSON(value, False, "in prose")
    return None


@lru_cache(maxsize=128)
def _validator(schema_json: str) -> Any:
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(value: Any, schema: dict[str, Any], limit: int = 3) -> list[str]:
    """jsonschema validation messages (empty when valid); the schema's validator is cached."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in list(validator.iter_errors(value))[:limit]]


def _schema(schema: dict[str, Any] | None, metadata: dict[str, Any]) -> dict[str, Any] | None:
    """The spec's schema (checked at load), else the row's ``metadata.schema`` checked the same way: a row
    whose schema has a typo is an error naming it, not a sample scored against a weaker schema."""
    if schema is not None:
        return schema
    found = metadata.get("schema") or metadata.get("json_schema")
    if isinstance(found, str):
        found = json.loads(found)
    if not isinstance(found, dict):
        return None
    try:
        return checked_schema(found)
    except AtPath as exc:
        where = ".".join(str(p) for p in exc.path)
        raise ValueError(f"metadata.schema{'.' + where if where else ''}: {exc.message}") from None


@reward("json_schema", source="JSON Schema (json-schema.org) validation, as in structured-output RL (RL-Struct, Hu & Wu 2025)", executor="inline")
def json_schema(completion: str, metadata: dict[str, Any], schema: SchemaParam | None = None, require_bare: bool = False) -> RewardResult:
    """1 when the completion holds JSON (bare, in a code fence, or inside prose unless ``require_bare``) that
    validates against ``schema`` (or ``metadata.schema``), else 0 with the first errors in ``reason``
    (JSON Schema, json-schema.org; the validity term of RL-Struct, Hu & Wu 2025).

    >>> s = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    >>> json_schema('```json\\n{"name": "Ada"}\\n```', {}, schema=s).value, json_schema('{"name": 3}', {}, schema=s).value
    (1.0, 0.0)
    """
    sch = _schema(schema, metadata)
    if sch is None:
        raise Abstain("no JSON schema (param 'schema' or metadata.schema)")
    found = find_json(completion)
    if found is None:
        return RewardResult.ok(0.0, reason="no JSON found")
    if require_bare and not found.bare:
        return RewardResult.ok(0.0, reason="JSON is surrounded by prose")
    errors = schema_errors(found.value, sch)
    return RewardResult.ok(float(not errors), reason="; ".join(errors) or None)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}/{k}"))
        return out
    if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_leaves(v, f"{prefix}/{i}"))
        return out
    return {prefix or "/": value}


def _same_leaf(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.lower().split()) == " ".join(b.lower().split())
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_leaf(x, y) for x, y in zip(a, b))
    if isinstance(a, (str, int, float)) and isinstance(b, (str, int, float)):
        return str(a).strip() == str(b).strip()
    return bool(a == b)


def _extra_items(value: Any, reference: Any) -> int:
    """Leaves of list items the value has beyond the reference's list at the same place: extra
    predictions, charged like the missing ones (one candidate object per place, not a list of guesses)."""
    if isinstance(value, list) and isinstance(reference, list):
        extra = sum(len(_leaves(v)) for v in value[len(reference) :])
        return extra + sum(_extra_items(v, r) for v, r in zip(value, reference))
    if isinstance(value, dict) and isinstance(reference, dict):
        return sum(_extra_items(value[k], reference[k]) for k in value.keys() & reference.keys())
    return 0


def content_score(value: Any, reference: Any) -> float:
    """Fraction of the reference's leaf fields the value reproduces (strings compared without case and
    extra spaces, numbers exactly); list items beyond the reference's count as misses, so a list of
    candidate objects does not collect the one that matches for free.

    >>> content_score({"a": 1, "b": {"c": "X y"}}, {"a": 1, "b": {"c": "x  y"}, "d": 2})
    0.6666666666666666
    >>> content_score([{"city": "Berlin"}, {"city": "Paris"}, {"city": "Rome"}], [{"city": "Berlin"}])
    0.3333333333333333
    """
    ref_leaves = _leaves(reference)
    got = _leaves(value)
    hits = sum(1 for k, v in ref_leaves.items() if k in got and _same_leaf(got[k], v))
    total = len(ref_leaves) + _extra_items(value, reference)
    return hits / total if ref_leaves else 1.0


@reward("structured_output", source="Hu & Wu, 2025, 'RL-Struct: A Lightweight Reinforcement Learning Framework for Reliable Structured Output in LLMs'", executor="inline")
def structured_output(
    completion: str,
    reference: Any,
    metadata: dict[str, Any],
    schema: SchemaParam | None = None,
    required_keys: list[str] | None = None,
    weights: StructWeights = {"structure": 1.0, "format": 1.0, "validity": 1.0, "content": 1.0},  # noqa: B006
    hierarchical: bool = True,
) -> RewardResult:
    """RL-Struct's multi-dimensional reward (Hu & Wu, 2025, "RL-Struct: A Lightweight Reinforcement
    Learning Framework for Reliable Structured Output in LLMs"), as separate components:
    ``structure`` (a JSON object is there with the required keys: ``required_keys``, else the schema's
    ``required``), ``format`` (the completion is only that JSON, optionally in one code fence),
    ``validity`` (it validates against the schema; equals structure without a schema) and ``content``
    (fraction of the reference's fields reproduced; None without a reference). With ``hierarchical`` a
    level earns nothing unless structure holds. The value is the weighted mean of the components present.

    >>> r = structured_output('{"reasoning": "9*2", "answer": "18"}', {"answer": "18"}, {}, required_keys=["reasoning", "answer"])
    >>> r.value, r.components
    (1.0, {'structure': 1.0, 'format': 1.0, 'validity': 1.0, 'content': 1.0})
    >>> structured_output('I think {"answer": "17"}', {"answer": "18"}, {}, required_keys=["reasoning", "answer"]).components
    {'structure': 0.0, 'format': 0.0, 'validity': 0.0, 'content': 0.0}
    """
    sch = _schema(schema, metadata)
    keys = required_keys if required_keys is not None else list((sch or {}).get("required", []))
    found = find_json(completion)
    comps: dict[str, float | None] = {}
    value = found.value if found is not None else None
    structure = found is not None and (
        (isinstance(value, dict) and all(k in value for k in keys)) if keys else isinstance(value, (dict, list))
    )
    comps["structure"] = float(structure)
    gate = structure or not hierarchical
    comps["format"] = float(gate and found is not None and found.bare)
    if sch is not None:
        comps["validity"] = float(gate and found is not None and not schema_errors(value, sch))
    else:
        comps["validity"] = comps["structure"]
    ref = reference
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            pass
    if ref is None:
        comps["content"] = None
    elif found is None or not gate:
        comps["content"] = 0.0
    else:
        comps["content"] = content_score(value, ref) if isinstance(ref, (dict, list)) else float(_same_leaf(value, ref))
    present = {k: v for k, v in comps.items() if v is not None and weights.get(k, 0.0) != 0.0}
    total = sum(weights[k] for k in present)
    score = sum(weights[k] * v for k, v in present.items()) / total if total else 0.0
    return RewardResult.ok(score, components=comps, reason=None if found is not None else "no JSON found")
