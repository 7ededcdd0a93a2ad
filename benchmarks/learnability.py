"""Learnability calibration of the synthetic world: can a tiny PRM learn exact step labels on a CPU?

Protocol (issue 3):

1. Sample solutions of synthetic problems at every difficulty with the default
   ``SyntheticPolicy`` (``local`` surface) and label every step with the exact verifier
   (``first_error``).
2. Train a tiny random Qwen2 PRM (tokenizer trained on the training texts) with TRL's
   ``PRMTrainer`` through :func:`prmlib.prm.train.train_prm` on the exact hard labels (steps after
   the first error dropped, as in the paper's training data).
3. Evaluate like ProcessBench on held-out problems: per difficulty, as many erroneous solutions as
   fully correct ones; predict the first step whose P(correct) is below a threshold (-1 if none);
   the threshold is tuned on a separate validation split; report error accuracy (exact first-error
   index), correct accuracy and their harmonic mean F1 (percentages).

Target: F1 >= 80 within 3 minutes of training on 2 CPU cores.

The defaults are the recipe that meets it (docs/synthetic_surface.md): whole-number tokens with
size-encoding embeddings (``--numbers sense``), sliding-window attention of 32 tokens in both
layers (``--window 32``), 4 heads, one training row per step with its two previous steps
(``--step-rows 3``), wrong-step rows twice (``--oversample-errors 2``) and at most 4 right-step rows
per wrong one (``--pos-ratio 4``), weights initialised with standard deviation 0.05 instead of
0.02 (``--init-std``), 14 epochs at lr 1e-3. The other options are the diagnostics
used on the way (``--world plain``, ``--numbers digits``, ``--window 0``, ``--step-rows 0``,
``--prefix-rows``, ``--pretrain-seconds``, ``--surface``, ``--probe``).

Usage::

    python benchmarks/learnability.py --kinds               # the recipe, ~5,000 training solutions
    python benchmarks/learnability.py --kinds --seed 1      # another draw of data and weights
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

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np


def tiny_pair(texts, args):
    """``(model, tokenizer)``: the tiny PRM of the command-line options, built like
    ``train_prm(model="tiny")`` builds it (:func:`prmlib.prm.train.build_tiny_base`)."""
    from prmlib.prm.train import build_tiny_base

    tiny = {"hidden_size": args.hidden, "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
            "intermediate_size": args.intermediate, "vocab_size": args.vocab,
            "whole_numbers": 0 if args.numbers == "digits" else 100, "number_sense": args.numbers == "sense",
            "sliding_window": args.window}
    if args.init_std:
        tiny["initializer_range"] = args.init_std
    return build_tiny_base(texts, tiny, seed=args.seed)


# -- data ---------------------------------------------------------------------------------------
def sample_solutions(n_per_difficulty, difficulties, seed, exclude=frozenset(), policy_overrides=None,
                     world="local"):
    """Sample one solution per problem, label with the exact verifier; skip problems in ``exclude``.
    ``world``: "local" (small-number problems, the local step surface; the default) or "plain"."""
    from prmlib.solution import split_steps
    from prmlib.synth import SyntheticPolicy, first_error, make_problems

    policy = SyntheticPolicy(**{"surface": world, **(policy_overrides or {})})
    out = []
    for d in difficulties:
        problems = [p for p in make_problems(n_per_difficulty, d, seed=seed + 7919 * d, surface=world)
                    if p.text not in exclude]
        comps = policy.sample([p.text for p in problems], 1, seed=seed + 7919 * d)
        for p, group in zip(problems, comps):
            steps = split_steps(group[0].text)
            if steps:
                out.append({"problem": p.text, "steps": steps, "label": first_error(p.text, steps), "difficulty": d})
    return out


def _subject(step):
    words = step.replace(",", " ").split()
    return next((w for w in words if w[:1].isupper() and w not in ("Wait", "The", "So")), None)


def resurface(rows, how):
    """Diagnostic rewrites of the step text (labels unchanged) to test what makes the world learnable.

    * ``space``: start every step with a space, so a name is the same token in problem and steps;
    * ``restate``: also prefix each step with the problem's sentence about its subject person
      ("Bob has 5 more apples than Ann. Bob has 12 + 5 = 17 apples."), making a wrong operation a
      local mismatch;
    * ``marker``: pipeline sanity check: append " Oops." to the first wrong step (trivially learnable).
    """
    if how in (None, "none"):
        return rows
    out = []
    for r in rows:
        steps = list(r["steps"])
        if how == "marker":
            if r["label"] >= 0:
                steps[r["label"]] += " Oops."
        else:
            if how == "restate":
                sentences = {sent.split()[0]: sent.strip() for sent in r["problem"].split(". ") if sent.strip()}
                steps = [(sentences.get(_subject(st), "").rstrip(".") + ". " if _subject(st) in sentences else "")
                         + st for st in steps]
            steps = [" " + st for st in steps]
        out.append(dict(r, steps=steps, original_steps=r.get("original_steps", r["steps"])))
    return out


def balanced(rows, per_difficulty, seed):
    """ProcessBench-like: per difficulty, ``per_difficulty`` erroneous and as many correct rows."""
    rng = random.Random(seed)
    out = []
    for d in sorted({r["difficulty"] for r in rows}):
        err = [r for r in rows if r["difficulty"] == d and r["label"] >= 0]
        ok = [r for r in rows if r["difficulty"] == d and r["label"] < 0]
        k = min(per_difficulty, len(err), len(ok))
        out += rng.sample(err, k) + rng.sample(ok, k)
    return out


def to_stepwise(row):
    """Training row: steps up to and including the first error, exact labels."""
    fe = row["label"]
    n = len(row["steps"]) if fe < 0 else fe + 1
    return {"prompt": row["problem"], "completions": row["steps"][:n],
            "labels": [True] * (n if fe < 0 else fe) + ([] if fe < 0 else [False])}


# -- optional causal-LM pretraining of the base model ------------------------------------------
def pretrain_lm(tokenizer, rows, sep, model_kwargs, seconds, lr, batch, seed):
    """Pretrain a tiny causal LM on the verified-correct part of the training solutions.

    The Lessons paper initialises its PRMs from a maths LM (Qwen2.5-Math-7B-Instruct) that can
    already compute; a random tiny model cannot. Next-token prediction on correct text gives dense
    supervision (every result digit, every operand lookup) instead of one bit per step. Only text
    up to the end of the last correct step is trained on (the wrong step and what follows are
    masked). Returns ``(model, steps, seconds)``.
    """
    import torch
    from trl.experimental.prm import PRMTrainer

    from prmlib.tiny import build_tiny_causal_lm

    seqs = []
    for r in rows:
        n = len(r["steps"]) if r["label"] < 0 else r["label"]
        if n == 0:
            continue
        row = {"prompt": r["problem"], "completions": r["steps"][:n], "labels": [1] * n}
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


# -- scoring ------------------------------------------------------------------------------------
def step_scores(model, tokenizer, rows, separator, batch_size=64):
    """P(correct) at every separator, with the training tokenisation (TRL's ``tokenize_row``)."""
    import torch
    from trl.experimental.prm import PRMTrainer

    feats = []
    for r in rows:
        row = {"prompt": r["problem"], "completions": r["steps"], "labels": [1] * len(r["steps"])}
        t = PRMTrainer.tokenize_row(row, tokenizer, separator, None, None, False, True)
        feats.append((t["input_ids"], [i for i, lab in enumerate(t["labels"]) if lab != -100]))
    order = sorted(range(len(feats)), key=lambda i: len(feats[i][0]))
    scores: list = [None] * len(rows)
    model.eval()
    pad = tokenizer.pad_token_id
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            width = max(len(feats[i][0]) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for j, i in enumerate(idx):
                n = len(feats[i][0])
                ids[j, :n] = torch.tensor(feats[i][0])
                mask[j, :n] = 1
            probs = model(input_ids=ids, attention_mask=mask).logits.float().softmax(-1)[..., 1]
            for j, i in enumerate(idx):
                scores[i] = probs[j, feats[i][1]].tolist()
    return scores


def evaluate(val_scores, val_rows, test_scores, test_rows):
    from prmlib.eval.processbench import predictions_from_scores, processbench_f1, tune_threshold

    thresholds = np.round(np.linspace(0.01, 0.99, 99), 2)
    threshold, val_f1 = tune_threshold(val_scores, [r["label"] for r in val_rows], thresholds)
    pred = predictions_from_scores(test_scores, threshold)
    labels = np.array([r["label"] for r in test_rows])
    res = processbench_f1(pred, labels)
    per_d = {}
    diffs = np.array([r["difficulty"] for r in test_rows])
    for d in sorted(set(diffs.tolist())):
        m = diffs == d
        per_d[d] = {k: round(v, 1) for k, v in processbench_f1(pred[m], labels[m]).items() if k != "n_error"}
    _, oracle_f1 = tune_threshold(test_scores, labels, thresholds)
    return {"threshold": threshold, "val_f1": round(val_f1, 2), "f1": round(res["f1"], 2),
            "error_acc": round(res["error_acc"], 2), "correct_acc": round(res["correct_acc"], 2),
            "test_oracle_f1": round(oracle_f1, 2), "per_difficulty": per_d}


def error_kind_recall(pred, rows):
    """Share of erroneous test rows whose first error is found exactly, by error kind."""
    from prmlib.synth import first_error_kind

    hit, tot = Counter(), Counter()
    for p, r in zip(pred, rows):
        if r["label"] >= 0:
            kind = first_error_kind(r["problem"], r.get("original_steps", r["steps"]))[1]
            tot[kind] += 1
            hit[kind] += int(p == r["label"])
    return {k: round(100.0 * hit[k] / tot[k], 1) for k in sorted(tot)}


# -- probes: one isolated step per row, classes balanced ---------------------------------------
PROBES = ("add1", "add2", "operation_local", "operation_lookup", "local_steps")


def probe_rows(kind, seed, policy_overrides=None, surface="none"):
    """Rows of one probe (see ``--probe``): ``(train, test)`` lists of single-step stepwise rows.

    * ``add1`` / ``add2``: ``"Bob has a + b = c apples."`` with one-digit / two-digit operands, half
      the results off by 1 to 3 (an arithmetic slip): can the model verify an addition?
    * ``operation_local``: a step of the synthetic policy (operation mistakes only) prefixed by the
      problem's sentence about its person, the problem as prompt: a wrong operation is a local
      mismatch ("3 fewer" next to "+");
    * ``operation_lookup``: the same steps as written, the problem as prompt: the model must find the
      person's sentence in the problem.
    """
    from prmlib.synth import check_steps

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
    if kind == "local_steps":  # every step of local-world solutions, alone, the problem as prompt
        sols = resurface(sample_solutions(1500, [1, 2, 3, 4, 5], seed, world="local",
                                          policy_overrides=policy_overrides), surface)
        pos, neg = [], []
        for r in sols:
            last = len(r["steps"]) if r["label"] < 0 else r["label"] + 1
            for i in range(last):
                row = {"prompt": r["problem"], "completions": [r["steps"][i]], "labels": [i != r["label"]]}
                (pos if i != r["label"] else neg).append(row)
        return _balanced_split(pos, neg, rng)
    sols = sample_solutions(2000, [1, 2, 3, 4, 5], seed, policy_overrides={"kind_weights": {"operation": 1.0}},
                            world="plain")
    pos, neg = [], []
    for r in sols:
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


def run_probe(args) -> int:
    import torch

    from prmlib.prm.train import train_prm

    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = probe_rows(args.probe, args.seed, json.loads(args.policy) if args.policy else None, args.surface)
    model, tok = tiny_pair([r["prompt"] + r["completions"][0] for r in train], args)
    load_before = os.getloadavg()
    res = train_prm(train, model, tokenizer=tok, eval_dataset=test, learning_rate=args.lr,
                    num_train_epochs=args.epochs, per_device_train_batch_size=args.batch, max_length=args.max_length,
                    warmup_ratio=args.warmup, seed=args.seed, eval_before_training=False,
                    train_metrics_max_rows=500, save=False, logging_steps=100, output_dir=args.output_dir,
                    training_args={"train_sampling_strategy": "group_by_length", "disable_tqdm": True})
    m = res.metrics
    print(json.dumps({"probe": args.probe, "numbers": args.numbers, "eval_step_accuracy": round(m["eval_accuracy"], 3),
                      "train_step_accuracy": round(m["train_accuracy"], 3), "n_train": len(train),
                      "n_test": len(test), "steps": m["global_steps"], "train_seconds": m["train_seconds"],
                      "lr": args.lr, "epochs": args.epochs, "hidden": args.hidden, "layers": args.layers,
                      "torch_threads": torch.get_num_threads(),
                      "load_avg_before": [round(x, 2) for x in load_before],
                      "load_avg_after": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=5000, help="training solutions (about)")
    ap.add_argument("--difficulties", default="1-5")
    ap.add_argument("--val-per-difficulty", type=int, default=40, help="erroneous (= correct) rows per level")
    ap.add_argument("--test-per-difficulty", type=int, default=100, help="erroneous (= correct) rows per level")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=None)
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--epochs", type=float, default=14.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--scheduler", default="linear")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--output-dir", default="runs/learnability")
    ap.add_argument("--kinds", action="store_true", help="also report recall by first-error kind")
    ap.add_argument("--world", default="local", choices=("local", "plain"),
                    help="surface of the synthetic world: local = small numbers, steps restating relation and values")
    ap.add_argument("--surface", default="none", choices=("none", "space", "restate", "marker"),
                    help="diagnostic rewrite of the step text, see resurface()")
    ap.add_argument("--prefix-rows", action="store_true",
                    help="train on step prefixes with only the last step supervised, positives subsampled to balance")
    ap.add_argument("--step-rows", type=int, default=3,
                    help="train on one row per step: the step and the K-1 steps before it, no problem text, "
                         "only the step supervised (for windowed models, which see no further back)")
    ap.add_argument("--pos-ratio", type=float, default=4.0,
                    help="with --step-rows: correct steps kept per wrong step")
    ap.add_argument("--oversample-errors", type=int, default=2,
                    help="with --step-rows: copies of each wrong-step row; without: copies of each erroneous solution")
    ap.add_argument("--pretrain-seconds", type=float, default=0.0,
                    help="first pretrain the tiny model as a causal LM on the correct steps for this long")
    ap.add_argument("--pretrain-lr", type=float, default=3e-3)
    ap.add_argument("--numbers", default="sense", choices=("digits", "whole", "sense"),
                    help="digits: one token per digit (Qwen style); whole: numbers below 100 are one token; "
                         "sense: whole tokens with size-encoding embeddings (prmlib.tiny.number_sense_init)")
    ap.add_argument("--init-std", type=float, default=0.05,
                    help="initializer_range of the tiny model (transformers default: 0.02)")
    ap.add_argument("--window", type=int, default=32,
                    help="sliding-window attention of this many tokens in every layer (0: full attention)")
    ap.add_argument("--policy", default=None,
                    help="diagnostic: JSON of PolicyConfig overrides, e.g. '{\"kind_weights\": {\"value\": 1}}'")
    ap.add_argument("--probe", choices=PROBES, default=None,
                    help="run one isolated-step probe instead of the benchmark (see probe_rows)")
    args = ap.parse_args(argv)
    if args.probe:
        return run_probe(args)

    import torch

    from prmlib.prm.train import train_prm

    if args.threads:
        torch.set_num_threads(args.threads)
    lo, _, hi = args.difficulties.partition("-")
    difficulties = list(range(int(lo), int(hi or lo) + 1))
    load_before = os.getloadavg()
    t0 = time.perf_counter()

    # training data: ~n_train solutions spread evenly over the levels
    policy = json.loads(args.policy) if args.policy else None
    train_rows = sample_solutions(-(-args.n_train // len(difficulties)), difficulties, seed=args.seed,
                                  policy_overrides=policy, world=args.world)
    seen = frozenset(r["problem"] for r in train_rows)
    # held-out pools: enough problems that even level 1 (few errors) yields the balanced counts
    pool = sample_solutions(1500, difficulties, seed=args.seed + 1, exclude=seen, policy_overrides=policy,
                            world=args.world)
    rng = random.Random(args.seed)
    rng.shuffle(pool)
    half = len(pool) // 3
    val_rows = balanced(pool[:half], args.val_per_difficulty, args.seed)
    test_rows = balanced(pool[half:], args.test_per_difficulty, args.seed + 1)
    train_rows, val_rows, test_rows = (resurface(x, args.surface) for x in (train_rows, val_rows, test_rows))
    stepwise = [to_stepwise(r) for r in train_rows]
    if args.prefix_rows:  # one row per step prefix, only its last step supervised, classes balanced
        prefixes = [{"prompt": w["prompt"], "completions": w["completions"][:i + 1], "labels": w["labels"][:i + 1]}
                    for w in stepwise for i in range(len(w["labels"]))]
        neg = [x for x in prefixes if not x["labels"][-1]]
        pos = [x for x in prefixes if x["labels"][-1]]
        random.Random(args.seed).shuffle(pos)
        stepwise = neg + pos[:len(neg)]
    step_rows = None
    if args.step_rows:  # one row per step (prmlib.prm.step_rows), built inside train_prm
        step_rows = {"context_steps": args.step_rows - 1, "negative_repeats": args.oversample_errors,
                     "positives_per_negative": args.pos_ratio}
    else:
        stepwise += [to_stepwise(r) for r in train_rows if r["label"] >= 0] * max(0, args.oversample_errors - 1)

    sep = "<extra_0>"
    texts = [r["problem"] for r in train_rows] + [s for r in train_rows for s in r["steps"]]
    model, tok = tiny_pair(texts, args)
    n_params = sum(p.numel() for p in model.parameters())
    data_seconds = time.perf_counter() - t0
    pretrain = None
    if args.pretrain_seconds > 0:
        lm, lm_steps, lm_seconds, lm_loss = pretrain_lm(
            tok, train_rows, sep, {"hidden_size": args.hidden, "num_hidden_layers": args.layers,
                                   "num_attention_heads": args.heads, "intermediate_size": args.intermediate},
            args.pretrain_seconds, args.pretrain_lr, args.batch, args.seed)
        missing = model.model.load_state_dict(lm.model.state_dict())
        pretrain = {"steps": lm_steps, "seconds": round(lm_seconds, 1), "final_loss": round(lm_loss, 3),
                    "lr": args.pretrain_lr, "load": str(missing)}
        del lm

    res = train_prm(stepwise, model, tokenizer=tok, label_type="hard", output_dir=args.output_dir,
                    learning_rate=args.lr, num_train_epochs=args.epochs, per_device_train_batch_size=args.batch,
                    per_device_eval_batch_size=64, max_length=args.max_length, warmup_ratio=args.warmup,
                    weight_decay=args.weight_decay, lr_scheduler_type=args.scheduler, seed=args.seed,
                    eval_fraction=0.0, eval_before_training=False, train_metrics_max_rows=500,
                    logging_steps=50, train_on_last_step_only=args.prefix_rows, step_rows=step_rows, training_args={"train_sampling_strategy": "group_by_length", "disable_tqdm": True})
    load_after = os.getloadavg()

    t1 = time.perf_counter()
    val_scores = step_scores(res.model, tok, val_rows, sep)
    test_scores = step_scores(res.model, tok, test_rows, sep)
    score_seconds = time.perf_counter() - t1
    ev = evaluate(val_scores, val_rows, test_scores, test_rows)
    if args.kinds:
        from prmlib.eval.processbench import predictions_from_scores

        ev["error_kind_recall"] = error_kind_recall(predictions_from_scores(test_scores, ev["threshold"]),
                                                    test_rows)
    train_errs = sum(r["label"] >= 0 for r in train_rows)
    out = {
        "f1": ev["f1"], "error_acc": ev["error_acc"], "correct_acc": ev["correct_acc"],
        "threshold": ev["threshold"], "val_f1": ev["val_f1"], "test_oracle_f1": ev["test_oracle_f1"],
        "train_seconds": res.metrics["train_seconds"],
        "total_training_seconds": round(res.metrics["train_seconds"] + (pretrain or {}).get("seconds", 0.0), 1),
        "within_budget": res.metrics["train_seconds"] + (pretrain or {}).get("seconds", 0.0) <= 180,
        "lm_pretraining": pretrain,
        "n_train_solutions": len(train_rows), "train_error_share": round(train_errs / len(train_rows), 3),
        "n_train_step_labels": res.metrics["num_train_labels"],
        "labels_lost_to_truncation": res.metrics["train_labels_lost_to_truncation"],
        "n_val": len(val_rows), "n_test": len(test_rows), "train_step_accuracy": res.metrics.get("train_accuracy"),
        "model": {"params": n_params, "window": args.window, "init_std": args.init_std, "hidden": args.hidden, "layers": args.layers, "heads": args.heads,
                  "vocab": len(tok)},
        "training": {"lr": args.lr, "epochs": args.epochs, "batch": args.batch, "max_length": args.max_length,
                     "steps": res.metrics["global_steps"], "loss": round(res.metrics["training_loss"], 4)},
        "policy_overrides": policy, "world": args.world, "numbers": args.numbers, "surface": args.surface, "oversample_errors": args.oversample_errors, "prefix_rows": args.prefix_rows, "step_rows": args.step_rows, "pos_ratio": args.pos_ratio, "per_difficulty": ev["per_difficulty"], **({"error_kind_recall": ev["error_kind_recall"]} if args.kinds else {}),
        "data_seconds": round(data_seconds, 1), "score_seconds": round(score_seconds, 1),
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_avg_before": [round(x, 2) for x in load_before],
                    "load_avg_after": [round(x, 2) for x in load_after], "platform": platform.platform()},
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
