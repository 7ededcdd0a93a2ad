"""Synthetic arithmetic word problems, rendered as text and re-read from text.

A problem is a short chain of people who each own some number of one kind of item. The first
people are *given* ("Ann has 12 apples."); every other person is *derived* from earlier ones by one
operation ("Bob has 5 more apples than Ann."). The question asks for the last derived person.

Sentence grammar (one operation per sentence; ``X``, ``A``, ``B`` are names, ``n``, ``k`` integers):

==========================================================  ============  ===========
sentence                                                    computation   difficulty
==========================================================  ============  ===========
``X has n ITEM.``                                           given         all
``X has n more ITEM than A.``                               ``A + n``     1+
``X has n fewer ITEM than A.``                              ``A - n``     1+
``X has k times as many ITEM as A.``                        ``A * k``     2+
``X has half|a third|a quarter|... as many ITEM as A.``     ``A / k``     3+
``X has as many ITEM as A and B together.``                 ``A + B``     3+
``X has as many ITEM as A has more than B.``                ``A - B``     4+
``How many ITEM does X have?``                              question      all
==========================================================  ============  ===========

Difficulty (1..5) sets the number of derived people (2, 3, 4, 6, 8), the size of the numbers, the
kinds of operation, and from level 4 on adds *distractors*: derived people whom the question does
not need (real problems carry irrelevant information too). Every value is a positive integer and
every division is exact, so the gold answer is an integer.

:func:`parse_problem` re-reads all of this from the text alone (policies, verifiers and judges
get problems as plain strings). The difficulty of a parsed problem is inferred from the number of
derived people, which is unique per level.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

NAMES = (
    "Ann", "Bob", "Cara", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivy", "Jack", "Kim", "Leo", "Mia",
    "Ned", "Olga", "Paul", "Rosa", "Sam", "Tara", "Uma", "Vic", "Wes", "Yara", "Zoe",
)
ITEMS = (
    "apples", "marbles", "stickers", "coins", "books", "shells", "pencils", "stamps", "cards",
    "beads", "cookies", "eggs", "plums", "buttons", "rocks",
)
FRACTION_WORDS = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth", 6: "a sixth"}
FRACTION_VALUES = {v: k for k, v in FRACTION_WORDS.items()}


@dataclass(frozen=True)
class Level:
    """What a difficulty level draws from."""

    derived: int  # derived people on the question's chain
    distractors: int  # derived people the question does not need
    givens: int
    given_range: tuple[int, int]
    const_range: tuple[int, int]  # n in "n more / n fewer"
    max_factor: int  # k in "k times"
    max_fraction: int  # k in "a k-th as many"
    kinds: tuple[str, ...]
    cap: int  # every value stays <= cap


LEVELS: dict[int, Level] = {
    1: Level(2, 0, 1, (5, 30), (2, 9), 0, 0, ("more", "fewer"), 60),
    2: Level(3, 0, 1, (5, 40), (2, 12), 4, 0, ("more", "fewer", "times"), 150),
    3: Level(4, 0, 2, (6, 60), (2, 15), 5, 3, ("more", "fewer", "times", "fraction", "together"), 300),
    4: Level(5, 1, 2, (8, 80), (3, 20), 6, 4,
             ("more", "fewer", "times", "fraction", "together", "difference"), 500),
    5: Level(6, 1, 2, (10, 99), (3, 25), 9, 6,
             ("more", "fewer", "times", "fraction", "together", "difference"), 999),
}
# The "local" surface (see :mod:`prmlib.synth.surface`): the same structure per level, one-digit
# numbers (every count from 2 to 9, constants 1 to 6), so that checking a step's arithmetic is a
# small lookup table a tiny model can learn; difficulty comes from more steps, more kinds of
# operation and distractors, not from big numbers. (A slip can still write 10 or more.)
SMALL_LEVELS: dict[int, Level] = {
    1: Level(2, 0, 1, (2, 9), (1, 4), 0, 0, ("more", "fewer"), 9),
    2: Level(3, 0, 1, (2, 9), (1, 4), 3, 0, ("more", "fewer", "times"), 9),
    3: Level(4, 0, 2, (2, 9), (1, 5), 3, 3, ("more", "fewer", "times", "fraction", "together"), 9),
    4: Level(5, 1, 2, (2, 9), (1, 5), 3, 4,
             ("more", "fewer", "times", "fraction", "together", "difference"), 9),
    5: Level(6, 1, 2, (2, 9), (1, 6), 4, 4,
             ("more", "fewer", "times", "fraction", "together", "difference"), 9),
}
SURFACES = ("local", "plain")  # the first is the default
_DIFFICULTY_BY_DERIVED = {lv.derived + lv.distractors: d for d, lv in LEVELS.items()}

KIND_OP = {"more": "+", "fewer": "-", "times": "*", "fraction": "/", "together": "+", "difference": "-"}


@dataclass(frozen=True)
class Quantity:
    """One person's count.

    Args:
        name: the person.
        kind: ``"given"`` or one of the sentence kinds (``"more"``, ``"times"``, ...).
        op: ``None`` for a given count, else ``"+"``, ``"-"``, ``"*"`` or ``"/"``.
        args: the operands, in the order a solution writes them: names (str) of earlier people
            or integer constants. ``("Ann", 5)`` for "5 more than Ann"; ``()`` for a given count.
        value: the true count.
    """

    name: str
    kind: str
    op: str | None
    args: tuple[str | int, ...]
    value: int

    @property
    def derived(self) -> bool:
        return self.op is not None


@dataclass(frozen=True)
class SynthProblem:
    """A synthetic word problem with its structure.

    Args:
        id: stable id (``d{difficulty}-`` + a hash of the text), the same after :func:`parse_problem`.
        text: the problem as written.
        gold: the answer as a string (an integer).
        difficulty: 1..5 (inferred from the structure when parsed; 0 if it fits no level).
        item: the item everybody counts ("apples").
        quantities: every person in the order of the text.
        target: the person the question asks about.
    """

    id: str
    text: str
    gold: str
    difficulty: int
    item: str
    quantities: tuple[Quantity, ...] = field(repr=False)
    target: str = ""

    @property
    def values(self) -> dict[str, int]:
        """True count of every person."""
        return {q.name: q.value for q in self.quantities}

    @property
    def derived(self) -> tuple[Quantity, ...]:
        """Derived people, in the order a solution computes them."""
        return tuple(q for q in self.quantities if q.derived)

    @property
    def needed(self) -> frozenset[str]:
        """People the answer depends on (the target and everyone it is computed from); the other
        derived people are distractors."""
        by_name = {q.name: q for q in self.quantities}
        out: set[str] = set()
        todo = [self.target]
        while todo:
            name = todo.pop()
            if name in out or name not in by_name:
                continue
            out.add(name)
            todo.extend(a for a in by_name[name].args if isinstance(a, str))
        return frozenset(out)

    def quantity(self, name: str) -> Quantity | None:
        for q in self.quantities:
            if q.name == name:
                return q
        return None

    @property
    def constants(self) -> tuple[int, ...]:
        """Every number written in the problem (given counts and constants)."""
        out = [q.value for q in self.quantities if not q.derived]
        out += [a for q in self.quantities for a in q.args if isinstance(a, int)]
        return tuple(out)


def apply_op(op: str, a: int, b: int) -> int | None:
    """``a op b`` on integers; ``None`` for a division that is not exact (or by zero)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0 or a % b:
            return None
        return a // b
    raise ValueError(f"unknown operation {op!r}")


