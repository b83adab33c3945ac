"""The judge params every judge kind accepts, validated once (``JudgeConfig``), and the signature plumbing.

Set them flat in a component's ``params`` (``base_url``, ``model``, ``api_key_env`` ...). Resolution of the
backend (``backend: auto``): ``base_url`` param, else ``$OPENAI_BASE_URL``, else ``$OPENAI_API_KEY`` set ->
``https://api.openai.com/v1``, else the embedded SmolLM2-135M-Instruct (weak; logged once).
``api_key`` param, else the variable named by ``api_key_env``, else ``$OPENAI_API_KEY``.

>>> JudgeConfig(base_url="http://127.0.0.1:8000/v1", model="m").backend_kind()
'openai'
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Literal, Optional

import pydantic

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


class ProviderConfig(pydantic.BaseModel):
    """One provider of a fallback list (same meaning as the flat params of the same names)."""

    model_config = pydantic.ConfigDict(extra="forbid")
    base_url: Optional[str] = None
    model: Optional[str] = None
    api_key: Optional[str] = None
    api_key_env: Optional[str] = None
    api: Literal["chat", "completions"] = "chat"
    backend: Literal["auto", "openai", "transformers", "embedded"] = "auto"
    model_path: Optional[str] = None
    gguf_file: Optional[str] = None
    #: intra-op CPU threads of an in-process judge (embedded or transformers); default 1 for the embedded
    #: model (it shares the CPU with the trainer), torch's setting for a model folder
    threads: Optional[int] = pydantic.Field(None, ge=1)


class JudgeConfig(ProviderConfig):
    """Common params of every judge kind: backend, operations (limits, retries, budget) and the guard."""

    fallback: list[ProviderConfig] = pydantic.Field(default_factory=list)
    temperature: float = pydantic.Field(0.0, ge=0.0)
    max_tokens: int = pydantic.Field(512, ge=1)
    timeout_s: float = pydantic.Field(60.0, gt=0)
    concurrency: int = pydantic.Field(32, ge=1)
    rate_per_s: Optional[float] = pydantic.Field(None, gt=0)
    max_retries: int = pydantic.Field(3, ge=0)
    backoff_s: float = pydantic.Field(0.5, ge=0)
    budget_usd: Optional[float] = pydantic.Field(None, ge=0)
    max_calls: Optional[int] = pydantic.Field(None, ge=0)
    max_total_tokens: Optional[int] = pydantic.Field(None, ge=0)
    price_in_per_mtok: float = pydantic.Field(0.0, ge=0)
    price_out_per_mtok: float = pydantic.Field(0.0, ge=0)
    guard: bool = True
    seed: Optional[int] = None
    #: a row with images and no judge backend that can see them: ``error`` (default) or ``abstain``; never a
    #: text-only score
    on_unseen_images: Literal["error", "abstain"] = "error"

    def backend_kind(self) -> str:
        return resolve_kind(self)

    def key(self) -> str:
        """Stable identity of the judge setup (operations state is shared per key)."""
        return self.model_dump_json(exclude={"api_key"})


def resolve_kind(p: ProviderConfig) -> str:
    if p.backend != "auto":
        return p.backend
    if p.model_path:
        return "transformers"
    if p.base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
        return "openai"
    return "embedded"


def resolve_api_key(p: ProviderConfig) -> str | None:
    if p.api_key:
        return p.api_key
    if p.api_key_env:
        return os.environ.get(p.api_key_env)
    return os.environ.get("OPENAI_API_KEY")


def resolve_base_url(p: ProviderConfig) -> str:
    return p.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_URL


JUDGE_PARAM_NAMES: tuple[str, ...] = tuple(JudgeConfig.model_fields)


def with_judge_params(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a judge function (``async def f(..., **judge)``) the typed judge params in its signature.

    The registry sees every ``JudgeConfig`` field as a keyword param (validated by pydantic); at call time
    they arrive in ``**judge`` and ``judge_config(judge)`` turns them into a ``JudgeConfig``.
    """
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    taken = {p.name for p in params}
    annotations = dict(getattr(fn, "__annotations__", {}))
    try:
        import typing

        annotations.update(typing.get_type_hints(fn))
    except Exception:
        pass
    for name, f in JudgeConfig.model_fields.items():
        if name in taken:
            continue
        default = f.get_default(call_default_factory=True)
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=f.annotation))
        annotations[name] = f.annotation
    fn.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    fn.__annotations__ = annotations
    return fn


def judge_config(values: dict[str, Any]) -> JudgeConfig:
    """The ``JudgeConfig`` from a judge function's ``**judge`` kwargs (already validated by the registry)."""
    return JudgeConfig.model_validate({k: v for k, v in values.items() if k in JudgeConfig.model_fields})
