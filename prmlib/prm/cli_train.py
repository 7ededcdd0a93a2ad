"""``prmlib train``: train a PRM from a YAML config (see ``prmlib/configs``).

Usage::

    prmlib train --config prmlib/configs/tiny_cpu.yaml
    prmlib train --config my.yaml --data runs/mc_labels.jsonl --set learning_rate=2e-5 --set label_type=soft
    accelerate launch -m prmlib.cli train --config prmlib/configs/qwen25_math_7b_gpu.yaml   # several GPUs

Training data (``data`` in the config or ``--data``), one of:

* a folder written by ``datasets.Dataset.save_to_disk`` (a ``DatasetDict`` uses its ``train``
  split, and ``validation`` or ``test`` as eval data unless ``eval_data`` is set);
* a ``.jsonl`` file with one stepwise row ``{"prompt", "completions", "labels"}`` per line (other
  fields are ignored);
* ``synthetic:KEY=VALUE,...``: solutions of the synthetic world sampled with the default policy
  and labelled by the exact verifier. Keys: ``n`` (problems per difficulty, default 200),
  ``difficulty`` (``3``, ``1-5`` or ``1+3+5``; default ``1-5``), ``samples`` (solutions per problem,
  default 1), ``seed`` (default 0).

The last line printed is one JSON object: the metrics, ``output_dir`` and ``separator_token_id``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def parse_synthetic_spec(spec: str) -> dict[str, Any]:
    """Parse ``synthetic:n=200,difficulty=1-5,samples=1,seed=0`` into keyword arguments."""
    body = spec.split(":", 1)[1] if ":" in spec else ""
    out: dict[str, Any] = {"n": 200, "difficulties": [1, 2, 3, 4, 5], "samples": 1, "seed": 0}
    for item in filter(None, (s.strip() for s in body.split(","))):
        if "=" not in item:
            raise ValueError(f"synthetic source {spec!r}: expected KEY=VALUE, got {item!r}")
        key, value = (s.strip() for s in item.split("=", 1))
        if key == "difficulty":
            if "-" in value:
                lo, hi = (int(v) for v in value.split("-", 1))
                out["difficulties"] = list(range(lo, hi + 1))
            else:
                out["difficulties"] = [int(v) for v in value.split("+")]
        elif key in ("n", "samples", "seed"):
            out[key] = int(value)
        else:
            raise ValueError(f"synthetic source {spec!r}: unknown key {key!r} (n, difficulty, samples, seed)")
    return out


def synthetic_solutions(n: int, difficulties, samples: int = 1, seed: int = 0, policy=None):
    """``n`` synthetic problems per difficulty, ``samples`` solutions each, every step labelled by the
    exact verifier (:func:`prmlib.synth.sampling.sample_labelled`, the library's one sampler).

    Returns:
        A list of :class:`prmlib.solution.Solution` with hard labels (steps after the first error
        labelled wrong) and ``meta`` holding ``difficulty``, ``first_error``, ``id`` ...
    """
    from prmlib.synth.sampling import sample_labelled

    return sample_labelled(n, list(difficulties), per_problem=samples, seed=seed, split="train", policy=policy)


def load_stepwise_source(source: str):
    """Load training rows from a ``load_from_disk`` folder, a JSONL file or a ``synthetic:`` spec.

    Returns:
        ``(train, eval_or_None)``: ``datasets.Dataset`` objects (or lists of row dicts).
    """
    if source.startswith("synthetic:") or source == "synthetic":
        kw = parse_synthetic_spec(source)
        sols = synthetic_solutions(kw["n"], kw["difficulties"], kw["samples"], kw["seed"])
        return [dict(s.to_stepwise(), difficulty=s.meta["difficulty"]) for s in sols], None
    path = Path(source)
    if path.is_dir():
        from datasets import DatasetDict, load_from_disk

        ds = load_from_disk(str(path))
        if isinstance(ds, DatasetDict):
            if "train" not in ds:
                raise ValueError(f"{path}: a DatasetDict needs a 'train' split, has {list(ds)}")
            held = next((ds[k] for k in ("validation", "test") if k in ds), None)
            return ds["train"], held
        return ds, None
    if path.is_file():
        rows = []
        with path.open() as fh:
            for i, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{i}: not a JSON line ({exc})") from None
        if not rows:
            raise ValueError(f"{path}: no rows")
        return rows, None
    raise FileNotFoundError(f"training data {source!r} is neither a folder, a file nor a synthetic: spec")


def _parse_set(items) -> dict[str, Any]:
    import yaml

    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from prmlib.cli import print_json
    from prmlib.prm.train import PRMTrainConfig, train_prm

    cfg = PRMTrainConfig.from_yaml(args.config) if args.config else PRMTrainConfig()
    overrides = _parse_set(args.set)
    if args.data:
        overrides["data"] = args.data
    if args.eval_data:
        overrides["eval_data"] = args.eval_data
    if args.output_dir:
        overrides["output_dir"] = args.output_dir
    if args.label_type:
        overrides["label_type"] = args.label_type
    cfg = cfg.replace(**overrides)
    if not cfg.data:
        raise SystemExit("prmlib train: no training data; set `data:` in the config or pass --data")
    train_rows, held = load_stepwise_source(cfg.data)
    if cfg.eval_data:
        held, _ = load_stepwise_source(cfg.eval_data)
    result = train_prm(train_rows, None, config=cfg, eval_dataset=held)
    print_json({"output_dir": result.output_dir, "separator_token_id": result.separator_token_id, **result.metrics})
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a PRM (TRL PRMTrainer; hard or soft labels)",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="YAML file of PRMTrainConfig fields (e.g. prmlib/configs/tiny_cpu.yaml)")
    p.add_argument("--data", help="training data: load_from_disk folder, JSONL, or synthetic:KEY=VALUE,...")
    p.add_argument("--eval-data", help="held-out data, same forms")
    p.add_argument("--output-dir", help="where to save the model, tokenizer, config and metrics.json")
    p.add_argument("--label-type", choices=("hard", "soft"))
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override any config field (value parsed as YAML), repeatable")
    p.set_defaults(func=run)
