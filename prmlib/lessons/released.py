"""The released PRMs of the paper's Tables 6-7, through the library's scoring path (notebook 08).

On a GPU profile (``gpu-small``, ``paper``) :func:`load_released` loads the real checkpoints from
the hub (``prmlib.prm.adapters.load_prm``; vLLM where the format has a pooling runner). On any other
profile it builds a tiny *random* stand-in of each release instead (:func:`build_stand_in`): the
release's input format and head, a model of a few hundred thousand random weights, saved in a
folder named like the release so that :func:`~prmlib.prm.adapters.adapter_for` picks the same
adapter as for the real model. Everything downstream (formatting, single-pass scoring,
ProcessBench F1 with the threshold tuned on GSM8K, Best-of-N) is the code the real models go
through; only the numbers are meaningless, and every table built here says so beside each number.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pandas as pd

#: the released PRMs shown: name in the paper's tables -> (adapter, hub id)
RELEASED: dict[str, tuple[str, str]] = {
    "Qwen2.5-Math-PRM-7B": ("qwen2.5-math-prm", "Qwen/Qwen2.5-Math-PRM-7B"),
    "Qwen2.5-Math-PRM-72B": ("qwen2.5-math-prm", "Qwen/Qwen2.5-Math-PRM-72B"),
    "Math-Shepherd-PRM-7B": ("math-shepherd", "peiyi9979/math-shepherd-mistral-7b-prm"),
    "Skywork-PRM-7B": ("skywork-prm", "Skywork/Skywork-o1-Open-PRM-Qwen-2.5-7B"),
    "RLHFlow-PRM-Deepseek-8B": ("rlhflow-prm", "RLHFlow/Llama3.1-8B-PRM-Deepseek-Data"),
}
#: profiles that load the real checkpoints
GPU_PROFILES = ("gpu-small", "paper")
STAND_IN = "random stand-in"
SUBSETS = ("gsm8k", "math", "olympiadbench", "omnimath")
_T6, _T7 = "lessons_table6_bon_released_prms", "lessons_table7_processbench_all"


def uses_stand_ins(profile: str) -> bool:
    """True when ``profile`` runs tiny random stand-ins instead of the real checkpoints."""
    return Path(str(profile)).stem not in GPU_PROFILES


def label(name: str, stand_in: bool) -> str:
    """Row label of one of our results: the release's name, and ``(random stand-in)`` on CPU."""
    return f"{name} ({STAND_IN})" if stand_in else f"{name} (ours)"


# -- models --------------------------------------------------------------------------------------
def build_stand_in(name: str, folder: str | os.PathLike, texts: list[str] | None = None, seed: int = 0) -> Path:
    """A tiny random model in the input format and head layout of the release ``name``, saved to
    ``folder/<the release's hub name>`` (reused when it is already there). ``texts`` train the
    byte-level tokenizer (shorter sequences on real text); the model's weights stay random.

    * Qwen2.5-Math-PRM: a 2-label token classifier, chat template, ``<extra_0>`` after each step;
    * Math-Shepherd: a causal LM read at the ``ки`` tag (``+`` against ``-``);
    * Skywork: a causal LM checkpoint with the release's value head ``v_head.summary``;
    * RLHFlow: a causal LM, one step per user turn, ``+`` against ``-`` in the reply.
    """
    import torch

    from prmlib.tiny import build_tiny_causal_lm, build_tiny_prm, build_tokenizer, save_pretrained_pair

    adapter, hub_id = RELEASED[name]
    path = Path(folder) / hub_id.split("/")[-1]
    if (path / "config.json").exists():
        return path
    tok = build_tokenizer(texts, vocab_size=1024, extra_tokens=["ки", "+", "-"], model_max_length=16384)
    size = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 16384}
    if adapter == "qwen2.5-math-prm":
        model = build_tiny_prm(tok, seed=seed, **size)
        _spread(model.score, seed)
        save_pretrained_pair(model, tok, path)
    elif adapter == "skywork-prm":
        from safetensors.torch import save_file

        lm = build_tiny_causal_lm(tok, seed=seed, **size)
        save_pretrained_pair(lm, tok, path)
        gen = torch.Generator().manual_seed(seed + 1)
        state = {k: v.contiguous() for k, v in lm.state_dict().items()}
        state["v_head.summary.weight"] = torch.randn(1, lm.config.hidden_size, generator=gen) * 0.5
        state["v_head.summary.bias"] = torch.zeros(1)
        for f in path.glob("*.safetensors"):
            f.unlink()
        save_file(state, str(path / "model.safetensors"), metadata={"format": "pt"})
    else:
        lm = build_tiny_causal_lm(tok, seed=seed, **size)
        _spread(lm.lm_head, seed)
        save_pretrained_pair(lm, tok, path)
    return path


