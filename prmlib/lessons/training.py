"""Train and score the lessons' PRMs, several at a time in separate processes.

Each job trains one PRM with :func:`prmlib.prm.train.train_prm` on a labelled ``datasets`` folder
of the run store, then scores the run's three evaluation sets with :class:`prmlib.prm.score.PRMScorer`
(single pass, the same code path as any released PRM). Both results go into the run store, so a
job that is interrupted is redone from scratch and a finished one is never redone. Independent jobs
run in parallel processes (``spawn``), one torch thread each: tiny models train much faster that
way on a small CPU than with threads competing inside one process.

Each training logs its loss about :data:`LOG_POINTS` times, whatever its length (every
``ceil(steps / LOG_POINTS)`` optimiser steps; ``training_log.json`` beside the model,
:func:`prmlib.lessons.retrain.curves`). How often the loss is logged does not change the model
(tested), so the recipe's own ``logging_steps`` stays in the store key unused and the rate is not
part of it; a profile's ``prm.overrides`` may still set it.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

LOG_POINTS = 50  # about this many training-loss entries per training run


def score_sets(model_dir: str | os.PathLike, sets: dict[str, Any]) -> dict[str, Any]:
    """Step scores of a trained PRM on ``{"val": {subset: rows}, "test": {subset: rows},
    "bon": [records]}`` (rows have ``problem`` and ``steps``; BoN records ``problem`` and ``steps``
    per response). Returns the same shape with lists of step-score lists."""
    from prmlib.prm.score import PRMScorer

    scorer = PRMScorer.from_pretrained(str(model_dir), show_progress=False)
    out: dict[str, Any] = {}
    for name in ("val", "test"):
        out[name] = {s: scorer.score([r["problem"] for r in rows], [r["steps"] for r in rows])
                     for s, rows in sets[name].items()}
    flat_p = [rec["problem"] for rec in sets["bon"] for _ in rec["steps"]]
    flat_s = [st for rec in sets["bon"] for st in rec["steps"]]
    flat = scorer.score(flat_p, flat_s)
    bon, i = [], 0
    for rec in sets["bon"]:
        bon.append(flat[i:i + len(rec["steps"])])
        i += len(rec["steps"])
    out["bon"] = bon
    return out


def quiet() -> None:
    """No per-example progress bars or info logs from datasets / transformers (our own bars stay)."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def train_job(job: dict[str, Any], rows, folder: str | os.PathLike, base_model: Any = None, **options: Any):
    """Train a job's PRM on its labelled ``rows`` into ``folder``, the way the store does: the job's
    recipe, label type, overrides and training seed, the loss logged about :data:`LOG_POINTS` times,
    no progress output. ``options`` (any ``PRMTrainConfig`` field) come last; ``base_model`` as in
    :func:`~prmlib.prm.train.train_prm`. Returns its ``TrainResult``."""
    from prmlib.prm.train import train_prm

    recipe = dict(job["recipe"])
    recipe["training_args"] = {**(recipe.get("training_args") or {}), "disable_tqdm": True}
    options = {"logging_steps": 1 / LOG_POINTS, **job.get("overrides", {}), **options}
    with contextlib.redirect_stdout(io.StringIO()):  # the trainer prints a dict per logging step
        return train_prm(rows, base_model, config=recipe, label_type=job["label_type"], output_dir=str(folder),
                         seed=job["seed"], save=True, eval_fraction=0.0, **options)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train (if not stored) and score (if not stored) one PRM. Runs in a worker process."""
    import torch
    from datasets import load_from_disk

    from prmlib.lessons.store import RunStore

    torch.set_num_threads(int(job.get("threads", 1)))
    quiet()
    store = RunStore(job["root"])
    started = time.perf_counter()
    info: dict[str, Any] = {}

    def train(folder: Path) -> None:
        rows = load_from_disk(job["rows_dir"])
        if len(rows) == 0:
            raise ValueError(f"PRM {job['name']!r}: no training rows")
        info["train_seconds"] = train_job(job, rows, folder).metrics.get("train_seconds")

    prm_key, model_dir = store.model("prm", job["prm_inputs"], train)
    sets = job["sets"]
    _, scores = store.json("scores", {"prm": prm_key, "sets": job["sets_key"]}, lambda: score_sets(model_dir, sets))
    return {"name": job["name"], "prm_key": prm_key, "seconds": time.perf_counter() - started, **info,
            "scores": scores}


_DIED = ("\nA training process died before it reported back. Two usual causes: (1) a script that "
         "starts trainings without the `if __name__ == \"__main__\":` guard (training processes are "
         "spawned and import the script again; put the calls under the guard, or set workers: 1 in the "
         "profile); (2) the process was killed, e.g. out of memory. What finished is kept in the store.")


def run_jobs(jobs: Sequence[dict[str, Any]], workers: int = 2, progress: bool = True) -> dict[str, dict[str, Any]]:
    """Run jobs (see :func:`run_job`) in ``workers`` processes; ``{name: result}``.

    A failing job stops the run with its name in the error (the others' finished work is kept).
    Training processes are spawned: each one imports the caller's main module again, so a script
    that calls this (through ``LessonRun.train_all`` or ``metrics``) needs the
    ``if __name__ == "__main__":`` guard; without it the processes die at start, and the error
    says so."""
    results: dict[str, dict[str, Any]] = {}
    if not jobs:
        return results
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), desc="PRMs (train + score)", disable=not progress, unit="prm")
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            bar.set_postfix_str(job["name"])
            results[job["name"]] = run_job(job)
            bar.update()
        bar.close()
        return results
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(run_job, job): job["name"] for job in jobs}
        for fut in as_completed(futures):
            name = futures[fut]
            try:
                results[name] = fut.result()
            except Exception as exc:  # name the PRM, keep what finished
                for other in futures:
                    other.cancel()
                raise RuntimeError(f"training or scoring PRM {name!r} failed: {exc}"
                                   + (_DIED if isinstance(exc, BrokenProcessPool) else "")) from exc
            bar.set_postfix_str(name)
            bar.update()
    bar.close()
    return results
