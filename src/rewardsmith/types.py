"""What a rollout is and what a reward says about it.

``Sample`` is one completion of one prompt, ``Group`` the n completions of one prompt, ``RewardResult``
the tri-state verdict. The row shapes follow the contract in docs/design.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union

from rewardsmith.images import image_digests

Message = dict[str, Any]
Text = Union[str, list[Message]]


class Status(str, Enum):
    """Outcome of a reward: a value (ok), not applicable (abstain), or infrastructure failure (error)."""

    OK = "ok"
    ABSTAIN = "abstain"
    ERROR = "error"

    def __str__(self) -> str:  # "ok", not "Status.OK", in messages and rows
        return self.value


class RowError(ValueError):
    """A malformed input row; the message names the row and the field."""

    def __init__(self, row: str, field_name: str, problem: str) -> None:
        self.row, self.field, self.problem = row, field_name, problem
        super().__init__(f"row {row}: field '{field_name}': {problem}")


class Abstain(Exception):
    """Raise inside a reward to say it does not apply to this sample (becomes status ``abstain``)."""


def content_text(content: Any) -> str:
    """Text of an OpenAI message ``content``: a string, or the text parts of a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") == "text":
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    return str(content)


def prompt_text(prompt: Text) -> str:
    """The question a prompt asks: the string, or the content of the last user message."""
    if isinstance(prompt, str):
        return prompt
    for message in reversed(prompt):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return "\n".join(content_text(m.get("content")) for m in prompt)


def prompt_group_key(prompt: Text) -> str:
    """The group of a row without a ``group`` field: its prompt text and the content names of the prompt's
    images, so one question asked about two images makes two groups.

    >>> prompt_group_key("2+2?")
    'prompt:2+2?'
    >>> a = [{"role": "user", "content": [{"type": "text", "text": "Colour?"},
    ...       {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]
    >>> b = [{"role": "user", "content": [{"type": "text", "text": "Colour?"},
    ...       {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAB"}}]}]
    >>> prompt_group_key(a) != prompt_group_key(b), prompt_group_key(a).startswith("prompt:Colour?|images:")
    (True, True)
    """
    text = "prompt:" + prompt_text(prompt)
    if isinstance(prompt, str):
        return text
    names = image_digests(prompt)
    return text + "|images:" + ",".join(names) if names else text


def row_group_key(row: dict[str, Any]) -> str:
    """The group of an input or output row, by the engine's rule (``Sample.group_key``).

    >>> row_group_key({"group": 7, "prompt": "q"}), row_group_key({"prompt": "q"})
    ('7', 'prompt:q')
    """
    g = row.get("group")
    return str(g) if g is not None else prompt_group_key(row.get("prompt", ""))


def completion_text(completion: Text) -> str:
    """The text a completion says: the string, or the assistant messages' contents joined by newlines."""
    if isinstance(completion, str):
        return completion
    said = [content_text(m.get("content")) for m in completion if m.get("role", "assistant") == "assistant"]
    return "\n".join(s for s in said if s)


