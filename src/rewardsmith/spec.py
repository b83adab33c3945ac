"""RewardSpec: YAML / TOML / dict -> a validated description of which rewards, weights, transforms, gates.

Errors name the bad key and, for YAML, its line::

    spec error: components[0].params.tolerance (line 6): Input should be a valid number
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Union

import pydantic
import yaml

from rewardsmith.compose.schedules import Schedule
from rewardsmith.registry import BoundReward, ParamError, RegistryError, get_reward, loc_text

if TYPE_CHECKING:
    from rewardsmith.engine.runner import Engine
    from rewardsmith.types import RewardResult, Sample


class SpecError(ValueError):
    """A spec that cannot run; raised before any work starts. ``problems`` lists (where, message)."""

    def __init__(self, problems: list[tuple[str, str]], origin: str = "spec") -> None:
        self.problems = problems
        lines = [f"{origin}: {where}: {msg}" for where, msg in problems]
        super().__init__("\n".join(lines))


class TransformSpec(pydantic.BaseModel):
    """One bounded transform: ``{kind: clip, min: -1, max: 1}``, ``{kind: lsc, ref: group_mean}`` ..."""

    model_config = pydantic.ConfigDict(extra="allow")
    kind: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


class GateSpec(pydantic.BaseModel):
    """This component counts only when ``component`` lies in [min, max]; otherwise it is ``else``."""

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True, strict=True)
    component: str
    min: float | None = None
    max: float | None = None
    otherwise: float = pydantic.Field(default=0.0, alias="else")

    def passes(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class ComponentSpec(pydantic.BaseModel):
    """One reward of the spec. Strict: ``weight: true`` or ``weight: "1"`` is an error, not 1.0."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    name: str = pydantic.Field(min_length=1)
    reward: str = pydantic.Field(min_length=1)
    weight: Union[float, Schedule] = 1.0
    params: dict[str, Any] = pydantic.Field(default_factory=dict)
    timeout: float | None = pydantic.Field(default=None, gt=0)
    transforms: list[TransformSpec] = pydantic.Field(default_factory=list)
    gate: GateSpec | None = None
    required: bool = True


class NormalizeSpec(pydantic.BaseModel):
    """Group / batch normalisation of the final reward (see ``rewardsmith.compose.normalize``)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    kind: Literal["grpo", "drgrpo", "rloo", "batch", "per_component"]
    eps: float = 1e-6
    ddof: Literal[0, 1] = 1
    then_batch: bool = False


class RewardSpec(pydantic.BaseModel):
    """A validated reward spec; ``spec.score(samples)`` scores with a default engine.

    >>> spec = load_spec({"name": "t", "components": [{"name": "n", "reward": "regex_match",
    ...     "params": {"pattern": "42"}}]})
    >>> [r.value for r in spec.score([{"prompt": "q", "completion": "it is 42"}], cache=False)]
    [1.0]
    """

    model_config = pydantic.ConfigDict(extra="forbid")
    name: str = "spec"
    version: str = "1"
    description: str = ""
    components: list[ComponentSpec] = pydantic.Field(min_length=1)
    combine: Union[str, dict[str, Any]] = "weighted_sum"
    transforms: list[TransformSpec] = pydantic.Field(default_factory=list)
    normalize: NormalizeSpec | None = None

    _bound: list[BoundReward] = pydantic.PrivateAttr(default_factory=list)
    _engine: Any = pydantic.PrivateAttr(default=None)
    _origin: str = pydantic.PrivateAttr(default="spec")

    @property
    def combine_kind(self) -> str:
        return self.combine if isinstance(self.combine, str) else str(self.combine.get("kind", ""))

    @property
    def combine_params(self) -> dict[str, Any]:
        return {} if isinstance(self.combine, str) else {k: v for k, v in self.combine.items() if k != "kind"}

    @property
    def bound(self) -> list[BoundReward]:
        """Each component's reward with validated params (resolved at load time)."""
        return self._bound

    def component_names(self) -> list[str]:
        return [c.name for c in self.components]

    def spec_hash(self) -> str:
        """Content hash of the spec and the code version of every reward it uses (the cache's spec key)."""
        payload = self.model_dump(mode="json", by_alias=True)
        payload["_rewards"] = [(b.definition.name, b.definition.version, b.definition.fingerprint) for b in self._bound]
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def engine(self, **options: Any) -> Engine:
        """The engine this spec scores with; options (workers, cache, ...) make a new one."""
        from rewardsmith.engine.runner import Engine

        if options or self._engine is None:
            if self._engine is not None:
                self._engine.close()
            self._engine = Engine(self, **options)
        return self._engine

    def score(
        self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None, **options: Any
    ) -> list[RewardResult]:
        return self.engine(**options).score(samples, step=step)

    async def ascore(
        self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None, **options: Any
    ) -> list[RewardResult]:
        return await self.engine(**options).ascore(samples, step=step)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


