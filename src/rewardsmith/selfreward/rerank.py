"""Select one row per group from scored rows and measure the selection against references and labels.

``rerank(groups, options)`` returns the selected rows (each with a ``selection`` field) and a
``RerankReport``: pass@1 of the selected answer against the reference (the rule verifier), accuracy
against a boolean label column when present (e.g. ``metadata.is_correct``), and the oracle (any
candidate correct) for context.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from rewardsmith.selfreward.answers import AnswerKind, equivalent, extract, qa_golds
from rewardsmith.selfreward.scored import bool_field, field_value, list_field
from rewardsmith.selfreward.selection import (
    Candidate,
    Method,
    Selection,
    WeightTransform,
    best_of_n,
    borda,
    early_rejection,
    majority,
    self_certainty,
    weighted_vote,
)
from rewardsmith.types import completion_text


@dataclass
class RerankOptions:
    """How to select: the method and where its inputs come from."""

    method: Method = "best_of_n"
    score_field: str = "reward"
    certainty_field: str = "self_certainty"
    steps_field: str = "step_values"
    label_field: str = "metadata.is_correct"
    kind: AnswerKind = "math"
    tolerance: float = 0.0
    borda_p: float = 0.5
    transform: WeightTransform = "raw"
    temperature: float = 1.0
    prefix_steps: int = 1
    keep: float = 0.5

    def selector(self) -> Callable[[list[Candidate]], Selection]:
        m = self.method
        if m == "best_of_n":
            return best_of_n
        if m == "majority":
            return functools.partial(majority, kind=self.kind, tolerance=self.tolerance)
        if m == "weighted_vote":
            return functools.partial(
                weighted_vote, kind=self.kind, tolerance=self.tolerance, transform=self.transform,
                temperature=self.temperature,
            )
        if m == "self_certainty":
            return self_certainty
        if m == "borda":
            return functools.partial(borda, p=self.borda_p, kind=self.kind, tolerance=self.tolerance)
        if m == "early_rejection":
            return functools.partial(early_rejection, prefix_steps=self.prefix_steps, keep=self.keep)
        raise ValueError(f"unknown selection method {m!r}")


@dataclass
class RerankReport:
    """Counts over the groups: selected, pass@1 against references, accuracy against labels, oracle."""

    method: str
    groups: int = 0
    selected: int = 0
    with_reference: int = 0
    correct: int = 0
    labelled: int = 0
    label_correct: int = 0
    oracle_labelled: int = 0
    oracle_correct: int = 0
    ties: int = 0
    steps_saved: int = 0
    steps_total: int = 0
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def pass_at_1(self) -> float | None:
        """Share of groups with a reference whose selected answer verifies (no selection counts as wrong)."""
        return self.correct / self.with_reference if self.with_reference else None

    @property
    def label_accuracy(self) -> float | None:
        return self.label_correct / self.labelled if self.labelled else None

    @property
    def oracle(self) -> float | None:
        return self.oracle_correct / self.oracle_labelled if self.oracle_labelled else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "groups": self.groups, "selected": self.selected,
            "pass_at_1": self.pass_at_1, "with_reference": self.with_reference,
            "label_accuracy": self.label_accuracy, "labelled": self.labelled, "oracle": self.oracle,
            "ties": self.ties, "steps_saved": self.steps_saved, "steps_total": self.steps_total,
        }


def candidates(rows: list[dict[str, Any]], options: RerankOptions) -> list[Candidate]:
    """The rows of one group as selector candidates (answers extracted only for the vote-based methods)."""
    needs_answer = options.method in ("majority", "weighted_vote", "borda")
    out = []
    for row in rows:
        text = completion_text(row.get("completion", ""))
        out.append(
            Candidate(
                text=text,
                score=field_value(row, options.score_field),
                answer=extract(text, options.kind) if needs_answer else None,
                certainty=field_value(row, options.certainty_field),
                step_scores=list_field(row, options.steps_field),
                row=row,
            )
        )
    return out


def is_correct(text: str, reference: Any, kind: AnswerKind = "math", tolerance: float = 0.0) -> bool | None:
    """Whether a completion's final answer matches the reference (None: no usable reference).

    >>> is_correct("so 6 * 3 = 18\\nA: 18", "Janet sells 9 eggs ...\\n#### 18"), is_correct("A: 3", None)
    (True, None)
    """
    if reference is None:
        return None
    if kind == "math":
        from rewardsmith.verifiers.math import verify

        return verify(text, reference, tolerance=tolerance)  # type: ignore[no-any-return]
    if kind == "qa":
        refs = qa_golds(reference)
    else:
        refs = [str(r).strip() for r in (reference if isinstance(reference, list) else [reference]) if str(r).strip()]
    if not refs:
        return None
    answer = extract(text, kind)
    return answer is not None and any(equivalent(answer, r, kind, tolerance) for r in refs)


def rerank(
    groups: dict[str, list[dict[str, Any]]], options: RerankOptions
) -> tuple[list[dict[str, Any]], RerankReport]:
    """One selected row per group (groups where nothing can be selected are reported, not written)."""
    select = options.selector()
    report = RerankReport(options.method)
    out: list[dict[str, Any]] = []
    for gid, rows in groups.items():
        report.groups += 1
        cands = candidates(rows, options)
        sel = select(cands)
        labels = [bool_field(r, options.label_field) for r in rows]
        if any(x is not None for x in labels):
            report.oracle_labelled += 1
            report.oracle_correct += any(labels)
        if sel.info.get("tie"):
            report.ties += 1
        report.steps_saved += int(sel.info.get("steps_saved", 0))
        report.steps_total += int(sel.info.get("steps_total", 0))
        reference = next((r.get("reference") for r in rows if r.get("reference") is not None), None)
        correct = None
        if sel.index is not None:
            chosen = rows[sel.index]
            correct = is_correct(cands[sel.index].text, reference, options.kind, options.tolerance)
        if correct is not None or (reference is not None and sel.index is None):
            report.with_reference += 1
            report.correct += bool(correct)
        if sel.index is None:
            why = str(sel.info.get("reason", "nothing to select"))
            report.problems[why] = report.problems.get(why, 0) + 1
            if any(x is not None for x in labels):
                report.labelled += 1
            continue
        report.selected += 1
        label = labels[sel.index]
        if label is not None:
            report.labelled += 1
            report.label_correct += label
        row = dict(chosen)
        row["selection"] = {
            "method": options.method, "group": gid, "index": sel.index, "n": len(rows),
            "correct": correct, "label": label, **sel.info,
        }
        out.append(row)
    return out, report
