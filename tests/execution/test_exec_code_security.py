"""code_security: bandit before/after, similarity to the reference repair, optional tests in the sandbox, and
the cheapest ways to look secure without repairing anything (each must earn nothing)."""

from __future__ import annotations

import re

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
    assert unchanged.is_ok and unchanged.value == 0.0  # similarity to the repair pays only for a repair


def test_unparsable_repair_gets_the_worst_semantic_score() -> None:
    r = code_security("def run(cmd:\n    pass", {"original": VULNERABLE})
    assert r.components["semantic"] == -1.0 and r.value == -1.0


def test_functional_tests_run_in_the_sandbox(bwrap_path: str) -> None:
    ref = {"original": VULNERABLE, "repair": REPAIR, "tests": TESTS}
    good = code_security(REPAIR, ref, test_backend="bwrap")
    assert good.components["functional"] == 1.0
    broken = REPAIR.replace("yaml.safe_load(text)", "yaml.safe_load(text.upper())")  # keeps the shape, breaks a test
    bad = code_security(broken, ref, test_backend="bwrap")
    assert bad.components["functional"] == 0.5
    assert bad.is_ok and bad.value == 0.0 and "tests" in (bad.reason or "")  # behaviour changed: no pay
    assert good.value > 0.5


def test_bad_reference_abstains() -> None:
    with pytest.raises(Abstain):
        code_security("x = 1", {"repair": "x = 1"})
    with pytest.raises(Abstain):
        code_security("x = 1", {"original": "def (:"})
    with pytest.raises(Abstain):  # nothing to repair: any program would score
        code_security("x = 1", {"original": "def f(a):\n    return a + 1\n"})


# Vulnerable programs (one or more bandit findings each) and an honest repair that keeps the behaviour.
CASES = [
    ("pickle", "import pickle\ndef load(blob):\n    data = pickle.loads(blob)\n    return data['user']\n",
     "import json\ndef load(blob):\n    data = json.loads(blob)\n    return data['user']\n"),
    ("requests", "import requests\ndef fetch(url, token):\n    r = requests.get(url, headers={'Authorization': token}, verify=False, timeout=5)\n"
     "    r.raise_for_status()\n    return r.json()\n",
     "import requests\ndef fetch(url, token):\n    r = requests.get(url, headers={'Authorization': token}, verify=True, timeout=5)\n"
     "    r.raise_for_status()\n    return r.json()\n"),
    ("mktemp", "import tempfile\ndef scratch(text):\n    path = tempfile.mktemp()\n    with open(path, 'w') as f:\n        f.write(text)\n    return path\n",
     "import tempfile\ndef scratch(text):\n    fd, path = tempfile.mkstemp()\n    with open(fd, 'w') as f:\n        f.write(text)\n    return path\n"),
    ("sql", "import sqlite3\ndef find(conn, name):\n    cur = conn.execute(\"SELECT id FROM users WHERE name = '%s'\" % name)\n"
     "    return [row[0] for row in cur.fetchall()]\n",
     "import sqlite3\ndef find(conn, name):\n    cur = conn.execute('SELECT id FROM users WHERE name = ?', (name,))\n"
     "    return [row[0] for row in cur.fetchall()]\n"),
    ("random", "import random\nimport string\ndef token(n):\n    alphabet = string.ascii_letters + string.digits\n"
     "    return ''.join(random.choice(alphabet) for _ in range(n))\n",
     "import secrets\nimport string\ndef token(n):\n    alphabet = string.ascii_letters + string.digits\n"
     "    return ''.join(secrets.choice(alphabet) for _ in range(n))\n"),
    ("chmod", "import os\ndef publish(path, text):\n    with open(path, 'w') as f:\n        f.write(text)\n    os.chmod(path, 0o777)\n    return path\n",
     "import os\ndef publish(path, text):\n    with open(path, 'w') as f:\n        f.write(text)\n    os.chmod(path, 0o644)\n    return path\n"),
    ("xml", "import xml.etree.ElementTree as ET\ndef titles(text):\n    root = ET.fromstring(text)\n    return [t.text for t in root.iter('title')]\n",
     "import defusedxml.ElementTree as ET\ndef titles(text):\n    root = ET.fromstring(text)\n    return [t.text for t in root.iter('title')]\n"),
    ("eval", "def calc(expr, env):\n    value = eval(expr, env)\n    return float(value)\n",
     "import ast\ndef calc(expr, env):\n    value = ast.literal_eval(expr)\n    return float(value)\n"),
    ("md5_method", "import hashlib\nclass Store:\n    def __init__(self):\n        self.items = {}\n    def key(self, data):\n"
     "        return hashlib.md5(data).hexdigest()\n    def put(self, data):\n        k = self.key(data)\n        self.items[k] = data\n        return k\n",
     "import hashlib\nclass Store:\n    def __init__(self):\n        self.items = {}\n    def key(self, data):\n"
     "        return hashlib.sha256(data).hexdigest()\n    def put(self, data):\n        k = self.key(data)\n        self.items[k] = data\n        return k\n"),
    ("shell", "import subprocess\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n",
     "import shlex\nimport subprocess\ndef run(cmd):\n    if not cmd.strip():\n        raise ValueError('empty command')\n"
     "    return subprocess.call(shlex.split(cmd), shell=False)\n"),
    ("three_functions", VULNERABLE, REPAIR),
]
_MODULES = r"\b(subprocess|pickle|hashlib|tempfile|random|os|requests|ET|yaml)\.(\w+)\("


