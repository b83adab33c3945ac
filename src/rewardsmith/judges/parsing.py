"""Tolerant verdict parsing: JSON (bare, fenced in markdown, or embedded in chatter), tags, "Score: 7/10",
"[[A]]". A verdict that cannot be read raises ``VerdictParseError`` — it is reported, never guessed.

>>> parse_score('Sure! ```json\\n{"score": 8, "explanation": "ok"}\\n```', 1, 10)
8.0
>>> parse_score("The response is decent. Score: 7/10", 1, 10)
7.0
>>> parse_yes_no("**Verdict:** NO — the answer differs.")
False
>>> parse_choice("After thinking, [[B]]")
'B'
>>> parse_score("I cannot decide.", 1, 10)
Traceback (most recent call last):
...
rewardsmith.judges.parsing.VerdictParseError: no score in judge reply: 'I cannot decide.'
"""

from __future__ import annotations

import re
from typing import Any

from rewardsmith import policy_json


class VerdictParseError(ValueError):
    """The judge's reply holds no readable verdict."""


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= n else text[: n - 3] + "...")


_FENCE = re.compile(r"```(?:json|JSON)?(.*?)```", re.S)  # no \s* before (.*?): quadratic backtracking on a whitespace run; blocks are stripped


_MAX_FAILED_STARTS = 200


def json_objects(text: str) -> list[Any]:
    """Every JSON object or array found in ``text`` (fenced blocks first, then balanced braces), last wins."""
    found: list[Any] = []
    for block in _FENCE.findall(text):
        try:
            found.append(policy_json.loads(block.strip()))
        except ValueError:
            pass
    i = 0
    failed = 0  # each failed start can scan to the end of the text: a bounded number keeps this linear
    while i < len(text):
        if text[i] in "{[":
            try:
                obj, end = policy_json.raw_decode(text, i)
            except ValueError:
                failed += 1
                if failed > _MAX_FAILED_STARTS:
                    break
                i += 1
                continue
            if isinstance(obj, (dict, list)):
                found.append(obj)
            i = end
        else:
            i += 1
    return found


def _json_field(text: str, keys: tuple[str, ...]) -> Any:
    for obj in reversed(json_objects(text)):
        if isinstance(obj, dict):
            lowered = {str(k).lower(): v for k, v in obj.items()}
            for key in keys:
                if key in lowered and lowered[key] is not None:
                    return lowered[key]
    return None


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"-?\d+(?:\.\d+)?", value)
        return float(m.group()) if m else None
    return None


_SCORE_PATTERNS = (
    re.compile(r"<score>\s*(-?\d+(?:\.\d+)?)\s*</score>", re.I),
    re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]"),
    re.compile(r"\b(?:score|rating|grade)\b[\"'*\s]*(?:(?:is|of|=|:)[\"'*\s]*)?(-?\d+(?:\.\d+)?)", re.I),
    re.compile(r"(?<!\d)(-?\d+(?:\.\d+)?)\s*/\s*\d+(?:\.\d+)?"),
)


def parse_score(text: str, lo: float, hi: float, keys: tuple[str, ...] = ("score", "rating", "grade")) -> float:
    """A numeric score in [lo, hi] from the judge's reply; out-of-range or missing -> ``VerdictParseError``."""
    value = _to_number(_json_field(text, keys))
    if value is None:
        for pattern in _SCORE_PATTERNS:
            hits = pattern.findall(text)
            if hits:
                value = float(hits[-1])
                break
    if value is None:
        stripped = text.strip().strip("*").strip()
        if re.fullmatch(r"-?\d+(?:\.\d+)?", stripped):
            value = float(stripped)
    if value is None:
        raise VerdictParseError(f"no score in judge reply: {_short(text)}")
    if not lo <= value <= hi:
        raise VerdictParseError(f"judge score {value:g} outside [{lo:g}, {hi:g}]: {_short(text)}")
    return value


_YES = {"yes", "y", "true", "correct", "pass", "passed", "right", "supported", "satisfied", "1"}
_NO = {"no", "n", "false", "incorrect", "fail", "failed", "wrong", "unsupported", "unsatisfied", "0"}


def _word_verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().strip("*.\"'`").strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
        first = re.match(r"[a-z]+", word)
        if first and first.group() in _YES | _NO:
            return first.group() in _YES
    return None


_VERDICT_LINE = re.compile(
    r"\b(?:verdict|answer|judg(?:e)?ment|decision|correct|result)\b[\"'*\s]*(?:[:=][\"'*\s]*)?(yes|no|true|false|correct|incorrect|pass|fail)\b",
    re.I,
)


def parse_yes_no(text: str, keys: tuple[str, ...] = ("verdict", "correct", "answer", "judgment", "judgement", "decision")) -> bool:
    """A yes/no verdict; ambiguous or missing -> ``VerdictParseError``."""
    verdict = _word_verdict(_json_field(text, keys))
    if verdict is not None:
        return verdict
    hits = _VERDICT_LINE.findall(text)
    if hits:
        return _word_verdict(hits[-1]) is True
    tag = re.findall(r"<(?:verdict|answer)>\s*(\w+)\s*</(?:verdict|answer)>", text, re.I)
    if tag and _word_verdict(tag[-1]) is not None:
        return bool(_word_verdict(tag[-1]))
    first = re.match(r"\W*([A-Za-z]+)", text)
    if first and _word_verdict(first.group(1)) is not None:
        return bool(_word_verdict(first.group(1)))
    raise VerdictParseError(f"no yes/no verdict in judge reply: {_short(text)}")


