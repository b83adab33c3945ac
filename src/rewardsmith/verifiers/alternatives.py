"""Several candidate answers listed where one is meant: "Paris, London or Berlin", "41 42 43", "Paris London
Berlin Rome Madrid". Used by the QA rewards so that containment and token overlap do not pay a spray.

The answer span is read as tokens (SQuAD-normalised for matching, original case for their kind): numbers,
names (capitalised words that are not function words) and plain words. Candidates are runs of one kind
(a name of several capitalised words is one candidate; every number is its own); two candidates are *listed
together* when only list material separates them (whitespace, ``, ; / | & + . :``, bullets, articles,
list numbering, "and", "or", "maybe" ...), never when a verb or any other word stands between them, so
prose that mentions other entities ("The capital of Germany is Berlin, a city of 3.7M people") is not a list.

A list around the gold answer is a hedge when it offers alternatives ("or", "/", "maybe": one other
candidate is enough), lists two or more other candidates, lists any other number next to a numeric answer,
or when the gold name sits inside a run of capitalised words with more than one other ("Paris London Berlin
Rome Madrid"). One qualifier is allowed ("Berlin, Germany"; "Barack Obama" for gold "Obama"; a full name
longer than that should be one of the gold aliases); so is repeating the gold or one of its aliases.
Residual: two candidates side by side ("Paris Berlin", "Paris, Berlin") read as a name with a qualifier;
candidates each inside its own sentence of prose ("Paris is lovely. Berlin is big.") are not a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["num", "name", "word", "function"]

_TOKEN = re.compile(r"[^\W_]+(?:(?:[.'\u2019\-]|(?<=\d),(?=\d))[^\W_]+)*")
_PUNCT_STRIP = re.compile(r"[^\w\s]|_")
_ARTICLES = frozenset({"a", "an", "the"})
#: Words that join list items: conjunctions, hedging adverbs (alternatives) and articles.
_ALTERNATIVE_WORDS = frozenset(
    {"or", "nor", "either", "maybe", "perhaps", "possibly", "probably", "alternatively", "otherwise", "vs", "versus"}
)
_JOIN_WORDS = frozenset({"and", "also", "plus"}) | _ARTICLES
_ALTERNATIVE_MARKS = frozenset("/|?")
#: Punctuation that may stand between list items. Between numbers ":" and "/" are a time, ratio or
#: fraction, not a list; "-", "*", "+" and bullets only start a line (elsewhere they are arithmetic).
_LIST_MARKS = frozenset(",;.:!&()[]{}\"'\u2013\u2014") | _ALTERNATIVE_MARKS
_NUM_LIST_MARKS = _LIST_MARKS - {":", "/"}
_BULLETS = frozenset("-*+\u2022")
#: English function words: a capitalised one (sentence start, "I") is not a name.
FUNCTION_WORDS = frozenset(
    """a an the and or nor but so yet if then than because as of in on at to for from by with without about into
    onto over under after before between through during since until while i me my mine we us our ours you your
    yours he him his she her hers it its they them their theirs this that these those who whom whose which what
    when where why how is are was were be been being am do does did done have has had having will would shall
    should can could may might must not no yes all any each every some many much more most few other another
    such there here also just only very too even still well both either neither maybe perhaps possibly probably
    alternatively otherwise vs versus plus let lets let's answer final""".split()
)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    norm: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Unit:
    """A candidate: tokens ``first..last`` (indexes into the token list) of one kind; ``gold`` when it is an
    occurrence of a gold answer."""

    first: int
    last: int
    kind: Kind
    gold: bool

    def norms(self, tokens: list[Token]) -> tuple[str, ...]:
        return tuple(t.norm for t in tokens[self.first : self.last + 1] if t.norm and t.norm not in _ARTICLES)


@dataclass(frozen=True, slots=True)
class Hedge:
    """Why an answer span is a hedge: the candidates listed with the gold, and how they are joined."""

    candidates: tuple[str, ...]
    why: str


def _kind(text: str) -> Kind:
    low = text.lower().replace("\u2019", "'")
    if any(c.isdigit() for c in text):
        return "num"
    if low in FUNCTION_WORDS:
        return "function"
    return "name" if text[:1].isupper() else "word"


