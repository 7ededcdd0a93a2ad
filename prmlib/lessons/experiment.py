"""One run of the lessons: the chain from sampling to evaluation, every stage cached.

:class:`LessonRun` (a profile and a seed) builds, on demand and through the run store:

1. the training solutions (the policy's, with exact step labels where the world has them), the
   off-policy "PRM800K-like" solutions, the validation and ProcessBench-style test sets and the
   Best-of-N candidate sets;
2. MC estimation on the training solutions (:func:`prmlib.annotate.mc.mc_estimate`, K
   completions per step, every step sampled so that any threshold and soft labels are available)
   and the judge's first-error indices;
3. labelled TRL stepwise datasets, one per label source (:data:`LABEL_SOURCES`);
4. the PRMs (:data:`PRMS`), trained once and shared by every lesson that needs them, in parallel
   processes, then scored on the three evaluation sets;
5. every metric of every PRM (:func:`prmlib.lessons.evaluate.prm_metrics`).

A re-run reuses everything it finds; changing one setting recomputes only what depends on it.
"""

from __future__ import annotations

import json
import re
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from prmlib.lessons.profiles import Profile, load_profile
from prmlib.lessons.store import RunStore, stable_hash
from prmlib.lessons.world import make_world
from prmlib.solution import Solution

# label source -> what it is (the tables' wording)
LABEL_SOURCES = {
    "exact": "exact step labels (the verifier; the ideal human annotator)",
    "offpolicy_exact": "exact labels on another policy's solutions, 1/3 the size (PRM800K-like)",
    "judge": "LLM-as-a-judge first error",
    "mc_hard": "MC estimation, hard labels (threshold t: positive iff more than t of K right)",
    "mc_soft": "MC estimation, soft labels (c/K)",
    "consensus_hard": "consensus of MC and judge, MC hard labels (threshold 0)",
    "consensus_soft": "consensus of MC and judge, MC soft labels",
}

# PRM name -> (label source, threshold, label type, recipe)
PRMS: dict[str, tuple[str, int, str, str]] = {
    "exact": ("exact", 0, "hard", "recipe"),
    "prm800k_like": ("offpolicy_exact", 0, "hard", "recipe"),
    "judge": ("judge", 0, "hard", "recipe"),
    "mc_hard": ("mc_hard", 0, "hard", "recipe"),
    "mc_soft": ("mc_soft", 0, "soft", "recipe"),
    "consensus_hard": ("consensus_hard", 0, "hard", "recipe"),
    "consensus_soft": ("consensus_soft", 0, "soft", "recipe"),
    "exact_windowed": ("exact", 0, "hard", "ablation_recipe"),
    "mc_hard_windowed": ("mc_hard", 0, "hard", "ablation_recipe"),
}
for _t in range(1, 8):  # the default sweep (K = 8); other thresholds are named alike (see prm_spec)
    PRMS[f"mc_hard_t{_t}"] = ("mc_hard", _t, "hard", "recipe")

PRM_TITLES = {
    "exact": "Exact labels (human-like)", "prm800k_like": "Exact labels, other policy, 1/3 size (PRM800K-like)",
    "judge": "LLM-as-a-judge", "mc_hard": "MC hard", "mc_soft": "MC soft", "consensus_hard": "Consensus, hard",
    "consensus_soft": "Consensus, soft", "exact_windowed": "Exact labels, windowed PRM (ablation)",
    "mc_hard_windowed": "MC hard, windowed PRM (ablation)",
}  # the threshold sweep's titles name K: prm_title
_SWEEP = re.compile(r"mc_hard_t([1-9][0-9]*)")  # the threshold sweep's PRMs, any t >= 1
_RETRAINED = re.compile(r"(.+)@([0-9]+)")  # a PRM trained again with another training seed