@dataclass(slots=True)
class ToolCall:
    """One function call made by the model: ``name(**arguments)``."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> ToolCall:
        """From the OpenAI shape (``{"function": {"name", "arguments": json-str}}``) or ``{"name", "arguments"}``."""
        if isinstance(raw, ToolCall):
            return raw
        if not isinstance(raw, dict):
            raise ValueError(f"a tool call must be an object, got {type(raw).__name__}")
        fn = raw.get("function", raw)
        name = fn.get("name")
        if not isinstance(name, str):
            raise ValueError("a tool call needs a string 'name'")
        args = fn.get("arguments", fn.get("parameters", {}))
        if isinstance(args, str):
            args = json.loads(args) if args.strip() else {}
        if not isinstance(args, dict):
            raise ValueError("tool call 'arguments' must be an object")
        return cls(name=name, arguments=args, id=raw.get("id"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "arguments": self.arguments}
        if self.id is not None:
            out["id"] = self.id
        return out


@dataclass(slots=True)
class Step:
    """One step of a reasoning chain or one turn of an agent trajectory."""

    content: str = ""
    role: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    observation: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any) -> Step:
        if isinstance(raw, Step):
            return raw
        if isinstance(raw, str):
            return cls(content=raw)
        if not isinstance(raw, dict):
            raise ValueError(f"a step must be a string or an object, got {type(raw).__name__}")
        known = {"content", "role", "tool_calls", "observation", "metadata"}
        meta = dict(raw.get("metadata") or {})
        meta.update({k: v for k, v in raw.items() if k not in known})
        return cls(
            content=content_text(raw.get("content")),
            role=raw.get("role"),
            tool_calls=[ToolCall.parse(t) for t in raw.get("tool_calls") or []],
            observation=raw.get("observation"),
            metadata=meta,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"content": self.content}
        if self.role is not None:
            out["role"] = self.role
        if self.tool_calls:
            out["tool_calls"] = [t.to_dict() for t in self.tool_calls]
        if self.observation is not None:
            out["observation"] = self.observation
        if self.metadata:
            out["metadata"] = self.metadata
        return out


_ROW_FIELDS = ("id", "prompt", "completion", "reference", "metadata", "group", "steps", "tool_calls")
_ROW_FIELD_SET = frozenset(_ROW_FIELDS)
_MISSING = object()


@dataclass(slots=True)
class Sample:
    """One completion of one prompt, as a reward sees it.

    ``prompt`` and ``completion`` are text or OpenAI chat messages. ``extra`` keeps the row's other
    columns so the output row is the input row plus the reward fields.

    >>> s = Sample(prompt="1+1?", completion=[{"role": "assistant", "content": "2"}])
    >>> s.completion_text
    '2'
    """

    prompt: Text
    completion: Text
    reference: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    group: str | None = None
    steps: list[Step] | None = None
    tool_calls: list[ToolCall] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt_text(self) -> str:
        return prompt_text(self.prompt)

    @property
    def completion_text(self) -> str:
        return completion_text(self.completion)

    @property
    def group_key(self) -> str:
        """The sample's group: its ``group`` field, else its prompt text and images (``prompt_group_key``)."""
        return self.group if self.group is not None else prompt_group_key(self.prompt)

    @property
    def all_tool_calls(self) -> list[ToolCall]:
        """Tool calls from the row's ``tool_calls`` field, else from the completion's assistant messages."""
        if self.tool_calls is not None:
            return self.tool_calls
        calls: list[ToolCall] = []
        if isinstance(self.completion, list):
            for message in self.completion:
                calls.extend(ToolCall.parse(t) for t in message.get("tool_calls") or [])
        return calls

    @classmethod
    def from_row(cls, row: Any, where: str = "?") -> Sample:
        """Validate one input row (contract in docs/design.md); raise ``RowError`` naming row and field."""
        if isinstance(row, Sample):
            return row
        if not isinstance(row, dict):
            raise RowError(where, "<row>", f"expected a JSON object, got {type(row).__name__}")
        get = row.get
        rid = get("id")
        completion = get("completion", _MISSING)
        prompt = get("prompt", "")
        if completion.__class__ is not str or prompt.__class__ is not str:
            label = f"{where} (id={rid})" if rid is not None else where
            if completion is _MISSING:
                raise RowError(label, "completion", "missing")
            _check_text(completion, label, "completion")
            _check_text(prompt, label, "prompt")
        metadata = get("metadata")
        if metadata is None:
            metadata = {}
        elif metadata.__class__ is not dict:
            label = f"{where} (id={rid})" if rid is not None else where
            raise RowError(label, "metadata", f"must be an object, got {type(metadata).__name__}")
        group = get("group")
        raw_steps = get("steps")
        raw_calls = get("tool_calls")
        steps = calls = None
        if group is not None or raw_steps is not None or raw_calls is not None:
            label = f"{where} (id={rid})" if rid is not None else where
            if group is not None and not isinstance(group, (str, int)):
                raise RowError(label, "group", "must be a string")
            try:
                steps = [Step.parse(s) for s in raw_steps] if raw_steps is not None else None
            except (ValueError, TypeError) as exc:
                raise RowError(label, "steps", str(exc)) from None
            try:
                calls = [ToolCall.parse(t) for t in raw_calls] if raw_calls is not None else None
            except (ValueError, TypeError) as exc:
                raise RowError(label, "tool_calls", str(exc)) from None
        # the row's other columns (a subset test is cheaper than looking up every known field)
        extra = {} if _ROW_FIELD_SET.issuperset(row) else {k: v for k, v in row.items() if k not in _ROW_FIELD_SET}
        return cls(
            prompt,
            completion,
            get("reference"),
            metadata,
            None if rid is None else rid if rid.__class__ is str else str(rid),
            None if group is None else group if group.__class__ is str else str(group),
            steps,
            calls,
            extra,
        )

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {}
        if self.id is not None:
            row["id"] = self.id
        row["prompt"] = self.prompt
        row["completion"] = self.completion
        if self.reference is not None:
            row["reference"] = self.reference
        if self.metadata:
            row["metadata"] = self.metadata
        if self.group is not None:
            row["group"] = self.group
        if self.steps is not None:
            row["steps"] = [s.to_dict() for s in self.steps]
        if self.tool_calls is not None:
            row["tool_calls"] = [t.to_dict() for t in self.tool_calls]
        row.update(self.extra)
        return row


