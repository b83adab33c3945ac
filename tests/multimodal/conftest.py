"""Fixtures of the multimodal tests: the judge tests' scripted server and clean judge clients."""

from tests.judges.conftest import _fresh_clients, judge_server, server  # noqa: F401  (fixtures, by name)
