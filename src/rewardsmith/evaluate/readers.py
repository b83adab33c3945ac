"""Readers that turn benchmark files into evaluation items.

Layouts understood (detected from the columns of the first row):

- RewardBench v1 pairs: ``prompt``, ``chosen``, ``rejected``, optional ``subset`` (Lambert et al. 2024).
- Anthropic HH-RLHF dialogue pairs: ``chosen`` / ``rejected`` full dialogues ("\\n\\nHuman: ... \\n\\nAssistant: ...");
  the shared turns become the chat prompt, the last assistant turns the two completions (Bai et al. 2022).
- JudgeBench A/B pairs: ``question``, ``response_A``, ``response_B``, ``label`` "A>B" / "B>A" (Tan et al. 2024).
- RewardBench 2 best-of-N: ``prompt``, ``chosen`` (list or str), ``rejected`` (list), optional ``subset``.
- Labelled rows for verifiers: contract rows plus ``label`` (or ``metadata.is_correct`` / ``metadata.label``).
- JudgeBench scored outputs: the above plus ``judgments[*].judgment.scores``; the second judgment was made
  with the responses swapped.
- VL-RewardBench pairs: ``query``, ``image``, ``response`` (two), ``human_ranking`` (``[0, 1]``: the first is
  preferred), optional ``query_source`` (Li et al. 2024, "VLRewardBench").

Images: a row's ``image`` / ``images`` column (any layout) joins the prompt, which becomes one chat message
with the images first (OpenAI ``image_url`` parts). An image is a data URI or URL (kept as is), a file path
(relative to the data file's folder; read and inlined as a data URI), or Hugging Face's image record
``{"bytes": base64 or bytes, "path": ...}``.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rewardsmith.evaluate.metrics import decision
from rewardsmith.images import data_uri
from rewardsmith.rows import read_rows
from rewardsmith.types import RewardResult, Text, row_group_key

SLICE_COLUMNS: tuple[str, ...] = ("subset", "source", "category")
IMAGE_COLUMNS: tuple[str, ...] = ("image", "images")


class ReaderError(ValueError):
    """A benchmark file this reader cannot interpret; the message names the file, the row and the field."""


@dataclass(slots=True)
class Pair:
    """A preference pair: ``chosen`` should score above ``rejected``."""

    id: str
    prompt: Text
    chosen: Text
    rejected: Text
    fields: dict[str, Any] = field(default_factory=dict)
    reference: Any = None


@dataclass(slots=True)
class BonItem:
    """A best-of-N item: each of ``correct`` should outscore every response in ``others``."""

    id: str
    prompt: Text
    correct: list[Text]
    others: list[Text]
    fields: dict[str, Any] = field(default_factory=dict)
    reference: Any = None


@dataclass(slots=True)
class LabeledRow:
    """A contract row with a binary gold label (is the completion correct?)."""

    row: dict[str, Any]
    label: bool
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ScoredPair:
    """A pair already judged in both orders: ``first`` on (A, B), ``second`` on (B, A) in swapped positions."""

    id: str
    label: str
    first: str
    second: str
    judge: str
    fields: dict[str, Any] = field(default_factory=dict)


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a JSONL / JSONL.gz / Parquet file; a malformed line raises ``ReaderError``."""
    out: list[dict[str, Any]] = []
    for line, row in read_rows(Path(path)):
        if isinstance(row, RewardResult):
            raise ReaderError(f"{path}: {row.reason}")
        out.append(row)
    return out


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    out = {k: v for k, v in meta.items() if isinstance(v, (str, int, bool)) and not isinstance(v, bool)}
    out.update({k: v for k, v in row.items() if isinstance(v, (str, int)) and not isinstance(v, bool)
                and k not in ("prompt", "chosen", "rejected", "completion", "question", "response_A", "response_B", "query",
                              *IMAGE_COLUMNS)})
    return out


_TURN = re.compile(r"\n\n(Human|Assistant):[ ]?")


