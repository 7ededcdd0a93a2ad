"""Train stored PRMs of a lessons run again, outside the store, with the loss logged.

The diagnostic of docs/lessons.md ("Why consensus soft fails with training seed 0"): each PRM is
trained with the store's own labelled rows, recipe, overrides and training seed, through the
store's own training call (:func:`prmlib.lessons.training.train_job`, the loss logged about 50 times), into
``--out``; optionally with another number of epochs. Then:

* with the recipe's own epochs, the new weights are compared with the stored model's (largest
  absolute difference: 0.0 means the training reproduces bit for bit);
* the model is scored on the run's evaluation sets through the lessons' code
  (``training.score_sets``, ``evaluate.prm_metrics``): F1 and Best-of-N beside the stored PRM's.

The run's store is opened read-only: nothing is added to it. Two trainings at a time, one torch
thread each. One JSON line per PRM; the loss log is in ``<out>/<name>/training_log.json``.

    python benchmarks/retrain_logged.py --profile cpu --seed 0 consensus_soft consensus_soft@1
    python benchmarks/retrain_logged.py --profile cpu --seed 2 --epochs 6 consensus_soft@0
    python benchmarks/retrain_logged.py --profile cpu --seed 0 --init-seed 1 consensus_soft

``--soft-targets ones|mean|shuffle`` (soft-label PRMs only) replaces the right steps' targets
(every target above 0) before training: by 1, by their mean, or by a random permutation of them
(:func:`replace_soft_targets`; docs/lessons.md, question 6). The weights are then not compared.

``--init-seed S`` separates the two things a training seed decides: the tiny model's initial
weights are drawn with seed S, the training order (rows sampled, batch order) stays the PRM's own
training seed. With S equal to the training seed the result must be the stored model bit for bit.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


SOFT_TARGETS = ("ones", "mean", "shuffle")


def replace_soft_targets(labels: list[list[float]], how: str, seed: int = 0) -> list[list[float]]:
    """The same rows' soft labels with every target above 0 (a right step's c/K) replaced: ``ones``
    by 1.0, ``mean`` by the mean of those targets, ``shuffle`` by a random permutation of them over
    all rows (``seed``). Targets of 0 (the first wrong step) and the unsupervised label stay."""
    import random

    from prmlib.prm.step_rows import is_unsupervised

    if how not in SOFT_TARGETS:
        raise ValueError(f"--soft-targets must be one of {SOFT_TARGETS}, not {how!r}")
    right = [(i, j) for i, row in enumerate(labels) for j, x in enumerate(row)
             if not is_unsupervised(x) and float(x) > 0.0]
    values = [float(labels[i][j]) for i, j in right]
    if how == "ones":
        new = [1.0] * len(values)
    elif how == "mean":
        new = [sum(values) / len(values)] * len(values) if values else []
    else:
        new = list(values)
        random.Random(seed).shuffle(new)
    out = [[float(x) for x in row] for row in labels]
    for (i, j), v in zip(right, new):
        out[i][j] = v
    return out


def retrain(profile: str, seed: int, run_dir: str, name: str, epochs: int | None, out: str,
            init_seed: int | None = None, soft_targets: str | None = None) -> dict:
    """Train one stored PRM again (see the module docstring); a JSON-ready dict."""
    import torch
    from datasets import load_from_disk
    from safetensors.torch import load_file

    from prmlib.lessons import LessonRun
    from prmlib.lessons.evaluate import prm_metrics
    from prmlib.lessons.training import quiet, score_sets, train_job

    torch.set_num_threads(1)
    quiet()
    run = LessonRun(profile, seed=seed, run_dir=run_dir, progress=False, read_only=True)
    job = run._job(name)
    stored = run.model_dir(name)
    schedule = {**job["recipe"], **job.get("overrides", {})}
    same_schedule = epochs is None or epochs == schedule["num_train_epochs"]
    options = {}
    if not same_schedule:
        if (schedule.get("max_steps") or -1) > 0:
            raise ValueError(f"{profile}: max_steps = {schedule['max_steps']} fixes the length of training; "
                             "--epochs would change nothing")
        options["num_train_epochs"] = epochs
    trained_epochs = options.get("num_train_epochs", schedule["num_train_epochs"])
    folder = Path(out) / f"seed-{seed}" / f"{name}-e{trained_epochs}"
    rows = load_from_disk(job["rows_dir"])
    if soft_targets is not None:
        if job["label_type"] != "soft":
            raise ValueError(f"--soft-targets needs a soft-label PRM; {name} has {job['label_type']} labels")
        new = replace_soft_targets(list(rows["labels"]), soft_targets)
        rows = rows.remove_columns("labels").add_column("labels", new)
        folder = folder.with_name(folder.name + f"-{soft_targets}")
    base = None
    if init_seed is not None:  # the tiny model as train_prm builds it, with its own seed
        from prmlib.prm.model import build_tiny_base

        if schedule.get("model", "tiny") != "tiny":
            raise ValueError("--init-seed needs a tiny model recipe")
        texts = list(rows["prompt"]) + [step for steps in rows["completions"] for step in steps]
        base = build_tiny_base(texts, schedule["tiny"], seed=init_seed)
        folder = folder.with_name(folder.name + f"-init{init_seed}")
    started = time.perf_counter()
    res = train_job(job, rows, folder, base, **options)
    seconds = time.perf_counter() - started
    diff = None
    if same_schedule and soft_targets is None:
        a, b = load_file(str(stored / "model.safetensors")), load_file(str(folder / "model.safetensors"))
        diff = max(float((a[k] - b[k]).abs().max()) for k in a)
    m = prm_metrics(score_sets(folder, run.sets), run.sets)
    old = prm_metrics(run.scores(name), run.sets)  # the stored PRM's scores, evaluated the same way
    run.close()
    return {"profile": profile, "seed": seed, "prm": name, "training_seed": job["seed"],
            "init_seed": job["seed"] if init_seed is None else init_seed, "soft_targets": soft_targets,
            "epochs": trained_epochs, "train_seconds": round(seconds, 1),
            "max_weight_difference_to_stored": diff, "f1": m["processbench"]["avg_f1"],
            "stored_f1": old["processbench"]["avg_f1"], "bon_product": m["bon"]["product"],
            "stored_bon_product": old["bon"]["product"], "training_loss": res.metrics["training_loss"],
            "train_wrong_step_accuracy": res.metrics.get("train_wrong_step_accuracy"), "folder": str(folder)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", help="PRM names of the run, e.g. consensus_soft or consensus_soft@1")
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--seed", type=int, default=0, help="the run's (data) seed")
    ap.add_argument("--run-dir", default="runs", help="root of the run store (read only)")
    ap.add_argument("--epochs", type=int, default=None, help="train this many epochs (default: the recipe's)")
    ap.add_argument("--out", default="runs/retrain_logged", help="where the new models go")
    ap.add_argument("--init-seed", type=int, default=None,
                    help="draw the initial weights with this seed (default: the PRM's training seed)")
    ap.add_argument("--soft-targets", choices=SOFT_TARGETS, default=None,
                    help="replace the right steps' soft targets before training (soft-label PRMs only)")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    args = [(a.profile, a.seed, a.run_dir, n, a.epochs, a.out, a.init_seed, a.soft_targets) for n in a.names]
    with ProcessPoolExecutor(max(1, a.workers), mp_context=mp.get_context("spawn")) as pool:
        for result in pool.map(retrain, *zip(*args)):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
