"""Regenerate ``math_verify_cases.json`` from a checkout of huggingface/Math-Verify (needs no network itself).

    python tests/verifiers/data/extract_math_verify_cases.py /path/to/Math-Verify [commit]

Reads every ``@pytest.mark.parametrize`` whose argument names start with ``gold, pred`` in ``tests/test_*.py``
(literal values only; the one f-string case is evaluated with ``math`` in scope) plus the single
``compare_strings`` call of ``test_precision``, and writes the (gold, pred, expected) cases with the options each
test passes (``precision``, ``strict``, ``allow_set_relation_comp``, ``match_types``). Only the data is kept.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

HEADER = {
    "source": "https://github.com/huggingface/Math-Verify tests/test_*.py (parametrized gold, pred, expected cases)",
    "licence": "Math-Verify is Apache-2.0 (LICENCE); test_all.py carries an MIT header, Copyright (c) 2024 The "
    "HuggingFace Team. These are the test cases' data only, with attribution; no code is copied.",
    "generated_by": "tests/verifiers/data/extract_math_verify_cases.py",
    "holdout": "cases whose sha1(gold + '\\x00' + pred) starts with a hex digit in 0-4 (about 30%) are marked "
    "holdout: kept out of development, reported apart",
}


def _value(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.JoinedStr):
            return eval(compile(ast.Expression(node), "<case>", "eval"), {"math": math})  # noqa: S307 - our own file
        raise


def _match_types(func: ast.FunctionDef) -> list[str]:
    for call in ast.walk(func):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "compare_strings":
            for kw in call.keywords:
                if kw.arg == "match_types":
                    return list(ast.literal_eval(kw.value))
            return ["latex", "expr"]
    return ["default"]  # calls parse(gold), parse(pred) directly


def cases(repo: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((repo / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for deco in func.decorator_list:
                if not (isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize"):
                    continue
                names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
                if names[:2] != ["gold", "pred"]:
                    continue
                assert isinstance(deco.args[1], (ast.List, ast.Tuple))
                for elt in deco.args[1].elts:
                    values = dict(zip(names, (_value(e) for e in elt.elts)))  # type: ignore[attr-defined]
                    expected = values.pop("expected", values.pop("result", None))
                    out.append({"file": path.name, "test": func.name, "gold": values.pop("gold"),
                                "pred": values.pop("pred"), "expected": int(expected),
                                "match_types": _match_types(func), **values})
            if func.name == "test_precision":  # one compare_strings(...) == 1 call at the end
                for call in ast.walk(func):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "compare_strings":
                        kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
                        out.append({"file": path.name, "test": func.name, "gold": ast.literal_eval(call.args[0]),
                                    "pred": ast.literal_eval(call.args[1]), "expected": 1,
                                    "match_types": kw.get("match_types", ["latex", "expr"]),
                                    "precision": kw.get("precision", 6)})
    for i, case in enumerate(out):
        digest = hashlib.sha1(f"{case['gold']}\x00{case['pred']}".encode()).hexdigest()
        case["id"] = f"mv{i:03d}"
        case["holdout"] = digest[0] in "01234"
    return out


def main() -> None:
    repo = Path(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) > 2 else "unknown"
    got = cases(repo)
    doc = {**HEADER, "commit": commit, "count": len(got), "cases": got}
    dest = Path(__file__).with_name("math_verify_cases.json")
    dest.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(got)} cases ({sum(c['holdout'] for c in got)} holdout) -> {dest}")


if __name__ == "__main__":
    main()