def _check_text(value: Any, label: str, key: str) -> None:
    """A prompt / completion is a string or a list of chat messages whose ``role`` is a string and whose
    ``content`` is a string, null, or a list of parts (strings, or objects such as ``{"type": "text"}``);
    anything else is a bad row naming the field, never a text read as "" that scores 0."""
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise RowError(label, key, f"must be a string or a list of chat messages, got {type(value).__name__}")
    for i, message in enumerate(value):
        role = message.get("role")
        if role is not None and not isinstance(role, str):
            raise RowError(label, f"{key}[{i}].role", f"must be a string, got {type(role).__name__}")
        content = message.get("content")
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list):
            raise RowError(label, f"{key}[{i}].content", f"must be a string, a list of parts or null, got {type(content).__name__}")
        for j, part in enumerate(content):
            if isinstance(part, str):
                continue
            if not isinstance(part, dict):
                raise RowError(label, f"{key}[{i}].content[{j}]", f"must be a string or an object, got {type(part).__name__}")
            text = part.get("text")
            if part.get("type", "text") == "text" and not isinstance(text, str):
                raise RowError(label, f"{key}[{i}].content[{j}].text", f"must be a string, got {type(text).__name__}")


@dataclass(slots=True)
class Group:
    """The n completions of one prompt (GRPO's group)."""

    id: str
    samples: list[Sample]

    def __len__(self) -> int:
        return len(self.samples)


@dataclass(slots=True)
class RewardResult:
    """A reward's verdict on one sample. ``value`` is None unless ``status`` is ok: an error is never a zero.

    >>> RewardResult.ok(0.5).value
    0.5
    >>> RewardResult.error("judge HTTP 500").value is None
    True
    """

    status: Status
    value: float | None = None
    components: dict[str, float | None] = field(default_factory=dict)
    reason: str | None = None
    step_values: list[float] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        status = self.status
        if status.__class__ is not Status:
            status = self.status = Status(status)
        value = self.value
        if status is Status.OK:
            if value.__class__ is not float:
                if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__float__"):
                    raise ValueError(f"an ok result needs a numeric value, got {value!r}")
                value = self.value = float(value)
            if value != value:
                raise ValueError("an ok result cannot be NaN")
        elif value is not None:
            raise ValueError(f"a result with status {status} carries no value")

    @classmethod
    def ok(
        cls,
        value: float,
        components: dict[str, float | None] | None = None,
        reason: str | None = None,
        step_values: list[float] | None = None,
        info: dict[str, Any] | None = None,
    ) -> RewardResult:
        return cls(Status.OK, float(value), {} if components is None else dict(components), reason, step_values, {} if info is None else dict(info))

    @classmethod
    def abstain(cls, reason: str, components: dict[str, float | None] | None = None) -> RewardResult:
        return cls(Status.ABSTAIN, None, dict(components or {}), reason)

    @classmethod
    def error(cls, reason: str, components: dict[str, float | None] | None = None) -> RewardResult:
        return cls(Status.ERROR, None, dict(components or {}), reason)

    @property
    def is_ok(self) -> bool:
        return self.status is Status.OK

    def to_fields(self) -> dict[str, Any]:
        """The output-row fields of the contract: reward, status, components, reason (+ optional extras)."""
        out: dict[str, Any] = {
            "reward": self.value,
            "status": self.status.value,
            "components": self.components,
            "reason": self.reason,
        }
        if self.step_values is not None:
            out["step_values"] = self.step_values
        if self.info:
            out["info"] = self.info
        return out

    @classmethod
    def from_fields(cls, row: dict[str, Any]) -> RewardResult:
        return cls(
            Status(row["status"]),
            row.get("reward"),
            dict(row.get("components") or {}),
            row.get("reason"),
            row.get("step_values"),
            dict(row.get("info") or {}),
        )