def _spread(module, seed: int, std: float = 0.5) -> None:
    """Wider random head weights, so that a random model's step scores are not all about 0.5."""
    import torch

    gen = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        module.weight.copy_(torch.randn(module.weight.shape, generator=gen) * std)
        if getattr(module, "bias", None) is not None:
            module.bias.zero_()


def load_released(name: str, stand_in: bool, folder: str | os.PathLike | None = None,
                  texts: list[str] | None = None, seed: int = 0, **kwargs: Any):
    """A scorer for the release ``name``: the real checkpoint (``stand_in=False``; vLLM when the
    format runs on vLLM's pooling runner, else transformers) or its tiny random stand-in built in
    ``folder`` (CPU, transformers). Both go through :func:`prmlib.prm.adapters.load_prm`."""
    from prmlib.lessons.training import quiet
    from prmlib.prm.adapters import get_adapter, load_prm

    quiet()
    adapter, hub_id = RELEASED[name]
    if stand_in:
        if folder is None:
            raise ValueError("a stand-in needs a folder to be built in")
        path = build_stand_in(name, folder, texts=texts, seed=seed)
        return load_prm(str(path), device="cpu", show_progress=False, **kwargs)
    backend = "vllm" if get_adapter(adapter).vllm_pooling else "transformers"
    if backend == "transformers":
        kwargs.setdefault("show_progress", False)
    return load_prm(hub_id, backend=backend, **kwargs)