def hh_dialogue(text: str) -> list[dict[str, str]]:
    """An HH-RLHF dialogue as chat messages.

    >>> hh_dialogue("\\n\\nHuman: hi\\n\\nAssistant: hello")
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
    """
    parts = _TURN.split(text)
    messages: list[dict[str, str]] = []
    for i in range(1, len(parts) - 1, 2):
        role = "user" if parts[i] == "Human" else "assistant"
        messages.append({"role": role, "content": parts[i + 1].strip()})
    return messages


def hh_pair(chosen: str, rejected: str) -> tuple[list[dict[str, str]], str, str]:
    """Split two HH-RLHF dialogues into (shared chat prompt, chosen last reply, rejected last reply)."""
    c, r = hh_dialogue(chosen), hh_dialogue(rejected)
    if not c or c[-1]["role"] != "assistant" or not r or r[-1]["role"] != "assistant":
        raise ReaderError("an HH-RLHF dialogue must end with an Assistant turn")
    return c[:-1], c[-1]["content"], r[-1]["content"]



def image_value(value: Any, base: Path | None, where: str) -> str:
    """One image of a benchmark row as a URL or data URI (files and HF image records are inlined).

    >>> image_value("https://x/cat.png", None, "row 0"), image_value({"bytes": "aGk=", "path": "a.png"}, None, "row 0")
    ('https://x/cat.png', 'data:image/png;base64,aGk=')
    """
    if isinstance(value, dict):
        raw, name = value.get("bytes"), value.get("path")
        if isinstance(raw, (bytes, bytearray)):
            return data_uri(bytes(raw), _mime(name))
        if isinstance(raw, str) and raw:
            return f"data:{_mime(name)};base64,{raw}"
        value = name
    if not isinstance(value, str) or not value:
        raise ReaderError(f"{where}: field 'image': expected a path, URL, data URI or {{bytes, path}}, got {type(value).__name__}")
    if value.startswith(("data:", "http://", "https://")):
        return value
    path = Path(value)
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        return data_uri(path.read_bytes(), _mime(value))
    except OSError as exc:
        raise ReaderError(f"{where}: field 'image': cannot read {str(path)!r} ({exc.strerror or exc})") from None


def _mime(name: Any) -> str:
    guess = mimetypes.guess_type(str(name))[0] if isinstance(name, str) else None
    return guess if guess and guess.startswith("image/") else "image/png"


def with_images(prompt: Text, row: dict[str, Any], base: Path | None, where: str) -> Text:
    """The prompt with the row's ``image`` / ``images`` column in it (unchanged when the row has none)."""
    values: list[Any] = []
    for column in IMAGE_COLUMNS:
        got = row.get(column)
        if got is not None:
            values.extend(got if isinstance(got, list) else [got])
    if not values:
        return prompt
    parts = [{"type": "image_url", "image_url": {"url": image_value(v, base, where)}} for v in values]
    if isinstance(prompt, list):  # a chat prompt: the images join its last user message
        msgs = [dict(m) for m in prompt]
        for m in reversed(msgs):
            if m.get("role") == "user":
                content = m.get("content")
                text = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
                m["content"] = [*parts, *text]
                return msgs
        return [{"role": "user", "content": parts}, *msgs]
    return [{"role": "user", "content": [*parts, {"type": "text", "text": str(prompt)}]}]


def detect_layout(row: dict[str, Any]) -> str:
    """``judgebench``, ``vl-rewardbench``, ``hh-rlhf``, ``rewardbench``, ``bon`` or ``labels`` from a first
    row's columns.

    >>> detect_layout({"question": "q", "response_A": "a", "response_B": "b", "label": "A>B"})
    'judgebench'
    >>> detect_layout({"chosen": "\\n\\nHuman: q\\n\\nAssistant: a", "rejected": "\\n\\nHuman: q\\n\\nAssistant: b"})
    'hh-rlhf'
    >>> detect_layout({"prompt": "q", "chosen": ["a"], "rejected": ["b", "c"]})
    'bon'
    """
    if "response_A" in row and "response_B" in row:
        return "judgebench"
    if "human_ranking" in row and isinstance(row.get("response"), list):
        return "vl-rewardbench"
    if "chosen" in row and "rejected" in row:
        if isinstance(row["chosen"], list) and row["chosen"] and isinstance(row["chosen"][0], str):
            return "bon"
        if isinstance(row["rejected"], list) and row["rejected"] and isinstance(row["rejected"][0], str):
            return "bon"
        if "prompt" not in row and isinstance(row["chosen"], str) and "\n\nAssistant:" in row["chosen"]:
            return "hh-rlhf"
        return "rewardbench"
    if "completion" in row:
        return "labels"
    raise ReaderError(f"cannot tell the layout from columns {sorted(row)}")


