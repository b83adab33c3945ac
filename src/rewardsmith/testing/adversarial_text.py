"""Adversarial completions for the linear-time audit of every parser that reads a completion.

A policy writes the completion, so every regex and parser applied to it runs on attacker text. The
shapes here are the ones that make backtracking regexes and naive scanners quadratic: unterminated
fences, many openers without a closer (``<tag``, ``\\boxed{``, ``[``), long runs of one character
(spaces, newlines, digits, backticks) and repeated keywords that start a match at every position.

``ADVERSARIAL`` maps a name to a builder ``size -> text`` (about ``size`` characters); ``PARSERS``
maps a name to ``(owner, callable(text))``: each callable applies one parser, or one reward with a
small fixed reference, to the text. ``tests/execution/test_linear_parsers.py`` runs every pair at 1 MB
under a hard deadline; ``bench/bench_extraction.py`` times them against a linear scan of the same text.

>>> sorted(len(build(1000)) >= 1000 for build in ADVERSARIAL.values()) == [True] * len(ADVERSARIAL)
True
"""

from __future__ import annotations

import time
from typing import Any, Callable


def _repeat(unit: str) -> Callable[[int], str]:
    def build(size: int) -> str:
        return unit * (size // len(unit) + 1)

    return build


#: name -> builder(size) of an adversarial completion of about ``size`` characters.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "backticks": _repeat("`"),
    "fence_openers": _repeat("```python\n"),
    "fence_openers_unclosed_longer": lambda n: "````\n" + "```py\nx = 1\n" * (n // 12 + 1),
    "fence_indent_spaces": _repeat("   ```\n    "),
    "tilde_fences": _repeat("~~~\n"),
    "spaces": _repeat(" "),
    "newlines": _repeat("\n"),
    "space_newlines": _repeat(" \n\t"),
    "digits": _repeat("1"),
    "digit_commas": _repeat("1,"),
    "digit_spaces": _repeat("1 "),
    "decimal_points": _repeat("1."),
    "tag_think_open": _repeat("<think "),
    "tag_answer_open": _repeat("<answer>"),
    "tag_tool_call_open": _repeat("<tool_call> "),
    "tag_score_open": _repeat("<score> 1 "),
    "tag_verdict_open": _repeat("<verdict> yes "),
    "angle_brackets": _repeat("<"),
    "braces_open": _repeat("{"),
    "boxed_open": _repeat("\\boxed{"),
    "brackets_open": _repeat("["),
    "brackets_numbers": _repeat("[1, "),
    "double_brackets": _repeat("[[ 1 "),
    "parens_open": _repeat("("),
    "dollars": _repeat("$"),
    "latex_paren_open": _repeat("\\( x "),
    "json_keys_open": _repeat('{"score": '),
    "quotes": _repeat('"'),
    "answer_is": _repeat("the answer is "),
    "final_answer": _repeat("final answer: "),
    "score_words": _repeat("score: rating "),
    "verdict_words": _repeat("verdict response "),
    "response_a_is": _repeat("Response A is "),
    "chain_gt": _repeat("1 > "),
    "step_markers": _repeat("Step 1: \n"),
    "checklist_lines": _repeat("1. item \n"),
    "a_lines": _repeat("A: \n"),
    "hashes": _repeat("#### "),
    "sentence_dots": _repeat(". "),
    "mixed_word": _repeat("select a from t where "),
    "sql_nested": lambda n: "SELECT " + "(" * (n // 2) + "1" + ")" * (n // 2),
    "python_nested": lambda n: "x = " + "[" * (n // 2) + "]" * (n // 2),
    "master_key_chain": _repeat("Solution: "),
    "json_strings_unclosed": _repeat('["a", '),
    "json_objects_unclosed": _repeat('{"a": ["b", '),
}

#: Words and openers that start a match in some parser; in ``openers + spaces`` / ``openers + blank lines``
#: each is followed by its own long run of whitespace (the classic super-linear shape: ``\s*`` next to
#: another optional ``\s*``, or before a lazy ``.*?``). With 20 runs of ~50 KB each, a quadratic pattern
#: still costs (50 KB)^2 per run: far past the deadline.
OPENERS = (
    "<answer>", "<think>", "<tool_call>", "<score>", "<verdict>", "[[", "\\boxed{", "####", "A:", "answer is",
    "final answer:", "score", "verdict", "Response A", "Step 1:", "1.", "{", "$", "\\(",
    "```json",  # last and alone: two fences would pair up and close each other
)


def _openers_then(run: str) -> Callable[[int], str]:
    def build(size: int) -> str:
        each = size // len(OPENERS) // len(run) + 1
        return "".join(opener + run * each for opener in OPENERS)

    return build


ADVERSARIAL["openers + spaces"] = _openers_then(" ")
ADVERSARIAL["openers + blank lines"] = _openers_then(" \n\t")


def _sql_exec_host_side(text: str) -> Any:
    """Everything ``sql_exec`` does to a completion on the host (before the sandbox sees it)."""
    from rewardsmith.execution.sql_exec import host_components, predicted_sql

    return host_components(predicted_sql(text), "SELECT name FROM customer WHERE id = 1", "sqlite")


def _code_security_host_side(text: str) -> Any:
    from rewardsmith.execution.code_security import code_security

    original = "import subprocess\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    return code_security(text, {"original": original, "repair": original.replace("cmd, shell=True", "cmd.split()")})


def _parsers() -> dict[str, tuple[str, Callable[[str], Any]]]:
    from rewardsmith.compose import length
    from rewardsmith.execution import fences, tool_call, tool_parse
    from rewardsmith.judges import guard, parsing
    from rewardsmith.process import steps
    from rewardsmith.selfreward import answers as self_answers
    from rewardsmith.verifiers import answers, choice, format, grounding, qa, r1_reward, retrieval, structured, style, verdict
    from rewardsmith.verifiers.math import extract
    from rewardsmith.verifiers.math import reward as math_reward

    options = ["red", "green", "blue", "yellow"]
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    tools = [{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}]
    gold_call = [{"f": {"a": [1]}}]
    return {
        "fences.extract_code": ("execx", lambda t: fences.extract_code(t, "python")),
        "fences.extract_code(sql)": ("execx", lambda t: fences.extract_code(t, "sql")),
        "tool_parse.parse_tool_calls": ("execx", lambda t: tool_parse.parse_tool_calls(t, tools=tools)),
        "tool_call reward": ("execx", lambda t: tool_call.tool_call(t, gold_call, [], {"tools": tools})),
        "sql_exec host side": ("execx", _sql_exec_host_side),
        "code_security host side": ("execx", _code_security_host_side),
        "math.extract_answer": ("math", extract.extract_answer),
        "math_equiv reward": ("math", lambda t: math_reward.math_equiv(t, "42")),
        "selfreward.extract(math)": ("selfreward", lambda t: self_answers.extract(t, "math")),
        "selfreward.extract(qa)": ("selfreward", lambda t: self_answers.extract(t, "qa")),
        "answers.answer_span": ("rules", answers.answer_span),
        "qa_f1 reward": ("rules", lambda t: qa.qa_f1(t, ["Paris"])),
        "qa_contains reward": ("rules", lambda t: qa.qa_contains(t, ["Paris", "42", "a"])),
        "choice reward": ("rules", lambda t: choice.choice(t, "B", {"options": options})),
        "think_format": ("rules", format.think_format),
        "think_format(answer tag)": ("rules", lambda t: format.think_format(t, require_answer_tag=True)),
        "tag_format": ("rules", lambda t: format.tag_format(t, ["think", "answer"])),
        "grounding.iou": ("rules", lambda t: grounding.iou(t, [[0, 0, 10, 10]])),
        "retrieval.ranking_from": ("rules", lambda t: retrieval.ranking_from(t, {})),
        "retrieval.nugget_recall": ("rules", lambda t: retrieval.nugget_recall(t, ["capital is Paris", "a b c d"])),
        "structured.json_schema": ("rules", lambda t: structured.json_schema(t, {}, schema=schema)),
        "style.reasoning_phrases": ("rules", style.reasoning_phrases),
        "style.language_consistency": ("rules", lambda t: style.language_consistency("What is two plus two?", t)),
        "verdict.final_verdict": ("judges", verdict.final_verdict),
        "r1_format": ("multimodal", r1_reward.r1_format),
        "r1_verdict": ("multimodal", lambda t: r1_reward.r1_verdict(t, 1)),
        "judges.parse_score": ("judges", lambda t: _verdict_or_none(parsing.parse_score, t, 1, 10)),
        "judges.parse_yes_no": ("judges", lambda t: _verdict_or_none(parsing.parse_yes_no, t)),
        "judges.parse_choice": ("judges", lambda t: _verdict_or_none(parsing.parse_choice, t)),
        "judges.parse_ranking": ("judges", lambda t: _verdict_or_none(parsing.parse_ranking, t, 3)),
        "judges.parse_checklist": ("judges", lambda t: _verdict_or_none(parsing.parse_checklist, t, 3)),
        "judges.explanation": ("judges", parsing.explanation),
        "judges.guard.check_content": ("judges", lambda t: guard.check_content(t, "What is two plus two?")),
        "steps.split_steps(double_newline)": ("process", lambda t: steps.split_steps(t, "double_newline")),
        "steps.split_steps(step_marker)": ("process", lambda t: steps.split_steps(t, "step_marker")),
        "steps.split_steps(sentences)": ("process", lambda t: steps.split_steps(t, "sentences")),
        "length.repetition": ("rules", length.repetition),
    }


def _verdict_or_none(parse: Callable[..., Any], text: str, *args: Any) -> Any:
    from rewardsmith.judges.parsing import VerdictParseError

    try:
        return parse(text, *args)
    except VerdictParseError:
        return None


def parsers() -> dict[str, tuple[str, Callable[[str], Any]]]:
    """name -> (owning engineer area, callable(text)); imported lazily (the reward packages are heavy)."""
    return _parsers()


def _child(conn: Any, fn: Callable[[str], Any], inputs: list[str], size: int) -> None:
    for key in inputs:
        text = ADVERSARIAL[key](size)[:size]
        conn.send(("start", key))
        started = time.perf_counter()
        try:
            fn(text)
            error = None
        except Exception as exc:  # reported, not hidden: a parser that raises on policy text is a finding too
            error = f"{type(exc).__name__}: {str(exc)[:120]}"
        conn.send(("done", key, time.perf_counter() - started, error))
    conn.send(("end",))


def time_parser(
    name: str, inputs: list[str], size: int, deadline_s: float, fn: Callable[[str], Any] | None = None
) -> dict[str, tuple[float | None, str | None]]:
    """Run parser ``name`` (or ``fn``) on each adversarial input of ``size`` characters in a forked child; an
    input that does not finish within ``deadline_s`` is recorded as ``(None, "deadline")`` and the child is
    killed (a fresh one goes on with the next input). Returns input -> (seconds or None, exception or None)."""
    import multiprocessing

    target = fn if fn is not None else parsers()[name][1]
    ctx = multiprocessing.get_context("fork")
    out: dict[str, tuple[float | None, str | None]] = {}
    todo = list(inputs)
    while todo:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, target, todo, size), daemon=True)
        proc.start()
        send.close()
        current: str | None = None
        why = "deadline"
        try:
            while recv.poll(deadline_s if current is not None else max(deadline_s, 60.0)):
                msg = recv.recv()
                if msg[0] == "start":
                    current = msg[1]
                elif msg[0] == "done":
                    out[msg[1]] = (msg[2], msg[3])
                    current = None
                else:
                    break
        except EOFError:  # the child died (a crash in the parser, or out of memory)
            why = "child died"
        proc.kill()
        proc.join()
        recv.close()
        missing = [k for k in todo if k not in out]
        if missing:  # the input that was running (or, if none had started, the next one) did not finish
            out[current or missing[0]] = (None, why)
        todo = [k for k in inputs if k not in out]
    return out
