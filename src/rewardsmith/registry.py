"""Name -> reward, the ``@reward`` decorator, and argument binding by name.

A reward is a plain function (or a small class whose ``__init__`` takes the params and whose ``__call__``
scores). It asks for the data it needs by argument name; every other argument is a *param*, set from the
spec and validated against the annotation. See ``SAMPLE_ARGS`` / ``MANY_ARGS`` for the data names.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import math
import pkgutil
import threading
import typing
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import pydantic

from rewardsmith.params import AtPath
from rewardsmith.types import Abstain, Group, RewardResult, Sample, Status, completion_text, prompt_text

log = logging.getLogger("rewardsmith")

Per = Literal["sample", "group", "batch"]
Executor = Literal["inline", "process", "thread", "async"]

#: Data a per-sample reward may ask for by name.
SAMPLE_ARGS = frozenset(
    {
        "prompt",  # text of the question (last user message for chat prompts)
        "completion",  # text of the completion (assistant contents for chat completions)
        "prompt_messages",  # the chat prompt as messages, or None when the prompt is text
        "completion_messages",  # the chat completion as messages, or None
        "reference",
        "metadata",
        "sample",  # the whole Sample
        "id",
        "group_id",
        "steps",
        "tool_calls",  # Sample.all_tool_calls
        "components",  # values of the spec's other components computed before this one
        "step",  # training step (None outside training)
    }
)
#: Data a per-group or per-batch reward may ask for (lists, one item per sample).
MANY_ARGS = frozenset(
    {
        "prompts",
        "completions",
        "prompt_messages_list",
        "completion_messages_list",
        "references",
        "metadatas",
        "samples",
        "ids",
        "group_ids",
        "steps_list",
        "tool_calls_list",
        "components",  # list of dicts
        "group",  # the Group (per="group" only)
        "prompt",  # the group's prompt text (per="group": shared; per="batch": first sample's)
        "reference",  # the first sample's reference
        "step",
    }
)

_BUILTIN_PACKAGES = (
    "compose",
    "verifiers",
    "execution",
    "judges",
    "models",
    "process",
    "selfreward",
)


class RegistryError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])


Loc = tuple[Any, ...]


def loc_text(loc: Loc) -> str:
    """``("weights", "exce")`` -> ``weights.exce``; ``("milestones", 0, "patern")`` -> ``milestones[0].patern``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "?"


class ParamError(ValueError):
    """Params that do not fit a reward; ``problems`` is a list of (where, message), ``where`` the path to the
    bad value as a tuple (param name, then keys / indexes into it)."""

    def __init__(self, reward: str, problems: list[tuple[Loc, str]]) -> None:
        self.reward, self.problems = reward, problems
        super().__init__("; ".join(f"param '{loc_text(p)}': {m}" for p, m in problems))


def param_problems(exc: pydantic.ValidationError, accepted: Any = None) -> list[tuple[Loc, str]]:
    """(where, message) for each error of a params validation: unknown keys (of the params or of a nested
    dict) named as such, a bad key of a dict with fixed keys reported at that key."""
    problems: list[tuple[Loc, str]] = []
    for e in exc.errors():
        loc = tuple(e["loc"])
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key" if len(loc) > 1 else "unknown param"
            if len(loc) == 1 and accepted is not None:
                msg += f" (accepted: {', '.join(sorted(accepted)) or 'none'})"
        elif isinstance((e.get("ctx") or {}).get("error"), AtPath):
            err = e["ctx"]["error"]
            loc, msg = loc + err.path, err.message
        elif loc and loc[-1] == "[key]":
            loc = loc[:-1]
            msg = f"unknown key {loc[-1]!r}: {msg}"
        problems.append((loc or ("?",), msg))
    return problems


