"""Trainer adapters: TRL (``trl``), verl (``verl``) and OpenRLHF (``openrlhf``).

Each adapter is thin: it turns the trainer's call shape into rewardsmith ``Sample`` rows, scores them with
an ``Engine`` and hands back what the trainer expects, deciding (and logging) what an errored sample becomes.
"""

ADAPTERS = ("openrlhf", "trl", "verl")


def __getattr__(name: str) -> object:
    """``rewardsmith.integrations.trl`` (and ``verl``, ``openrlhf``) without importing them first."""
    if name in ADAPTERS:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
