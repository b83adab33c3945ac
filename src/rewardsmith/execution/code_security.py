"""``code_security``: reward a vulnerability repair (semantic bandit delta + syntactic similarity + tests).

Reference: ``{"original": str, "repair"?: str, "tests"?: <a code_tests reference>}``; the completion is
the repaired code (last fenced block, or the text). Executor "thread": bandit only parses the code
(nothing runs), and the optional tests run in the warm sandbox held by this process.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from rewardsmith.execution.bandit_scan import finding_delta, scan, weight
from rewardsmith.execution.code_similarity import ast_match, token_bleu
from rewardsmith.execution.fences import extract_code
from rewardsmith.params import AfterValidator, NonNegativeFloat, some_weight
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

DEFAULT_WEIGHTS = {"semantic": 0.5, "syntactic": 0.3, "functional": 0.2}
#: ``weights``: only the three component names (a typo is a spec error, never a silent 0).
SecurityWeights = Annotated[dict[Literal["semantic", "syntactic", "functional"], NonNegativeFloat], AfterValidator(some_weight)]


def semantic_score(before: list[Any], after: list[Any]) -> float:
    """(severity-weighted findings removed - added) / findings before, in [-1, 1].

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
) -> RewardResult:
    """Semantic (bandit findings removed vs added) + syntactic (similarity to the reference repair) + optional tests (Islam et al. 2024).

    >>> bad = "import subprocess\\ndef run(cmd):\\n    return subprocess.call(cmd, shell=True)\\n"
    >>> good = "import subprocess\\ndef run(cmd):\\n    return subprocess.call(cmd.split(), shell=False)\\n"
    >>> r = code_security(good, {"original": bad, "repair": good})  # B602 (high) removed, B603 (low) added
    >>> r.components["semantic"], r.components["syntactic"], r.value
    (0.5, 1.0, 0.6875)
    """
    if not isinstance(reference, dict) or not isinstance(reference.get("original"), str):
        raise Abstain("code_security: reference needs 'original' (the vulnerable code)")
    code = extract_code(completion, fence_language or None)
    before = scan(reference["original"])
    if before is None:
        raise Abstain("code_security: the original code does not parse")
    after = scan(code)
    components: dict[str, float | None] = {}
    info: dict[str, Any] = {"findings_before": [f.test_id for f in before]}
    if after is None:
        components["semantic"] = -1.0
        info["findings_after"] = None
        reason = "the repair does not parse"
    else:
        components["semantic"] = semantic_score(before, after)
        info["findings_after"] = [f.test_id for f in after]
        removed, added = finding_delta(before, after)
        reason = f"bandit: {len(before)} finding(s) before, {len(after)} after (weight removed {removed:g}, added {added:g})"
    repair = reference.get("repair")
    if isinstance(repair, str):
        bleu, tree = token_bleu(code, repair), ast_match(code, repair)
        components["bleu"], components["ast_match"] = bleu, tree
        components["syntactic"] = 0.5 * bleu + 0.5 * tree
    tests = reference.get("tests")
    if tests is not None:
        from rewardsmith.execution.code_tests import code_tests

        result = code_tests([code], [tests], backend=test_backend, fence_language="")[0]
        if not result.is_ok:
            return RewardResult(result.status, None, components, f"tests: {result.reason}", None, info)
        components["functional"] = result.value
    w = weights or DEFAULT_WEIGHTS
    used = {k: v for k, v in w.items() if components.get(k) is not None}
    total = sum(used.values()) or 1.0
    value = sum(v * float(components[k] or 0.0) for k, v in used.items()) / total
    return RewardResult.ok(value, components, reason, info=info)