# -- ProcessBench --------------------------------------------------------------------------------
def processbench_sample(rows_per_subset: int | None, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """ProcessBench rows per subset: all of them (``None``), or a seeded sample of ``rows_per_subset``
    with as many erroneous as fully correct solutions (the subsets' own balance is close to that)."""
    from prmlib.data import load_processbench

    out = {}
    for s in SUBSETS:
        rows = load_processbench(s).to_list()
        if rows_per_subset is not None and rows_per_subset < len(rows):
            rng = random.Random(f"{seed}-{s}")
            bad = [r for r in rows if r["label"] >= 0]
            good = [r for r in rows if r["label"] < 0]
            half = rows_per_subset // 2
            rows = rng.sample(bad, min(len(bad), rows_per_subset - half)) + rng.sample(good, min(len(good), half))
        out[s] = rows
    return out


def evaluate_on_processbench(scorer, data: dict[str, list[dict[str, Any]]], name: str):
    """Step scores of every row, then ProcessBench F1 with the threshold tuned on GSM8K (the
    ProcessBench protocol); a :class:`prmlib.eval.processbench.ProcessBenchResult`."""
    from prmlib.eval.processbench import evaluate_processbench

    scores = {s: scorer.score([r["problem"] for r in rows], [r["steps"] for r in rows]) for s, rows in data.items()}
    return evaluate_processbench(data, step_scores=scores, tune_on="gsm8k", name=name)


def processbench_table(results: dict[str, Any], stand_in: bool) -> pd.DataFrame:
    """Per release: our F1 per subset and average beside Table 7's (one row each, labelled)."""
    from prmlib.eval.reference import reference_table

    paper = reference_table(_T7).set_index("Model")
    cols = ["GSM8K F1", "MATH F1", "Olym. F1", "Omni F1", "Avg. F1"]
    abbr = ("GSM8K", "MATH", "Olym.", "Omni")

    def means(row) -> dict[str, float]:
        return {"error acc. (mean)": sum(float(row[f"{a} err"]) for a in abbr) / 4,
                "correct acc. (mean)": sum(float(row[f"{a} cor"]) for a in abbr) / 4}

    rows = []
    for name, res in results.items():
        ours = res.table.iloc[0]
        rows.append({"PRM": label(name, stand_in), **{c: float(ours[c]) for c in cols}, **means(ours),
                     "threshold (tuned on GSM8K)": res.threshold})
        rows.append({"PRM": f"{name} (paper, Table 7)", **{c: float(paper.loc[name, c]) for c in cols},
                     **means(paper.loc[name]), "threshold (tuned on GSM8K)": float("nan")})
    return pd.DataFrame(rows).set_index("PRM")


# -- Best-of-N ----------------------------------------------------------------------------------
def bon_table(scorers: dict[str, Any], bon: list[dict[str, Any]], stand_in: bool, agg: str = "product") -> pd.DataFrame:
    """Best-of-N (``agg`` of the step scores) of each release on candidate sets ``bon`` (records with
    ``problem``, ``gold``, ``benchmark``, ``responses``, ``steps``), averaged over their benchmarks,
    beside Table 6's average over the seven benchmarks; maj@N and pass@N for reference."""
    from prmlib.eval.bon import best_of_n
    from prmlib.eval.reference import reference_table
    from prmlib.lessons.evaluate import bon_problems

    paper = reference_table(_T6).set_index("Setting")
    flat_p = [rec["problem"] for rec in bon for _ in rec["steps"]]
    flat_s = [st for rec in bon for st in rec["steps"]]
    rows = []
    result = None
    for name, scorer in scorers.items():
        flat = scorer.score(flat_p, flat_s)
        per, i = [], 0
        for rec in bon:
            per.append(flat[i:i + len(rec["steps"])])
            i += len(rec["steps"])
        result = best_of_n(bon_problems(bon, per), aggs=[agg])
        rows.append({"": label(name, stand_in), "Best-of-N accuracy (%)": round(result.average(f"rm:{agg}"), 4),
                     "paper, Table 6 Avg. (%)": float(paper.loc[name, "Avg."])})
    if result is not None:
        n = max(len(rec["responses"]) for rec in bon)
        rows.append({"": f"maj@{n} (our candidates) / maj@8 (paper)", "Best-of-N accuracy (%)": round(result.average("maj"), 4),
                     "paper, Table 6 Avg. (%)": float(paper.loc["maj@8", "Avg."])})
        rows.append({"": f"pass@{n} (our candidates) / pass@8 (paper)", "Best-of-N accuracy (%)": round(result.average("pass"), 4),
                     "paper, Table 6 Avg. (%)": float(paper.loc["pass@8 (Upper Bound)", "Avg."])})
    return pd.DataFrame(rows).set_index("")


def paper_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's Tables 6 (Best-of-8) and 7 (ProcessBench) rows of the releases shown here."""
    from prmlib.eval.reference import reference_table

    t6 = reference_table(_T6).set_index("Setting")
    t7 = reference_table(_T7).set_index("Model")
    names = list(RELEASED)
    t6 = t6.loc[["pass@8 (Upper Bound)", "maj@8", *names]].drop(columns=["Size"])
    t7 = t7.loc[names].drop(columns=["Group"])
    return t6, t7


def figure(pb: pd.DataFrame, stand_in: bool, ax=None):
    """Average ProcessBench F1: ours beside Table 7, one pair of bars per release."""
    from prmlib.lessons.display import compare_bars

    ours = pb[~pb.index.str.contains("paper")]
    paper = pb[pb.index.str.contains("paper")]
    t = pd.DataFrame({"ours": ours["Avg. F1"].to_numpy(), "paper": paper["Avg. F1"].to_numpy()},
                     index=[i.split(" (")[0] for i in ours.index])
    who = "random stand-ins (numbers mean nothing)" if stand_in else "ours"
    return compare_bars(t, "ours", "paper", ylabel="ProcessBench average F1 (%)",
                        title=f"Released PRMs: {who} vs Table 7", ours_label=who if stand_in else "ours",
                        paper_label="paper (Table 7)", ax=ax)


# -- what notebook 08 calls ----------------------------------------------------------------------
#: ProcessBench rows per subset when the notebook does not say (GPU profiles: all of them)
DEFAULT_ROWS = {"smoke": 4, "cpu": 10, "cpu-long": 10, "cpu-vllm": 4}
#: Best-of-N problems per level scored by the stand-ins when the notebook does not say
STAND_IN_BON_PROBLEMS = 5


class ReleasedPRMs:
    """The releases of one notebook run: scorers (real or stand-ins), ProcessBench, Best-of-N.

    Args:
        profile: the run's profile (name or path); GPU profiles load the real checkpoints.
        seed: sample and stand-in seed.
        run_dir: the run store's root; stand-ins are built in ``<run_dir>/<profile>/seed-<S>/stand_ins``.
        models: names of :data:`RELEASED` (default: all).
    """

    def __init__(self, profile: str = "cpu", seed: int = 0, run_dir: str | os.PathLike = "runs",
                 models: list[str] | None = None) -> None:
        from prmlib.lessons.profiles import load_profile

        self.profile_arg, self.seed = profile, int(seed)
        self.profile = load_profile(profile)
        self.stand_in = uses_stand_ins(self.profile.name)
        self.models = list(models or RELEASED)
        unknown = [m for m in self.models if m not in RELEASED]
        if unknown:
            raise ValueError(f"unknown released PRMs {unknown}; known: {', '.join(RELEASED)}")
        self.folder = Path(run_dir) / self.profile.name / f"seed-{self.seed}" / "stand_ins"
        self._scorers: dict[str, Any] = {}
        self.sample = ""
        self.bon_source = "no Best-of-N candidates"

    def banner(self) -> str:
        """One Markdown paragraph: stand-ins or the real checkpoints, and what that means for the numbers."""
        if self.stand_in:
            return (f"**Profile `{self.profile.name}`: random stand-ins, not the released PRMs.** Every number "
                    "computed below is noise from a tiny random model in each release's input format; the "
                    "paper's numbers are printed beside them. A GPU profile (`gpu-small`, `paper`) loads the "
                    "real checkpoints through the same cells.")
        return (f"**Profile `{self.profile.name}`: the released checkpoints, loaded from the Hugging Face hub** "
                f"({', '.join(RELEASED[m][1] for m in self.models)}).")

    def scorer(self, name: str, texts: list[str] | None = None):
        if name not in self._scorers:
            self._scorers[name] = load_released(name, self.stand_in, self.folder, texts=texts,
                                                seed=self.seed + list(RELEASED).index(name))
        return self._scorers[name]

    def rows_per_subset(self, rows: int | None) -> int | None:
        if rows is not None:
            return int(rows)
        return DEFAULT_ROWS.get(self.profile.name, 50) if self.stand_in else None

    def processbench(self, rows_per_subset: int | None = None) -> pd.DataFrame | Any:
        """Table 7 analogue (see :func:`processbench_table`), or a Skipped note without local data."""
        from prmlib.lessons.display import Skipped
        from prmlib.lessons.tour import DataTour

        tour = DataTour()
        if not tour.available:
            return Skipped(tour.reason)
        data = processbench_sample(self.rows_per_subset(rows_per_subset), self.seed)
        texts = [r["problem"] + "\n\n" + "\n\n".join(r["steps"]) for rows in data.values() for r in rows]
        results = {m: evaluate_on_processbench(self.scorer(m, texts), data, m) for m in self.models}
        n = sorted({len(rows) for rows in data.values()})
        who = "random stand-ins" if self.stand_in else "the released checkpoints"
        self.sample = (f"{who}; {'/'.join(map(str, n))} rows per subset, half with an error, seed {self.seed}"
                       if self.rows_per_subset(rows_per_subset) is not None else f"{who}; every row")
        return processbench_table(results, self.stand_in)

    def bon(self, agg: str = "product", problems_per_level: int | None = None) -> pd.DataFrame | Any:
        """Table 6 analogue on the run's Best-of-N candidates (the synthetic world's on CPU profiles):
        the first ``problems_per_level`` problems of each level (default: 5 with stand-ins, all
        with real models)."""
        from prmlib.lessons.display import Skipped
        from prmlib.lessons.experiment import LessonRun

        try:
            run = LessonRun(self.profile, seed=self.seed, run_dir=self.folder.parents[2], progress=False)
            bon = run.sets["bon"]
        except NotImplementedError as exc:
            return Skipped(f"no Best-of-N candidates for this profile yet: {exc}")
        if problems_per_level is None and self.stand_in:
            problems_per_level = STAND_IN_BON_PROBLEMS
        if problems_per_level is not None:
            seen: dict[str, int] = {}
            keep = []
            for rec in bon:
                seen[rec["benchmark"]] = seen.get(rec["benchmark"], 0) + 1
                if seen[rec["benchmark"]] <= int(problems_per_level):
                    keep.append(rec)
            bon = keep
        levels = ", ".join(map(str, run.profile.sizes.levels))
        self.bon_source = f"{len(bon)} Best-of-N problems of this run (levels {levels})"
        return bon_table({m: self.scorer(m) for m in self.models}, bon, self.stand_in, agg=agg)

    def figure(self, pb):
        """:func:`figure` of a :meth:`processbench` table (passes a Skipped note through)."""
        return figure(pb, self.stand_in) if isinstance(pb, pd.DataFrame) else pb

    def claims(self, pb) -> list:
        """With the real checkpoints: does Qwen2.5-Math-PRM-7B lead the 7B-class PRMs on ProcessBench, as
        in Table 7? Nothing with stand-ins (their numbers are noise) or without ProcessBench numbers."""
        from prmlib.lessons.common import Claim, r1

        if self.stand_in or not isinstance(pb, pd.DataFrame):
            return []
        ours = {i.split(" (")[0]: float(v) for i, v in pb[~pb.index.str.contains("paper")]["Avg. F1"].items()}
        seven = {m: v for m, v in ours.items() if m != "Qwen2.5-Math-PRM-72B"}
        if "Qwen2.5-Math-PRM-7B" not in seven or len(seven) < 2:
            return []
        best = max(seven, key=seven.get)
        paper = pd.Series({m: float(v) for m, v in pb[pb.index.str.contains("paper")]["Avg. F1"].items()
                           if not m.startswith("Qwen2.5-Math-PRM-72B")})
        return [Claim("C12_released", 8, "Qwen2.5-Math-PRM-7B has the highest average ProcessBench F1 of the "
                      "7B-class released PRMs", " > ".join(f"{i.split(' (')[0]} {v}" for i, v in
                                                           paper.sort_values(ascending=False).items()),
                      ", ".join(f"{m} {r1(v)}" for m, v in sorted(seven.items(), key=lambda kv: -kv[1])),
                      best == "Qwen2.5-Math-PRM-7B", {"f1": ours})]

    def conclusion(self, pb) -> str:
        """Markdown shown when there is no claim to check (stand-ins, or no ProcessBench numbers)."""
        if not isinstance(pb, pd.DataFrame):
            return "*No ProcessBench numbers here (no local data), so nothing to conclude.*"
        ours = pb[~pb.index.str.contains("paper")]["Avg. F1"]
        paper = pb[pb.index.str.contains("paper")]["Avg. F1"]
        best_paper = paper.idxmax().split(" (")[0]
        text = ", ".join(f"{i.split(' (')[0]} {v:.1f}" for i, v in ours.items())
        if self.stand_in:
            return (f"**Nothing to conclude about the releases here.** The random stand-ins' average F1 "
                    f"({text}; random stand-ins) only shows that each release's format runs end to end through "
                    f"the library. In the paper the best is {best_paper} ({paper.max():.1f}, Table 7).")
        return f"Average ProcessBench F1: {text}."
