"""rewardsmith: define, compose, run, serve, evaluate and audit the reward signals of LLM RL.

>>> import rewardsmith
>>> spec = rewardsmith.load_spec({"components": [{"name": "len", "reward": "overlong_penalty",
...     "params": {"max_length": 10, "cache": 5, "unit": "chars"}}]})
>>> [r.value for r in spec.score([{"prompt": "q", "completion": "12345678"}], cache=False)]
[-0.6]
"""

from rewardsmith.registry import all_rewards, get_reward, reward
from rewardsmith.spec import RewardSpec, SpecError, default_spec, load_spec
from rewardsmith.types import Abstain, Group, RewardResult, RowError, Sample, Status, Step, ToolCall

__version__ = "0.1.0"

#: Subpackages reachable as attributes after a plain ``import rewardsmith`` (imported on first use, so the
#: import stays light): ``rewardsmith.integrations.trl.reward_funcs(spec)`` works as the README writes it.
_LAZY_SUBPACKAGES = frozenset({"compose", "engine", "evaluate", "execution", "integrations", "judges", "models",
                               "process", "sandbox", "selfreward", "server", "testing", "verifiers"})


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def score(spec: "RewardSpec | str | dict", samples: "list", step: "int | None" = None, **options: object) -> "list[RewardResult]":
    """Score samples with a spec (path, YAML text, dict or RewardSpec) in one call."""
    return load_spec(spec).score(samples, step=step, **options)


__all__ = [
    "Abstain",
    "Group",
    "RewardResult",
    "RewardSpec",
    "RowError",
    "Sample",
    "SpecError",
    "Status",
    "Step",
    "ToolCall",
    "all_rewards",
    "default_spec",
    "get_reward",
    "load_spec",
    "reward",
    "score",
]
