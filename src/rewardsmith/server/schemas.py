"""Request and response bodies of the HTTP API (they are also its OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Messages = list[dict[str, Any]]


class InputRow(BaseModel):
    """One input row of the contract (docs/design.md); other keys are kept and echoed back."""

    model_config = ConfigDict(extra="allow")
    id: str | int | None = None
    prompt: str | Messages = ""
    completion: str | Messages
    reference: Any = None
    metadata: dict[str, Any] | None = None
    group: str | int | None = None
    steps: list[Any] | None = None
    tool_calls: list[Any] | None = None


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    samples: list[InputRow] = Field(description="input rows, scored as one batch")
    step: int | None = Field(default=None, description="training step (scheduled weights and params)")


class OutputRow(BaseModel):
    """The input row plus reward, status, components and reason."""

    model_config = ConfigDict(extra="allow")
    reward: float | None
    status: str = Field(description="ok | abstain | error")
    components: dict[str, float | None]
    reason: str | None


class ScoreResponse(BaseModel):
    results: list[OutputRow]
    spec_hash: str


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, description="group id: every sample of the group gets it as its 'group'")
    samples: list[InputRow] = Field(min_length=1)


class GroupsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups: list[GroupIn]
    step: int | None = None


class GroupOut(BaseModel):
    id: str
    results: list[OutputRow]


class GroupsResponse(BaseModel):
    groups: list[GroupOut]
    spec_hash: str


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward call: ``query`` is prompt + response, ``labels`` the references."""

    model_config = ConfigDict(extra="allow")
    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class OpenRLHFResponse(BaseModel):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


class SpecResponse(BaseModel):
    name: str
    version: str
    spec_hash: str
    components: list[dict[str, Any]]
    spec: dict[str, Any]


class Problem(BaseModel):
    detail: Any
