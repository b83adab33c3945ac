"""Content-addressed keys: the hash of reward name + version + code fingerprint + params + bound inputs."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from rewardsmith.registry import BoundReward


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_row"):
        return obj.to_row()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return sorted(map(str, obj))
    return repr(obj)


_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def reward_identity(bound: BoundReward) -> bytes:
    """The part of every key that depends on the reward and its params, not on the sample."""
    d = bound.definition
    return orjson.dumps([d.name, d.version, d.fingerprint, bound.params], default=_default, option=_OPTS)


def task_key(identity: bytes, kwargs: dict[str, Any]) -> str:
    h = hashlib.blake2b(identity, digest_size=16)
    h.update(orjson.dumps(kwargs, default=_default, option=_OPTS))
    return h.hexdigest()


def dedupe_key(kwargs: dict[str, Any]) -> bytes:
    """Identical work within one component of one batch when there is no cache: the canonical JSON of the
    inputs, unhashed (the digest is only needed to store and look up results)."""
    return orjson.dumps(kwargs, default=_default, option=_OPTS)