# ------------------------------------------------------------------------------------------------ loading


def _yaml_line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path of a YAML document to its 1-based line."""
    index: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return index

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        index.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (key.value,)
                index[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return index


def _where(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> str:
    text = loc_text(loc) if loc else "<root>"
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return f"{text} (line {lines[loc[:cut]]})"
    return text


def _read(source: str | Path | dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[Any, ...], int], str]:
    if isinstance(source, dict):
        return source, {}, "spec"
    text: str
    origin: str
    path = Path(source)
    if isinstance(source, Path) or ("\n" not in str(source) and path.suffix in (".yaml", ".yml", ".toml", ".json")):
        if not path.exists():
            builtin = Path(__file__).parent / "specs" / path.name
            if not builtin.exists():
                raise SpecError([("<file>", f"no such spec file: {source}")], str(source))
            path = builtin
        text, origin = path.read_text(), str(path)
        if path.suffix == ".toml":
            try:
                return tomllib.loads(text), {}, origin
            except tomllib.TOMLDecodeError as exc:
                raise SpecError([("<toml>", str(exc))], origin) from None
    else:
        text, origin = str(source), "spec"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<yaml>"
        raise SpecError([(where, str(getattr(exc, "problem", exc)))], origin) from None
    if not isinstance(data, dict):
        raise SpecError([("<root>", "a spec is a mapping with at least 'components'")], origin)
    return data, _yaml_line_index(text), origin


def load_spec(source: str | Path | dict[str, Any] | RewardSpec) -> RewardSpec:
    """Load and validate a spec from a YAML/TOML path, YAML text, a dict, or a built-in spec name."""
    if isinstance(source, RewardSpec):
        return source
    data, lines, origin = _read(source)
    try:
        spec = RewardSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x in ("float", "Schedule")))
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append((_where(loc, lines), msg))
        raise SpecError(problems, origin) from None
    spec._origin = origin
    _resolve(spec, lines, origin)
    return spec


def _resolve(spec: RewardSpec, lines: dict[tuple[Any, ...], int], origin: str) -> None:
    from rewardsmith.compose.combine import COMBINERS
    from rewardsmith.compose.transforms import check_transform

    problems: list[tuple[str, str]] = []
    names = spec.component_names()
    seen: set[str] = set()
    for i, comp in enumerate(spec.components):
        at = ("components", i)
        if comp.name in seen:
            problems.append((_where(at + ("name",), lines), f"duplicate component name {comp.name!r}"))
        seen.add(comp.name)
        try:
            definition = get_reward(comp.reward)
        except RegistryError as exc:
            problems.append((_where(at + ("reward",), lines), str(exc)))
            continue
        try:
            spec._bound.append(definition.bind(comp.params))
        except ParamError as exc:
            for loc, msg in exc.problems:
                problems.append((_where(at + ("params", *loc), lines), f"{msg} (reward {definition.name})"))
        if comp.gate is not None and comp.gate.component not in names:
            problems.append((_where(at + ("gate", "component"), lines), f"no component named {comp.gate.component!r}"))
        for j, t in enumerate(comp.transforms):
            msg = check_transform(t.kind, t.params)
            if msg:
                problems.append((_where(at + ("transforms", j), lines), msg))
    if spec.combine_kind not in COMBINERS:
        problems.append((_where(("combine",), lines), f"unknown combine rule {spec.combine_kind!r} (known: {', '.join(COMBINERS)})"))
    for j, t in enumerate(spec.transforms):
        msg = check_transform(t.kind, t.params)
        if msg:
            problems.append((_where(("transforms", j), lines), msg))
    if problems:
        raise SpecError(problems, origin)


def default_spec() -> RewardSpec:
    """The embedded default spec (GSM8K-style math: correctness + format hygiene)."""
    return load_spec(Path(__file__).parent / "specs" / "default.yaml")
