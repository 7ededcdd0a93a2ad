"""The real-problem world of the GPU profiles: real problems, real test sets, human labels from PRM800K.

* training problems: GSM8K train and MATH test without the MATH500 problems (``problems:
  gsm8k+math``; the paper's own training problems are not public), one policy solution each,
  through any :class:`~prmlib.interfaces.Generator` (vLLM on a GPU);
* no exact step labels exist here: the human row is PRM800K (human ratings of another model's
  solutions; neutral counts as correct, as in the paper's PRM800K baseline), at
  ``offpolicy_fraction`` of the on-policy training size, like the paper's 264k vs 860k;
* test sets: the real ProcessBench (the threshold is tuned on its GSM8K subset, as in the paper,
  and reused for all four), and Best-of-N candidates the policy writes for the seven benchmarks,
  graded with each benchmark's extraction policy (:func:`prmlib.data.default_extraction`).

Everything after the data (MC estimation, judge, labels, training, scoring, metrics) is the same
code as in the synthetic world.
"""

from __future__ import annotations

import random
from typing import Any

from prmlib.lessons.world import ModelWorld
from prmlib.solution import Solution, split_steps

SOURCES = {"gsm8k", "math"}
PROCESSBENCH_SUBSETS = ("gsm8k", "math", "olympiadbench", "omnimath")


def _sample(rows: list[dict], n: int, seed: int, tag: str) -> list[dict]:
    rows = list(rows)
    random.Random(f"{tag}|{seed}").shuffle(rows)
    return rows[:n]


class RealWorld(ModelWorld):
    """Real problems and data sets (see the module docstring)."""

    has_exact_labels = False

    def __init__(self, profile, seed: int) -> None:
        super().__init__(profile, seed, real=True)
        self.sources = [s for s in str(profile.problems).split("+") if s]
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown or not self.sources:
            raise ValueError(f"profile {profile.name!r}: problems={profile.problems!r}: sources must be among "
                             f"{sorted(SOURCES)} joined by '+', e.g. 'gsm8k+math'")
        self.bon_benchmarks = list(profile.bon_benchmarks)

    def describe(self, what: str) -> dict[str, Any]:
        d = {"world": "real", "seed": self.seed, "problems": self.profile.problems}
        if what == "judge":
            return {**d, "judge": self.profile.judge}
        if what == "offpolicy":
            return {**d, "human": "prm800k/phase1_train_plus"}
        if what == "test":
            return {**d, "processbench": list(PROCESSBENCH_SUBSETS)}
        return {**d, "policy": self.profile.policy, "bon_benchmarks": self.bon_benchmarks}

    # -- problems -----------------------------------------------------------------------------
    def _problems(self, source: str) -> list[dict]:
        from prmlib.data.benchmarks import load_bon_benchmark
        from prmlib.data.problems import load_gsm8k, load_math

        if source == "gsm8k":
            rows = list(load_gsm8k("train"))
        else:
            held_out = {r["problem"] for r in load_bon_benchmark("math500")}
            rows = [r for r in load_math("test") if r["problem"] not in held_out]
        return rows

    def train_solutions(self) -> list[Solution]:
        from prmlib.data.benchmarks import default_extraction
        from prmlib.grading import Grader

        gen = self.rollout_generator()
        grader = Grader()
        out = []
        for source in self.sources:
            rows = _sample(self._problems(source), self.sizes.train_problems_per_level, self.seed, f"train|{source}")
            comps = gen.sample([r["problem"] for r in rows], 1, seed=self.seed)
            policy = default_extraction(source)
            for j, (r, group) in enumerate(zip(rows, comps)):
                steps = split_steps(group[0].text)
                if not steps:
                    continue
                out.append(Solution(problem=r["problem"], steps=steps, gold=str(r["gold"]), meta={
                    "id": f"train-{source}-{j}", "difficulty": source, "split": "train", "first_error": None,
                    "extraction": policy, "answer_correct": grader.grade(group[0].text, str(r["gold"]), policy)}))
        return out

    # -- the human row ------------------------------------------------------------------------
    def offpolicy_solutions(self, exclude) -> list[Solution]:
        from prmlib.data import load_prm800k

        n = max(1, round(self.sizes.train_problems_per_level * len(self.sources) * self.sizes.offpolicy_fraction))
        rows = _sample([r for r in load_prm800k("phase1_train_plus") if r["problem"] not in set(exclude)], n,
                       self.seed, "prm800k")
        return [Solution(problem=r["problem"], steps=list(r["steps"]), labels=[bool(x) for x in r["labels"]],
                         meta={"id": f"prm800k-{r['problem_index']}-{r['episode']}", "difficulty": "prm800k",
                               "split": "offpolicy", "first_error": int(r["first_error"])})
                for r in rows if r["steps"]]

    # -- evaluation sets ----------------------------------------------------------------------
    def test_set(self, split: str, per_level: int, exclude) -> dict[str, list[dict]]:
        """ProcessBench: ``val`` is its GSM8K subset (where the paper tunes the threshold); ``test``
        all four subsets, at most ``per_level`` rows each (a seeded sample; all rows when larger)."""
        from prmlib.data import load_processbench

        subsets = ("gsm8k",) if split == "val" else PROCESSBENCH_SUBSETS
        out = {}
        for s in subsets:
            rows = [{"id": r["id"], "problem": r["problem"], "steps": list(r["steps"]), "label": int(r["label"]),
                     "final_answer_correct": bool(r["final_answer_correct"]), "difficulty": s}
                    for r in load_processbench(s)]
            out[s] = rows if per_level >= len(rows) else _sample(rows, per_level, self.seed, f"{split}|{s}")
        return out

    def bon_set(self, exclude) -> list[dict]:
        from prmlib.data.benchmarks import default_extraction, load_bon_benchmark
        from prmlib.eval.bon import bon_record
        from prmlib.grading import Grader

        gen = self.rollout_generator()
        grader = Grader()
        out = []
        for bench in self.bon_benchmarks:
            rows = _sample(list(load_bon_benchmark(bench)), self.sizes.bon_problems_per_level, self.seed, f"bon|{bench}")
            comps = gen.sample([r["problem"] for r in rows], self.sizes.n, seed=self.seed)
            policy = default_extraction(bench)
            for r, group in zip(rows, comps):
                texts = [c.text for c in group]
                out.append(bon_record(r["problem"], r["gold"], bench, texts,
                                      [grader.grade(t, str(r["gold"]), policy) for t in texts], extraction=policy))
        return out
