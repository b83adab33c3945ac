"""Static security findings of Python code with bandit (parsed, never executed).

The code is scanned in its canonical form (``code_canonical``: simple call obfuscations undone, comments
gone) and with ``# nosec`` ignored: a suppression comment written by the policy is not a repair.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass

SEVERITY = {"LOW": 1.0, "MEDIUM": 2.0, "HIGH": 3.0}
_lock = threading.Lock()  # bandit's manager keeps module-level state: one scan at a time


@dataclass(frozen=True, slots=True)
class Finding:
    test_id: str
    severity: str
    line: int


def scan(code: str) -> list[Finding] | None:
    """bandit findings (``# nosec`` ignored), or None when the code does not parse (bandit skips such files).

    >>> [f.test_id for f in scan("import subprocess\\nsubprocess.call(cmd, shell=True)  # nosec\\n") or []]
    ['B404', 'B602']
    """
    from rewardsmith.execution.code_canonical import canonical_source
    from rewardsmith.execution.code_similarity import parse_python

    if parse_python(code) is None:
        return None
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    fd, path = tempfile.mkstemp(suffix=".py", prefix="rewardsmith-bandit-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(canonical_source(code))
        with _lock:
            mgr = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
            mgr.discover_files([path])
            mgr.run_tests()
            issues = mgr.get_issue_list()
        return [Finding(i.test_id, str(i.severity), int(i.lineno)) for i in issues]
    finally:
        os.unlink(path)


def weight(findings: list[Finding]) -> float:
    return sum(SEVERITY.get(f.severity, 1.0) for f in findings)


def finding_delta(before: list[Finding], after: list[Finding]) -> tuple[float, float]:
    """(severity-weighted findings removed, added), matched by bandit test id (line numbers move in a repair)."""
    b = Counter((f.test_id, f.severity) for f in before)
    a = Counter((f.test_id, f.severity) for f in after)
    removed = sum(SEVERITY.get(sev, 1.0) * n for (tid, sev), n in (b - a).items())
    added = sum(SEVERITY.get(sev, 1.0) * n for (tid, sev), n in (a - b).items())
    return removed, added
