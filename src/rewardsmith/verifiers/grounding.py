"""Grounding rewards: box IoU, and IoU-weighted precision/recall over sets of boxes (multimodal RL)."""

from __future__ import annotations

import re
from typing import Any, Literal

from rewardsmith import policy_json
from rewardsmith.params import UnitFloat
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
            return parse_boxes(policy_json.loads(text))
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


def iou_matrix(a: Any, b: Any) -> Any:
    """IoU of every box of ``a`` (n x 4 array) with every box of ``b`` (m x 4): an n x m array (``box_iou``
    vectorised).

    >>> import numpy as np
    >>> iou_matrix(np.array([[0, 0, 2, 2]]), np.array([[1, 1, 3, 3], [0, 0, 2, 2]])).round(4).tolist()
    [[0.1429, 1.0]]
    """
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_boxes(pred: list[Box], gold: list[Box], threshold: float = 0.0) -> list[tuple[int, int, float]]:
    """One-to-one matching of predicted to reference boxes with the largest total IoU (the Hungarian
    algorithm, ``scipy.optimize.linear_sum_assignment``, as in DETR and Perception-R1), keeping the pairs
    whose IoU is above 0 and at least ``threshold``: ``(pred index, gold index, IoU)``.

    >>> match_boxes([(0, 0, 10, 10), (0, 0, 9, 10)], [(0, 0, 9, 10), (1, 0, 11, 10)])
    [(0, 1, 0.8181818181818182), (1, 0, 1.0)]
    """
    if not pred or not gold:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    ious = iou_matrix(np.array(pred), np.array(gold))
    rows, cols = linear_sum_assignment(ious, maximize=True)
    return [(int(i), int(j), float(ious[i, j])) for i, j in zip(rows, cols) if ious[i, j] > 0 and ious[i, j] >= threshold]


@reward(
    "iou",
    source="Perception-R1 (Yu et al., 2025) and DETR (Carion et al., 2020): Hungarian-matched box IoU; Mixed-R1 / DIP-R1 grounding rewards",
    executor="inline",
)
def iou(
    completion: str,
    reference: Any,
    mode: Literal["iou", "f1", "precision", "recall"] = "iou",
    threshold: UnitFloat = 0.5,
) -> RewardResult:
    """Grounding reward over sets of boxes, matched one to one (the Hungarian algorithm, as DETR, Carion et
    al. 2020, and Perception-R1, Yu et al. 2025, match predictions to ground truth), so every predicted box
    is accounted for and a spray of boxes pays nothing:

    - ``mode="iou"``: the matched IoUs summed and divided by ``max(#predicted, #reference)`` (one box each:
      plain IoU; each unmatched prediction or reference counts 0);
    - ``precision`` / ``recall`` / ``f1``: matches need IoU >= ``threshold`` and are weighted by their IoU,
      precision = sum IoU / #predicted, recall = sum IoU / #reference (Mixed-R1, Xu et al. 2025; DIP-R1).

    No parseable box in the completion: 0. No reference box: abstain.

    >>> iou("[0, 0, 2, 2]", [1, 1, 3, 3]).value
    0.14285714285714285
    >>> r = iou("[[0,0,10,10],[20,20,30,30],[50,50,60,60]]", [[0,0,10,10],[20,20,30,30]], mode="f1")
    >>> r.value, r.components["precision"], r.components["recall"]
    (0.8, 0.6666666666666666, 1.0)
    >>> iou("[[0,0,10,10],[20,20,30,30]]", [[0,0,10,10]]).value  # the second box is charged
    0.5
    """
    gold = parse_boxes(reference)
    if not gold:
        raise Abstain("no reference box")
    pred = parse_boxes(completion)
    if not pred:
        return RewardResult.ok(0.0, components={"precision": 0.0, "recall": 0.0, "matched_iou": 0.0}, reason="no box in the completion")
    matched_iou = sum(m[2] for m in match_boxes(pred, gold)) / max(len(pred), len(gold))
    weight = sum(m[2] for m in match_boxes(pred, gold, threshold))
    precision, recall = weight / len(pred), weight / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    comps: dict[str, float | None] = {"precision": precision, "recall": recall, "matched_iou": matched_iou}
    value = {"iou": matched_iou, "f1": f1, "precision": precision, "recall": recall}[mode]
    reason = f"{len(pred)} boxes for {len(gold)} reference box(es): unmatched ones count 0" if len(pred) > len(gold) else None
    return RewardResult.ok(value, components=comps, reason=reason, info={"predicted": len(pred), "reference": len(gold)})
