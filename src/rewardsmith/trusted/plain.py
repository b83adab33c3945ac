"""Plain data across the trust boundary: the only values that travel between a sandboxed program and its judge.

Plain data is ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes`` and ``list`` / ``tuple`` /
``dict`` / ``set`` / ``frozenset`` of plain data, checked with exact ``type(x) is ...`` (never ``isinstance``:
a subclass or a look-alike object is not plain). The wire format is JSON (it cannot carry code, unlike
pickle; and ``json.loads`` is safe on any input, unlike ``marshal.loads``): JSON scalars and arrays as
themselves, every other container as a one-key object tag::

    tuple {"t": [...]}   set {"s": [...]}   frozenset {"f": [...]}   dict {"d": [[k, v], ...]}
    bytes {"b": "hex"}   complex {"c": [re, im]}

Two sides add references, each accepting only the other's: the judge sends ``{"n": target}`` (a name or
kept object of the program, with attributes) and ``{"cb": id}`` (a callable of the judge, a callback);
the program sends ``{"h": id}`` only inside a callback's arguments (an object it keeps). Messages are JSON arrays ``[kind, ...]`` (objects are always tags).

This module is standard library only: it is loaded inside the sandbox worker (the judge) and, for its
encoder, by the program's side of the call channel (where its output is never trusted, only decoded).

>>> decode(encode({"a": (1, 2.5, None), 3: {b"x"}}))
{'a': (1, 2.5, None), 3: {b'x'}}
>>> class Sneaky(int):
...     pass
>>> encode([Sneaky(1)])
Traceback (most recent call last):
...
rewardsmith.trusted.plain.NotPlain: Sneaky
>>> decode('{"t": [1, {"evil": 2}]}')
Traceback (most recent call last):
...
rewardsmith.trusted.plain.BadWire: unknown tag ['evil']
"""

from __future__ import annotations

import json
from typing import Any, Callable

#: Nesting deeper than this is refused (a cycle ends here too).
MAX_DEPTH = 100
_SCALARS = (type(None), bool, int, float, str)


class NotPlain(TypeError):
    """A value that is not plain data (its message is the offending type's name)."""


class BadWire(ValueError):
    """Bytes that are not a well-formed message of this format."""


def tagged(value: Any, ref: Callable[[Any], Any] | None = None, depth: int = 0) -> Any:
    """The JSON-ready form of ``value``; ``ref(x)`` (when given) tags what is not plain, else NotPlain."""
    t = type(value)
    if t in _SCALARS:
        return value
    if depth > MAX_DEPTH:
        raise NotPlain("nested too deep")
    d = depth + 1
    if t is list:
        return [tagged(v, ref, d) for v in value]
    if t is tuple:
        return {"t": [tagged(v, ref, d) for v in value]}
    if t is dict:
        return {"d": [[tagged(k, ref, d), tagged(v, ref, d)] for k, v in value.items()]}
    if t is set:
        return {"s": [tagged(v, ref, d) for v in value]}
    if t is frozenset:
        return {"f": [tagged(v, ref, d) for v in value]}
    if t is bytes:
        return {"b": value.hex()}
    if t is complex:
        return {"c": [value.real, value.imag]}
    if ref is not None:
        return ref(value)
    raise NotPlain(t.__name__)


def encode(value: Any) -> str:
    """JSON text of plain ``value``; NotPlain when it is not plain data (or its ints are too long for text)."""
    try:
        return json.dumps(tagged(value), allow_nan=True, separators=(",", ":"))
    except ValueError as exc:  # int longer than the interpreter's int/str digit limit
        raise NotPlain(f"int too large ({exc})") from None


def _untag(obj: dict) -> Any:
    if len(obj) != 1:
        raise BadWire(f"unknown tag {sorted(obj)[:3]}")
    (tag, body), = obj.items()
    if tag == "t" and type(body) is list:
        return tuple(body)
    if tag == "s" and type(body) is list:
        return set(body)
    if tag == "f" and type(body) is list:
        return frozenset(body)
    if tag == "d" and type(body) is list and all(type(p) is list and len(p) == 2 for p in body):
        return dict((k, v) for k, v in body)
    if tag == "b" and type(body) is str:
        return bytes.fromhex(body)
    if tag == "c" and type(body) is list and len(body) == 2 and all(type(x) in (int, float) for x in body):
        return complex(body[0], body[1])
    raise BadWire(f"unknown tag {[tag]}")


def decode(text: str | bytes, extra: Callable[[str, Any], Any] | None = None) -> Any:
    """Plain data from JSON text; ``extra(tag, body)`` may accept tags beyond plain data (the judge's own
    references, on the program's side). Raises BadWire for anything else, including unhashable set
    members or dict keys and nesting too deep for the parser."""

    def hook(obj: dict) -> Any:
        if extra is not None and len(obj) == 1:
            (tag, body), = obj.items()
            if tag in ("h", "n", "cb"):  # the caller's ``extra`` accepts or refuses it
                return extra(tag, body)
        return _untag(obj)

    try:
        return json.loads(text, object_hook=hook)
    except BadWire:
        raise
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise BadWire(f"{type(exc).__name__}: {str(exc)[:100]}") from None
