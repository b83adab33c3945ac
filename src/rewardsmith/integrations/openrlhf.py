"""OpenRLHF adapter: a reward-function file for ``--reward.remote_url`` (OpenRLHF 0.11).

OpenRLHF accepts either an HTTP endpoint or a ``.py`` file defining ``reward_func(queries, prompts, labels)``:

- HTTP: ``rewardsmith serve SPEC`` answers OpenRLHF's POST on ``/get_reward``
  (``--reward.remote_url http://rewardsmith:TOKEN@host:8000/get_reward``: OpenRLHF's client sends only the
  URL, so the server's token rides in it as the Basic-auth password).
- File: ``--reward.remote_url $(python -c "import rewardsmith.integrations.openrlhf as m; print(m.__file__)")``
  with the spec in ``$REWARDSMITH_SPEC`` (default: the built-in math spec). Scoring runs in-process; the
  engine is made once, under a lock (OpenRLHF calls from several threads at once).

OpenRLHF's ``query`` is prompt + response as one decoded string; the response is ``query`` minus the
``prompt`` prefix. Errors: OpenRLHF has no masking, so an error or abstain gets ``$REWARDSMITH_ERROR_SCORE``
(default 0.0) in ``rewards``/``scores`` and is flagged in ``extra_logs`` (``rewardsmith_error`` /
``rewardsmith_abstain`` = 1.0), which OpenRLHF logs per sample; each such batch is logged on the
``rewardsmith.openrlhf`` logger. ``extra_logs`` also carries every component (NaN where it has no value).

>>> out = score_queries(["Q: 3*6?\\nA: 18"], ["Q: 3*6?\\n"], ["#### 18"])
>>> out["rewards"], out["extra_logs"]["correct"], out["extra_logs"]["rewardsmith_error"]
([1.0], [1.0], [0.0])
"""

from __future__ import annotations

import logging
import math
import os
import threading
from typing import Any, Sequence

from rewardsmith.engine.runner import Engine
from rewardsmith.spec import default_spec, load_spec
from rewardsmith.types import Sample, Status

log = logging.getLogger("rewardsmith.openrlhf")

SPEC_ENV = "REWARDSMITH_SPEC"
ERROR_SCORE_ENV = "REWARDSMITH_ERROR_SCORE"

_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The process's engine for ``$REWARDSMITH_SPEC`` (made on first use, once even when called from many
    threads at the same time)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                source = os.environ.get(SPEC_ENV)
                _engine = Engine(default_spec() if not source else load_spec(source))
    return _engine


def response_of(query: str, prompt: str | None) -> str:
    """The response part of OpenRLHF's ``query`` (prompt + response).

    >>> response_of("<|user|>hi<|assistant|>hello", "<|user|>hi<|assistant|>")
    'hello'
    """
    if prompt and query.startswith(prompt):
        return query[len(prompt):]
    return query


def score_queries(
    queries: Sequence[str], prompts: Sequence[str] | None, labels: Sequence[Any] | None, step: int | None = None
) -> dict[str, Any]:
    """Score OpenRLHF's batch; plain lists (``reward_func`` turns them into tensors)."""
    n = len(queries)
    ps = list(prompts) if prompts is not None else [""] * n
    ls = list(labels) if labels is not None else [None] * n
    samples = [Sample(prompt=p or "", completion=response_of(q, p), reference=lab) for q, p, lab in zip(queries, ps, ls)]
    eng = engine()
    results = eng.score(samples, step=step)
    fill = float(os.environ.get(ERROR_SCORE_ENV, "0.0"))
    rewards = [r.value if r.status is Status.OK and r.value is not None else fill for r in results]
    extra: dict[str, list[float]] = {}
    for name in eng.spec.component_names():
        extra[name] = [math.nan if r.components.get(name) is None else float(r.components[name]) for r in results]  # type: ignore[arg-type]
    extra["rewardsmith_error"] = [1.0 if r.status is Status.ERROR else 0.0 for r in results]
    extra["rewardsmith_abstain"] = [1.0 if r.status is Status.ABSTAIN else 0.0 for r in results]
    bad = [r for r in results if r.status is not Status.OK]
    if bad:
        log.warning("rewardsmith: %d of %d samples not ok, scored %s for OpenRLHF; first: %s", len(bad), n, fill, bad[0].reason)
    return {"rewards": rewards, "scores": list(rewards), "extra_logs": extra}


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **_: Any) -> dict[str, Any]:
    """OpenRLHF's file reward function: ``{"rewards", "scores", "extra_logs"}`` as float tensors."""
    import torch

    out = score_queries(queries, prompts, labels)
    return {
        "rewards": torch.tensor(out["rewards"], dtype=torch.float32),
        "scores": torch.tensor(out["scores"], dtype=torch.float32),
        "extra_logs": {k: torch.tensor(v, dtype=torch.float32) for k, v in out["extra_logs"].items()},
    }
