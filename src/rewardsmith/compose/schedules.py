"""Values that follow the training step: constant, linear, cosine, step-wise.

Used for weights and params, e.g. annealing an auxiliary thinking reward away (SophiaVL-R1) or tightening a
length budget. The step comes from the caller (the TRL adapter reads ``trainer_state.global_step``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pydantic


def is_schedule(value: Any) -> bool:
    return isinstance(value, dict) and "schedule" in value


class Schedule(pydantic.BaseModel):
    """``{"schedule": "linear", "start": 1.0, "end": 0.0, "steps": 1000}``.

    >>> Schedule(schedule="linear", start=1.0, end=0.0, steps=100).value_at(25)
    0.75
    >>> Schedule(schedule="cosine", start=1.0, end=0.0, steps=100).value_at(50)
    0.5
    >>> Schedule(schedule="step", start=1.0, milestones={10: 0.5, 20: 0.1}).value_at(15)
    0.5
    """

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    schedule: Literal["constant", "linear", "cosine", "step"]
    start: float
    end: float | None = None
    steps: int | None = pydantic.Field(default=None, gt=0)
    warmup: int = pydantic.Field(default=0, ge=0)
    # keys lax: TOML tables and JSON objects have string keys ("10" = 0.5)
    milestones: dict[Annotated[int, pydantic.Strict(False)], float] = pydantic.Field(default_factory=dict)

    @pydantic.model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.schedule in ("linear", "cosine") and (self.end is None or self.steps is None):
            raise ValueError(f"a {self.schedule} schedule needs 'end' and 'steps'")
        if self.schedule == "step" and not self.milestones:
            raise ValueError("a step schedule needs 'milestones' {step: value}")
        return self

    def value_at(self, step: int | None) -> float:
        t = max(0, (step or 0) - self.warmup)
        if self.schedule == "constant":
            return self.start
        if self.schedule == "step":
            value = self.start
            for at, v in sorted(self.milestones.items()):
                if (step or 0) >= at:
                    value = v
            return value
        assert self.end is not None and self.steps is not None
        frac = min(1.0, t / self.steps)
        if self.schedule == "linear":
            return self.start + (self.end - self.start) * frac
        return self.end + (self.start - self.end) * 0.5 * (1.0 + math.cos(math.pi * frac))


def value_at(value: float | Schedule, step: int | None) -> float:
    return value.value_at(step) if isinstance(value, Schedule) else float(value)
