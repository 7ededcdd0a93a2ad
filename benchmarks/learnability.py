"""Learnability calibration of the synthetic world: can a tiny PRM learn exact step labels on a CPU?

Protocol (issue 3), every part taken from the library:

1. Training data: solutions of synthetic problems at every difficulty from the library's one
   sampler (:func:`prmlib.synth.sampling.sample_labelled`, split ``"train"``, default
   ``SyntheticPolicy``, ``local`` surface), every step labelled by the exact verifier; training
   rows are :meth:`prmlib.solution.Solution.to_stepwise` (steps after the first error dropped, as in
   the paper's training data).
2. Train a tiny random Qwen2 PRM (tokenizer trained on the training texts) with TRL's
   ``PRMTrainer`` through :func:`prmlib.prm.train.train_prm`, with the recipe of a
   :class:`~prmlib.prm.config.PRMTrainConfig` YAML (``--config``).
3. Evaluate like ProcessBench on held-out problems: validation and test sets from
   :func:`prmlib.synth.sampling.processbench_set` (splits ``"val"`` and ``"test"``, per difficulty
   as many erroneous solutions as fully correct ones, no problem shared with training or with each
   other); steps scored by :class:`prmlib.prm.score.PRMScorer`; the threshold is tuned on the
   validation set (:func:`prmlib.eval.processbench.tune_threshold`, F1 over all its rows) and
   applied to the test set (:func:`prmlib.eval.processbench.evaluate_processbench`, one subset
   per difficulty). Reported (percentages): ``f1``, ``error_acc`` and ``correct_acc`` over all
   test rows pooled (the headline, comparable with the numbers in docs/synthetic_surface.md);
   ``avg_f1``, the mean of the per-difficulty F1s (ProcessBench's "Avg. F1"; never above ``f1``
   on these equal-sized subsets); and ``per_difficulty``.

The recipe (model, training rows, optimiser, data size, seed, threads) is read from ``--config``,
by default ``prmlib/configs/lessons_windowed_cpu.yaml``: the windowed recipe of
docs/synthetic_surface.md (whole-number tokens with size-encoding embeddings, sliding-window
attention of 32 tokens in both layers, 4 heads, weights initialised with standard deviation 0.05,
one training row per step with its two previous steps, wrong-step rows twice, at most 4 right-step
rows per wrong one, lr 1e-3, batch 32) at the lessons' size (3,000 solutions, 6 epochs). With
that file and no other option, the benchmark trains exactly the PRM that
``prmlib train --config prmlib/configs/lessons_windowed_cpu.yaml`` trains (same data, tokenizer,
rows and seed). The data size comes from the config's ``data: synthetic:n=...,difficulty=...``
spec. Every model or training option below overrides the config only when it is given; the full
size of issue 3 (about 5,000 solutions, 14 epochs, the docs' 87.1 / 86.4 / 89.9) is
``--n-train 5000 --epochs 14``. ``--seed`` draws both the data and the weights (without it: the
data spec's seed and the config's ``seed``).

Diagnostics used on the way (docs/synthetic_surface.md, docs/training.md): ``--world plain`` (the
plain surface; its problems cannot come from the library's sampler, which draws local-surface
problems, so it has its own small path, :func:`plain_world_solutions`), ``--numbers digits``,
``--window 0``, ``--step-rows 0``, ``--prefix-rows``, ``--pretrain-seconds``, ``--surface``,
``--policy`` and the isolated-step probes ``--probe`` (their own row builders: single steps, not
a ProcessBench-style evaluation).

Global-view recipes (issue 12, docs/synthetic_surface.md "The lessons' PRM recipe"): e.g.
``--config prmlib/configs/lessons_cpu.yaml``, or a model whose layers are not all windowed
(``--layer-types sliding,sliding,full``, optionally ``--global-out-scale 0`` to start the full
layers' output projection at zero) trained on rows that keep the problem: whole solutions
(``--step-rows 0``, erroneous ones ``--oversample-errors`` times, ``--correct-share`` of the
correct ones) or one row per step with the problem and every earlier step
(``--problem-prefix-rows R``). ``--budget-seconds`` sets the budget reported as ``within_budget``.

Usage::

    python benchmarks/learnability.py --kinds                # lessons_windowed_cpu.yaml, 3,000 solutions
    python benchmarks/learnability.py --kinds --n-train 5000 --epochs 14 --seed 1   # issue 3's full size
    python benchmarks/learnability.py --config prmlib/configs/lessons_cpu.yaml --seed 1
    python benchmarks/learnability.py --world plain --numbers digits --window 0 --step-rows 0 --heads 2

The last printed line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "prmlib" / "configs" / "lessons_windowed_cpu.yaml"


# -- the recipe: a PRMTrainConfig YAML, command-line options override it -----------------------
def recipe(args):
    """The :class:`PRMTrainConfig` of a run: ``args.config`` with the options that were given.

    Options left at ``None`` keep the config's value. Protocol settings of the benchmark (hard
    labels, no eval split, no evaluation before training, no progress bars) are set here too.
    Returns ``(config, rows, repeats)``: ``rows`` is ``"step"`` (one row per step, ``config.step_rows``),
    ``"solution"`` (whole solutions, ``config.solution_rows``), ``"problem_prefix"`` (one row per step
    with the problem, ``config.prefix_rows``: the config's or ``--problem-prefix-rows``), ``"prefix"``
    (``--prefix-rows``) or ``"masked"`` (``--masked-rows``); the last two are built by the benchmark,
    so the config has no row setting then. ``repeats``: copies of each wrong-step row or erroneous
    solution (``--oversample-errors``, else the config's ``negative_repeats`` or ``error_repeats``).
    """
    from prmlib.prm.config import PRMTrainConfig
    from prmlib.tiny import layer_types_list

    cfg = PRMTrainConfig.from_yaml(args.config)
    if cfg.model != "tiny":
        raise SystemExit(f"{args.config}: the benchmark trains tiny models (model: tiny), not {cfg.model!r}")
    tiny = dict(cfg.tiny)
    for flag, key in (("hidden", "hidden_size"), ("heads", "num_attention_heads"),
                      ("intermediate", "intermediate_size"), ("vocab", "vocab_size"), ("window", "sliding_window"),
                      ("init_std", "initializer_range"), ("global_out_scale", "full_attention_out_scale")):
        if getattr(args, flag) is not None:
            tiny[key] = getattr(args, flag)
    if args.numbers is not None:
        tiny.update(whole_numbers=0 if args.numbers == "digits" else 100, number_sense=args.numbers == "sense")
    if args.layer_types:  # e.g. sliding,sliding,full: windowed layers + a global one
        tiny["layer_types"] = layer_types_list(args.layer_types)
        tiny["num_hidden_layers"] = len(tiny["layer_types"])
    elif args.layers is not None:
        if tiny.get("layer_types") and len(tiny["layer_types"]) != args.layers:
            raise SystemExit(f"--layers {args.layers} contradicts the config's layer_types {tiny['layer_types']}; "
                             "give --layer-types")
        tiny["num_hidden_layers"] = args.layers
    over = {"tiny": tiny}
    for flag, key in (("lr", "learning_rate"), ("epochs", "num_train_epochs"), ("batch", "per_device_train_batch_size"),
                      ("max_length", "max_length"), ("warmup", "warmup_ratio"), ("weight_decay", "weight_decay"),
                      ("scheduler", "lr_scheduler_type"), ("seed", "seed"), ("threads", "torch_num_threads")):
        if getattr(args, flag) is not None:
            over[key] = getattr(args, flag)

    # training rows
    repeats = (args.oversample_errors or (cfg.step_rows or {}).get("negative_repeats")
               or (cfg.solution_rows or {}).get("error_repeats") or (cfg.prefix_rows or {}).get("negative_repeats") or 1)
    prefix = args.prefix_rows or args.problem_prefix_rows is not None or args.masked_rows is not None
    if sum((args.prefix_rows, args.problem_prefix_rows is not None, args.masked_rows is not None)) > 1:
        raise SystemExit("give at most one of --prefix-rows, --problem-prefix-rows and --masked-rows")
    if args.step_rows is not None:
        step_mode = args.step_rows > 0
        if step_mode and prefix:
            raise SystemExit("--prefix-rows / --problem-prefix-rows / --masked-rows need --step-rows 0")
    else:
        step_mode = cfg.step_rows is not None and not prefix
        prefix = prefix or cfg.prefix_rows is not None  # the config's own prefix rows
    if step_mode:
        rows = "step"
        step = dict(cfg.step_rows or {})
        if args.step_rows:
            step["context_steps"] = args.step_rows - 1
        step.setdefault("context_steps", 1)
        step["negative_repeats"] = repeats
        if args.pos_ratio is not None:
            step["positives_per_negative"] = args.pos_ratio
        if args.correct_share is not None:
            raise SystemExit("--correct-share applies to whole-solution rows (--step-rows 0)")
        over.update(step_rows=step, solution_rows=None, prefix_rows=None)
    elif prefix:
        rows = "prefix" if args.prefix_rows else "masked" if args.masked_rows else "problem_prefix"
        over.update(step_rows=None, solution_rows=None, prefix_rows=None, train_on_last_step_only=rows == "prefix")
        if rows == "problem_prefix":  # built by train_prm (config.prefix_rows), as `prmlib train` does
            pre = {**(cfg.prefix_rows or {}), "negative_repeats": repeats}
            if args.problem_prefix_rows is not None:
                pre["positives_per_negative"] = args.problem_prefix_rows
            over["prefix_rows"] = pre
    else:
        rows = "solution"
        sol = {**(cfg.solution_rows or {}), "error_repeats": repeats}
        if args.correct_share is not None:
            sol["correct_share"] = args.correct_share
        over.update(step_rows=None, solution_rows=sol, prefix_rows=None)
    if args.pos_ratio is not None and not step_mode:
        raise SystemExit("--pos-ratio applies to step rows (--step-rows K > 0)")
    over.update(label_type="hard", eval_fraction=0.0, eval_before_training=False, output_dir=args.output_dir,
                training_args={**cfg.training_args, "disable_tqdm": True})
    return cfg.replace(**over), rows, repeats


def data_plan(args, cfg):
    """``(problems per level, levels, solutions per problem, data seed)`` from the config's
    ``data: synthetic:...`` spec and the options that override it."""
    from prmlib.prm.cli_train import parse_synthetic_spec
    from prmlib.synth.sampling import spread

    spec = parse_synthetic_spec(cfg.data) if str(cfg.data or "").startswith("synthetic") else None
    if spec is None and args.n_train is None:
        raise SystemExit(f"{args.config}: data is not a synthetic: spec; give --n-train")
    levels = (parse_synthetic_spec(f"synthetic:difficulty={args.difficulties}")["difficulties"]
              if args.difficulties else (spec or {}).get("difficulties", [1, 2, 3, 4, 5]))
    counts = spread(args.n_train, levels) if args.n_train is not None else {d: spec["n"] for d in levels}
    per_problem = (spec or {}).get("samples", 1)
    seed = args.seed if args.seed is not None else (spec or {}).get("seed", cfg.seed)
    return counts, levels, per_problem, seed


def tiny_pair(texts, tiny, seed):
    """``(model, tokenizer)``: the tiny PRM of ``PRMTrainConfig.tiny``, built like
    ``train_prm(model="tiny")`` builds it (:func:`prmlib.prm.train.build_tiny_base`)."""
    from prmlib.prm.train import build_tiny_base

    return build_tiny_base(texts, tiny, seed=seed)


def numbers_of(tiny):
    return "sense" if tiny.get("number_sense") else ("whole" if tiny.get("whole_numbers") else "digits")


# -- data ---------------------------------------------------------------------------------------
def make_policy(policy_overrides=None, world="local"):
    from prmlib.synth import SyntheticPolicy

    return SyntheticPolicy(**{"surface": world, **(policy_overrides or {})})


def draw_data(problems_per_level, levels, seed, val_per_level, test_per_level, per_problem=1,
              policy_overrides=None, world="local"):
    """``(train, val, test)``: labelled training :class:`~prmlib.solution.Solution` s and two
    ProcessBench-style sets (``{"level-1": rows, ...}``, per level as many erroneous as correct rows).

    The local world (default) uses the library: :func:`prmlib.synth.sampling.sample_labelled`
    (split ``"train"``) and :func:`prmlib.synth.sampling.processbench_set` (splits ``"val"`` and
    ``"test"``; the validation set excludes the training problems, the test set both). ``world="plain"``
    is a diagnostic with its own sampler (:func:`plain_world_solutions`, same seeding and splits).
    """
    from prmlib.synth.sampling import processbench_set, sample_labelled

    if world == "plain":
        train = plain_world_solutions(problems_per_level, levels, seed, "train", per_problem, policy_overrides)
        seen = {s.problem for s in train}
        val = plain_world_processbench_set(val_per_level, levels, seed, "val", policy_overrides, exclude=seen)
        seen |= {r["problem"] for rows in val.values() for r in rows}
        test = plain_world_processbench_set(test_per_level, levels, seed, "test", policy_overrides, exclude=seen)
        return train, val, test
    policy = make_policy(policy_overrides)
    train = sample_labelled(problems_per_level, levels, per_problem=per_problem, seed=seed, split="train",
                            policy=policy)
    seen = {s.problem for s in train}
    val = processbench_set(val_per_level, levels, seed=seed, split="val", policy=policy, exclude=seen)
    seen |= {r["problem"] for rows in val.values() for r in rows}
    test = processbench_set(test_per_level, levels, seed=seed, split="test", policy=policy, exclude=seen)
    return train, val, test


def plain_world_solutions(problems_per_level, levels, seed, split, per_problem=1, policy_overrides=None,
                          exclude=()):
    """DIAGNOSTIC ONLY (``--world plain`` and the operation probes): labelled solutions of the
    PLAIN world (numbers up to 999, ``Bob has Ann + 5 = 12 + 5 = 17 apples.``).

    The library's sampler draws local-surface problems, and a plain-surface policy on them would
    not be the plain world these diagnostics measured, so this draws ``make_problems(...,
    surface="plain")`` with the library's seeding (:func:`prmlib.synth.sampling.split_seed`) and
    labels like it (``meta``: ``first_error``, ``error_kind``, ``difficulty`` ...).
    """
    from prmlib.solution import Solution, labels_from_first_error, split_steps
    from prmlib.synth import first_error_kind, is_correct_answer, make_problems
    from prmlib.synth.sampling import split_seed

    counts = problems_per_level if isinstance(problems_per_level, dict) else {d: problems_per_level for d in levels}
    policy = make_policy(policy_overrides, world="plain")
    seen = set(exclude)
    out = []
    for level in levels:
        problems = []
        for p in make_problems(counts.get(level, 0), level, seed=split_seed(seed, split, level), surface="plain"):
            if p.text not in seen:
                seen.add(p.text)
                problems.append(p)
        comps = policy.sample([p.text for p in problems], per_problem, seed=split_seed(seed, split, level))
        for p, group in zip(problems, comps):
            for j, c in enumerate(group):
                steps = split_steps(c.text)
                if not steps:
                    continue
                fe, kind = first_error_kind(p, steps)
                out.append(Solution(problem=p.text, steps=steps, labels=labels_from_first_error(len(steps), fe),
                                    gold=p.gold, meta={"id": f"{split}-{p.id}-{j}", "problem_id": p.id,
                                                       "difficulty": level, "split": split, "first_error": fe,
                                                       "error_kind": kind,
                                                       "answer_correct": is_correct_answer(c.text, p.gold)}))
    return out


def plain_world_processbench_set(per_level, levels, seed, split, policy_overrides=None, exclude=(), pool=1500):
    """DIAGNOSTIC ONLY (``--world plain``): a ProcessBench-style set of the plain world, the first
    ``per_level`` erroneous and correct solutions of ``pool`` problems per level."""
    from prmlib.synth.sampling import level_name, processbench_row

    sols = plain_world_solutions(pool, levels, seed, split, 1, policy_overrides, exclude)
    out = {}
    for level in levels:
        err = [processbench_row(s) for s in sols if s.meta["difficulty"] == level and s.meta["first_error"] >= 0]
        ok = [processbench_row(s) for s in sols if s.meta["difficulty"] == level and s.meta["first_error"] < 0]
        if len(err) < per_level or len(ok) < per_level:
            raise RuntimeError(f"plain world, level {level}: {len(err)} erroneous / {len(ok)} correct solutions "
                               f"in {pool} problems (wanted {per_level} each)")
        out[level_name(level)] = err[:per_level] + ok[:per_level]
    return out


def _subject(step):
    words = step.replace(",", " ").split()
    return next((w for w in words if w[:1].isupper() and w not in ("Wait", "The", "So")), None)


def resurface_steps(problem, steps, first_error, how):
    """Diagnostic rewrites of the step text (labels unchanged) to test what makes the world learnable.

    * ``space``: start every step with a space, so a name is the same token in problem and steps;
    * ``restate``: also prefix each step with the problem's sentence about its subject person
      ("Bob has 5 more apples than Ann. Bob has 12 + 5 = 17 apples."), making a wrong operation a
      local mismatch;
    * ``marker``: pipeline sanity check: append " Oops." to the first wrong step (trivially learnable).
    """
    steps = list(steps)
    if how in (None, "none"):
        return steps
    if how == "marker":
        if first_error >= 0:
            steps[first_error] += " Oops."
        return steps
    if how == "restate":
        sentences = {sent.split()[0]: sent.strip() for sent in problem.split(". ") if sent.strip()}
        steps = [(sentences.get(_subject(st), "").rstrip(".") + ". " if _subject(st) in sentences else "") + st
                 for st in steps]
    return [" " + st for st in steps]


def resurface(data, how):
    """:func:`resurface_steps` applied to ProcessBench rows (a list or a ``{subset: rows}`` set) or
    to labelled Solutions; each row keeps its ``label`` and ``error_kind``."""
    from prmlib.solution import Solution

    if how in (None, "none"):
        return data
    if isinstance(data, dict):
        return {k: resurface(v, how) for k, v in data.items()}
    out = []
    for r in data:
        if isinstance(r, Solution):
            steps = resurface_steps(r.problem, r.steps, r.meta["first_error"], how)
            out.append(Solution(problem=r.problem, steps=steps, labels=r.labels, gold=r.gold, meta=r.meta))
        else:
            out.append(dict(r, steps=resurface_steps(r["problem"], r["steps"], r["label"], how)))
    return out


def _leading_correct(labels):
    return next((i for i, lab in enumerate(labels) if not lab), len(labels))


def prefix_training_rows(stepwise, repeats, seed):
    """``--prefix-rows`` (diagnostic): one row per step prefix, only its last step supervised,
    right-step prefixes subsampled to as many as the wrong ones, plus every erroneous solution
    ``repeats - 1`` more times."""
    prefixes = [{"prompt": w["prompt"], "completions": w["completions"][:i + 1], "labels": w["labels"][:i + 1]}
                for w in stepwise for i in range(len(w["labels"]))]
    neg = [x for x in prefixes if not x["labels"][-1]]
    pos = [x for x in prefixes if x["labels"][-1]]
    random.Random(seed).shuffle(pos)
    wrong = [w for w in stepwise if not all(w["labels"])]
    return neg + pos[:len(neg)] + wrong * max(0, repeats - 1)


# -- optional causal-LM pretraining of the base model ------------------------------------------
def pretrain_lm(tokenizer, stepwise, sep, model_kwargs, seconds, lr, batch, seed):
    """Pretrain a tiny causal LM on the verified-correct part of the training solutions.

    The Lessons paper initialises its PRMs from a maths LM (Qwen2.5-Math-7B-Instruct) that can
    already compute; a random tiny model cannot. Next-token prediction on correct text gives dense
    supervision (every result digit, every operand lookup) instead of one bit per step. Only text
    up to the end of the last correct step is trained on (the wrong step and what follows are
    masked). Returns ``(model, steps, seconds, final loss)``.
    """
    import torch
    from trl.experimental.prm import PRMTrainer

    from prmlib.tiny import build_tiny_causal_lm

    seqs = []
    for r in stepwise:
        n = _leading_correct(r["labels"])
        if n == 0:
            continue
        row = {"prompt": r["prompt"], "completions": r["completions"][:n], "labels": [1] * n}
        seqs.append(PRMTrainer.tokenize_row(row, tokenizer, sep, None, None, False, True)["input_ids"])
    model = build_tiny_causal_lm(tokenizer, seed=seed, **model_kwargs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    chunks = [order[i:i + batch] for i in range(0, len(order), batch)]
    pad = tokenizer.pad_token_id
    model.train()
    t0, steps = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        rng.shuffle(chunks)
        for c in chunks:
            width = max(len(seqs[i]) for i in c)
            ids = torch.full((len(c), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for j, i in enumerate(c):
                ids[j, :len(seqs[i])] = torch.tensor(seqs[i])
                mask[j, :len(seqs[i])] = 1
            frac = min(1.0, (time.perf_counter() - t0) / seconds)
            for g in opt.param_groups:
                g["lr"] = lr * min(1.0, 20 * frac) * (1.0 - 0.9 * frac)
            loss = model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            if time.perf_counter() - t0 >= seconds:
                break
    return model, steps, time.perf_counter() - t0, float(loss)


# -- scoring and evaluation ---------------------------------------------------------------------
def score_sets(model, tokenizer, separator, *sets):
    """Step scores of ProcessBench-style sets (``{subset: rows}``) with
    :class:`prmlib.prm.score.PRMScorer` (the training tokenisation, one pass per solution)."""
    from prmlib.prm.score import PRMScorer

    scorer = PRMScorer(model, tokenizer, separator=separator, on_truncation="error", show_progress=False)
    keys = [(i, s, len(rows)) for i, data in enumerate(sets) for s, rows in data.items()]
    flat = [r for data in sets for rows in data.values() for r in rows]
    scores = scorer.score([r["problem"] for r in flat], [r["steps"] for r in flat])
    out = [{} for _ in sets]
    k = 0
    for i, s, n in keys:
        out[i][s] = scores[k:k + n]
        k += n
    return out


def evaluate(val, val_scores, test, test_scores):
    """Threshold tuned on the whole validation set (:func:`tune_threshold`), then
    :func:`evaluate_processbench` on the test set with that threshold.

    Returns the pooled metrics over all test rows (``f1``, ``error_acc``, ``correct_acc``, the
    headline), ``avg_f1`` (mean of the per-difficulty F1s, ProcessBench's average), the per-level
    metrics, the oracle F1s (test thresholds, an upper bound) and the test predictions in row order.
    """
    from prmlib.eval.processbench import evaluate_processbench, processbench_f1, tune_threshold

    def flat(data):
        return [x for rows in data.values() for x in rows]

    threshold, val_f1 = tune_threshold(flat(val_scores), [r["label"] for r in flat(val)])
    res = evaluate_processbench(test, step_scores=test_scores, threshold=threshold, name="learnability")
    labels = np.array([r["label"] for r in flat(test)])
    pred = np.concatenate([res.predictions[s] for s in test])
    pooled = processbench_f1(pred, labels)
    _, oracle_f1 = tune_threshold(flat(test_scores), labels)
    per_d = {}
    for s, rows in test.items():
        m = res.metrics[s]
        per_d[int(rows[0]["difficulty"])] = {"error_acc": round(m["error_acc"], 1),
                                            "correct_acc": round(m["correct_acc"], 1), "f1": round(m["f1"], 1),
                                            "n": len(rows), "oracle_f1": round(res.oracle[s]["f1"], 1)}
    return {"threshold": threshold, "val_f1": round(val_f1, 2), "f1": round(pooled["f1"], 2),
            "avg_f1": round(res.average_f1, 2), "error_acc": round(pooled["error_acc"], 2),
            "correct_acc": round(pooled["correct_acc"], 2), "test_oracle_f1": round(oracle_f1, 2),
            "test_oracle_avg_f1": round(float(np.mean([o["f1"] for o in res.oracle.values()])), 2),
            "per_difficulty": per_d, "predictions": pred}


def error_kind_recall(pred, rows):
    """Share of erroneous test rows whose first error is found exactly, by error kind."""
    hit, tot = Counter(), Counter()
    for p, r in zip(pred, rows):
        if r["label"] >= 0:
            tot[r["error_kind"]] += 1
            hit[r["error_kind"]] += int(p == r["label"])
    return {k: round(100.0 * hit[k] / tot[k], 1) for k in sorted(tot)}


# -- probes: one isolated step per row, classes balanced ---------------------------------------
PROBES = ("add1", "add2", "operation_local", "operation_lookup", "local_steps")


def probe_rows(kind, seed, policy_overrides=None, surface="none"):
    """Rows of one probe (see ``--probe``): ``(train, test)`` lists of single-step stepwise rows.

    * ``add1`` / ``add2``: ``"Bob has a + b = c apples."`` with one-digit / two-digit operands, half
      the results off by 1 to 3 (an arithmetic slip): can the model verify an addition?
    * ``local_steps``: every step of local-world solutions (the library's sampler, split
      ``"probe"``) alone, the problem as prompt;
    * ``operation_local``: a step of the plain-world policy (operation mistakes only) prefixed by
      the problem's sentence about its person, the problem as prompt: a wrong operation is a local
      mismatch ("3 fewer" next to "+");
    * ``operation_lookup``: the same steps as written, the problem as prompt: the model must find the
      person's sentence in the problem.
    """
    from prmlib.synth import check_steps
    from prmlib.synth.sampling import processbench_row, sample_labelled

    rng = random.Random(seed)
    rows = []
    if kind in ("add1", "add2"):
        lo, hi = (1, 9) if kind == "add1" else (10, 99)
        for _ in range(6000):
            a, b = rng.randint(lo, hi), rng.randint(lo, hi)
            wrong = rng.random() < 0.5
            c = a + b + (rng.choice([-3, -2, -1, 1, 2, 3]) if wrong else 0)
            rows.append({"prompt": "", "completions": [f"Bob has {a} + {b} = {c} apples."], "labels": [not wrong]})
        return rows[:5000], rows[5000:]
    if kind == "local_steps":
        sols = sample_labelled(1500, [1, 2, 3, 4, 5], seed=seed, split="probe", policy=make_policy(policy_overrides))
        pos, neg = [], []
        for r in resurface([processbench_row(s) for s in sols], surface):
            last = len(r["steps"]) if r["label"] < 0 else r["label"] + 1
            for i in range(last):
                row = {"prompt": r["problem"], "completions": [r["steps"][i]], "labels": [i != r["label"]]}
                (pos if i != r["label"] else neg).append(row)
        return _balanced_split(pos, neg, rng)
    sols = plain_world_solutions(2000, [1, 2, 3, 4, 5], seed, "probe",
                                 policy_overrides={"kind_weights": {"operation": 1.0}})
    pos, neg = [], []
    for s in sols:
        r = processbench_row(s)
        kinds = check_steps(r["problem"], r["steps"])
        shown = resurface([r], "restate")[0]["steps"] if kind == "operation_local" else r["steps"]
        last = len(r["steps"]) if r["label"] < 0 else r["label"] + 1
        for i in range(last):
            if kinds[i] in (None, "operation"):
                row = {"prompt": r["problem"], "completions": [shown[i]], "labels": [kinds[i] is None]}
                (pos if kinds[i] is None else neg).append(row)
    return _balanced_split(pos, neg, rng)


def _balanced_split(pos, neg, rng, cap=3000, train_share=0.85):
    """As many right as wrong single-step rows (at most ``cap`` each), shuffled, split train/test."""
    rng.shuffle(pos)
    rng.shuffle(neg)
    k = min(len(pos), len(neg), cap)
    rows = pos[:k] + neg[:k]
    rng.shuffle(rows)
    cut = int(train_share * len(rows))
    return rows[:cut], rows[cut:]


def run_probe(args, cfg) -> int:
    """Train the config's tiny model (with the options given) on one probe's single steps."""
    import torch

    from prmlib.prm.train import train_prm

    if cfg.torch_num_threads:
        torch.set_num_threads(cfg.torch_num_threads)
    train, test = probe_rows(args.probe, cfg.seed, json.loads(args.policy) if args.policy else None, args.surface)
    model, tok = tiny_pair([r["prompt"] + r["completions"][0] for r in train], cfg.tiny, cfg.seed)
    load_before = os.getloadavg()
    res = train_prm(train, model, tokenizer=tok, config=cfg.replace(step_rows=None, solution_rows=None,
                                                                     train_on_last_step_only=False),
                    eval_dataset=test, save=False, logging_steps=100)
    m = res.metrics
    print(json.dumps({"probe": args.probe, "numbers": numbers_of(cfg.tiny),
                      "eval_step_accuracy": round(m["eval_accuracy"], 3),
                      "train_step_accuracy": round(m["train_accuracy"], 3), "n_train": len(train),
                      "n_test": len(test), "steps": m["global_steps"], "train_seconds": m["train_seconds"],
                      "lr": cfg.learning_rate, "epochs": cfg.num_train_epochs, "hidden": cfg.tiny["hidden_size"],
                      "layers": cfg.tiny["num_hidden_layers"], "config": str(args.config),
                      "torch_threads": torch.get_num_threads(),
                      "load_avg_before": [round(x, 2) for x in load_before],
                      "load_avg_after": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    return 0


def build_parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cfg = "(default: the config's)"
    ap.add_argument("--config", default=str(DEFAULT_CONFIG),
                    help="PRMTrainConfig YAML with the recipe: model, training rows, optimiser, data size "
                         "(default: prmlib/configs/lessons_windowed_cpu.yaml)")
    ap.add_argument("--n-train", type=int, default=None,
                    help="training problems, spread evenly over the levels (one solution each unless the "
                         "config's data spec says samples=K) (default: from the config's data spec)")
    ap.add_argument("--difficulties", default=None, help="levels, e.g. 1-5 or 1+3 (default: the config's data spec)")
    ap.add_argument("--val-per-difficulty", type=int, default=40, help="erroneous (= correct) rows per level")
    ap.add_argument("--test-per-difficulty", type=int, default=100, help="erroneous (= correct) rows per level")
    ap.add_argument("--hidden", type=int, default=None, help=f"tiny hidden_size {cfg}")
    ap.add_argument("--layers", type=int, default=None, help=f"tiny num_hidden_layers {cfg}")
    ap.add_argument("--heads", type=int, default=None, help=f"tiny num_attention_heads {cfg}")
    ap.add_argument("--intermediate", type=int, default=None, help=f"tiny intermediate_size {cfg}")
    ap.add_argument("--vocab", type=int, default=None, help=f"tokenizer vocab_size {cfg}")
    ap.add_argument("--lr", type=float, default=None, help=f"learning_rate {cfg}")
    ap.add_argument("--epochs", type=float, default=None, help=f"num_train_epochs {cfg}")
    ap.add_argument("--batch", type=int, default=None, help=f"per_device_train_batch_size {cfg}")
    ap.add_argument("--max-length", type=int, default=None, help=f"max_length {cfg}")
    ap.add_argument("--warmup", type=float, default=None, help=f"warmup_ratio {cfg}")
    ap.add_argument("--weight-decay", type=float, default=None, help=f"weight_decay {cfg}")
    ap.add_argument("--scheduler", default=None, help=f"lr_scheduler_type {cfg}")
    ap.add_argument("--seed", type=int, default=None,
                    help="draws the data and the weights (default: the data spec's seed and the config's seed)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: the config's torch_num_threads)")
    ap.add_argument("--output-dir", default="runs/learnability")
    ap.add_argument("--kinds", action="store_true", help="also report recall by first-error kind")
    ap.add_argument("--world", default="local", choices=("local", "plain"),
                    help="diagnostic: plain = the plain surface's problems and steps (own sampler, "
                         "plain_world_solutions)")
    ap.add_argument("--surface", default="none", choices=("none", "space", "restate", "marker"),
                    help="diagnostic rewrite of the step text, see resurface_steps()")
    ap.add_argument("--prefix-rows", action="store_true",
                    help="diagnostic: train on step prefixes with only the last step supervised, positives "
                         "subsampled to balance (needs whole-solution rows: --step-rows 0 or a config without "
                         "step_rows)")
    ap.add_argument("--step-rows", type=int, default=None,
                    help="K > 0: one row per step, the step and the K-1 steps before it, no problem text "
                         "(step_rows.context_steps = K-1); 0: whole solutions (default: the config's step_rows)")
    ap.add_argument("--pos-ratio", type=float, default=None,
                    help="with step rows: correct steps kept per wrong step (step_rows.positives_per_negative)")
    ap.add_argument("--oversample-errors", type=int, default=None,
                    help="copies of each wrong-step row (step rows) or of each erroneous solution (whole "
                         "solutions) (default: the config's negative_repeats / error_repeats)")
    ap.add_argument("--pretrain-seconds", type=float, default=0.0,
                    help="diagnostic: first pretrain the tiny model as a causal LM on the correct steps for this long")
    ap.add_argument("--pretrain-lr", type=float, default=3e-3)
    ap.add_argument("--rtd-seconds", type=float, default=0.0,
                    help="first pretrain the tiny model for this long to tell kept numbers from replaced ones in "
                         "reference (error-free) solutions of a separate split: no step labels "
                         "(prmlib.prm.pretrain)")
    ap.add_argument("--rtd-problems", type=int, default=600, help="reference problems per level for --rtd-seconds")
    ap.add_argument("--rtd-step-prob", type=float, default=0.0,
                    help="with --rtd-seconds: share of rows with one replaced number in one step, cut after it, "
                         "step separators classified (0: every number token replaced with p=0.15, numbers only)")
    ap.add_argument("--numbers", default=None, choices=("digits", "whole", "sense"),
                    help="digits: one token per digit (Qwen style); whole: numbers below 100 are one token; "
                         f"sense: whole tokens with size-encoding embeddings {cfg}")
    ap.add_argument("--init-std", type=float, default=None,
                    help=f"initializer_range of the tiny model (transformers default: 0.02) {cfg}")
    ap.add_argument("--window", type=int, default=None,
                    help=f"sliding-window attention of this many tokens (0: full attention) {cfg}")
    ap.add_argument("--layer-types", default=None,
                    help="attention of each layer, e.g. sliding,sliding,full (Qwen2 layer_types; sets the "
                         "number of layers; windowed layers use the window)")
    ap.add_argument("--global-out-scale", type=float, default=None,
                    help="scale the initial o_proj of full-attention layers (0: zero init, training starts "
                         "from the windowed model; prmlib.tiny.build_tiny_prm(full_attention_out_scale=...))")
    ap.add_argument("--problem-prefix-rows", type=float, default=None, metavar="POS_RATIO",
                    help="train on one row per step WITH the problem and every earlier step "
                         "(prmlib.prm.step_rows.prefix_rows), wrong-step rows --oversample-errors times, at "
                         "most POS_RATIO right-step rows per wrong one")
    ap.add_argument("--masked-rows", default=None, metavar="KEEP_ERR,KEEP_COR",
                    help="whole solutions with right-step labels kept with these probabilities (in rows with / "
                         "without a wrong step), erroneous rows --oversample-errors times with their own masks "
                         "(prmlib.prm.step_rows.masked_solution_rows; 0.35,0.7 matches --problem-prefix-rows 4)")
    ap.add_argument("--correct-share", type=float, default=None,
                    help="with whole-solution rows: share of fully correct training solutions kept")
    ap.add_argument("--budget-seconds", type=float, default=180.0,
                    help="training-time budget reported as within_budget")
    ap.add_argument("--policy", default=None,
                    help="diagnostic: JSON of PolicyConfig overrides, e.g. '{\"kind_weights\": {\"value\": 1}}'")
    ap.add_argument("--probe", choices=PROBES, default=None,
                    help="run one isolated-step probe instead of the benchmark (see probe_rows)")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cfg, rows_kind, oversample = recipe(args)
    if args.probe:
        return run_probe(args, cfg)

    import torch

    from prmlib.prm.train import train_prm

    threads_before = torch.get_num_threads()
    if cfg.torch_num_threads:
        torch.set_num_threads(cfg.torch_num_threads)
    counts, levels, per_problem, data_seed = data_plan(args, cfg)
    load_before = os.getloadavg()
    t0 = time.perf_counter()

    policy = json.loads(args.policy) if args.policy else None
    train, val, test = draw_data(counts, levels, data_seed, args.val_per_difficulty, args.test_per_difficulty,
                                 per_problem=per_problem, policy_overrides=policy, world=args.world)
    train, val, test = (resurface(x, args.surface) for x in (train, val, test))
    stepwise = [s.to_stepwise() for s in train]
    texts = [r["prompt"] for r in stepwise] + [s for r in stepwise for s in r["completions"]]  # as train_prm
    if rows_kind == "prefix":
        stepwise = prefix_training_rows(stepwise, oversample, cfg.seed)
    elif rows_kind == "masked":
        from prmlib.prm.step_rows import masked_solution_rows

        keep_err, keep_cor = (float(x) for x in args.masked_rows.split(","))
        stepwise = masked_solution_rows(stepwise, error_repeats=oversample, keep_right_erroneous=keep_err,
                                        keep_right_correct=keep_cor, seed=cfg.seed)

    model, tok = tiny_pair(texts, cfg.tiny, cfg.seed)
    n_params = sum(p.numel() for p in model.parameters())
    data_seconds = time.perf_counter() - t0
    pretrain = None
    if args.pretrain_seconds > 0:
        sizes = {k: cfg.tiny.get(k) for k in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                                              "intermediate_size")}
        lm, lm_steps, lm_seconds, lm_loss = pretrain_lm(
            tok, [s.to_stepwise() for s in train], cfg.separator, sizes, args.pretrain_seconds, args.pretrain_lr,
            cfg.per_device_train_batch_size, cfg.seed)
        missing = model.model.load_state_dict(lm.model.state_dict())
        pretrain = {"steps": lm_steps, "seconds": round(lm_seconds, 1), "final_loss": round(lm_loss, 3),
                    "lr": args.pretrain_lr, "load": str(missing)}
        del lm

    if args.rtd_seconds > 0:  # a label-free base: replaced-number detection on reference solutions
        from prmlib.prm.pretrain import reference_rows, replaced_number_pretrain

        ref = reference_rows(args.rtd_problems, levels, seed=data_seed, split="pretrain")
        stats = replaced_number_pretrain(model, tok, ref, cfg.separator, args.rtd_seconds, lr=args.pretrain_lr,
                                         step_prob=args.rtd_step_prob, seed=cfg.seed)
        pretrain = {"objective": "replaced numbers", "lr": args.pretrain_lr, "step_prob": args.rtd_step_prob,
                    **stats}

    res = train_prm(stepwise, model, tokenizer=tok, config=cfg)
    load_after = os.getloadavg()

    t1 = time.perf_counter()
    val_scores, test_scores = score_sets(res.model, tok, cfg.separator, val, test)
    score_seconds = time.perf_counter() - t1
    ev = evaluate(val, val_scores, test, test_scores)
    test_rows = [r for rows in test.values() for r in rows]
    train_errs = sum(s.meta["first_error"] >= 0 for s in train)
    trained = res.metrics["train_seconds"] + (pretrain or {}).get("seconds", 0.0)
    tiny = cfg.tiny
    out = {
        "f1": ev["f1"], "avg_f1": ev["avg_f1"], "error_acc": ev["error_acc"], "correct_acc": ev["correct_acc"],
        "threshold": ev["threshold"], "val_f1": ev["val_f1"], "test_oracle_f1": ev["test_oracle_f1"],
        "test_oracle_avg_f1": ev["test_oracle_avg_f1"],
        "train_seconds": res.metrics["train_seconds"], "total_training_seconds": round(trained, 1),
        "within_budget": trained <= args.budget_seconds, "budget_seconds": args.budget_seconds,
        "lm_pretraining": pretrain,
        "n_train_solutions": len(train), "train_error_share": round(train_errs / len(train), 3),
        "n_train_rows": res.metrics["num_train_rows"], "n_train_step_labels": res.metrics["num_train_labels"],
        "labels_lost_to_truncation": res.metrics["train_labels_lost_to_truncation"],
        "n_val": sum(map(len, val.values())), "n_test": len(test_rows),
        "train_step_accuracy": res.metrics.get("train_accuracy"),
        "config": str(args.config), "data_seed": data_seed, "seed": cfg.seed, "levels": levels,
        "model": {"params": n_params, "window": tiny.get("sliding_window", 0),
                  "layer_types": list(getattr(model.config, "layer_types", None) or []),
                  "global_out_scale": tiny.get("full_attention_out_scale"),
                  "init_std": tiny.get("initializer_range", 0.02), "hidden": tiny["hidden_size"],
                  "layers": tiny["num_hidden_layers"], "heads": tiny["num_attention_heads"], "vocab": len(tok)},
        "training": {"lr": cfg.learning_rate, "epochs": cfg.num_train_epochs, "batch": cfg.per_device_train_batch_size,
                     "max_length": cfg.max_length, "warmup": cfg.warmup_ratio, "scheduler": cfg.lr_scheduler_type,
                     "steps": res.metrics["global_steps"], "loss": round(res.metrics["training_loss"], 4)},
        "rows": rows_kind, "step_rows": (cfg.step_rows["context_steps"] + 1) if cfg.step_rows else 0,
        "pos_ratio": (cfg.step_rows or {}).get("positives_per_negative"), "oversample_errors": oversample,
        "correct_share": (cfg.solution_rows or {}).get("correct_share", 1.0) if cfg.solution_rows else None,
        "prefix_rows": args.prefix_rows, "problem_prefix_rows": (cfg.prefix_rows or {}).get("positives_per_negative") if cfg.prefix_rows else None, "masked_rows": args.masked_rows,
        "policy_overrides": policy, "world": args.world, "numbers": numbers_of(tiny), "surface": args.surface,
        "per_difficulty": ev["per_difficulty"],
        **({"error_kind_recall": error_kind_recall(ev["predictions"], test_rows)} if args.kinds else {}),
        "data_seconds": round(data_seconds, 1), "score_seconds": round(score_seconds, 1),
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_avg_before": [round(x, 2) for x in load_before],
                    "load_avg_after": [round(x, 2) for x in load_after], "platform": platform.platform()},
    }
    torch.set_num_threads(threads_before)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
