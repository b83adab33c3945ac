"""code_security: bandit before/after, similarity to the reference repair, optional tests in the sandbox."""

from __future__ import annotations

import pytest

from rewardsmith.execution.bandit_scan import scan
from rewardsmith.execution.code_security import code_security
from rewardsmith.types import Abstain

VULNERABLE = """import hashlib
import subprocess
import yaml

def digest(data):
    return hashlib.md5(data).hexdigest()

def load(text):
    return yaml.load(text)

def run(cmd):
    return subprocess.call(cmd, shell=True)
"""
REPAIR = """import hashlib
import subprocess
import yaml

def digest(data):
    return hashlib.sha256(data).hexdigest()

def load(text):
    return yaml.safe_load(text)

def run(cmd):
    return subprocess.call(cmd.split(), shell=False)
"""
WORSE = VULNERABLE + "\ndef evaluate(expr):\n    return eval(expr)\n"
TESTS = {"tests": "assert len(digest(b'x')) == 64\nassert load('a: 1') == {'a': 1}"}


def test_bandit_findings_are_real() -> None:
    before = {f.test_id for f in scan(VULNERABLE) or []}
    after = {f.test_id for f in scan(REPAIR) or []}
    assert {"B324", "B506", "B602"} <= before
    assert not ({"B324", "B506", "B602"} & after)


def test_reference_repair_scores_best() -> None:
    exact = code_security(f"```python\n{REPAIR}```", {"original": VULNERABLE, "repair": REPAIR})
    unchanged = code_security(VULNERABLE, {"original": VULNERABLE, "repair": REPAIR})
    worse = code_security(WORSE, {"original": VULNERABLE, "repair": REPAIR})
    assert exact.components["syntactic"] == pytest.approx(1.0)
    assert exact.components["semantic"] > 0.5
    assert unchanged.components["semantic"] == 0.0
    assert worse.components["semantic"] < 0.0  # a new finding (B307 eval) is penalised
    assert exact.value > unchanged.value > worse.value


def test_unparsable_repair_gets_the_worst_semantic_score() -> None:
    r = code_security("def run(cmd:\n    pass", {"original": VULNERABLE})
    assert r.components["semantic"] == -1.0 and r.value == -1.0


def test_functional_tests_run_in_the_sandbox(bwrap_path: str) -> None:
    ref = {"original": VULNERABLE, "repair": REPAIR, "tests": TESTS}
    good = code_security(REPAIR, ref, test_backend="bwrap")
    assert good.components["functional"] == 1.0
    broken = REPAIR.replace("yaml.safe_load(text)", "None")
    bad = code_security(broken, ref, test_backend="bwrap")
    assert bad.components["functional"] == 0.5
    assert good.value > bad.value


def test_bad_reference_abstains() -> None:
    with pytest.raises(Abstain):
        code_security("x = 1", {"repair": "x = 1"})
    with pytest.raises(Abstain):
        code_security("x = 1", {"original": "def (:"})
