"""Isolated execution of untrusted programs: bubblewrap + warm forking workers + rlimits.

>>> from rewardsmith.sandbox import Limits
>>> Limits().wall_s
10.0
"""

from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.pool import Request, Sandbox, SandboxUnavailable, get_sandbox
from rewardsmith.sandbox.result import RunResult

__all__ = ["Limits", "Request", "RunResult", "Sandbox", "SandboxUnavailable", "get_sandbox"]
