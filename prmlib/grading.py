"""Answer grading: extraction, mathematical equivalence, voting keys.

Public API (other modules code against exactly this):

* :func:`extract_answer` (from :mod:`prmlib.answer_extraction`): the final answer of a solution.
* :func:`is_equivalent`: does a predicted answer equal the gold answer mathematically?
* :func:`answer_key`: a canonical key so that equivalent answers vote together.
* :func:`grade`: extract (with an extraction policy), then compare; no answer counts as wrong.
* :class:`Grader`: the same with a cache of verdicts keyed by (answer, gold, policy): the one
  grader that Best-of-N, MC estimation and the synthetic world's statistics share.

Extraction policies (:data:`EXTRACTION_POLICIES`, details in :mod:`prmlib.answer_forms`):
``"strict"`` (boxed answers and answer phrases), ``"flexible"`` (also the unboxed forms of
numeric answers: "A: 18", "the result is 18", the last number of the last sentence), ``"choice"``
(a multiple-choice letter) and ``"auto"`` (flexible when the gold is a plain number, else strict
plus unboxed answers of the gold's form: :mod:`prmlib.answer_shapes`).
Each benchmark's default is :func:`prmlib.data.default_extraction`.

How :func:`is_equivalent` decides, cheapest first:

1. **Fast path** (pure Python, microseconds): identical strings; integer against integer;
   equal after :func:`~prmlib.answer_extraction.normalize_answer`; multiple-choice letter against
   letter; two plain numbers (integer, decimal, ``a/b``, ``\\frac{a}{b}``) compared exactly as
   fractions, a percent sign on one side also allowing ``x/100``. A case decided here never
   reaches sympy: Monte Carlo estimation over integer answers stays cheap.
2. **math-verify** (``math_verify.parse`` + ``math_verify.verify``, gold first: it is not
   symmetric) on both answers wrapped in ``$...$``, under a hard time limit per call. Any error,
   malformed LaTeX or time-out gives ``False``.

Time limits. math-verify's own time-outs use ``signal.alarm`` with whole seconds and refuse to run
outside the main thread, so they are switched off and replaced:

* in the main thread (with no other ``SIGALRM`` timer armed) a ``setitimer`` timer raises an
  exception that derives from ``BaseException``, so that math-verify's ``except Exception``
  handlers cannot swallow it;
* anywhere else (worker threads, or when another timer such as pytest-timeout's is armed), the
  comparison runs in a helper process (``python -c`` on this module, JSON lines over pipes) that
  is killed when it overruns. Helper processes are started on first need (about a second, not
  counted in the time limit) and reused.

A signal cannot interrupt one long C call in the main thread (say a single enormous integer
power inside CPython); the helper-process path has no such gap.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

from prmlib.answer_extraction import extract_answer, mc_letter, normalize_answer, strip_dollars, to_number
from prmlib.answer_forms import EXTRACTION_POLICIES, is_numeric_answer, resolve_policy

__all__ = [
    "EXTRACTION_POLICIES", "GRADING_VERSION", "NO_ANSWER_KEY", "Grader", "answer_key", "extract_answer", "grade", "is_equivalent",
    "is_numeric_answer", "resolve_policy",
]

logger = logging.getLogger(__name__)

#: Version of the extraction and comparison rules. Stored verdicts (MC rollout grades in
#: :func:`prmlib.annotate.jobs.run_mc_job`) are keyed by it: raise it when a rule change can turn a
#: verdict, so that old results are re-graded instead of reused.
GRADING_VERSION = "2026-11-30.shapes"

#: Key of "no answer" in majority voting. It starts with a space, which no key of a real answer
#: does (normalised answers are stripped), so no answer string can collide with it.
NO_ANSWER_KEY = " <no answer>"

_MAX_ANSWER_CHARS = 2000  # longer "answers" are not answers; math-verify is not run on them


class _GradingTimeout(BaseException):
    """Raised by the main-thread timer. A BaseException so library ``except Exception`` blocks let it pass."""


# --------------------------------------------------------------------------------------------
# fast path
# --------------------------------------------------------------------------------------------
def _is_plain_int(s: str) -> bool:
    s = s[1:] if s[:1] in "+-" else s
    return s.isdigit() and s.isascii()


def _fast_compare(pred: str, gold: str) -> bool | None:
    """True/False when the answers can be decided without sympy, else None."""
    if pred == gold:
        return True
    p, g = pred.strip(), gold.strip()
    if _is_plain_int(p) and _is_plain_int(g):
        return int(p) == int(g)
    np_, ng = normalize_answer(p), normalize_answer(g)
    if not np_ or not ng:
        return False
    if np_ == ng:
        return True
    lp, lg = mc_letter(np_), mc_letter(ng)
    if lg is not None or lp is not None:
        # a choice letter only ever matches the same letter
        return lp == lg
    fp, fg = to_number(np_), to_number(ng)
    if fp is not None and fg is not None:
        if fp == fg:
            return True
        if "%" in p or "%" in g:
            return fp == fg / 100 or fp / 100 == fg
        return False
    return None


# --------------------------------------------------------------------------------------------
# math-verify, no time limit of its own
# --------------------------------------------------------------------------------------------
class _DropTimeoutDisabledWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


_MV_LOADED = False


def _load_math_verify():
    global _MV_LOADED
    import math_verify

    if not _MV_LOADED:
        for name in ("math_verify", "math_verify.parser", "math_verify.grader"):
            logging.getLogger(name).addFilter(_DropTimeoutDisabledWarning())
        _MV_LOADED = True
    return math_verify


@lru_cache(maxsize=8192)
def _parse(answer: str) -> tuple:
    mv = _load_math_verify()
    return tuple(mv.parse(f"${answer}$", parsing_timeout=None))


def _math_verify_equal(pred: str, gold: str) -> bool:
    """math-verify on the two answers (normalised form first, raw form if that does not parse)."""
    mv = _load_math_verify()
    for p, g in ((normalize_answer(pred), normalize_answer(gold)), (strip_dollars(pred), strip_dollars(gold))):
        if not p or not g:
            continue
        gp, pp = _parse(g), _parse(p)
        if gp and pp:
            return bool(mv.verify(list(gp), list(pp), timeout_seconds=None, allow_set_relation_comp=True))
    return False


def _verify_in_main_thread(pred: str, gold: str, timeout: float) -> bool:
    def on_alarm(signum: int, frame: Any) -> None:
        raise _GradingTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return _math_verify_equal(pred, gold)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _GradingTimeout:
        logger.debug("math-verify timed out after %.2fs", timeout)
        return False
    except Exception:
        logger.debug("math-verify failed", exc_info=True)
        return False
    finally:
        signal.signal(signal.SIGALRM, previous)


def _can_use_signal_timer() -> bool:
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return False
    try:
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            return False  # someone else's timer is armed: do not clobber it
        handler = signal.getsignal(signal.SIGALRM)
    except (ValueError, OSError):
        return False
    return handler in (signal.SIG_DFL, signal.SIG_IGN, None)


# --------------------------------------------------------------------------------------------
# helper processes (off the main thread)
# --------------------------------------------------------------------------------------------
class _Worker:
    """One helper process answering ``{"pred", "gold", "timeout"}`` lines with ``{"ok": bool}``."""

    def __init__(self, start_timeout: float = 120.0) -> None:
        cmd = [sys.executable, "-c", "from prmlib.grading import _worker_main; _worker_main()"]
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            text=True, bufsize=1,
        )
        if self._read_line(start_timeout) != "ready":
            self.kill()
            raise RuntimeError("grading helper process did not start")

    def _read_line(self, timeout: float) -> str | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], max(timeout, 0.0))
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return line.strip() if line else None

    def ask(self, pred: str, gold: str, timeout: float) -> bool | None:
        """The answer, or None when the process overran ``timeout`` or died (it is then killed)."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"pred": pred, "gold": gold, "timeout": timeout}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return None
        line = self._read_line(timeout)
        if line is None:
            self.kill()
            return None
        try:
            return bool(json.loads(line)["ok"])
        except (ValueError, KeyError, TypeError):
            self.kill()
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