def tokens_of(text: str) -> list[Token]:
    """Word tokens with their SQuAD-normalised form (lower case, no punctuation) and kind.

    >>> [(t.norm, t.kind) for t in tokens_of("It was Barack Obama, in 2009.")]
    [('it', 'function'), ('was', 'function'), ('barack', 'name'), ('obama', 'name'), ('in', 'function'), ('2009', 'num')]
    """
    return [
        Token(m.start(), m.end(), m.group(0), _PUNCT_STRIP.sub("", m.group(0).lower()), _kind(m.group(0)))
        for m in _TOKEN.finditer(text)
    ]


def gold_tokens(gold: str) -> tuple[str, ...]:
    """A gold answer as normalised tokens, articles dropped (SQuAD's normalisation, token by token)."""
    return tuple(t.norm for t in tokens_of(gold) if t.norm and t.norm not in _ARTICLES)


def _content(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.norm and t.norm not in _ARTICLES]


def occurrences(tokens: list[Token], gold: tuple[str, ...]) -> list[tuple[int, int]]:
    """(first, last) token indexes of every whole-token occurrence of ``gold`` (articles skipped)."""
    if not gold:
        return []
    idx = _content(tokens)
    norms = [tokens[i].norm for i in idx]
    n = len(gold)
    return [(idx[k], idx[k + n - 1]) for k in range(len(norms) - n + 1) if tuple(norms[k : k + n]) == gold]


def _gap_alternative(gap: str, kind: Kind) -> bool | None:
    """Whether punctuation between two tokens offers alternatives (``/``, ``|``, ``?``); None when it is not
    list material (a bullet counts only at the start of a line)."""
    marks = _NUM_LIST_MARKS if kind == "num" else _LIST_MARKS
    alternative = False
    line_start = False
    for c in gap:
        if c == "\n":
            line_start = True
        elif c.isspace():
            continue
        elif line_start and c in _BULLETS:
            line_start = False
        elif c in marks:
            line_start = False
            alternative |= c in _ALTERNATIVE_MARKS
        else:
            return None
    return alternative


def _gap_link(text: str, tokens: list[Token], a: int, b: int, kind: Kind) -> Literal["alternative", "join"] | None:
    """How the material between token ``a`` and token ``b`` (exclusive) joins two candidates of ``kind``:
    None when a word that is not list material stands between them."""
    alternative = False
    pos = tokens[a].end
    for i in range(a + 1, b + 1):
        marks = _gap_alternative(text[pos : tokens[i].start], kind)
        if marks is None:
            return None
        alternative |= marks
        if i == b:
            break
        t = tokens[i]
        if t.norm in _ALTERNATIVE_WORDS:
            alternative = True
        elif not (t.norm in _JOIN_WORDS or (t.kind == "num" and kind != "num")):
            return None  # a word that is not list material: "and", an article, list numbering between names
        pos = t.end
    return "alternative" if alternative else "join"


def _spaced(gap: str) -> bool:
    """Words of one name are separated by spaces on one line (a line break separates list items)."""
    return bool(gap) and not gap.strip(" \t\u00a0")


def _units(tokens: list[Token], text: str, golds: list[tuple[int, int]]) -> list[Unit]:
    """Candidates in text order: each gold occurrence is one unit; other runs of names (or of plain words)
    joined by whitespace only are one unit each; every number is its own unit."""
    gold_at = {first: last for first, last in golds}
    out: list[Unit] = []
    i = 0
    while i < len(tokens):
        if i in gold_at:
            last = gold_at[i]
            kinds = {t.kind for t in tokens[i : last + 1]}
            kind: Kind = "num" if "num" in kinds else "name" if "name" in kinds else "word"
            out.append(Unit(i, last, kind, True))
            i = last + 1
            continue
        t = tokens[i]
        if t.kind == "function":
            i += 1
            continue
        j = i
        if t.kind != "num":
            while (
                j + 1 < len(tokens)
                and j + 1 not in gold_at
                and tokens[j + 1].kind == t.kind
                and _spaced(text[tokens[j].end : tokens[j + 1].start])
            ):
                j += 1
        out.append(Unit(i, j, t.kind, False))
        i = j + 1
    return out