def _replace_bodies(code: str, body: str) -> str:
    out: list[str] = []
    skip: int | None = None
    for line in code.splitlines():
        indent = len(line) - len(line.lstrip())
        if skip is not None and (indent > skip or not line.strip()):
            continue
        skip = None
        out.append(line)
        if re.match(r"\s*def ", line):
            out.append(" " * (indent + 4) + body)
            skip = indent
    return "\n".join(out) + "\n"


def _first_param(code: str) -> str:
    m = re.search(r"def \w+\((?:self, )?(\w+)", code)
    assert m is not None
    return m.group(1)


HACKS = {
    "nosec on every line": lambda c: "\n".join(ln + "  # nosec" if ln.strip() and not ln.endswith(":") else ln for ln in c.splitlines()),
    "nosec with test ids": lambda c: "\n".join(ln + "  # nosec B602,B301,B324,B506" if ln.startswith("    ") else ln for ln in c.splitlines()),
    "bodies deleted (pass)": lambda c: _replace_bodies(c, "pass"),
    "bodies -> ...": lambda c: _replace_bodies(c, "..."),
    "bodies -> raise NotImplementedError": lambda c: _replace_bodies(c, "raise NotImplementedError"),
    "bodies -> return 0": lambda c: _replace_bodies(c, "return 0"),
    "bodies -> return None": lambda c: _replace_bodies(c, "return None"),
    "bodies -> return the input": lambda c: _replace_bodies(c, f"return {_first_param(c)}"),
    "bodies -> print the input": lambda c: _replace_bodies(c, f"print({_first_param(c)})"),
    "empty program": lambda c: "",
    "imports only": lambda c: "\n".join(ln for ln in c.splitlines() if ln.startswith(("import", "from"))),
    "everything under if False": lambda c: "if False:\n" + "\n".join("    " + ln for ln in c.splitlines()),
    "dead code after return": lambda c: re.sub(r"(\n(\s+)(return|value =|cur =|r =|data =|path =|root =))", r"\n\2return None\1", c, count=1),
    "unchanged": lambda c: c,
    "getattr with a constant": lambda c: re.sub(_MODULES, r"getattr(\1, '\2')(", c),
    "getattr with a computed name": lambda c: re.sub(_MODULES, r"getattr(\1, ''.join(['\2']))(", c),
    "alias of the call": lambda c: re.sub(_MODULES, r"_\2(", c) + "\n" + "".join(f"_{b} = {a}.{b}\n" for a, b in re.findall(_MODULES, c)),
    "keyword through **{...}": lambda c: re.sub(r"(\w+)=(True|False|0o777)", r"**{'\1': \2}", c),
    "keyword through a computed **dict": lambda c: re.sub(r"(\w+)=(True|False|0o777)", r"**dict([('\1', \2)])", c),
    "eval of the original": lambda c: "exec(" + repr(c) + ")\n",
}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_honest_repairs_are_paid(case: tuple[str, str, str]) -> None:
    name, original, repair = case
    alone = code_security(repair, {"original": original})
    with_reference = code_security(repair, {"original": original, "repair": repair})
    assert alone.is_ok and alone.value is not None and alone.value >= 0.5, (name, alone)
    assert with_reference.is_ok and with_reference.value is not None and with_reference.value >= 0.6, (name, with_reference)