_idle_workers: queue.SimpleQueue[_Worker] = queue.SimpleQueue()


def _verify_in_worker(pred: str, gold: str, timeout: float) -> bool:
    worker = None
    while worker is None:
        try:
            candidate = _idle_workers.get_nowait()
        except queue.Empty:
            try:
                candidate = _Worker()
            except Exception:
                logger.warning("could not start a grading helper process; answering False", exc_info=True)
                return False
        worker = candidate if candidate.alive() else None
    result = worker.ask(pred, gold, timeout)
    if result is None:
        return False
    _idle_workers.put(worker)
    return result


def _shutdown_workers() -> None:
    while True:
        try:
            _idle_workers.get_nowait().kill()
        except queue.Empty:
            return


atexit.register(_shutdown_workers)


def _worker_main() -> None:  # pragma: no cover - runs in the helper process
    """Loop of a helper process: read JSON lines, answer with math-verify under a signal timer."""
    _load_math_verify()
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
            ok = _verify_in_main_thread(str(req["pred"]), str(req["gold"]), float(req["timeout"]))
        except Exception:  # noqa: BLE001 - the helper must answer every request
            ok = False
        print(json.dumps({"ok": ok}), flush=True)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def is_equivalent(pred: str | None, gold: str | None, timeout: float = 5.0) -> bool:
    """Whether ``pred`` is mathematically equivalent to ``gold``.

    Never raises and never runs longer than about ``timeout`` seconds (plus a one-off helper
    start-up off the main thread). ``None``, non-strings, empty and malformed answers give
    ``False``.

    Args:
        pred: the predicted answer (e.g. from :func:`extract_answer`), LaTeX or plain text.
        gold: the reference answer.
        timeout: seconds allowed for the sympy-based comparison.

    Example:
        >>> is_equivalent("\\\\dfrac12", "0.5"), is_equivalent("1,000", "1000"), is_equivalent("(B)", "B")
        (True, True, True)
    """
    if not isinstance(pred, str) or not isinstance(gold, str):
        return False
    try:
        fast = _fast_compare(pred, gold)
    except Exception:  # noqa: BLE001 - defensive: a string-level failure falls through to math-verify
        fast = None
    if fast is not None:
        return fast
    if len(pred) > _MAX_ANSWER_CHARS or len(gold) > _MAX_ANSWER_CHARS or timeout <= 0:
        return False
    if _can_use_signal_timer():
        return _verify_in_main_thread(pred, gold, timeout)
    return _verify_in_worker(pred, gold, timeout)