def parse_choice(text: str, keys: tuple[str, ...] = ("winner", "better", "choice", "preferred", "verdict")) -> str:
    """'A', 'B' or 'tie' from a pairwise verdict."""

    def norm(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        v = value.strip().strip("*[]().\"'").strip().lower()
        v = re.sub(r"^(?:response|output|assistant|answer)\s+", "", v)
        if v in ("a", "1"):
            return "A"
        if v in ("b", "2"):
            return "B"
        if v in ("tie", "draw", "equal", "same", "c", "both"):
            return "tie"
        return None

    got = norm(_json_field(text, keys))
    if got:
        return got
    for pattern in (r"\[\[\s*(A|B|C|tie)\s*\]\]", r"\b(?:winner|better|verdict|choice)\b[\"'*\s]*(?:(?:is|:)[\"'*\s]*)?(?:response\s+)?\(?([AB]|tie)\b\)?"):
        hits = re.findall(pattern, text, re.I)
        if hits:
            found = norm(hits[-1])
            if found:
                return found
    hits = re.findall(r"\b(?:Response|Output|Assistant)\s+([AB])\s+is\s+(?:better|superior|preferred)", text, re.I)
    if hits:
        return hits[-1].upper()
    got = norm(text)
    if got:
        return got
    raise VerdictParseError(f"no pairwise verdict in judge reply: {_short(text)}")


def parse_ranking(text: str, n: int) -> list[int]:
    """A permutation of 0..n-1 (best first) from '[2, 1, 3]', '{"ranking": ...}' or '2 > 1 > 3'."""
    raw = _json_field(text, ("ranking", "rank", "order"))
    if raw is None:
        for obj in reversed(json_objects(text)):
            if isinstance(obj, list):
                raw = obj
                break
    if raw is None:
        chain = re.findall(r"(?<!\d)\d+(?:\s*>\s*\d+)+", text)
        if chain:
            raw = re.findall(r"\d+", chain[-1])
    if not isinstance(raw, list):
        raise VerdictParseError(f"no ranking in judge reply: {_short(text)}")
    try:
        order = [int(_to_number(x) or 0) - 1 for x in raw]
    except (TypeError, ValueError):
        raise VerdictParseError(f"ranking is not a list of numbers: {_short(text)}") from None
    if sorted(order) != list(range(n)):
        raise VerdictParseError(f"ranking {[o + 1 for o in order]} is not a permutation of 1..{n}")
    return order


#: "1. yes" lines. Linear on any text: the line prefix cannot cross lines, the optional keyword is followed by
#: its own whitespace (no two adjacent \W* / \s* runs), and the gap after the number is taken whole through a
#: lookahead (``(?=(\W+))\2``, no backtracking into it).
_CHECK_LINE = re.compile(
    r"(?m)^[^\w\n]*(?:(?:c|item|checkpoint|criterion)\s*)?(\d+)(?=(\W+))\2.*?\b(yes|no|true|false|pass|fail)\b", re.I
)


def parse_checklist(text: str, n: int) -> list[bool]:
    """One verdict per numbered item 1..n from '{"1": true, ...}', a JSON list, or lines '1: yes'."""
    for obj in reversed(json_objects(text)):
        if isinstance(obj, dict):
            for nest in ("verdicts", "results", "checks"):
                if isinstance(obj.get(nest), (dict, list)):
                    obj = obj[nest]
                    break
        if isinstance(obj, dict):
            got: dict[int, bool] = {}
            for k, v in obj.items():
                m = re.search(r"\d+", str(k))
                verdict = _word_verdict(v if not isinstance(v, dict) else v.get("verdict", v.get("satisfied")))
                if m and verdict is not None:
                    got[int(m.group())] = verdict
            if all(i in got for i in range(1, n + 1)):
                return [got[i] for i in range(1, n + 1)]
        if isinstance(obj, list) and len(obj) == n:
            verdicts = [_word_verdict(v if not isinstance(v, dict) else v.get("verdict", v.get("satisfied"))) for v in obj]
            if all(v is not None for v in verdicts):
                return [bool(v) for v in verdicts]
    lines: dict[int, bool] = {}
    for m in _CHECK_LINE.finditer(text):
        lines[int(m.group(1))] = m.group(3).lower() in _YES
    if all(i in lines for i in range(1, n + 1)):
        return [lines[i] for i in range(1, n + 1)]
    raise VerdictParseError(f"no verdict for each of the {n} items in judge reply: {_short(text)}")


def explanation(text: str) -> str:
    """The judge's explanation (JSON ``explanation`` / ``reason``), else the reply itself, shortened."""
    value = _json_field(text, ("explanation", "reason", "rationale", "critique"))
    out = str(value) if value is not None else text.strip()
    return out if len(out) <= 500 else out[:497] + "..."