def _problem_id(text: str, difficulty: int) -> str:
    return f"d{difficulty}-" + hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


# --------------------------------------------------------------------------- rendering
def render_sentence(q: Quantity, item: str) -> str:
    """The problem sentence that defines ``q``."""
    a = q.args
    if q.kind == "given":
        return f"{q.name} has {q.value} {item}."
    if q.kind == "more":
        return f"{q.name} has {a[1]} more {item} than {a[0]}."
    if q.kind == "fewer":
        return f"{q.name} has {a[1]} fewer {item} than {a[0]}."
    if q.kind == "times":
        return f"{q.name} has {a[1]} times as many {item} as {a[0]}."
    if q.kind == "fraction":
        return f"{q.name} has {FRACTION_WORDS[a[1]]} as many {item} as {a[0]}."
    if q.kind == "together":
        return f"{q.name} has as many {item} as {a[0]} and {a[1]} together."
    if q.kind == "difference":
        return f"{q.name} has as many {item} as {a[0]} has more than {a[1]}."
    raise ValueError(f"unknown sentence kind {q.kind!r}")


def render_problem(quantities: tuple[Quantity, ...], item: str, target: str) -> str:
    body = " ".join(render_sentence(q, item) for q in quantities)
    return f"{body} How many {item} does {target} have?"


