"""Tool calls out of a completion: OpenAI ``tool_calls``, Hermes ``<tool_call>{json}</tool_call>``, Python syntax.

Python call syntax is parsed with ``ast`` (never evaluated): ``f(a=1)``, ``[f(a=1), g(b="x")]``, dotted
names (``math.hypot(x=3)``); argument values must be literals (other expressions are kept as their
source text, e.g. ``lambda x: x**2``); positional arguments are named from the tool schema's order.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from rewardsmith import policy_json
from rewardsmith.execution.fences import fenced_blocks
from rewardsmith.types import ToolCall

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
#: Longest text parsed as Python call syntax.
MAX_CALL_CHARS = 100_000


@dataclass(slots=True)
class ParsedCalls:
    """The calls found, whether every attempted call was well-formed, and which syntax they used."""

    calls: list[ToolCall] = field(default_factory=list)
    format_ok: bool = True
    syntax: str = "none"
    problems: list[str] = field(default_factory=list)


def normalize_tools(tools: Any) -> dict[str, dict[str, Any]]:
    """name -> parameters schema, from BFCL functions or OpenAI ``{"type": "function", "function": ...}``."""
    out: dict[str, dict[str, Any]] = {}
    for tool in tools or []:
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function", tool) if tool.get("type") == "function" or "function" in tool else tool
        name = fn.get("name")
        if isinstance(name, str):
            params = fn.get("parameters") or {}
            out[name] = params if isinstance(params, dict) else {}
    return out


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        left = _dotted(node.value)
        return f"{left}.{node.attr}" if left else None
    return None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ast.unparse(node)


def _python_calls(text: str, tools: dict[str, dict[str, Any]]) -> list[ToolCall] | None:
    """Calls when ``text`` is a call or a list/tuple of calls; None when it is not (or is longer than
    ``MAX_CALL_CHARS``: parsing a megabyte of Python costs seconds, and no tool call is that long)."""
    if len(text) > MAX_CALL_CHARS:
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body = tree.body
    nodes = list(body.elts) if isinstance(body, (ast.List, ast.Tuple)) else [body]
    if not nodes or not all(isinstance(n, ast.Call) for n in nodes):
        return None
    calls = []
    for node in nodes:
        assert isinstance(node, ast.Call)
        name = _dotted(node.func)
        if name is None:
            return None
        args: dict[str, Any] = {}
        order = list((tools.get(name, {}).get("properties") or {}).keys())
        for i, arg in enumerate(node.args):
            args[order[i] if i < len(order) else f"_{i}"] = _literal(arg)
        for kw in node.keywords:
            if kw.arg is None:
                return None
            args[kw.arg] = _literal(kw.value)
        calls.append(ToolCall(name=name, arguments=args))
    return calls


def hermes_blocks(text: str) -> list[str]:
    """Bodies of the closed ``<tool_call>...</tool_call>`` blocks (stripped), found with ``str.find``: one
    pass, so a completion of a million unclosed openers costs linear time.

    >>> hermes_blocks("<tool_call> a </tool_call> <tool_call>b<tool_call>c</tool_call><tool_call>d")
    ['a', 'b<tool_call>c']
    """
    out = []
    pos = text.find(_OPEN)
    while pos >= 0:
        end = text.find(_CLOSE, pos + len(_OPEN))
        if end < 0:
            break
        out.append(text[pos + len(_OPEN) : end].strip())
        pos = text.find(_OPEN, end + len(_CLOSE))
    return out


def _hermes_payload(raw: str) -> ToolCall:
    try:
        data = policy_json.loads(raw)
    except ValueError:
        try:
            data = ast.literal_eval(raw)
        except (RecursionError, MemoryError) as e:
            raise ValueError("tool call payload nested too deeply") from e  # some models write Python dicts (single quotes, True/None)
    return ToolCall.parse(data)


def parse_tool_calls(text: str, tool_calls: list[ToolCall] | None = None, tools: Any = None) -> ParsedCalls:
    """All calls a completion makes.

    >>> parse_tool_calls('<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>').calls
    [ToolCall(name='f', arguments={'a': 1}, id=None)]
    >>> parse_tool_calls('[math.hypot(x=3, y=4), g("s")]').calls[0].name
    'math.hypot'
    >>> parse_tool_calls("The answer is 42.").calls
    []
    """
    schema = normalize_tools(tools)
    if tool_calls:
        return ParsedCalls(list(tool_calls), True, "openai")
    if "<tool_call>" in text:
        found = ParsedCalls(syntax="hermes")
        for raw in hermes_blocks(text):
            try:
                found.calls.append(_hermes_payload(raw))
            except Exception as exc:
                found.format_ok = False
                found.problems.append(f"bad <tool_call>: {type(exc).__name__}: {exc}")
        if text.count("<tool_call>") != text.count("</tool_call>"):
            found.format_ok = False
            found.problems.append("unclosed <tool_call>")
        return found
    candidates = [code for _, code in reversed(fenced_blocks(text))] + [text]
    for candidate in candidates:
        calls = _python_calls(candidate, schema)
        if calls is not None:
            return ParsedCalls(calls, True, "python")
    for line in text.splitlines():  # a call on a line of its own among prose
        if "(" in line and line.strip().endswith((")", "]")):
            calls = _python_calls(line.strip().strip("`"), schema)
            if calls is not None:
                return ParsedCalls(calls, True, "python")
    return ParsedCalls([], True, "none")
