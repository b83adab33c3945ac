"""What a static scanner should see: a Python program with its simplest call obfuscations undone.

A security reward that pays for findings a scanner no longer reports pays for hiding a call from the
scanner as much as for fixing it: ``getattr(subprocess, "call")(cmd, shell=True)``, ``c = subprocess.call``
then ``c(cmd, shell=True)``, or ``subprocess.call(cmd, **{"shell": True})`` run the same vulnerable call,
and bandit reports a lesser finding or none. ``canonical_source`` rewrites the forms that have one
obvious meaning back to the direct call (a constant ``getattr``, a name bound once to a dotted
attribute, a literal ``**{...}``) before scanning. ``opaque_constructs`` counts what cannot be undone
statically (dynamic lookups, imports by string, ``**`` of a computed mapping): a repair that adds
such constructs hides behaviour from the scanner, and the security term does not pay for it.
"""

from __future__ import annotations

import ast
from collections import Counter

#: Builtins and attributes that look a name up at run time (what a static scanner cannot follow).
_DYNAMIC_CALLS = {"getattr", "__import__", "globals", "locals", "vars", "import_module", "eval", "exec", "compile"}
_DYNAMIC_ATTRS = {"__dict__", "__builtins__", "__getattribute__", "__globals__", "modules"}


def _dotted(node: ast.AST) -> bool:
    """``a.b.c``: names and attributes only (what an alias can stand for without running anything)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _aliases(tree: ast.AST) -> dict[str, ast.expr]:
    """Names assigned exactly once in the whole program, to a dotted attribute (``c = subprocess.call``)."""
    bound: Counter[str] = Counter()
    value: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound[node.id] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] += 1
        elif isinstance(node, ast.arg):
            bound[node.arg] += 1
        elif isinstance(node, ast.alias):
            bound[(node.asname or node.name).split(".")[0]] += 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Attribute) and _dotted(node.value):
                value[node.targets[0].id] = node.value
    return {name: v for name, v in value.items() if bound[name] == 1}


class _Undo(ast.NodeTransformer):
    def __init__(self, aliases: dict[str, ast.expr]) -> None:
        self.aliases = aliases

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.aliases:
            node.func = ast.copy_location(self.aliases[func.id], func)
        elif (  # getattr(obj, "name") -> obj.name
            isinstance(func, ast.Call)
            and isinstance(func.func, ast.Name)
            and func.func.id == "getattr"
            and len(func.args) == 2
            and not func.keywords
            and isinstance(func.args[1], ast.Constant)
            and isinstance(func.args[1].value, str)
            and func.args[1].value.isidentifier()
        ):
            node.func = ast.copy_location(ast.Attribute(func.args[0], func.args[1].value, ast.Load()), func)
        keywords: list[ast.keyword] = []
        for kw in node.keywords:  # f(**{"shell": True}) -> f(shell=True)
            if kw.arg is None and isinstance(kw.value, ast.Dict) and all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.isidentifier() for k in kw.value.keys
            ):
                keywords += [ast.keyword(k.value, v) for k, v in zip(kw.value.keys, kw.value.values)]  # type: ignore[union-attr]
            else:
                keywords.append(kw)
        node.keywords = keywords
        return node


def canonical_source(code: str) -> str:
    """``code`` with constant ``getattr`` calls, single-assignment attribute aliases and literal ``**{...}``
    keyword dicts rewritten to direct calls (re-printed by ``ast.unparse``: comments, ``# nosec`` included,
    are gone); the code itself when it does not parse.

    >>> print(canonical_source("import subprocess\\nc = subprocess.call\\nc(x, **{'shell': True})"))
    import subprocess
    c = subprocess.call
    subprocess.call(x, shell=True)
    >>> canonical_source("getattr(os, 'system')(cmd)")
    'os.system(cmd)'
    """
    try:
        tree = ast.parse(code)
        tree = ast.fix_missing_locations(_Undo(_aliases(tree)).visit(tree))
        return ast.unparse(tree)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return code


def opaque_constructs(code: str) -> int | None:
    """How many run-time name lookups ``code`` makes that a scanner cannot follow (None: it does not parse):
    calls of getattr / __import__ / import_module / globals / locals / vars / eval / exec / compile (other
    than a constant ``getattr``), ``__dict__``-style attributes, and ``**`` of a mapping that is not a literal.

    >>> opaque_constructs("import os\\nos.system(cmd)"), opaque_constructs("getattr(os, name)(cmd)")
    (0, 1)
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else None
            constant_getattr = name == "getattr" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant)
            if name in _DYNAMIC_CALLS and not constant_getattr:
                count += 1
            count += sum(1 for kw in node.keywords if kw.arg is None and not isinstance(kw.value, ast.Dict))
        elif isinstance(node, ast.Attribute) and node.attr in _DYNAMIC_ATTRS:
            count += 1
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            count += 1
    return count
