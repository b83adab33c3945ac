"""``code_security``: reward a vulnerability repair (security delta by bandit + similarity to the reference
repair + tests), paid only for a repair that keeps the program.

Source: Islam, Karkevandi and Najafirad, 2024, "Code Security Vulnerability Repair Using Reinforcement
Learning with Large Language Models" (SecureCode, arXiv:2401.07031): a semantic reward (security of the
repair) plus a syntactic reward (CodeBLEU-style similarity to the ground-truth repair). Here the semantic
term is the severity-weighted change in bandit findings, the syntactic term token BLEU + AST match.

Reference: ``{"original": str, "repair"?: str, "tests"?: <a code_tests reference>}``; the completion is
the repaired code (last fenced block, or the text). Executor "thread": bandit only parses the code
(nothing runs), and the optional tests run in the sandbox through ``code_tests``.

What a policy tries first, and why it earns nothing:

- a suppression comment (``# nosec``): bandit runs with ``# nosec`` ignored;
- hiding the call from the scanner (``getattr(subprocess, "call")``, an alias, ``**{"shell": True}``):
  the scan sees the canonical program (``code_canonical``), and a repair that adds run-time lookups the
  scanner cannot follow is not paid;
- swapping the sink for a sibling the scanner rates lower (``os.system``, ``from subprocess import *``,
  ``functools.partial``, a dispatch dict): findings are compared by weakness class (CWE), and a class
  counts as repaired only when nothing above LOW of it remains;
- deleting the vulnerable code (``pass``, ``raise NotImplementedError``, ``return 0``, an empty module):
  the repair must keep the original's functions, parameters and most of its structure
  (``code_structure``), and pass every test when tests are given, before anything pays;
- returning the original unchanged: no finding removed, nothing pays (the similarity to the reference
  repair only counts for a repair that removes findings).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from rewardsmith.execution.bandit_scan import finding_delta, scan, weight
from rewardsmith.execution.code_canonical import opaque_constructs
from rewardsmith.execution.code_similarity import ast_match, token_bleu
from rewardsmith.execution.code_structure import preservation
from rewardsmith.execution.fences import extract_code
from rewardsmith.params import AfterValidator, NonNegativeFloat, UnitFloat, some_weight
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

DEFAULT_WEIGHTS = {"semantic": 0.5, "syntactic": 0.3, "functional": 0.2}
#: A repair longer than this (or 10x the original, if more) is not scanned: ok 0.0, the policy's choice.
MAX_REPAIR_CHARS = 100_000
#: ``weights``: only the three component names (a typo is a spec error, never a silent 0).
SecurityWeights = Annotated[dict[Literal["semantic", "syntactic", "functional"], NonNegativeFloat], AfterValidator(some_weight)]


def semantic_score(before: list[Any], after: list[Any]) -> float:
    """(weight removed - weight added) / weight before, in [-1, 1] (``bandit_scan.finding_delta``: a weakness
    class is removed only when nothing above LOW of it is left; every new finding costs its weight).

    With no finding before: 1 when none appear, else minus the added weight (at most -1).
    """
    removed, added = finding_delta(before, after)
    base = weight(before)
    if base == 0:
        return 1.0 if added == 0 else max(-1.0, -added / 3.0)
    return max(-1.0, min(1.0, (removed - added) / base))


@reward(
    "code_security",
    source="Code Security Vulnerability Repair Using Reinforcement Learning with Large Language Models (Islam et al., 2024)",
    executor="thread",
    timeout=300.0,
)
def code_security(
    completion: str,
    reference: Any,
    weights: SecurityWeights | None = None,
    fence_language: str = "python",
    test_backend: Literal["auto", "bwrap", "unsafe-subprocess"] = "auto",
    keep_structure: UnitFloat = 0.5,
) -> RewardResult:
    """Semantic (bandit findings removed vs added) + syntactic (similarity to the reference repair) + tests,
    paid only when findings were removed by a repair that keeps the program (SecureCode, Islam et al. 2024).

    The value is the weighted mean of the components present when the repair removes findings, keeps
    the original's structure (``keep_structure``: the share of each function's AST it must keep), passes
    every test (when given) and hides no call from the scanner; 0 otherwise; the (negative) semantic
    score when it adds findings or does not parse.

    >>> bad = "import subprocess\\ndef run(cmd):\\n    return subprocess.call(cmd, shell=True)\\n"
    >>> good = "import subprocess\\ndef run(cmd):\\n    return subprocess.call(cmd.split(), shell=False)\\n"
    >>> r = code_security(good, {"original": bad, "repair": good})  # CWE-78 high -> low (+3), B603 (low) added (-1)
    >>> round(r.components["semantic"], 3), r.components["syntactic"], round(r.value, 3)
    (0.667, 1.0, 0.792)
    >>> code_security("import subprocess\\ndef run(cmd):\\n    pass\\n", {"original": bad}).value  # deleted, not repaired
    0.0
    """
    if not isinstance(reference, dict) or not isinstance(reference.get("original"), str):
        raise Abstain("code_security: reference needs 'original' (the vulnerable code)")
    original: str = reference["original"]
    before = scan(original)
    if before is None:
        raise Abstain("code_security: the original code does not parse")
    if not before:
        raise Abstain("code_security: bandit finds nothing in the original: no repair to measure")
    code = extract_code(completion, fence_language or None)
    limit = max(MAX_REPAIR_CHARS, 10 * len(original))
    if len(code) > limit:
        return RewardResult.ok(0.0, {"semantic": None}, f"the repair is longer than {limit} characters (not scanned)")
    after = scan(code)
    info: dict[str, Any] = {"findings_before": [f.test_id for f in before]}
    if after is None:
        info["findings_after"] = None
        return RewardResult.ok(-1.0, {"semantic": -1.0}, "the repair does not parse", info=info)
    semantic = semantic_score(before, after)
    components: dict[str, float | None] = {"semantic": semantic}
    info["findings_after"] = [f.test_id for f in after]
    removed, added = finding_delta(before, after)
    reason = f"bandit: {len(before)} finding(s) before, {len(after)} after (weight removed {removed:g}, added {added:g})"
    repair = reference.get("repair")
    if isinstance(repair, str):
        bleu, tree = token_bleu(code, repair), ast_match(code, repair)
        components["bleu"], components["ast_match"] = bleu, tree
        components["syntactic"] = 0.5 * bleu + 0.5 * tree
    if semantic <= 0:
        return RewardResult.ok(semantic, components, reason + ": no security gain", info=info)
    kept = preservation(original, code, keep_structure)
    assert kept is not None  # the original parsed above
    components["preserved"] = kept.kept
    problems = list(kept.problems)
    hidden = (opaque_constructs(code) or 0) - (opaque_constructs(original) or 0)
    if hidden > 0:
        problems.append(f"{hidden} run-time lookup(s) the scanner cannot follow (getattr, __import__, ** of a computed dict ...)")
    tests = reference.get("tests")
    if tests is not None and not problems:
        from rewardsmith.execution.code_tests import code_tests

        result = code_tests([code], [tests], backend=test_backend, fence_language="")[0]
        if not result.is_ok:
            return RewardResult(result.status, None, components, f"tests: {result.reason}", None, info)
        components["functional"] = result.value
        if (result.value or 0.0) < 1.0:
            problems.append(f"tests: {result.reason or 'not all pass'}")
    if problems:
        info["problems"] = problems
        return RewardResult.ok(0.0, components, reason + "; not a repair: " + "; ".join(problems[:3]), info=info)
    w = weights or DEFAULT_WEIGHTS
    used = {k: v for k, v in w.items() if components.get(k) is not None}
    total = sum(used.values()) or 1.0
    value = sum(v * float(components[k] or 0.0) for k, v in used.items()) / total
    return RewardResult.ok(value, components, reason, info=info)