def read_pairs(path: str | Path, limit: int | None = None) -> list[Pair]:
    """Preference pairs from a RewardBench v1, HH-RLHF or JudgeBench file (layout detected)."""
    rows = load_rows(path)[:limit]
    if not rows:
        return []
    layout = detect_layout(rows[0])
    return list(pairs_from_rows(rows, layout, str(path), Path(path).parent))


def pairs_from_rows(rows: Iterable[dict[str, Any]], layout: str, origin: str = "rows", base: Path | None = None) -> Iterable[Pair]:
    """Pairs of one layout; a row's images (``image`` / ``images``, files under ``base``) join its prompt."""
    for i, row in enumerate(rows):
        rid = str(row.get("id", row.get("pair_id", i)))
        for pair in _pair(row, i, rid, layout, origin):
            pair.prompt = with_images(pair.prompt, row, base, f"{origin} row {i}")
            yield pair


def _pair(row: dict[str, Any], i: int, rid: str, layout: str, origin: str) -> Iterable[Pair]:
    try:
        if layout == "vl-rewardbench":
            responses, ranking = row["response"], row["human_ranking"]
            if len(responses) != 2 or not isinstance(ranking, list) or sorted(ranking) != [0, 1]:
                raise ReaderError(f"{origin} row {i}: fields 'response' / 'human_ranking': expected two responses "
                                  f"and a ranking [0, 1] or [1, 0], got {len(responses)} and {ranking!r}")
            best = ranking.index(0)  # rank 0 is preferred
            fields = _fields(row)
            if isinstance(row.get("query_source"), str):
                fields.setdefault("source", row["query_source"])
            yield Pair(rid, row["query"], responses[best], responses[1 - best], fields)
        elif layout == "judgebench":
            label = row["label"]
            if label not in ("A>B", "B>A"):
                raise ReaderError(f"{origin} row {i}: field 'label': expected 'A>B' or 'B>A', got {label!r}")
            a, b = row["response_A"], row["response_B"]
            chosen, rejected = (a, b) if label == "A>B" else (b, a)
            fields = _fields(row)
            if isinstance(row.get("source"), str):
                fields.setdefault("category", row["source"].split("-")[0])
            yield Pair(rid, row["question"], chosen, rejected, fields)
        elif layout == "hh-rlhf":
            prompt, chosen, rejected = hh_pair(row["chosen"], row["rejected"])
            yield Pair(rid, prompt, chosen, rejected, _fields(row))
        elif layout == "rewardbench":
            yield Pair(rid, row.get("prompt", ""), row["chosen"], row["rejected"], _fields(row), row.get("reference"))
        else:
            raise ReaderError(f"{origin}: layout {layout!r} holds no pairs")
    except KeyError as exc:
        raise ReaderError(f"{origin} row {i}: field {exc.args[0]!r}: missing") from None