def training_seed_of(name: str) -> tuple[str, int | None]:
    """``("mc_hard", 1)`` for ``"mc_hard@1"``: the PRM ``mc_hard`` trained again with training seed 1
    (initialisation, row sampling, data order), on the same labels; ``(name, None)`` for a plain name,
    which trains with the run's seed."""
    if m := _RETRAINED.fullmatch(name):
        return m.group(1), int(m.group(2))
    return name, None


def prm_spec(name: str) -> tuple[str, int, str, str]:
    """``(label source, threshold, label type, recipe)`` of a PRM: an entry of :data:`PRMS`,
    ``mc_hard_t<t>`` for any threshold t >= 1 of a sweep (a profile with K = 16 sweeps up to 15), or
    either of them with ``@<training seed>`` (:func:`training_seed_of`)."""
    name = training_seed_of(name)[0]
    if name in PRMS:
        return PRMS[name]
    if m := _SWEEP.fullmatch(name):
        return ("mc_hard", int(m.group(1)), "hard", "recipe")
    raise KeyError(f"unknown PRM {name!r}; the PRMs are {', '.join(n for n in PRMS if not _SWEEP.fullmatch(n))} "
                   "and mc_hard_t<t> for a threshold t >= 1")


def prm_title(name: str, k: int = 8) -> str:
    """A PRM's name as tables show it; a threshold-sweep PRM's title names its threshold out of ``k``,
    a retrained one its training seed."""
    name, train_seed = training_seed_of(name)
    again = "" if train_seed is None else f" (training seed {train_seed})"
    if m := _SWEEP.fullmatch(name):
        return f"MC hard, threshold {m.group(1)}/{k}{again}"
    return PRM_TITLES.get(name, name) + again


def _solution_rows(sols: list[Solution]) -> list[dict[str, Any]]:
    """Solutions as dataset rows; ``labels`` is empty for solutions without step labels."""
    return [{"problem": s.problem, "steps": list(s.steps), "labels": [bool(x) for x in (s.labels or [])],
             "gold": s.gold, "meta": json.dumps(s.meta)} for s in sols]


def _solutions(rows) -> list[Solution]:
    return [Solution(problem=r["problem"], steps=list(r["steps"]), labels=list(r["labels"]) or None, gold=r["gold"],
                     meta=json.loads(r["meta"])) for r in rows]


_NOT_STORED = "not in the store yet"


