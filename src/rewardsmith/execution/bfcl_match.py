"""BFCL-style acceptance of tool calls and ToolRL-style partial matching.

A gold call is ``{"func_name": {"arg": [accepted values]}}``; ``""`` among the accepted values means the
argument may be left out. Acceptance (Berkeley Function-Calling Leaderboard AST checker): the function
name matches, every required argument is present, no unknown argument, each value has the schema's type
(an int is a valid float, a list a valid tuple) and equals one accepted value (strings compared after
BFCL's standardisation: case, spaces and ``,./-_*^`` ignored; nested dicts key by key). Several calls are
matched in any order, one to one.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from rewardsmith.types import ToolCall

GoldCall = dict[str, dict[str, list[Any]]]
_STRIP = re.compile(r"[ ,./\-_*^]")


def standardize(text: str) -> str:
    """BFCL's string standardisation.

    >>> standardize("New York, NY") == standardize("new york ny")
    True
    """
    return _STRIP.sub("", text).lower().replace("'", '"')


def names_match(predicted: str, gold: str) -> bool:
    """Exact, or equal once dots become underscores (some APIs cannot carry dots in tool names)."""
    return predicted == gold or predicted.replace(".", "_") == gold.replace(".", "_")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def type_ok(value: Any, ptype: str | None) -> bool:
    """Does ``value`` have the schema type (with BFCL's coercions)?

    >>> type_ok(3, "float"), type_ok(3.5, "integer"), type_ok([1, 2], "tuple"), type_ok(True, "integer")
    (True, False, True, False)
    """
    if ptype in (None, "any"):
        return True
    if ptype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype in ("float", "number"):
        return _is_number(value)
    if ptype == "string":
        return isinstance(value, str)
    if ptype == "boolean":
        return isinstance(value, bool)
    if ptype in ("array", "tuple"):
        return isinstance(value, (list, tuple))
    if ptype in ("dict", "object"):
        return isinstance(value, dict)
    return True


def values_equal(value: Any, accepted: Any) -> bool:
    """One value against one accepted value (numbers by value, strings standardised, containers recursively).

    >>> values_equal(5.0, 5), values_equal("San Francisco", "san francisco"), values_equal([1, "a"], [1, "A"])
    (True, True, True)
    """
    if _is_number(value) and _is_number(accepted):
        return float(value) == float(accepted)
    if isinstance(value, str) and isinstance(accepted, str):
        return standardize(value) == standardize(accepted)
    if isinstance(value, (list, tuple)) and isinstance(accepted, (list, tuple)):
        return len(value) == len(accepted) and all(values_equal(v, a) for v, a in zip(value, accepted))
    if isinstance(value, dict) and isinstance(accepted, dict):
        if set(value) - set(accepted):
            return False
        for key, want in accepted.items():
            options = want if isinstance(want, list) else [want]
            if key not in value:
                if "" not in options:
                    return False
                continue
            if not any(values_equal(value[key], o) for o in options if o != "" or value[key] == ""):
                return False
        return True
    if isinstance(value, bool) or isinstance(accepted, bool):
        return value is accepted
    return bool(value == accepted)


def value_accepted(value: Any, options: list[Any], ptype: str | None = None) -> bool:
    """Type check (with coercions), then equal to one accepted value. A value identical (same type and
    value) to an accepted one passes even against a mistyped schema: the possible answers are authoritative.

    >>> value_accepted(True, ["", True], "string"), value_accepted("true", ["", True], "string")
    (True, False)
    """
    if not type_ok(value, ptype) and not any(type(o) is type(value) and o == value for o in options):
        return False
    return any(values_equal(value, o) for o in options if not (o == "" and value != ""))


@dataclass(slots=True)
class PairScore:
    """How well one predicted call fits one gold call."""

    name: float
    param_names: float
    param_values: float
    accepted: bool


def _required(args: dict[str, list[Any]]) -> set[str]:
    return {k for k, options in args.items() if "" not in options}


def score_pair(call: ToolCall, gold: GoldCall, schema: dict[str, dict[str, Any]] | None = None) -> PairScore:
    """Name match, argument-name overlap, accepted-value share, and strict acceptance."""
    (gold_name, gold_args), = gold.items()
    if not names_match(call.name, gold_name):
        return PairScore(0.0, 0.0, 0.0, False)
    params = (schema or {}).get(gold_name) or (schema or {}).get(call.name) or {}
    props = params.get("properties") or {}
    required = _required(gold_args) | set(params.get("required") or []) & set(gold_args)
    given = set(call.arguments)
    known = set(gold_args)
    union = given | required
    overlap = given & known
    names = len(overlap) / len(union) if union else 1.0
    good = {
        k for k in overlap if value_accepted(call.arguments[k], gold_args[k], (props.get(k) or {}).get("type"))
    }
    values = len(good) / len(union) if union else 1.0
    accepted = required <= given and given <= known and good == given
    return PairScore(1.0, names, values, accepted)


@dataclass(slots=True)
class CallsScore:
    name: float
    param_names: float
    param_values: float
    accepted: bool
    matched: int


def score_calls(calls: list[ToolCall], golds: list[GoldCall], schema: dict[str, dict[str, Any]] | None = None) -> CallsScore:
    """Best one-to-one matching of predicted to gold calls (any order).

    >>> s = score_calls([ToolCall("f", {"a": 1})], [{"f": {"a": [1], "b": ["", 2]}}])
    >>> s.accepted, s.name, s.param_values
    (True, 1.0, 1.0)
    >>> score_calls([ToolCall("f", {"a": 2})], [{"f": {"a": [1]}}]).accepted
    False
    """
    n = max(len(calls), len(golds))
    if n == 0:
        return CallsScore(1.0, 1.0, 1.0, True, 0)
    table = [[score_pair(c, g, schema) for g in golds] for c in calls]

    def total(s: PairScore) -> float:
        return s.name + s.param_names + s.param_values + (1.0 if s.accepted else 0.0)

    best: list[tuple[int, int]] = []
    if calls and golds:
        k = min(len(calls), len(golds))
        if n <= 7:
            best_value = -1.0
            for chosen in itertools.permutations(range(len(golds)), k) if len(calls) <= len(golds) else (
                tuple(p) for p in itertools.permutations(range(len(calls)), k)
            ):
                pairs = list(zip(range(k), chosen)) if len(calls) <= len(golds) else list(zip(chosen, range(k)))
                value = sum(total(table[i][j]) for i, j in pairs)
                if value > best_value:
                    best_value, best = value, pairs
        else:  # greedy for very long call lists
            free = set(range(len(golds)))
            for i in range(len(calls)):
                if not free:
                    break
                j = max(free, key=lambda j: total(table[i][j]))
                best.append((i, j))
                free.discard(j)
    chosen_scores = [table[i][j] for i, j in best]
    name = sum(s.name for s in chosen_scores) / n
    pnames = sum(s.param_names for s in chosen_scores) / n
    pvalues = sum(s.param_values for s in chosen_scores) / n
    accepted = len(calls) == len(golds) and all(s.accepted for s in chosen_scores)
    return CallsScore(name, pnames, pvalues, accepted, sum(1 for s in chosen_scores if s.accepted))
