"""Did a repair keep the original program, or delete it? A structural check that deletion cannot pass.

A security scanner finds nothing in a program that does nothing, so "remove the vulnerable function's
body" (``pass``, ``raise NotImplementedError``, ``return 0``, ``return cmd``) is the cheapest perfect
security score. Without tests to run, a repair must keep the original's structure to be paid for:

- every function and method of the original is still defined, with its parameters (new parameters may
  follow them);
- a function that reads its parameters still reads at least one of them (a stub that ignores its input
  fails; a repair may drop one, e.g. ``eval(expr, env)`` -> ``ast.literal_eval(expr)``);
- each function keeps at least ``threshold`` of the original's depth-1 AST subtrees, with identifiers
  (the share of the original found in the repair: additions such as input validation cost nothing,
  deletions do), and so does the module as a whole.

Real repairs change a call or an argument (``md5`` -> ``sha256``, ``yaml.load`` -> ``yaml.safe_load``,
``shell=True`` -> an argument list) and keep most of the rest. The check cannot tell a correct repair
from a shape-preserving wrong one: that is what tests are for (``code_security`` runs them when given).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from rewardsmith.execution.code_similarity import node_subtrees, parse_python

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(slots=True)
class Preservation:
    """``kept``: the smallest share of structure kept over the module and each function (0..1);
    ``problems``: why the repair does not preserve the original (empty when it does)."""

    kept: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _functions(tree: ast.AST, prefix: str = "") -> dict[str, FunctionNode]:
    """Qualified name (``Class.method``, ``outer.inner``) -> function node."""
    out: dict[str, FunctionNode] = {}
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[prefix + node.name] = node
            out.update(_functions(node, f"{prefix}{node.name}."))
        elif isinstance(node, ast.ClassDef):
            out.update(_functions(node, f"{prefix}{node.name}."))
        elif not isinstance(node, (ast.expr, ast.Lambda)):
            out.update(_functions(node, prefix))  # defs under if / try / with at this level
    return out


def _params(fn: FunctionNode) -> list[str]:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args]
    names += [f"*{a.vararg.arg}"] if a.vararg else []
    names += [p.arg for p in a.kwonlyargs]
    names += [f"**{a.kwarg.arg}"] if a.kwarg else []
    return names


def _reads(fn: FunctionNode) -> set[str]:
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _kept(original: ast.AST, candidate: ast.AST) -> float:
    want = node_subtrees(original, names=True)
    have = node_subtrees(candidate, names=True)
    total = sum(want.values())
    return sum((want & have).values()) / total if total else 1.0


def preservation(original: str, candidate: str, threshold: float = 0.5) -> Preservation | None:
    """How much of ``original`` the ``candidate`` keeps; None when the original does not parse.

    >>> orig = "import yaml\\ndef load(text):\\n    return yaml.load(text)\\n"
    >>> preservation(orig, orig.replace("yaml.load", "yaml.safe_load")).ok
    True
    >>> preservation(orig, "import yaml\\ndef load(text):\\n    pass\\n").problems
    ['load: reads none of its parameters (text) any more', 'load: keeps 18% of its structure (needs 50%)', 'the program keeps 36% of its structure (needs 50%)']
    """
    before = parse_python(original)
    if before is None:
        return None
    after = parse_python(candidate)
    if after is None:
        return Preservation(0.0, ["the repair does not parse"])
    problems: list[str] = []
    kept = [_kept(before, after)]
    theirs = _functions(after)
    for name, fn in _functions(before).items():
        new = theirs.get(name)
        if new is None:
            problems.append(f"{name}: no longer defined")
            kept.append(0.0)
            continue
        params = _params(fn)
        if _params(new)[: len(params)] != params:
            problems.append(f"{name}: parameters changed from ({', '.join(params)}) to ({', '.join(_params(new))})")
        used = ({p.lstrip("*") for p in params} - {"self", "cls"}) & _reads(fn)
        if used and not used & _reads(new):
            problems.append(f"{name}: reads none of its parameters ({', '.join(sorted(used))}) any more")
        share = _kept(fn, new)
        kept.append(share)
        if share < threshold:
            problems.append(f"{name}: keeps {share:.0%} of its structure (needs {threshold:.0%})")
    if kept[0] < threshold:
        problems.append(f"the program keeps {kept[0]:.0%} of its structure (needs {threshold:.0%})")
    return Preservation(min(kept), problems)