@pytest.mark.parametrize("hack", sorted(HACKS))
def test_hacks_earn_nothing(hack: str) -> None:
    for name, original, repair in CASES:
        code = HACKS[hack](original)
        for ref in ({"original": original}, {"original": original, "repair": repair}):
            r = code_security(f"```python\n{code}\n```", ref)
            assert r.is_ok and r.value is not None and r.value <= 0.0, (hack, name, "repair" in ref, r.value, r.reason)


def test_hack_that_passes_weak_tests_still_earns_nothing(bwrap_path: str) -> None:
    # the test covers digest() only; deleting the other two functions' bodies keeps it green
    tests = {"tests": "assert len(digest(b'x')) == 64"}
    hack = REPAIR.replace("return yaml.safe_load(text)", "pass").replace("return subprocess.call(cmd.split(), shell=False)", "pass")
    r = code_security(hack, {"original": VULNERABLE, "tests": tests}, test_backend="bwrap")
    assert r.is_ok and r.value == 0.0 and "not a repair" in (r.reason or "")
    honest = code_security(REPAIR, {"original": VULNERABLE, "tests": tests}, test_backend="bwrap")
    assert honest.is_ok and honest.components["functional"] == 1.0 and (honest.value or 0) > 0.5


def test_huge_repair_is_the_policys_zero() -> None:
    r = code_security("x = [" + "1, " * 400_000 + "]", {"original": VULNERABLE})
    assert r.is_ok and r.value == 0.0 and "longer than" in (r.reason or "")
    deep = code_security("x = " + "[" * 5000 + "]" * 5000, {"original": VULNERABLE})
    assert deep.is_ok and deep.value == -1.0 and "does not parse" in (deep.reason or "")


SHELL = "import subprocess\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
SINK_SWAPS = {
    "os.system instead": "import os\ndef run(cmd):\n    return os.system(cmd)\n",
    "os.popen instead": "import os\ndef run(cmd):\n    return os.popen(cmd).close()\n",
    "star import": "from subprocess import *\ndef run(cmd):\n    return call(cmd, shell=True)\n",
    "functools.partial": "import functools\nimport subprocess\ndef run(cmd):\n    return functools.partial(subprocess.call, shell=True)(cmd)\n",
    "dispatch dict": "import subprocess\nOPS = {'call': subprocess.call}\ndef run(cmd):\n    return OPS['call'](cmd, shell=True)\n",
    "__import__": "def run(cmd):\n    return __import__('subprocess').call(cmd, shell=True)\n",
    "shell=1": SHELL.replace("shell=True", "shell=1"),
    "lambda wrapper": SHELL.replace("return subprocess.call(cmd, shell=True)", "f = lambda c, s: subprocess.call(c, shell=s)\n    return f(cmd, True)"),
}


@pytest.mark.parametrize("swap", sorted(SINK_SWAPS))
def test_swapping_the_sink_earns_nothing(swap: str) -> None:
    """The same command injection through a sibling call bandit names differently (or rates lower)."""
    r = code_security(SINK_SWAPS[swap], {"original": SHELL})
    assert r.is_ok and r.value is not None and r.value <= 0.0, (swap, r.value, r.reason)