def answer_key(answer: str | None) -> str:
    """Canonical key of an answer for majority voting (equal keys = same vote).

    Numbers become exact fractions (``"0.5"``, ``"1/2"``, ``"\\\\frac{1}{2}"``, ``"\\\\dfrac12"`` all give
    ``"1/2"``; ``"1,000"`` and ``"1000"`` give ``"1000"``); choice letters become the bare letter;
    everything else is its :func:`~prmlib.answer_extraction.normalize_answer` form. ``None`` or
    an empty answer give :data:`NO_ANSWER_KEY`.

    Limits: the key is string-level, not symbolic. Equivalent non-numeric answers written
    differently (``"\\\\frac{\\\\sqrt2}{2}"`` against ``"\\\\frac{1}{\\\\sqrt2}"``, ``"x^2+2x"`` against
    ``"x(x+2)"``, ``"(1,2)"`` sets in another order) get different keys, and a percent sign is
    dropped (``"50\\\\%"`` votes with ``"50"``, not with ``"0.5"``). Use :func:`is_equivalent` to
    merge such groups when that matters.
    """
    if not isinstance(answer, str):
        return NO_ANSWER_KEY
    norm = normalize_answer(answer)
    if not norm:
        return NO_ANSWER_KEY
    letter = mc_letter(norm)
    if letter is not None:
        return letter
    value = to_number(norm)
    if value is not None:
        return _fraction_key(value)
    return norm


