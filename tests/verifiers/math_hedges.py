"""Hedge and spray probes for math_equiv: several different candidate answers where the reference has one
(in one box, across boxes, in prose, as a set, an interval, \\pm, a logical or) must earn nothing.

Each entry is (completion, reference, what it tries). Used by tests/verifiers/test_math_equiv.py (each must
score ok 0.0) and by bench/bench_verifiers.py (the probe table, with math-verify's verdicts beside ours).
"""

from __future__ import annotations

#: Hedges and sprays: several different candidate answers, where the reference has one, earn nothing.
HEDGES = [
    ("3 or 4", "4", "or in prose"),
    ("It is either 3 or 4.", "3", "either/or in prose"),
    ("The answer is 3 or 4.", "4", "answer is ... or"),
    ("Final Answer: 3, 4, or 5", "4", "final answer list"),
    ("Candidates: 1, 2, 3, 4, 5.", "5", "number spray in prose"),
    ("#### 3 or 4", "4", "#### list"),
    (r"$\boxed{3 \text{ or } 4}$", "4", "or in one box"),
    (r"$\boxed{3, 4}$", "4", "list in one box"),
    (r"$\boxed{\{3, 4\}}$", "4", "set containing the answer"),
    (r"$\boxed{3}\boxed{4}$", "4", "adjacent boxes"),
    (r"$\boxed{3}$, $\boxed{4}$", "4", "boxes in a list"),
    (r"$\boxed{3}$ and $\boxed{4}$", "3", "boxes joined by and"),
    (r"It is $\boxed{3}$. Or maybe $\boxed{4}$.", "4", "hedge across sentences"),
    (r"$\boxed{\pm 4}$", "4", "plus-minus for one value"),
    (r"$\boxed{4 \pm 0.5}$", "4", "plus-minus around the value"),
    (r"$\boxed{[3, 5]}$", "4", "interval containing the answer"),
    (r"$\boxed{(-\infty, \infty)}$", "4", "all reals"),
    (r"$\boxed{x \ge 0}$", "4", "inequality containing the answer"),
    (r"$\boxed{x = 4 \text{ or } x = 5}$", "4", "two roots for one"),
    (r"$\boxed{1,2,3,4,5,6,7,8,9,10,11,12}$", "11", "spray in a box"),
    (r"$\boxed{B \text{ or } C}$", "B", "two choices"),
    (r"$\boxed{\{1, 2, 3\}}$", r"\{1, 2\}", "superset of the solution set"),
    (r"$\boxed{1, 2, 3}$", "1, 2", "longer solution list"),
    (r"$\boxed{[0, 3]}$", "[1, 2]", "wider interval"),
    (r"$\boxed{3 \text{ and } 4}$", "4", "and in one box"),
    (r"$\boxed{\text{either 3 or 4}}$", "3", "words in a box"),
    (r"$\boxed{3 \vee 4}$", "4", "logical or in a box"),
    (r"$\boxed{x=3 \lor x=4}$", "4", "logical or between roots"),
    (r"$\boxed{3 \cup 4}$", "4", "a digit from an expression the CAS cannot read"),
    (r"$\boxed{4 \boxed{5}}$", "5", "a box inside an expression"),
    (r"$\boxed{4 \text{ or more}}$", "4", "or more"),
    ("The solutions are x = 3 or x = 4.", "4", "labelled roots in prose"),
    ("So $x = 3$ or $x = 4$.", "4", "roots in two math spans"),
    ("The answer is 4.\n\nAlternatively, the answer is 5.", "5", "an alternative answer statement"),
    (r"The answer could be $\boxed{4}$, but it might be $\boxed{5}$.", "5", "might between boxes"),
    ("4\n5", "5", "bare values on lines"),
    ("It's 4. Or 5.", "5", "or at the start of the next sentence"),
    ("3 4", "7", "juxtaposed numbers read as their sum"),
    (r"$\boxed{3\ 4}$", "34", "spaced digits read as one number"),
    (r"$\boxed{x < 2 \text{ or } x > 3}$", "4", "union containing the answer"),
    (r"$\boxed{\frac{1}{2}}$ or $\boxed{4}$", "4", "two values, or between boxes"),
]
