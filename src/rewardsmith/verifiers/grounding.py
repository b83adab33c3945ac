"""Grounding rewards: box IoU, and IoU-weighted precision/recall over sets of boxes (multimodal RL)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult
from rewardsmith.verifiers.answers import tag_contents

Box = tuple[float, float, float, float]
_NUM = r"-?\d+(?:\.\d+)?"
_ANSWER_MARKS = re.compile(r"<(/?)answer>")
_QUAD = re.compile(rf"[\[(]\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*[\])]")
_PAIRS = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*,?\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x1, y1, x2, y2)`` boxes.

    >>> box_iou((0, 0, 2, 2), (1, 1, 3, 3))
    0.14285714285714285
    """
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def _as_box(v: Any) -> Box | None:
    if isinstance(v, dict):
        for key in ("bbox_2d", "bbox", "box"):
            if key in v:
                return _as_box(v[key])
        return None
    if isinstance(v, (list, tuple)) and len(v) == 4 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        x1, y1, x2, y2 = (float(x) for x in v)
        return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return None


def parse_boxes(value: Any) -> list[Box]:
    """Boxes from a JSON value (``[x1,y1,x2,y2]``, a list of them, ``{"bbox_2d": [...]}`` objects) or text
    (JSON, ``[x1, y1, x2, y2]``, ``(x1,y1),(x2,y2)``, ``<box>...</box>``).

    >>> parse_boxes('<answer>[{"bbox_2d": [10, 20, 30, 40]}]</answer>'), parse_boxes("(1,2),(3,4)")
    ([(10.0, 20.0, 30.0, 40.0)], [(1.0, 2.0, 3.0, 4.0)])
    """
    if isinstance(value, str):
        text = value
        tagged = tag_contents(text, _ANSWER_MARKS)  # one pass; a lazy (.*?) search was quadratic on unclosed tags
        if tagged:
            text = tagged[0]
        try:
            return parse_boxes(json.loads(text))
        except ValueError:
            pass
        found = [tuple(float(x) for x in g) for g in _QUAD.findall(text)]
        if not found:
            found = [tuple(float(x) for x in g) for g in _PAIRS.findall(text)]
        return [b for b in (_as_box(list(f)) for f in found) if b is not None]
    one = _as_box(value)
    if one is not None:
        return [one]
    if isinstance(value, (list, tuple)):
        return [b for v in value for b in parse_boxes(v)]
    if isinstance(value, dict):
        for key in ("boxes", "bboxes"):
            if key in value:
                return parse_boxes(value[key])
    return []


def match_boxes(pred: list[Box], gold: list[Box], threshold: float) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by IoU (highest first), keeping pairs with IoU >= threshold."""
    pairs = sorted(((box_iou(p, g), i, j) for i, p in enumerate(pred) for j, g in enumerate(gold)), reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for iou, i, j in pairs:
        if iou < threshold or iou <= 0:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, iou))
    return out


@reward("iou", source="Mixed-R1 (Xu et al., 2025) and DIP-R1 grounding rewards: box IoU and IoU-weighted precision/recall", executor="inline")
def iou(
    completion: str,
    reference: Any,
    mode: Literal["iou", "f1", "precision", "recall"] = "iou",
    threshold: float = 0.5,
) -> RewardResult:
    """Grounding reward (Mixed-R1, Xu et al. 2025; DIP-R1): ``mode="iou"`` is the mean best IoU of each
    reference box (one box: plain IoU); the set modes match boxes one-to-one (IoU >= ``threshold``) and
    weight each match by its IoU: precision = sum IoU / #predicted, recall = sum IoU / #reference, f1.
    No parseable box in the completion: 0. No reference box: abstain.

    >>> iou("[0, 0, 2, 2]", [1, 1, 3, 3]).value
    0.14285714285714285
    >>> r = iou("[[0,0,10,10],[20,20,30,30],[50,50,60,60]]", [[0,0,10,10],[20,20,30,30]], mode="f1")
    >>> r.value, r.components["precision"], r.components["recall"]
    (0.8, 0.6666666666666666, 1.0)
    """
    gold = parse_boxes(reference)
    if not gold:
        raise Abstain("no reference box")
    pred = parse_boxes(completion)
    if not pred:
        return RewardResult.ok(0.0, components={"precision": 0.0, "recall": 0.0, "mean_iou": 0.0}, reason="no box in the completion")
    mean_iou = sum(max(box_iou(p, g) for p in pred) for g in gold) / len(gold)
    matches = match_boxes(pred, gold, threshold)
    weight = sum(m[2] for m in matches)
    precision, recall = weight / len(pred), weight / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    comps: dict[str, float | None] = {"precision": precision, "recall": recall, "mean_iou": mean_iou}
    value = {"iou": mean_iou, "f1": f1, "precision": precision, "recall": recall}[mode]
    return RewardResult.ok(value, components=comps)