@dataclass
class RewardDef:
    """A registered reward: the callable plus what the registry knows about it."""

    name: str
    target: Callable[..., Any]
    source: str
    per: Per = "sample"
    executor: Executor = "process"
    version: str = "1"
    timeout: float = 30.0
    summary: str = ""
    is_class: bool = False
    is_async: bool = False
    data_args: frozenset[str] = frozenset()
    takes_kwargs: bool = False
    param_fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    fingerprint: str = ""
    _params_model: type[pydantic.BaseModel] | None = None

    @property
    def needs_components(self) -> bool:
        return "components" in self.data_args

    def params_model(self) -> type[pydantic.BaseModel]:
        """The params as a pydantic model built from the signature: strict (``true`` is not a number, "3" is
        not an int), unknown params rejected, and whatever the annotations say beyond the type (``Annotated``
        constraints such as ``PositiveInt``, ``Literal`` keys, ``TypedDict`` shapes) checked at load time."""
        if self._params_model is None:
            fields = {
                k: (ann, ... if default is inspect.Parameter.empty else default)
                for k, (ann, default) in self.param_fields.items()
            }
            with warnings.catch_warnings():  # a param named "schema" shadows BaseModel.schema: harmless here
                warnings.filterwarnings("ignore", message="Field name .* shadows an attribute", category=UserWarning)
                self._params_model = pydantic.create_model(  # type: ignore[call-overload]
                    f"{self.name.replace(':', '_').replace('.', '_')}_params",
                    __config__=pydantic.ConfigDict(
                        extra="allow" if self.takes_kwargs else "forbid", arbitrary_types_allowed=True, strict=True
                    ),
                    **fields,
                )
        return self._params_model

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check params against the signature; schedules (``{"schedule": ...}``) are checked at their start value."""
        from rewardsmith.compose.schedules import Schedule, is_schedule

        plain: dict[str, Any] = {}
        schedules: dict[str, Schedule] = {}
        problems: list[tuple[Loc, str]] = []
        for key, value in params.items():
            if is_schedule(value):
                try:
                    schedules[key] = Schedule.model_validate(value)
                    plain[key] = schedules[key].value_at(0)
                except pydantic.ValidationError as exc:
                    problems.extend(((key, *e["loc"]), e["msg"]) for e in exc.errors())
            else:
                plain[key] = value
        try:
            model = self.params_model().model_validate(plain)
        except pydantic.ValidationError as exc:
            problems += param_problems(exc, self.param_fields)
        if problems:
            raise ParamError(self.name, problems)
        out = dict(model.__dict__)
        if model.__pydantic_extra__:
            out.update(model.__pydantic_extra__)
        out = {k: v for k, v in out.items() if k in params or k in self.param_fields}
        out.update(schedules)
        return out

    def bind(self, params: dict[str, Any] | None = None) -> BoundReward:
        return BoundReward(self, self.validate_params(params or {}))


class BoundReward:
    """A reward with validated params, ready to call on samples (in any process)."""

    def __init__(self, definition: RewardDef, params: dict[str, Any]) -> None:
        self.definition = definition
        self.params = params
        self._instance: Any = None
        self._instance_pid: int | None = None
        self._has_schedules = any(hasattr(v, "value_at") for v in params.values())

    @property
    def name(self) -> str:
        return self.definition.name

    def params_at(self, step: int | None) -> dict[str, Any]:
        if not self._has_schedules:
            return self.params
        return {k: (v.value_at(step or 0) if hasattr(v, "value_at") else v) for k, v in self.params.items()}

    def callable(self, step: int | None = None) -> Callable[..., Any]:
        d = self.definition
        if not d.is_class:
            return d.target
        import os

        pid = os.getpid()
        if self._instance is None or self._instance_pid != pid:
            self._instance = d.target(**self.params_at(step))
            self._instance_pid = pid
        return self._instance

    def kwargs_for(self, sample: Sample, components: dict[str, Any] | None, step: int | None) -> dict[str, Any]:
        """Keyword arguments for one sample: the data it asks for plus its params."""
        d = self.definition
        kw = {} if d.is_class else dict(self.params_at(step))
        wanted = SAMPLE_ARGS if d.takes_kwargs else d.data_args
        for arg in wanted:
            kw[arg] = _sample_arg(arg, sample, components, step)
        return kw

    def kwargs_for_many(
        self,
        samples: list[Sample],
        components: list[dict[str, Any]] | None,
        step: int | None,
        group: Group | None = None,
    ) -> dict[str, Any]:
        d = self.definition
        kw = {} if d.is_class else dict(self.params_at(step))
        wanted = MANY_ARGS if d.takes_kwargs else d.data_args
        for arg in wanted:
            kw[arg] = _many_arg(arg, samples, components, step, group)
        return kw


def _sample_arg(arg: str, s: Sample, components: dict[str, Any] | None, step: int | None) -> Any:
    if arg == "prompt":
        return s.prompt_text
    if arg == "completion":
        return s.completion_text
    if arg == "reference":
        return s.reference
    if arg == "metadata":
        return s.metadata
    if arg == "sample":
        return s
    if arg == "prompt_messages":
        return s.prompt if isinstance(s.prompt, list) else None
    if arg == "completion_messages":
        return s.completion if isinstance(s.completion, list) else None
    if arg == "id":
        return s.id
    if arg == "group_id":
        return s.group
    if arg == "steps":
        return s.steps
    if arg == "tool_calls":
        return s.all_tool_calls
    if arg == "components":
        return dict(components or {})
    if arg == "step":
        return step
    raise RegistryError(f"unknown data argument {arg!r}")


def _many_arg(
    arg: str, ss: list[Sample], comps: list[dict[str, Any]] | None, step: int | None, group: Group | None
) -> Any:
    if arg == "prompts":
        return [prompt_text(s.prompt) for s in ss]
    if arg == "completions":
        return [completion_text(s.completion) for s in ss]
    if arg == "prompt_messages_list":
        return [s.prompt if isinstance(s.prompt, list) else None for s in ss]
    if arg == "completion_messages_list":
        return [s.completion if isinstance(s.completion, list) else None for s in ss]
    if arg == "references":
        return [s.reference for s in ss]
    if arg == "metadatas":
        return [s.metadata for s in ss]
    if arg == "samples":
        return list(ss)
    if arg == "ids":
        return [s.id for s in ss]
    if arg == "group_ids":
        return [s.group for s in ss]
    if arg == "steps_list":
        return [s.steps for s in ss]
    if arg == "tool_calls_list":
        return [s.all_tool_calls for s in ss]
    if arg == "components":
        return [dict(c) for c in comps] if comps is not None else [{} for _ in ss]
    if arg == "group":
        return group if group is not None else Group(id=ss[0].group or "", samples=list(ss)) if ss else None
    if arg == "prompt":
        return prompt_text(ss[0].prompt) if ss else ""
    if arg == "reference":
        return ss[0].reference if ss else None
    if arg == "step":
        return step
    raise RegistryError(f"unknown data argument {arg!r}")


def to_result(value: Any) -> RewardResult:
    """Turn what a reward returned into a RewardResult: number -> ok, None -> abstain, else error."""
    cls = value.__class__
    if cls is float:
        if value - value == 0.0:  # finite
            return RewardResult(Status.OK, value)
        return RewardResult.error(f"reward returned a non-finite value ({value!r})")
    if cls is RewardResult:
        return value
    if value is None:
        return RewardResult.abstain("reward returned None")
    if isinstance(value, (bool, int, float)) or (
        hasattr(value, "__float__") and not isinstance(value, (str, bytes))
    ):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number):
            return RewardResult.ok(number)
        return RewardResult.error(f"reward returned a non-finite value ({value!r})")
    shown = repr(value)
    shown = shown if len(shown) < 80 else shown[:77] + "..."
    return RewardResult.error(
        f"reward returned {type(value).__name__} {shown}; expected a number, None or RewardResult"
    )


def call_result(fn: Callable[..., Any], kwargs: dict[str, Any]) -> RewardResult:
    """Call a sync reward and convert its outcome; exceptions become error (Abstain -> abstain)."""
    try:
        return to_result(fn(**kwargs))
    except Abstain as exc:
        return RewardResult.abstain(str(exc) or "reward abstained")
    except ModuleNotFoundError as exc:  # an optional dependency: say which extra provides it
        from rewardsmith.extras import install_hint

        return RewardResult.error(f"{type(exc).__name__}: {exc} ({install_hint(exc.name or '?')})")
    except Exception as exc:  # a reward that raises is an error result, never a zero
        return RewardResult.error(f"{type(exc).__name__}: {exc}")


def many_results(value: Any, n: int) -> list[RewardResult]:
    """Per-sample results from what a group/batch reward returned (a list of n values)."""
    if isinstance(value, RewardResult) or value is None or isinstance(value, (int, float)):
        return [to_result(value)] * n if n else []
    try:
        items = list(value)
    except TypeError:
        return [RewardResult.error(f"group reward returned {type(value).__name__}, expected a list")] * n
    if len(items) != n:
        return [RewardResult.error(f"group reward returned {len(items)} values for {n} samples")] * n
    return [to_result(v) for v in items]


# ---------------------------------------------------------------------------------------------- registry

_REGISTRY: dict[str, RewardDef] = {}
_BUILTIN_FAILURES: dict[str, str] = {}
_builtins_loaded = False
_builtins_loading = False  # set while the lock holder imports (a re-entrant call returns)
_builtins_lock = threading.RLock()  # re-entrant: an import of ours may call get_reward


def _first_doc_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


_TREE_HASHES: dict[str, str] = {}


def _tree_hash(folder: str) -> str:
    """Hash of every .py file under ``folder`` (once per process)."""
    if folder not in _TREE_HASHES:
        import pathlib

        h = hashlib.blake2b(digest_size=8)
        for path in sorted(pathlib.Path(folder).rglob("*.py")):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
        _TREE_HASHES[folder] = h.hexdigest()
    return _TREE_HASHES[folder]


def _fingerprint(obj: Any) -> str:
    """Code version of a reward for the cache key: its source, plus the code it depends on — the whole
    reward package for built-ins (``rewardsmith/verifiers/`` ...), the defining module for user code."""
    import os
    import sys

    try:
        text = inspect.getsource(obj)
    except (OSError, TypeError):
        text = getattr(obj, "__qualname__", repr(obj))
    h = hashlib.blake2b(text.encode(), digest_size=8)
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    file = getattr(module, "__file__", None)
    if file:
        name = module.__name__  # type: ignore[union-attr]
        parts = name.split(".")
        if parts[0] == "rewardsmith" and len(parts) > 2:
            root = os.path.dirname(file)
            for _ in range(len(parts) - 3 + (1 if file.endswith("__init__.py") else 0)):
                root = os.path.dirname(root)
            h.update(_tree_hash(root).encode())
        else:
            try:
                with open(file, "rb") as f:
                    h.update(f.read())
            except OSError:
                pass
    return h.hexdigest()


def make_definition(
    target: Callable[..., Any],
    *,
    name: str,
    source: str,
    per: Per = "sample",
    executor: Executor | None = None,
    version: str = "1",
    timeout: float = 30.0,
    summary: str | None = None,
) -> RewardDef:
    """Inspect a function or class and describe it as a reward."""
    is_class = inspect.isclass(target)
    call = target.__call__ if is_class else target  # type: ignore[operator]
    init = target.__init__ if is_class else None  # type: ignore[misc]
    allowed = SAMPLE_ARGS if per == "sample" else MANY_ARGS
    is_async = inspect.iscoroutinefunction(call)

    def hints(fn: Any) -> dict[str, Any]:
        try:
            return typing.get_type_hints(fn, include_extras=True)  # keep Annotated constraints
        except Exception:
            return {}

    data_args: set[str] = set()
    takes_kwargs = False
    param_fields: dict[str, tuple[Any, Any]] = {}
    call_hints = hints(call)
    for pname, p in inspect.signature(call).parameters.items():
        if pname == "self":
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            takes_kwargs = not is_class or takes_kwargs
            continue
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if pname in allowed:
            data_args.add(pname)
        elif not is_class:
            param_fields[pname] = (call_hints.get(pname, Any), p.default)
        elif p.default is inspect.Parameter.empty:
            raise TypeError(f"reward {name}: __call__ argument {pname!r} is not a data argument ({sorted(allowed)})")
    if is_class and init is not None:
        init_hints = hints(init)
        for pname, p in inspect.signature(init).parameters.items():
            if pname == "self" or p.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
                continue
            param_fields[pname] = (init_hints.get(pname, Any), p.default)
    if executor is None:
        executor = "async" if is_async else "process"
    if is_async and executor != "async":
        raise TypeError(f"reward {name}: an async reward must use executor='async'")
    return RewardDef(
        name=name,
        target=target,
        source=source,
        per=per,
        executor=executor,
        version=version,
        timeout=timeout,
        summary=summary if summary is not None else _first_doc_line(target),
        is_class=is_class,
        is_async=is_async,
        data_args=frozenset(data_args),
        takes_kwargs=takes_kwargs,
        param_fields=param_fields,
        fingerprint=_fingerprint(target),
    )


def reward(
    name: str | None = None,
    *,
    source: str = "user code",
    per: Per = "sample",
    executor: Executor | None = None,
    version: str = "1",
    timeout: float = 30.0,
    replace: bool = False,
) -> Callable[[Any], Any]:
    """Register a function or class as a reward under ``name``.

    ``per``: "sample" (one call per sample), "group" (one call per group, returns a list) or "batch".
    ``executor``: "inline" (cheap, in the engine's process), "process" (CPU-bound: worker processes with a
    hard timeout; the default for sync code), "thread" (blocking I/O) or "async" (coroutines; the default
    for ``async def``).

    >>> @reward("doc_len_example", source="example", executor="inline", replace=True)
    ... def length(completion: str, scale: float = 1.0) -> float:
    ...     return scale * len(completion)
    >>> get_reward("doc_len_example").bind({"scale": 2}).params
    {'scale': 2.0}
    """

    def decorate(target: Any) -> Any:
        reg_name = name or target.__name__
        definition = make_definition(
            target, name=reg_name, source=source, per=per, executor=executor, version=version, timeout=timeout
        )
        if reg_name in _REGISTRY and not replace and _REGISTRY[reg_name].fingerprint != definition.fingerprint:
            raise RegistryError(f"a reward named {reg_name!r} is already registered")
        _REGISTRY[reg_name] = definition
        target.__rewardsmith__ = definition
        return target

    return decorate


def load_builtins() -> None:
    """Import every module of the built-in reward packages so their ``@reward`` decorators run.

    Thread-safe: the first caller imports while the others wait, and the registry counts as loaded only
    once every module has been imported (a second thread never sees a half-filled registry). A call made
    from inside one of those imports (same thread) returns at once."""
    global _builtins_loaded, _builtins_loading
    if _builtins_loaded:
        return
    with _builtins_lock:
        if _builtins_loaded or _builtins_loading:  # loaded meanwhile, or re-entered by an import of ours
            return
        _builtins_loading = True
        try:
            _import_builtins()
        finally:
            _builtins_loading = False
        _builtins_loaded = True


def _import_builtins() -> None:
    for package in _BUILTIN_PACKAGES:
        full = f"rewardsmith.{package}"
        try:
            pkg = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name == full:
                continue
            _BUILTIN_FAILURES[full] = f"{type(exc).__name__}: {exc}"
            continue
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{full}."):
            try:
                importlib.import_module(info.name)
            except Exception as exc:  # reported by `rewardsmith list` and `check`, not swallowed
                _BUILTIN_FAILURES[info.name] = f"{type(exc).__name__}: {exc}"
                log.warning("could not import %s: %s", info.name, exc)

    # third-party reward packages: [project.entry-points."rewardsmith.rewards"] name = "pkg.module"
    from importlib.metadata import entry_points

    for ep in entry_points(group="rewardsmith.rewards"):
        try:
            ep.load()
        except Exception as exc:
            _BUILTIN_FAILURES[f"entry point {ep.name}"] = f"{type(exc).__name__}: {exc}"
            log.warning("could not load reward plugin %s: %s", ep.name, exc)


def builtin_failures() -> dict[str, str]:
    load_builtins()
    return dict(_BUILTIN_FAILURES)


def get_reward(name: str) -> RewardDef:
    """A registered name, or ``package.module:function`` for user code."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise RegistryError(f"reward {name!r}: cannot import module {module_name!r} ({exc})") from None
        target: Any = module
        for part in attr.split("."):
            target = getattr(target, part, None)
            if target is None:
                raise RegistryError(f"reward {name!r}: module {module_name!r} has no attribute {attr!r}")
        definition = getattr(target, "__rewardsmith__", None)
        if definition is None:
            definition = make_definition(target, name=name, source="user code")
            _REGISTRY[name] = definition
        return definition
    load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    close = [n for n in _REGISTRY if n.startswith(name[:3])][:5]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise RegistryError(f"unknown reward {name!r}{hint}; `rewardsmith list` shows them all")


def all_rewards() -> dict[str, RewardDef]:
    load_builtins()
    return dict(sorted(_REGISTRY.items()))
