"""Syntactic similarity of code to a reference (CodeBLEU-style): token n-gram BLEU and AST subtree match."""

from __future__ import annotations

import ast
import io
import math
import tokenize
from collections import Counter


def code_tokens(code: str) -> list[str]:
    """Python tokens without comments and layout (falls back to whitespace split when tokenizing fails).

    >>> code_tokens("x = f(1)  # hi")
    ['x', '=', 'f', '(', '1', ')']
    """
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER, tokenize.ENCODING}
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError, MemoryError, RecursionError):
        return code.split()


def token_bleu(candidate: str, reference: str, max_n: int = 4) -> float:
    """Sentence BLEU over code tokens (uniform weights, +1 smoothing for n > 1, brevity penalty).

    >>> token_bleu("x = f(1)", "x = f(1)")
    1.0
    """
    c, r = code_tokens(candidate), code_tokens(reference)
    if not c or not r:
        return 1.0 if c == r else 0.0
    logs = []
    for n in range(1, max_n + 1):
        cg = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
        rg = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
        match = sum((cg & rg).values())
        total = sum(cg.values())
        if n == 1 and match == 0:
            return 0.0
        smooth = 0 if n == 1 else 1
        logs.append(math.log((match + smooth) / (total + smooth)) if total + smooth else 0.0)
    bp = 1.0 if len(c) > len(r) else math.exp(1 - len(r) / len(c))
    return min(1.0, bp * math.exp(sum(logs) / len(logs)))


def parse_python(code: str) -> ast.Module | None:
    """The module's AST, or None when it does not parse (a syntax error, or nesting too deep for the parser)."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def node_subtrees(root: ast.AST, names: bool = False) -> Counter[str]:
    """Depth-1 subtrees under ``root``: each node's type with its children's types (with ``names``, the
    identifier of names, attributes, arguments, functions and keywords too).

    >>> sorted(node_subtrees(ast.parse("f(x)").body[0], names=True))
    ['Call(Name,Name)', 'Expr(Call)', 'Load()', 'Name[f](Load)', 'Name[x](Load)']
    """
    out: Counter[str] = Counter()
    for node in ast.walk(root):
        kids = [type(k).__name__ for k in ast.iter_child_nodes(node)]
        label = type(node).__name__
        if names:
            ident = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "arg", None) or getattr(node, "name", None)
            label += f"[{ident}]" if isinstance(ident, str) else ""
        out[label + "(" + ",".join(kids) + ")"] += 1
    return out


def _subtrees(code: str) -> Counter[str] | None:
    tree = parse_python(code)
    return None if tree is None else node_subtrees(tree)


def ast_match(candidate: str, reference: str) -> float:
    """Share of the reference's depth-1 AST subtrees found in the candidate (CodeBLEU's syntactic match).

    >>> ast_match("def f(a):\\n    return a + 1", "def g(b):\\n    return b + 1")
    1.0
    """
    c, r = _subtrees(candidate), _subtrees(reference)
    if c is None or r is None:
        return 0.0
    total = sum(r.values())
    return sum((c & r).values()) / total if total else 1.0


def code_similarity(candidate: str, reference: str) -> float:
    """Mean of token BLEU and AST match."""
    return 0.5 * token_bleu(candidate, reference) + 0.5 * ast_match(candidate, reference)