# --------------------------------------------------------------------------- generation
def _draw_derived(rng: random.Random, level: Level, name: str, pool: list[Quantity],
                  prefer: Quantity, existing: list[Quantity]) -> Quantity | None:
    """One derived person from earlier people (``prefer`` is the chain's last link)."""
    kind = rng.choice(level.kinds)
    a = prefer
    if kind == "more":
        n = rng.randint(*level.const_range)
        v = a.value + n
        args: tuple[str | int, ...] = (a.name, n)
    elif kind == "fewer":
        n = rng.randint(*level.const_range)
        v = a.value - n
        args = (a.name, n)
    elif kind == "times":
        k = rng.randint(2, level.max_factor)
        v = a.value * k
        args = (a.name, k)
    elif kind == "fraction":
        ks = [k for k in range(2, level.max_fraction + 1) if a.value % k == 0 and a.value // k >= 2]
        if not ks:
            return None
        k = rng.choice(ks)
        v = a.value // k
        args = (a.name, k)
    else:  # together / difference: a second earlier person
        others = [q for q in pool if q.name != a.name]
        if not others:
            return None
        b = rng.choice(others)
        if kind == "together":
            v = a.value + b.value
            args = (a.name, b.name) if rng.random() < 0.5 else (b.name, a.name)
        else:
            hi, lo = (a, b) if a.value >= b.value else (b, a)
            v = hi.value - lo.value
            args = (hi.name, lo.name)
    if not 2 <= v <= level.cap or any(q.kind == kind and set(q.args) == set(args) for q in existing):
        return None  # out of range, or the same relation as someone already in the problem
    return Quantity(name, kind, KIND_OP[kind], args, v)


def make_problem(difficulty: int, rng: random.Random, surface: str = "local") -> SynthProblem:
    """Draw one problem of the given difficulty from ``rng`` (``surface="local"``: small numbers,
    :data:`SMALL_LEVELS`)."""
    if difficulty not in LEVELS:
        raise ValueError(f"difficulty must be one of {sorted(LEVELS)}, got {difficulty!r}")
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {SURFACES}, got {surface!r}")
    level = (SMALL_LEVELS if surface == "local" else LEVELS)[difficulty]
    n_people = level.givens + level.derived + level.distractors
    for _attempt in range(1000):
        names = rng.sample(NAMES, n_people)
        item = rng.choice(ITEMS)
        givens = [Quantity(names[i], "given", None, (), rng.randint(*level.given_range))
                  for i in range(level.givens)]
        chain: list[Quantity] = list(givens)  # people the answer depends on (candidates)
        people: list[Quantity] = list(givens)
        # positions (among derived, before the last) where a distractor is inserted
        slots = sorted(rng.sample(range(level.derived - 1), level.distractors)) if level.distractors else []
        ok = True
        idx = level.givens
        for step in range(level.derived):
            while slots and slots[0] == step:
                slots.pop(0)
                d = _draw_with_retries(rng, level, names[idx], people, rng.choice(people), people)
                if d is None:
                    ok = False
                    break
                people.append(d)  # a distractor: later chain links never use it
                idx += 1
            if not ok:
                break
            q = _draw_with_retries(rng, level, names[idx], chain, chain[-1], people)
            if q is None:
                ok = False
                break
            chain.append(q)
            people.append(q)
            idx += 1
        if not ok:
            continue
        quantities = tuple(people)
        target = chain[-1].name
        text = render_problem(quantities, item, target)
        return SynthProblem(
            id=_problem_id(text, difficulty), text=text, gold=str(chain[-1].value),
            difficulty=difficulty, item=item, quantities=quantities, target=target,
        )
    raise RuntimeError(f"could not draw a difficulty-{difficulty} problem in 1000 attempts")


def _draw_with_retries(rng, level, name, pool, prefer, existing, tries: int = 50) -> Quantity | None:
    for _ in range(tries):
        q = _draw_derived(rng, level, name, pool, prefer, existing)
        if q is not None:
            return q
    return None


def make_problems(n: int, difficulty: int, seed: int = 0, surface: str = "local") -> list[SynthProblem]:
    """``n`` problems of one difficulty (1..5), deterministic given ``seed``.

    Example::

        >>> p = make_problems(1, difficulty=1, seed=0)[0]
        >>> p.text   # doctest: +SKIP
        'Hana has 21 coins. Leo has 4 more coins than Hana. Ivy has 7 fewer coins than Leo. ...'
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    tag = "" if surface == "plain" else f"|{surface}"  # keeps the problems of each surface as they were
    rng = random.Random(f"synth-problems|{difficulty}|{seed}{tag}")
    return [make_problem(difficulty, rng, surface) for _ in range(n)]


# --------------------------------------------------------------------------- parsing
_NUM = r"(\d+)"
_NAME = r"([A-Z][a-z]+)"
_ITEM = r"([a-z]+)"
_FRAC = "(" + "|".join(FRACTION_WORDS.values()) + ")"
_SENTENCES = [
    ("given", re.compile(rf"^{_NAME} has {_NUM} {_ITEM}\.$")),
    ("more", re.compile(rf"^{_NAME} has {_NUM} more {_ITEM} than {_NAME}\.$")),
    ("fewer", re.compile(rf"^{_NAME} has {_NUM} fewer {_ITEM} than {_NAME}\.$")),
    ("times", re.compile(rf"^{_NAME} has {_NUM} times as many {_ITEM} as {_NAME}\.$")),
    ("fraction", re.compile(rf"^{_NAME} has {_FRAC} as many {_ITEM} as {_NAME}\.$")),
    ("together", re.compile(rf"^{_NAME} has as many {_ITEM} as {_NAME} and {_NAME} together\.$")),
    ("difference", re.compile(rf"^{_NAME} has as many {_ITEM} as {_NAME} has more than {_NAME}\.$")),
]
_QUESTION = re.compile(rf"^How many {_ITEM} does {_NAME} have\?$")
_SPLIT = re.compile(r"[^.?]+[.?]")


def parse_problem(text: str) -> SynthProblem:
    """Re-read a problem from its text (inverse of the rendering; raises ``ValueError`` on text
    outside the grammar, naming the sentence)."""
    return _parse_problem_cached(text)


@lru_cache(maxsize=65536)
def _parse_problem_cached(text: str) -> SynthProblem:
    if not isinstance(text, str):
        raise TypeError(f"parse_problem expects a str, got {type(text).__name__}")
    sentences = [s.strip() for s in _SPLIT.findall(text)]
    if not sentences:
        raise ValueError("not a synthetic problem: no sentences")
    qm = _QUESTION.match(sentences[-1])
    if qm is None:
        raise ValueError(f"not a synthetic problem: last sentence is not a question: {sentences[-1]!r}")
    item, target = qm.group(1), qm.group(2)
    values: dict[str, int] = {}
    quantities: list[Quantity] = []
    for sent in sentences[:-1]:
        q = _parse_sentence(sent, item, values)
        values[q.name] = q.value
        quantities.append(q)
    if target not in values:
        raise ValueError(f"the question asks about {target!r}, who is not in the problem")
    n_derived = sum(q.derived for q in quantities)
    difficulty = _DIFFICULTY_BY_DERIVED.get(n_derived, 0)
    return SynthProblem(
        id=_problem_id(text, difficulty), text=text, gold=str(values[target]), difficulty=difficulty,
        item=item, quantities=tuple(quantities), target=target,
    )


def _parse_sentence(sent: str, item: str, values: dict[str, int]) -> Quantity:
    for kind, pattern in _SENTENCES:
        m = pattern.match(sent)
        if m is None:
            continue
        g = m.groups()
        if kind == "given":
            name, n, it = g
            args: tuple[str | int, ...] = ()
            value = int(n)
        elif kind in ("more", "fewer", "times"):
            name, n, it, ref = g
            args = (ref, int(n))
        elif kind == "fraction":
            name, frac, it, ref = g
            args = (ref, FRACTION_VALUES[frac])
        else:
            name, it, r1, r2 = g
            args = (r1, r2)
        if it != item:
            raise ValueError(f"sentence counts {it!r} but the question asks about {item!r}: {sent!r}")
        if name in values:
            raise ValueError(f"{name} is defined twice: {sent!r}")
        op = KIND_OP.get(kind)
        if op is not None:
            operands = []
            for a in args:
                if isinstance(a, str):
                    if a not in values:
                        raise ValueError(f"{a!r} is used before it is defined: {sent!r}")
                    operands.append(values[a])
                else:
                    operands.append(a)
            value = apply_op(op, operands[0], operands[1])
            if value is None:
                raise ValueError(f"division is not exact: {sent!r}")
        return Quantity(name, kind, op, args, value)
    raise ValueError(f"sentence outside the synthetic grammar: {sent!r}")