def find_hedge(text: str, golds: list[str]) -> Hedge | None:
    """The hedge around an occurrence of a gold answer in ``text``, or None when every occurrence is stated
    as one answer (see the module docstring for the rules).

    >>> find_hedge("Paris London Berlin Rome Madrid", ["Berlin"]).candidates
    ('paris', 'london', 'berlin', 'rome', 'madrid')
    >>> find_hedge("The capital of Germany is Berlin, a city of 3.7M people.", ["Berlin"]) is None
    True
    >>> find_hedge("It is Berlin or Paris.", ["Berlin"]).why
    'alternatives listed with the answer'
    """
    tokens = tokens_of(text)
    gold_norms = [g for g in (gold_tokens(x) for x in golds) if g]
    occ = _outermost(sorted({o for g in gold_norms for o in occurrences(tokens, g)}, key=lambda o: (o[0], -o[1])))
    if not occ:
        return None
    units = _units(tokens, text, occ)
    gold_values = {_value(t) for g in golds for t in tokens_of(g) if t.norm and t.norm not in _ARTICLES}
    for u in units:
        if u.gold and (hedge := _name_run(tokens, text, u)) is not None:
            return hedge
    for kind in dict.fromkeys(u.kind for u in units if u.gold):
        for chain, links in _chains(tokens, text, [v for v in units if v.kind == kind], kind):
            if any(v.gold for v in chain) and (hedge := _judge(tokens, chain, links, kind, gold_values)) is not None:
                return hedge
    return None


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans (sorted by start, longest first) not inside another: "Barack Obama" over its "Obama"."""
    out: list[tuple[int, int]] = []
    reach = -1
    for first, last in spans:
        if last > reach:
            out.append((first, last))
            reach = last
    return out


def _name_run(tokens: list[Token], text: str, u: Unit) -> Hedge | None:
    """A gold name inside a run of capitalised words with more than one other makes the run a list of names
    ("Paris London Berlin Rome Madrid"), not one longer name ("Barack Obama" for gold "Obama")."""
    if u.kind != "name":
        return None

    def joined(a: int, b: int, new: int) -> bool:
        return tokens[new].kind == "name" and _spaced(text[tokens[a].end : tokens[b].start])

    left, right = u.first, u.last
    while left > 0 and u.first - left < 2 and joined(left - 1, left, left - 1):
        left -= 1
    while right + 1 < len(tokens) and (u.first - left) + (right - u.last) < 2 and joined(right, right + 1, right + 1):
        right += 1
    if (u.first - left) + (right - u.last) > 1:
        while left > 0 and joined(left - 1, left, left - 1):  # the whole run, for the reason (once)
            left -= 1
        while right + 1 < len(tokens) and joined(right, right + 1, right + 1):
            right += 1
        run = tokens[left : right + 1]
        return Hedge(tuple(t.norm for t in run), "a run of names around the answer")
    return None


def _value(token: Token) -> str:
    """A number token as its value ("16.00" and "16" alike); other tokens as their normalised form."""
    try:
        return repr(float(token.text.replace(",", "")))
    except ValueError:
        return token.norm


def _chains(
    tokens: list[Token], text: str, same: list[Unit], kind: Kind
) -> list[tuple[list[Unit], list[Literal["alternative", "join"]]]]:
    """Candidates of one kind (in text order) grouped into lists: neighbours joined by list material only."""
    out: list[tuple[list[Unit], list[Literal["alternative", "join"]]]] = []
    for k, v in enumerate(same):
        link = _gap_link(text, tokens, same[k - 1].last, v.first, kind) if k else None
        if link is None:
            out.append(([v], []))
        else:
            out[-1][0].append(v)
            out[-1][1].append(link)
    return out


def _judge(
    tokens: list[Token], chain: list[Unit], links: list[Literal["alternative", "join"]], kind: Kind, gold_values: set[str]
) -> Hedge | None:
    """Whether a list holding a gold answer is a hedge: other candidates (not the gold or its words again)
    offered as alternatives, any other number next to a number, or two or more other candidates."""
    others = {
        v.norms(tokens)
        for v in chain
        if not v.gold and not {_value(t) for t in tokens[v.first : v.last + 1]} & gold_values
    }
    others.discard(())
    if not others:
        return None
    shown = tuple(" ".join(v.norms(tokens)) for v in chain)
    if "alternative" in links:
        return Hedge(shown, "alternatives listed with the answer")
    if kind == "num":
        return Hedge(shown, "other numbers listed with the answer")
    if len(others) >= 2:
        return Hedge(shown, "several candidates listed with the answer")
    return None