def _fraction_key(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def grade(solution_text: str, gold: str, timeout: float = 5.0, policy: str = "strict") -> bool:
    """Extract the final answer of ``solution_text`` with ``policy`` and compare it with ``gold``;
    no answer -> False. ``policy="auto"`` is resolved with the gold (:func:`resolve_policy`)."""
    resolve_policy(policy)  # raises on an unknown policy
    pred = extract_answer(solution_text, policy, gold=gold)
    if pred is None:
        return False
    return is_equivalent(pred, gold, timeout=timeout)


class Grader:
    """Grades solution texts against gold answers and remembers every verdict.

    ``grader(text, gold)`` (or ``grader.grade(text, gold, policy=...)``) extracts the answer of ``text`` with the policy (``"auto"`` resolved
    with ``gold``), then compares it with ``gold``; a verdict is computed once per
    (extracted answer, gold, policy) and cached, so the many identical answers of Monte Carlo
    rollouts or Best-of-N candidates cost one comparison.

    Args:
        policy: extraction policy, one of :data:`EXTRACTION_POLICIES` (default ``"strict"``).
        timeout: seconds allowed to each math-verify comparison.
        equivalent: ``(answer, gold) -> bool`` used instead of :func:`is_equivalent` (tests, or an
            exact comparison in a world with integer answers).

    Attributes:
        calls: comparisons actually computed (cache misses).
        cache: ``(answer, gold, policy) -> bool``.

    Example:
        >>> g = Grader(policy="flexible")
        >>> g("Step 1.\\n\\nSo she has 3 + 4 = 7 eggs.", "7"), g("... = 7 eggs", "7"), g.calls
        (True, True, 1)
    """

    def __init__(self, policy: str = "strict", timeout: float = 5.0, *,
                 equivalent: Callable[[str, str], bool] | None = None) -> None:
        resolve_policy(policy)  # raises on an unknown policy
        self.policy = policy
        self.timeout = timeout
        self.equivalent = equivalent
        self.cache: dict[tuple[str, str, str], bool] = {}
        self.calls = 0

    def policy_for(self, gold: str | None, policy: str | None = None) -> str:
        """The policy used for answers to ``gold``: ``policy`` if given, else the grader's, with
        ``"auto"`` resolved."""
        return resolve_policy(policy or self.policy, gold)

    def extract(self, text: str, gold: str | None = None, policy: str | None = None) -> str | None:
        """The answer of ``text`` (``gold`` resolves ``"auto"``; ``policy`` overrides the grader's)."""
        return extract_answer(text, policy or self.policy, gold=gold)

    def check(self, answer: str | None, gold: str, policy: str | None = None) -> bool:
        """Whether an already extracted ``answer`` equals ``gold`` (cached); ``None`` is wrong."""
        if answer is None:
            return False
        gold = str(gold)
        key = (answer, gold, self.policy_for(gold, policy))
        verdict = self.cache.get(key)
        if verdict is None:
            self.calls += 1
            if self.equivalent is not None:
                verdict = bool(self.equivalent(answer, gold))
            else:
                verdict = is_equivalent(answer, gold, timeout=self.timeout)
            self.cache[key] = verdict
        return verdict

    def grade(self, text: str, gold: str, policy: str | None = None) -> bool:
        """Extract the answer of ``text`` and compare it with ``gold`` (``policy`` overrides the grader's)."""
        gold = str(gold)
        return self.check(self.extract(text, gold, policy), gold, policy)

    def __call__(self, text: str, gold: str) -> bool:
        return self.grade(text, gold)

    def __repr__(self) -> str:
        return f"Grader(policy={self.policy!r}, timeout={self.timeout}, cached={len(self.cache)})"
