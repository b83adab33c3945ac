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
    cwe: int | None = None

    @property
    def weakness(self) -> str:
        """The weakness class (CWE) the finding belongs to; its test id when bandit names none."""
        return f"CWE-{self.cwe}" if self.cwe else self.test_id


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
        return [Finding(i.test_id, str(i.severity), int(i.lineno), _cwe(i)) for i in issues]
    finally:
        os.unlink(path)


def _cwe(issue: object) -> int | None:
    cwe = getattr(getattr(issue, "cwe", None), "id", None)
    return int(cwe) if isinstance(cwe, int) and cwe > 0 else None


def _worst(findings: list[Finding]) -> dict[str, float]:
    """Weakness class -> its most severe finding's weight."""
    out: dict[str, float] = {}
    for f in findings:
        out[f.weakness] = max(out.get(f.weakness, 0.0), SEVERITY.get(f.severity, 1.0))
    return out


def weight(findings: list[Finding]) -> float:
    """Severity weight of the weakness classes present (each class counted once, at its worst finding)."""
    return sum(_worst(findings).values())


def finding_delta(before: list[Finding], after: list[Finding]) -> tuple[float, float]:
    """(weight removed, weight added) by a repair.

    Removed: a weakness class (CWE) counts as repaired, at its worst weight before, only when nothing above
    LOW (bandit's "check this" level) of that class is left and it got less severe: swapping one command
    -injection sink for another (``subprocess.call(shell=True)`` -> ``os.system``, or a call bandit resolves
    less well) removes nothing. Added: every finding instance the repair has and the original had not,
    matched by test id and severity (line numbers move in a repair), at its own weight.

    >>> bad = [Finding("B404", "LOW", 1, 78), Finding("B602", "HIGH", 3, 78)]
    >>> finding_delta(bad, [Finding("B404", "LOW", 1, 78), Finding("B603", "LOW", 3, 78)])  # shell=False
    (3.0, 1.0)
    >>> finding_delta(bad, [Finding("B605", "HIGH", 3, 78)])  # os.system instead: the same weakness
    (0.0, 3.0)
    """
    b, a = _worst(before), _worst(after)
    low = SEVERITY["LOW"]
    removed = float(sum(w for c, w in b.items() if a.get(c, 0.0) <= low and a.get(c, 0.0) < w))
    new = Counter((f.test_id, f.severity) for f in after) - Counter((f.test_id, f.severity) for f in before)
    added = float(sum(SEVERITY.get(sev, 1.0) * n for (_, sev), n in new.items()))
    return removed, added