class LessonRun:
    """The cached chain of one profile and seed (see the module docstring).

    Args:
        profile: a :class:`Profile` or the name / path of one.
        seed: the run's seed (default: the profile's first).
        run_dir: root folder of all runs; artifacts go to ``<run_dir>/<profile>/seed-<seed>/``.
        progress: show progress bars.
        stored_only: never train a PRM: a PRM missing from the store is skipped, its metrics are NaN
            and the claims that need it read "not measured" (for a look at a run still in progress,
            or at another machine's store). Missing label stages are still computed.
        read_only: compute nothing at all (implies ``stored_only``): any stage missing from the store,
            labels and evaluation sets included, raises :class:`LookupError`.
    """

    def __init__(self, profile: Profile | str, seed: int | None = None, run_dir: str | Path = "runs",
                 progress: bool = True, stored_only: bool = False, read_only: bool = False) -> None:
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self.seed = self.profile.seeds[0] if seed is None else int(seed)
        self.root = Path(run_dir) / self.profile.name / f"seed-{self.seed}"
        self.store = RunStore(self.root, read_only=read_only)
        stored_only = stored_only or read_only
        self.progress = progress
        self.stored_only = stored_only
        self.world = make_world(self.profile, self.seed)
        self.timings: dict[str, float] = {}
        self.skipped: dict[str, str] = {}  # PRM name -> why it was not trained (e.g. no rows)
        from prmlib.lessons.training import quiet

        quiet()

    def _timed(self, name: str, fn):
        t0 = time.perf_counter()
        out = fn()
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0
        return out

    # -- 1. solutions and evaluation sets --------------------------------------------------
    @cached_property
    def _train(self) -> tuple[str, list[Solution]]:
        inputs = {**self.world.describe("train"), "per_level": self.profile.sizes.train_problems_per_level}
        key, ds = self._timed("sample", lambda: self.store.dataset(
            "solutions", inputs, lambda: _solution_rows(self.world.train_solutions())))
        return key, _solutions(ds)

    @property
    def train_solutions(self) -> list[Solution]:
        return self._train[1]

    @cached_property
    def _train_problems(self) -> set[str]:
        return {s.problem for s in self.train_solutions}

    @cached_property
    def _offpolicy(self) -> tuple[str, list[Solution]]:
        inputs = {**self.world.describe("offpolicy"), "train": self._train[0],
                  "fraction": self.profile.sizes.offpolicy_fraction,
                  "per_level": self.profile.sizes.train_problems_per_level}
        key, ds = self._timed("sample", lambda: self.store.dataset(
            "offpolicy", inputs, lambda: _solution_rows(self.world.offpolicy_solutions(self._train_problems))))
        return key, _solutions(ds)

    @property
    def offpolicy_solutions(self) -> list[Solution]:
        return self._offpolicy[1]

    @cached_property
    def _sets(self) -> tuple[str, dict[str, Any]]:
        s = self.profile.sizes
        inputs = {**self.world.describe("test"), "train": self._train[0], "val": s.val_per_level,
                  "test": s.test_per_level, "bon": s.bon_problems_per_level, "n": s.n,
                  "bon_policy": self.world.describe("bon")}

        def build() -> dict[str, Any]:
            val = self.world.test_set("val", s.val_per_level, self._train_problems)
            seen = self._train_problems | {r["problem"] for rows in val.values() for r in rows}
            test = self.world.test_set("test", s.test_per_level, seen)
            seen |= {r["problem"] for rows in test.values() for r in rows}
            return {"val": val, "test": test, "bon": self.world.bon_set(seen)}

        return self._timed("sample", lambda: self.store.json("eval_sets", inputs, build))

    @property
    def sets(self) -> dict[str, Any]:
        """``{"val": {level: rows}, "test": {level: rows}, "bon": [records]}``."""
        return self._sets[1]

    # -- 2. annotation ---------------------------------------------------------------------
    @cached_property
    def _mc(self):
        from prmlib.annotate.mc import MCConfig, MCResult, mc_estimate

        cfg = MCConfig(k=self.profile.sizes.k, strategy=self.profile.mc["strategy"], seed=self.seed)
        inputs = {"solutions": self._train[0], "config": cfg.settings(), "policy": self.world.describe("mc")}
        key, data = self._timed("mc", lambda: self.store.json("mc", inputs, lambda: [
            r.to_dict() for r in mc_estimate(self.train_solutions, self.world.rollout_generator(), config=cfg,
                                             show_progress=self.progress)]))
        return key, [MCResult.from_dict(d) for d in data]

    @property
    def mc_results(self):
        return self._mc[1]

    @cached_property
    def _judge(self) -> tuple[str, list[int | None]]:
        inputs = {"solutions": self._train[0], "judge": self.world.describe("judge")}

        def run() -> list[int | None]:
            sols = self.train_solutions
            return list(self.world.judge().first_errors([s.problem for s in sols], [s.steps for s in sols]))

        return self._timed("judge", lambda: self.store.json("judge", inputs, run))

    @property
    def judge_indices(self) -> list[int | None]:
        return self._judge[1]

    @property
    def human(self) -> str:
        """The PRM that stands for human annotation: ``exact`` where the world has exact step labels,
        else ``prm800k_like`` (PRM800K itself in the real-problem world)."""
        return "exact" if self.world.has_exact_labels else "prm800k_like"

    def own_name(self, name: str) -> str:
        """``name`` as this run trains it: ``exact`` (the human row of the paper's tables) is
        :attr:`human`; every other name is itself."""
        return self.human if name == "exact" else name

    def consensus(self):
        """:class:`prmlib.annotate.ConsensusResult` of the MC (threshold 0) and judge first errors."""
        from prmlib.annotate.consensus import consensus_filter

        return consensus_filter([r.first_error for r in self.mc_results], self.judge_indices)

    # -- 3. labelled datasets --------------------------------------------------------------
    def label_rows(self, source: str, threshold: int = 0):
        """``(key, datasets.Dataset)`` of TRL stepwise rows of one label source."""
        from prmlib.annotate.dataset import stepwise_rows_from_results

        if source not in LABEL_SOURCES:
            raise ValueError(f"unknown label source {source!r}; known: {sorted(LABEL_SOURCES)}")
        upstream = {"solutions": self._train[0]}
        if source == "offpolicy_exact":
            upstream = {"solutions": self._offpolicy[0]}
        if source.startswith(("mc", "consensus")):
            upstream["mc"] = self._mc[0]
        if source in ("judge",) or source.startswith("consensus"):
            upstream["judge"] = self._judge[0]
        inputs = {"source": source, "threshold": threshold, **upstream}

        def build() -> list[dict[str, Any]]:
            sols = self.offpolicy_solutions if source == "offpolicy_exact" else self.train_solutions
            kind = "soft" if source.endswith("soft") else "hard"
            if source == "exact" and not self.world.has_exact_labels:
                return []  # a world without exact step labels (real problems): no such PRM
            if source in ("exact", "offpolicy_exact"):
                kwargs: dict[str, Any] = {"labels": "exact"}
            elif source == "judge":
                kwargs = {"labels": "judge", "judge_indices": self.judge_indices}
            elif source.startswith("consensus"):
                kwargs = {"labels": kind, "mc_results": self.mc_results, "judge_indices": self.judge_indices,
                          "consensus": True, "threshold": threshold}
            else:
                kwargs = {"labels": kind, "mc_results": self.mc_results, "threshold": threshold}
            rows, _ = stepwise_rows_from_results(sols, **kwargs)
            return [{"prompt": r["prompt"], "completions": list(r["completions"]),
                     "labels": [float(x) if kind == "soft" else bool(x) for x in r["labels"]]} for r in rows]

        return self._timed("labels", lambda: self.store.dataset("labels", inputs, build))

    # -- 4. PRMs -------------------------------------------------------------------------
    def _job(self, name: str) -> dict[str, Any]:
        from prmlib.prm.config import PRMTrainConfig

        source, threshold, label_type, which = prm_spec(name)
        if threshold >= self.profile.sizes.k:  # "more than t of K right" can never hold
            raise ValueError(f"PRM {name!r}: threshold {threshold} needs K > {threshold}; this profile has "
                             f"K = {self.profile.sizes.k}")
        labels_key, _ = self.label_rows(source, threshold)
        recipe = PRMTrainConfig.from_yaml(self.profile.recipe_path(which)).to_dict()
        overrides = dict(self.profile.prm.get("overrides") or {})
        train_seed = training_seed_of(name)[1]
        seed = self.seed if train_seed is None else train_seed  # "mc_hard@<run seed>" is "mc_hard" itself
        prm_inputs = {"labels": labels_key, "recipe": recipe, "overrides": overrides, "label_type": label_type,
                      "seed": seed}
        sets_key = self._sets[0]
        return {"name": name, "root": str(self.root), "rows_dir": str(self.store.path("labels", labels_key) / "dataset"),
                "recipe": recipe, "overrides": overrides, "label_type": label_type, "seed": seed,
                "prm_inputs": prm_inputs, "sets_key": sets_key, "sets": self.sets}

    def prm_names(self) -> list[str]:
        """The PRMs this profile trains (the threshold sweep only at the profile's thresholds)."""
        sweep = [f"mc_hard_t{t}" for t in sorted(set(self.profile.mc["thresholds"])) if t > 0]
        names = [n for n in PRMS if not _SWEEP.fullmatch(n)] + sweep
        if "ablation_recipe" not in self.profile.prm:
            names = [n for n in names if prm_spec(n)[3] != "ablation_recipe"]
        if not self.world.has_exact_labels:
            names = [n for n in names if prm_spec(n)[0] != "exact"]
        return names

    def train_all(self, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Train and score every PRM not yet in the store, ``profile.workers`` at a time."""
        from prmlib.lessons.training import run_jobs

        names = self.prm_names() if names is None else names
        for n in names:  # every label source first (it may need the policy or judge engines) ...
            self.label_rows(prm_spec(n)[0], prm_spec(n)[1])
        _ = self.sets
        self.world.close()  # ... then free their memory (GPU) before the trainings start
        jobs = []
        for n in names:
            source, threshold, _, _ = prm_spec(n)
            if len(self.label_rows(source, threshold)[1]) == 0:
                self.skipped[n] = f"no training rows from label source {source!r}"
                continue
            jobs.append(self._job(n))
        # one job per store key ("exact" and "exact@<run seed>" are the same PRM: never two writers)
        jobs = list({self.store.key("prm", j["prm_inputs"]): j for j in jobs}.values())
        todo = [j for j in jobs if not self._scored(j)]
        if self.stored_only:
            for j in todo:
                self.skipped[j["name"]] = _NOT_STORED
            return {}
        out = self._timed("prms", lambda: run_jobs(todo, workers=self.profile.workers, progress=self.progress))
        return out

    def _scored(self, job: dict[str, Any]) -> bool:
        prm_key = self.store.key("prm", job["prm_inputs"])
        if not self.store.done("prm", prm_key):
            return False
        return self.store.done("scores", self.store.key("scores", {"prm": prm_key, "sets": job["sets_key"]}))

    def _need(self, name: str, job: dict[str, Any] | None = None) -> dict[str, Any]:
        """The job of a PRM that is trained and scored (trained here unless ``stored_only``)."""
        job = job or self._job(name)
        if not self._scored(job):
            if self.stored_only:
                raise LookupError(f"PRM {name!r} is not in the store {self.root} (stored_only run)")
            self.train_all([name])
        return job

    def scores(self, name: str) -> dict[str, Any]:
        """Step scores of one PRM on the evaluation sets (trains and scores it if needed)."""
        return self._stored_scores(self._need(name))

    def _stored_scores(self, job: dict[str, Any]) -> dict[str, Any]:
        prm_key = self.store.key("prm", job["prm_inputs"])
        return self.store.json("scores", {"prm": prm_key, "sets": job["sets_key"]}, lambda: None)[1]

    def model_dir(self, name: str) -> Path:
        job = self._need(name)
        return self.store.path("prm", self.store.key("prm", job["prm_inputs"])) / "model"

    # -- 5. metrics ------------------------------------------------------------------------
    @cached_property
    def _metrics_cache(self) -> dict[str, dict[str, Any]]:
        return {}

    def metrics(self, name: str) -> dict[str, Any]:
        """Every metric of one PRM (:func:`prmlib.lessons.evaluate.prm_metrics`), cached."""
        if name not in self._metrics_cache:
            from prmlib.lessons.evaluate import missing_metrics, prm_metrics

            source, threshold, _, _ = prm_spec(name)
            if len(self.label_rows(source, threshold)[1]) == 0:
                self.skipped[name] = f"no training rows from label source {source!r}"
                return missing_metrics()
            job = self._job(name)
            if self.stored_only and not self._scored(job):
                self.skipped[name] = _NOT_STORED
                return missing_metrics()
            scores = self._stored_scores(self._need(name, job))
            key = stable_hash({"scores": self.store.key("prm", job["prm_inputs"]), "sets": self._sets[0]})
            _, m = self.store.json("metrics", {"of": key, "version": 1}, lambda: prm_metrics(scores, self.sets))
            self._metrics_cache[name] = m
        return self._metrics_cache[name]

    def close(self) -> None:
        self.world.close()
