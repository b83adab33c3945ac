"""The engine: batching, worker processes with hard timeouts, async I/O, content-addressed cache, dedupe."""

from rewardsmith.engine.runner import Engine

__all__ = ["Engine"]