def read_bon(path: str | Path, limit: int | None = None) -> list[BonItem]:
    """Best-of-N items from a RewardBench 2 layout (``chosen`` and ``rejected`` lists), or from contract rows
    grouped by ``group`` with a gold ``label`` / ``metadata.is_correct`` (groups with no correct or no incorrect
    completion are skipped)."""
    rows = load_rows(path)
    items: list[BonItem] = []
    if rows and detect_layout(rows[0]) == "labels":
        groups: dict[str, list[LabeledRow]] = {}
        prompts: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        for lr in labeled_from_rows(rows, str(path), Path(path).parent):
            key = row_group_key(lr.row)  # the engine's grouping: prompt text and images
            groups.setdefault(key, []).append(lr)
            prompts.setdefault(key, lr.row.get("prompt", ""))
            refs.setdefault(key, lr.row.get("reference"))
        for key, members in groups.items():
            good = [m.row["completion"] for m in members if m.label]
            bad = [m.row["completion"] for m in members if not m.label]
            if good and bad:
                items.append(BonItem(key, prompts[key], good, bad, members[0].fields, refs[key]))
        return items[:limit]
    for i, row in enumerate(rows[:limit]):
        chosen = row.get("chosen")
        rejected = row.get("rejected")
        if chosen is None or rejected is None:
            raise ReaderError(f"{path} row {i}: a best-of-N row needs 'chosen' and 'rejected'")
        correct = chosen if isinstance(chosen, list) else [chosen]
        others = rejected if isinstance(rejected, list) else [rejected]
        prompt = with_images(row.get("prompt", ""), row, Path(path).parent, f"{path} row {i}")
        items.append(BonItem(str(row.get("id", i)), prompt, correct, others, _fields(row), row.get("reference")))
    return items


def gold_label(row: dict[str, Any]) -> bool | None:
    """A row's gold correctness: ``label``, else ``metadata.is_correct`` / ``metadata.label``.

    >>> gold_label({"label": True}), gold_label({"metadata": {"is_correct": False}}), gold_label({})
    (True, False, None)
    """
    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    for value in (row.get("label"), meta.get("is_correct"), meta.get("label")):
        if value is None:
            continue
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "1", "correct", "yes", "pass"):
                return True
            if low in ("false", "0", "incorrect", "no", "fail"):
                return False
            continue
        return bool(value)
    return None


def labeled_from_rows(rows: Iterable[dict[str, Any]], origin: str = "rows", base: Path | None = None) -> Iterable[LabeledRow]:
    """Labelled contract rows; an ``image`` / ``images`` column (files under ``base``) joins the prompt."""
    for i, row in enumerate(rows):
        label = gold_label(row)
        if label is None:
            raise ReaderError(f"{origin} row {i}: field 'label': missing (or metadata.is_correct)")
        clean = {k: v for k, v in row.items() if k not in ("label", "note", *IMAGE_COLUMNS)}
        clean["prompt"] = with_images(row.get("prompt", ""), row, base, f"{origin} row {i}")
        if "id" not in clean:
            clean["id"] = str(i)
        yield LabeledRow(clean, label, _fields(row))


def read_labeled(path: str | Path, limit: int | None = None) -> list[LabeledRow]:
    """Contract rows with a gold label, for verifier label agreement."""
    return list(labeled_from_rows(load_rows(path)[:limit], str(path), Path(path).parent))


def read_judgebench_scored(path: str | Path) -> list[ScoredPair]:
    """JudgeBench output rows: decisions recomputed from ``judgments[*].judgment.scores`` (a higher score wins,
    equal scores tie); the second judgment saw the responses swapped."""
    out: list[ScoredPair] = []
    for i, row in enumerate(load_rows(path)):
        judgments = row.get("judgments") or []
        if len(judgments) < 1:
            raise ReaderError(f"{path} row {i}: field 'judgments': missing or empty")
        decisions = []
        for j in judgments[:2]:
            scores = (j.get("judgment") or {}).get("scores")
            if isinstance(scores, list) and len(scores) == 2 and all(isinstance(s, (int, float)) for s in scores):
                decisions.append(decision(float(scores[0]), float(scores[1])))
            elif j.get("decision") in ("A>B", "B>A", "A=B"):
                decisions.append(j["decision"])
            else:
                raise ReaderError(f"{path} row {i}: field 'judgments': no scores and no decision")
        first = decisions[0]
        second = decisions[1] if len(decisions) > 1 else "A=B"
        judge = str((judgments[0].get("judgment") or {}).get("judge_model") or row.get("judge_name") or Path(path).stem)
        fields = _fields(row)
        if isinstance(row.get("source"), str):
            fields.setdefault("category", row["source"].split("-")[0])
        out.append(ScoredPair(str(row.get("pair_id", i)), str(row["label"]), first, second, judge, fields))
    return out
