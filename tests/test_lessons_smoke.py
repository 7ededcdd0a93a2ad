"""Every lesson on the ``smoke`` profile: the whole chain runs, tables have their columns, claims are
computed from the run (not constants), the store reuses and invalidates, and the CLI reports."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from prmlib.lessons import (
    LessonRun,
    lesson1_value,
    lesson2_annotation,
    lesson3_consensus,
    lesson4_labels,
    lesson5_bon_bias,
    lesson6_scoring,
    lesson7_recipe,
    load_profile,
    noise,
    retrain,
)
from prmlib.lessons.claims import all_claims, claims_table
from prmlib.lessons.experiment import prm_title

pytestmark = pytest.mark.slow

CLAIM_IDS = ["C1_value", "C2_processbench_order", "C3_evaluations_disagree", "C4_consensus", "C5_hard_vs_soft",
             "C6_threshold", "C7_wrong_process", "C8_bon_inflation", "C9_outcome_shift", "C10_scoring",
             "C11_recipe"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lessons")


@pytest.fixture(scope="module")
def run(run_dir):
    r = LessonRun("smoke", seed=0, run_dir=run_dir, progress=False)
    r.train_all()
    return r


def test_every_prm_trained_and_scored(run):
    names = run.prm_names()
    assert {"exact", "judge", "mc_hard", "mc_soft", "consensus_hard", "consensus_soft", "prm800k_like",
            "exact_windowed"} <= set(names)
    for name in names:
        m = run.metrics(name)
        assert 0 <= m["processbench"]["avg_f1"] <= 100
        assert set(m["bon"]) >= {"product", "min", "last", "mean", "maj", "pass"}
        assert m["lowest_n"] > 0
        assert (run.model_dir(name) / "config.json").exists()
    # different label sources really give different training data
    assert len(run.label_rows("consensus_hard")[1]) < len(run.label_rows("mc_hard")[1])
    soft = run.label_rows("mc_soft")[1]["labels"]
    assert any(0 < x < 1 for row in soft for x in row)


def test_lesson_tables_have_their_columns(run):
    t1 = lesson1_value.value_table(run)
    assert list(t1.columns) == ["steps", "truly wrong", "MC precision (wrong)", "MC recall (wrong)",
                                "MC score of correct steps", "MC score of wrong steps"]
    assert list(t1.index) == run.profile.sizes.levels
    ex = lesson1_value.example(run)
    assert ex.empty or list(ex.columns) == ["step", "correct (exact)", "MC value c/K", "MC says correct (c > 0)"]
    bon = f"BoN@{run.profile.sizes.n} (product)"
    for table in (lesson2_annotation.table(run), lesson3_consensus.table(run), lesson4_labels.table(run),
                  lesson7_recipe.table(run)):
        assert {"training solutions", "ProcessBench F1", "error acc.", "correct acc.", "paper F1", bon,
                "paper BoN"} <= set(table.columns)
    t2 = lesson2_annotation.table(run)
    assert t2.loc["MC hard", "paper F1"] == 40.1 and t2.loc["LLM-as-a-judge", "paper F1"] == 46.5
    # the paper's rows, with their data sizes (its tables mix 264k to 3M labels)
    assert t2.loc["MC hard", "paper row"] == "Tables 3-4: MC Estimation (our data), 860k"
    assert lesson3_consensus.table(run).loc["MC hard", "paper row"] == "Figure 2: MC estimation (860k)"
    assert lesson4_labels.table(run).loc["MC hard", "paper row"] == "Figures 3-4: hard labels, before (3M)"
    t7 = lesson7_recipe.table(run)
    assert t7.loc["Exact labels, windowed PRM (ablation)", "paper row"] == ""  # the paper has no such PRM
    assert math.isnan(t7.loc["Exact labels, windowed PRM (ablation)", "paper F1"])
    assert list(lesson4_labels.threshold_table(run).index) == [f"{t}/{run.profile.sizes.k}"
                                                                for t in run.profile.mc["thresholds"]]
    labels = lesson4_labels.threshold_label_table(run)
    assert list(labels.index) == list(lesson4_labels.threshold_table(run).index)
    assert list(labels.columns) == ["F1 of the labels", "erroneous: first error found (%)", "correct: no error (%)",
                                    "too early (%)", "too late (%)", "missed (%)"]
    # on erroneous solutions the labels' first error is found, too early, too late or missed: 100% in all
    where = labels[["erroneous: first error found (%)", "too early (%)", "too late (%)", "missed (%)"]].sum(axis=1)
    assert ((where - 100.0).abs() < 1e-6).all()
    # a stricter threshold never calls more solutions fully correct
    assert labels["correct: no error (%)"].is_monotonic_decreasing
    routes = lesson4_labels.recovery_table(run)
    assert list(routes.columns) == ["erroneous solutions", "first wrong step called correct at t = 0 (%)",
                                    "right completions (% of K)", "correction (% of right)", "distractor (% of right)",
                                    "rounded away (% of right)", "cancels (% of right)", "second slip (% of right)"]
    erroneous = sum(s.meta["first_error"] >= 0 for s in run.train_solutions)
    assert routes.loc["all", "erroneous solutions"] == erroneous == routes["erroneous solutions"].iloc[:-1].sum()
    shares = routes.filter(like="(% of right)").dropna()
    assert ((shares.sum(axis=1) - 100.0).abs() < 1e-6).all()  # each right completion has one route
    what_if = lesson4_labels.threshold_label_what_if(run)
    assert list(what_if.columns) == ["this world", *lesson4_labels.WHAT_IF]
    levels = run.profile.sizes.levels
    assert list(what_if.index) == [*labels.index, "t = 0: first error too late or missed (%)",
                                   f"level {levels[0]}: right answers with a wrong step (%)",
                                   f"level {levels[-1]}: right answers with a wrong step (%)"]
    assert (what_if["this world"].iloc[:len(labels)] == labels["F1 of the labels"]).all()
    assert (run.root / "what-if" / "smoke" / f"seed-{run.seed}").is_dir()  # its own store, inside the run's
    prms = lesson4_labels.threshold_prm_what_if(run, thresholds=(0, 1))
    assert list(prms.index) == [f"0/{run.profile.sizes.k}", f"1/{run.profile.sizes.k}"]
    assert list(prms.columns.get_level_values(0).unique()) == ["this world", "no self-correction"]
    assert prms[("this world", "PRM ProcessBench F1")].tolist() == [
        run.metrics(n)["processbench"]["avg_f1"] for n in ("mc_hard", "mc_hard_t1")]
    assert prms[("no self-correction", "F1 of the labels")].tolist() == what_if["no self-correction"].iloc[:2].tolist()
    assert prms.notna().all().all()  # the what-if PRMs were trained and scored
    with pytest.raises(ValueError, match="subset of the profile's sweep"):
        lesson4_labels.threshold_prm_what_if(run, thresholds=(0, 5))  # 5 is not in the smoke sweep
    # the computed readings name the numbers of the tables they read
    k = run.profile.sizes.k
    note = lesson4_labels.what_if_note(run, what_if)
    for world in what_if.columns:
        gap = what_if.loc[f"1/{k}", world] - what_if.loc[f"0/{k}", world]
        assert f"{world} {gap:+.1f}" in note
    assert ("comes out ahead in none" in note) == bool((what_if.loc[f"1/{k}"] >= what_if.loc[f"0/{k}"]).all())
    reading = lesson4_labels.labels_vs_prm_note(run)
    prm_f1 = lesson4_labels.threshold_table(run)["ProcessBench F1"]
    assert f"the PRMs' at t = {prm_f1.idxmax()}" in reading
    assert f"the labels' F1 is highest at t = {labels['F1 of the labels'].idxmax()}" in reading
    ax = lesson4_labels.what_if_figure(run, what_if)
    assert [line.get_label() for line in ax.get_lines()] == list(what_if.columns)
    assert all(len(line.get_xdata()) == len(labels) for line in ax.get_lines())  # threshold rows only
    t5 = lesson5_bon_bias.wrong_process_table(run)
    assert list(t5.columns) == ["right answers", "with a wrong step", "share (%)"]
    routes5 = lesson5_bon_bias.wrong_process_routes(run)
    assert list(routes5.columns) == ["right answers with a wrong step", "correction (%)", "distractor (%)",
                                     "rounded away (%)", "cancels (%)", "second slip (%)"]
    counted = t5.loc[t5["with a wrong step"] > 0, "with a wrong step"]
    assert routes5["right answers with a wrong step"].iloc[:-1].tolist() == counted.tolist()  # the same candidates
    assert routes5.loc["all", "right answers with a wrong step"] == t5["with a wrong step"].sum()
    assert ((routes5.iloc[:, 1:].sum(axis=1) - 100.0).abs() < 1e-6).all()
    ceiling = lesson5_bon_bias.checker_ceiling_table(run)
    assert ceiling.loc["all", "problems"] == len(run.sets["bon"]) == ceiling["problems"].iloc[:-1].sum()
    assert ((ceiling.iloc[:, 1:] >= 0) & (ceiling.iloc[:, 1:] <= 100)).all().all()
    by_level = lesson5_bon_bias.bon_by_level_table(run)
    n = run.profile.sizes.n
    assert list(by_level.columns) == [f"pass@{n}", f"maj@{n}", "perfect step checker", "Exact labels (human-like)",
                                      "LLM-as-a-judge", "MC hard"]
    assert list(by_level.index) == list(ceiling.index)  # the levels, then "all"
    assert by_level.loc["all", "MC hard"] == run.metrics("mc_hard")["bon"]["product"]
    assert (by_level[f"pass@{n}"] >= by_level[f"maj@{n}"]).all()  # no selector beats pass@N
    assert (by_level.drop(columns=[f"pass@{n}"]).le(by_level[f"pass@{n}"] + 1e-9, axis=0)).all().all()
    t6 = lesson6_scoring.table(run)
    assert {"min", "product", "last", "mean", "paper min", "paper product", "paper last"} <= set(t6.columns)
    assert t6.loc["MC soft", "paper row"] == "Figure 9: MC soft labels (3M)"
    assert lesson3_consensus.filter_summary(run)["solutions"].sum() == len(run.train_solutions)


def test_claims_are_computed(run):
    claims = all_claims(run)
    assert [c.id for c in claims] == CLAIM_IDS
    table = claims_table(claims)
    assert list(table.columns) == ["lesson", "claim", "paper", "ours", "holds"]
    assert set(table["holds"]) <= {"yes", "no"}
    for c in claims:
        assert c.values and c.ours and c.paper
    # the values are the run's metrics, and each verdict is the claim's test applied to them
    by_id = {c.id: c for c in claims}
    f1 = {n: run.metrics(run.own_name(n))["processbench"]["avg_f1"] for n in ("exact", "judge", "mc_hard")}
    assert by_id["C2_processbench_order"].values == pytest.approx(f1)
    assert by_id["C2_processbench_order"].holds == (f1["exact"] > f1["judge"] > f1["mc_hard"])
    last = {n: run.metrics(run.own_name(n))["lowest_last_share"] for n in ("mc_hard", "exact", "judge")}
    assert by_id["C9_outcome_shift"].values == pytest.approx(last)
    assert by_id["C9_outcome_shift"].holds == (last["mc_hard"] > max(last["exact"], last["judge"]))
    c3 = by_id["C3_evaluations_disagree"].values
    assert c3["f1_spread"] == pytest.approx(max(f1.values()) - min(f1.values()))
    assert by_id["C3_evaluations_disagree"].holds == (c3["bon_spread"] < 0.5 * c3["f1_spread"])


def test_claims_follow_the_numbers(run, monkeypatch):
    """Flip the measured numbers and the verdicts flip with them."""
    real = run.metrics

    def fake(order):
        def metrics(name):
            m = json.loads(json.dumps(real(name)))
            m["processbench"]["avg_f1"] = order.get(name, 0.0)
            return m
        return metrics

    monkeypatch.setattr(run, "metrics", fake({"exact": 60.0, "judge": 50.0, "mc_hard": 40.0}))
    assert lesson2_annotation.claims(run)[0].holds
    monkeypatch.setattr(run, "metrics", fake({"exact": 40.0, "judge": 50.0, "mc_hard": 60.0}))
    assert not lesson2_annotation.claims(run)[0].holds
    sweep = {n: 50.0 - 5 * t for t, n in lesson4_labels.threshold_names(run)}
    monkeypatch.setattr(run, "metrics", fake(sweep))
    c6 = lesson4_labels.claims(run)[1]
    assert c6.holds and c6.ours.startswith(f"best at 0/{run.profile.sizes.k},")  # K of the profile (smoke: 4)
    monkeypatch.setattr(run, "metrics", fake({n: 50.0 + 5 * t for t, n in lesson4_labels.threshold_names(run)}))
    assert not lesson4_labels.claims(run)[1].holds


def test_rerun_reuses_everything(run, run_dir):
    again = LessonRun("smoke", seed=0, run_dir=run_dir, progress=False)
    again.train_all()
    for name in again.prm_names():
        assert again.metrics(name) == run.metrics(name)
    assert again.store.summary()["computed"] == 0


def test_changed_setting_recomputes_only_dependants(run, run_dir):
    profile = load_profile("smoke", sizes={"k": 5})
    changed = LessonRun(profile, seed=0, run_dir=run_dir, progress=False)
    assert changed._train[0] == run._train[0]  # same solutions, reused
    assert changed._mc[0] != run._mc[0]  # MC depends on K
    assert changed.label_rows("exact")[0] == run.label_rows("exact")[0]  # exact labels do not
    assert changed.label_rows("mc_hard")[0] != run.label_rows("mc_hard")[0]
    computed = changed.store.computed
    assert any(c.startswith("mc/") for c in computed) and not any(c.startswith("solutions/") for c in computed)


def test_figures_have_labelled_axes(run):
    import matplotlib

    matplotlib.use("Agg")
    for mod in (lesson1_value, lesson2_annotation, lesson4_labels, lesson5_bon_bias):
        ax = mod.figure(run)
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    # lesson 2's points carry their bootstrap intervals as error bars, around each PRM's own values
    from prmlib.lessons import noise

    ax = lesson2_annotation.figure(run)
    assert len(ax.containers) == 1  # one errorbar container
    ci = noise.intervals(run, ["exact", "mc_hard"], n_boot=100)
    for n in ci.index:
        m = run.metrics(n)
        assert ci.loc[n, "F1"] == pytest.approx(m["processbench"]["avg_f1"])
        assert ci.loc[n, "BoN"] == pytest.approx(m["bon"]["product"], abs=1e-3)
        assert ci.loc[n, "F1 low"] <= ci.loc[n, "F1"] <= ci.loc[n, "F1 high"]
    # the threshold sweep's PRMs carry theirs too, and lead the legend
    ax = lesson4_labels.figure(run)
    (sweep,) = ax.containers
    assert sweep.has_yerr
    names = [n for _, n in lesson4_labels.threshold_names(run)]
    ci = noise.intervals(run, names)
    for seg, name in zip(sweep.lines[2][0].get_segments(), names):  # one vertical bar per threshold
        assert sorted(seg[:, 1]) == pytest.approx([ci.loc[name, "F1 low"], ci.loc[name, "F1 high"]])
    assert ax.get_legend().get_texts()[0].get_text().startswith("our PRMs")


def test_scatter_figures_carry_each_prms_intervals(run):
    """Figure 7 (lesson 5) and the recipe figure (lesson 7): each point's bars are its own
    intervals, on both axes; the right-answer-wrong-step accuracy's interval is around its metric."""
    import matplotlib

    from prmlib.lessons import lesson7_recipe, noise

    matplotlib.use("Agg")
    for fig_fn, table_fn, (xcol, ycol) in (
            (lesson5_bon_bias.figure_bias, lesson5_bon_bias.bias_table, ("BoN", "extracted")),
            (lesson7_recipe.figure, lesson7_recipe.table, ("BoN", "F1"))):
        ax = fig_fn(run)
        assert ax.get_xlabel() and ax.get_ylabel() and "95%" in ax.get_title()
        t = table_fn(run)
        names = list(t["name"])
        ci = noise.intervals(run, names)
        (bars,) = ax.containers
        xsegs, ysegs = (bars.lines[2][i].get_segments() for i in (0, 1))
        assert len(xsegs) == len(ysegs) == len(names)
        for xs, ys, name in zip(xsegs, ysegs, names):
            assert sorted(xs[:, 0]) == pytest.approx([ci.loc[name, f"{xcol} low"], ci.loc[name, f"{xcol} high"]])
            assert sorted(ys[:, 1]) == pytest.approx([ci.loc[name, f"{ycol} low"], ci.loc[name, f"{ycol} high"]])
    for name in ci.index:
        ext = run.metrics(name)["extracted"]
        hits = noise.extracted_hits(run, name)
        assert len(hits) == ext["n"] and 100 * hits.mean() == pytest.approx(ext["accuracy"])
        assert ci.loc[name, "extracted low"] <= ext["accuracy"] <= ci.loc[name, "extracted high"]


def test_figure8_bars_are_each_prms_interval_over_problems(run):
    """Figure 8: each bar's height is the PRM's lowest-on-last share (the metric), its error bar the
    interval of :func:`noise.intervals` (problems resampled whole), which brackets it."""
    import matplotlib
    from matplotlib.container import BarContainer

    from prmlib.lessons import noise

    matplotlib.use("Agg")
    ax = lesson5_bon_bias.figure_outcome_shift(run)
    assert ax.get_xlabel() and ax.get_ylabel() and "95%" in ax.get_title()
    t = lesson5_bon_bias.bias_table(run)
    ci = noise.intervals(run, t["name"])
    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    segments = bars.errorbar.lines[2][0].get_segments()
    assert len(segments) == len(t)
    for rect, seg, name in zip(bars.patches, segments, t["name"]):
        share = run.metrics(name)["lowest_last_share"]
        hits, counts = noise.lowest_last_counts(run, name)
        assert counts.sum() == run.metrics(name)["lowest_n"] and 100 * hits.sum() / counts.sum() == pytest.approx(share)
        assert rect.get_height() == pytest.approx(share) == pytest.approx(ci.loc[name, "last"])
        assert sorted(seg[:, 1]) == pytest.approx([ci.loc[name, "last low"], ci.loc[name, "last high"]])
        assert ci.loc[name, "last low"] <= share <= ci.loc[name, "last high"]


def test_scatter_error_bars_follow_the_prm_names():
    """display.scatter places each row's bars by its name, whatever the interval frame's order, and
    gives a row the frame lacks no bar (NaN)."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    from prmlib.lessons import display

    t = pd.DataFrame({"name": ["a", "b", "c"], "x": [10.0, 20.0, 30.0], "y": [1.0, 2.0, 3.0]},
                     index=["A", "B", "C"])
    ci = pd.DataFrame({"x lo": [27.0, 8.0], "x hi": [31.0, 12.0], "y lo": [2.5, 0.5], "y hi": [3.5, 1.5]},
                      index=["c", "a"])  # shuffled, "b" missing
    ax = display.scatter(t, "x", "y", "x", "y", "t", interval=ci, label_points=False)
    (bars,) = ax.containers
    xsegs, ysegs = (bars.lines[2][i].get_segments() for i in (0, 1))
    assert sorted(xsegs[0][:, 0]) == [8.0, 12.0] and sorted(ysegs[2][:, 1]) == [2.5, 3.5]
    assert np.isnan(xsegs[1]).all() and np.isnan(ysegs[1]).all()
    with pytest.raises(ValueError, match="four columns"):
        display.scatter(t, "x", "y", "x", "y", "t", interval=ci.iloc[:, :2])


def test_compare_bars_error_bars_follow_the_prm_names(run):
    import matplotlib
    import numpy as np

    from prmlib.lessons import display, noise

    matplotlib.use("Agg")
    t = lesson3_consensus.table(run)
    ci = noise.intervals(run, t["name"], n_boot=100)
    interval = ci[["F1 low", "F1 high"]].iloc[::-1]  # another order than the table's: aligned by name
    ax = display.compare_bars(t, "ProcessBench F1", "paper F1", interval=interval)
    from matplotlib.container import BarContainer

    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    err = bars.errorbar
    assert err is not None
    segments = err.lines[2][0].get_segments()  # one vertical line per bar, from low to high
    for seg, name in zip(segments, t["name"]):
        assert np.allclose(sorted(seg[:, 1]), [ci.loc[name, "F1 low"], ci.loc[name, "F1 high"]])
    assert [a.get_text() for a in ax.texts][-len(t):] == [f"{v:.1f}" for v in t["ProcessBench F1"]]
    with pytest.raises(ValueError, match="two columns"):
        display.compare_bars(t, "ProcessBench F1", interval=ci)


def test_recipe_table_and_fit_note(run):
    from prmlib.lessons import display

    t = lesson7_recipe.table(run)
    assert t.loc["Consensus, hard", "paper F1"] == 66.5 and t.loc["Consensus, hard", "paper BoN"] == 67.2
    assert t.loc["LLM-as-a-judge", "paper F1"] == 46.5 and "860k" in t.loc["LLM-as-a-judge", "paper row"]
    note = lesson7_recipe.fit_note(run)
    exact = run.metrics("exact")["processbench"]["avg_f1"]
    assert f"F1 **{exact:.1f}**" in note and ("Below the bar" in note) == (exact < 80)
    import matplotlib

    matplotlib.use("Agg")
    ax = display.scatter(t, display.bon_column(t), "ProcessBench F1", "x", "y", "t", highlight="Consensus, hard")
    labels = {a.get_text().replace("\n", " ") for a in ax.texts}
    assert labels == set(t.index)  # every point labelled once
    colors = ax.collections[0].get_facecolors()
    assert len({tuple(c) for c in colors}) == 2  # the highlighted point stands out


def test_value_example_disagrees_before_the_first_error(run):
    ex = lesson1_value.example(run)
    if ex.empty:
        pytest.skip("no disagreement in the smoke run's hardest level")
    truth, mc = ex["correct (exact)"].tolist(), ex["MC says correct (c > 0)"].tolist()
    first_error = truth.index(False) if False in truth else len(truth) - 1
    assert any(t != m for t, m in zip(truth[:first_error + 1], mc[:first_error + 1]))


def test_cli_prints_claims_json(run_dir, capsys):
    from prmlib.cli import main

    assert main(["lessons", "--profile", "smoke", "--seed", "0", "--run-dir", str(run_dir), "--no-progress"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    last = json.loads(out[-1])
    assert last["profile"] == "smoke" and last["seed"] == 0 and set(last["claims"]) == set(CLAIM_IDS)
    assert all(isinstance(v["holds"], bool) for v in last["claims"].values())
    assert "holds" in "\n".join(out[:-1])


def test_cli_bad_profile(capsys):
    from prmlib.cli import main

    assert main(["lessons", "--profile", "nope"]) == 2
    assert "shipped profiles" in capsys.readouterr().err


def test_prm_table_values_are_finite(run):
    t = lesson7_recipe.table(run)
    assert isinstance(t, pd.DataFrame)
    assert all(math.isfinite(x) for x in t["ProcessBench F1"])


def test_stored_only_trains_nothing_and_marks_what_is_missing(run, run_dir, tmp_path, capsys):
    import shutil

    from prmlib.cli import main

    full = {c.id: c for c in all_claims(run)}
    copy = tmp_path / "store"
    shutil.copytree(run_dir, copy)
    part = LessonRun("smoke", seed=0, run_dir=copy, progress=False, stored_only=True)
    gone = part.store.path("prm", part.store.key("prm", part._job("mc_hard_t1")["prm_inputs"]))
    shutil.rmtree(gone)
    prms_before = sorted(p.name for p in gone.parent.iterdir())

    claims = {c.id: c for c in all_claims(part)}
    assert "not in the store" in part.skipped["mc_hard_t1"]
    assert not claims["C6_threshold"].holds and "not measured" in claims["C6_threshold"].ours
    for cid in ("C2_processbench_order", "C5_hard_vs_soft", "C9_outcome_shift"):  # their PRMs are stored
        assert claims[cid].ours == full[cid].ours and claims[cid].holds == full[cid].holds
    with pytest.raises(LookupError, match="mc_hard_t1"):
        part.scores("mc_hard_t1")
    by_level = lesson5_bon_bias.bon_by_level_table(part, names=("mc_hard_t1", "exact"))  # first PRM missing
    n = part.profile.sizes.n
    assert by_level[prm_title("mc_hard_t1", part.profile.sizes.k)].isna().all()  # "threshold 1/4" on smoke
    assert by_level[f"pass@{n}"].notna().all() and by_level["Exact labels (human-like)"].notna().all()

    assert main(["lessons", "--profile", "smoke", "--seeds", "0", "--stored-only", "--run-dir", str(copy),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    last = json.loads(out[-1])
    assert last["seeds"] == [0] and last["stored_only"] is True
    assert last["claims"]["0"]["C6_threshold"]["holds"] is False
    table = [line for line in out if line.startswith("| C6_threshold")]
    assert table and "not measured" in table[0]
    assert sorted(p.name for p in gone.parent.iterdir()) == prms_before  # nothing was trained


def test_majority_note_compares_with_the_vote(run):
    from prmlib.lessons.common import majority_note

    names = ["mc_hard", "judge", "exact"]
    text = majority_note(run, names)
    maj = run.metrics("exact")["bon"]["maj"]
    best = max(run.metrics(n)["bon"]["product"] for n in names)
    assert f"reaches **{round(maj, 1)}** (maj@4)" in text and f"reaches {round(best, 1)} (" in text
    assert ("every one of them is below it" in text) == (best < maj)
    assert "maj@8 is 66.2 (Table 6)" in text


def test_differences_table_pairs_the_claims_prms(run, run_dir):
    """Each difference is the metrics' own difference, with an interval around it; other seeds of the
    store give the same difference from their own PRMs."""
    t = noise.differences_table(run, n_boot=200)
    assert list(t.columns) == ["measure", "a", "b", "a - b", "95% low", "95% high", "beyond test-set noise",
                               "a - b, other seeds"]
    assert len(t) == 6 and t["measure"].tolist()[:2] == ["ProcessBench F1", "BoN@4 (product)"]
    m = {n: run.metrics(n) for n in ("exact", "judge", "mc_hard")}
    f1, bon = t.loc["Exact labels (human-like) - LLM-as-a-judge"].itertuples(index=False)
    assert f1[1] == pytest.approx(m["exact"]["processbench"]["avg_f1"])
    assert f1[3] == pytest.approx(m["exact"]["processbench"]["avg_f1"] - m["judge"]["processbench"]["avg_f1"])
    assert bon[3] == pytest.approx(m["exact"]["bon"]["product"] - m["judge"]["bon"]["product"], abs=1e-3)
    for r in t.itertuples(index=False):
        assert r[4] <= r[5] and r[6] == (r[4] > 0 or r[5] < 0)
    assert set(t["a - b, other seeds"]) == {"–"}  # this store holds no other seed's verdicts yet
    assert "resamples of the" in t.attrs["caption"] and "points of ProcessBench F1" in noise.resolution_note(t)
    assert noise.differences_table(run, [("exact", "no_such_prm")]).empty
    # a second seed's stored verdicts and PRMs: its difference shows up in the last column
    from prmlib.lessons import seed_claims

    other = LessonRun("smoke", seed=1, run_dir=run_dir, progress=False)
    other.train_all(["exact", "judge"])
    seed_claims.record(other.root, [{"id": "C2_processbench_order", "holds": True, "ours": "x", "paper": "p"}])
    d = other.metrics("exact")["processbench"]["avg_f1"] - other.metrics("judge")["processbench"]["avg_f1"]
    before = sorted(p.relative_to(other.root) for p in other.root.rglob("*"))
    # a third seed recorded verdicts but stored nothing else: read-only, so nothing is sampled there either
    seed_claims.record(run_dir / "smoke" / "seed-2", [{"id": "C7_wrong_process", "holds": True, "ours": "x",
                                                       "paper": "p"}])
    again = noise.differences_table(run, [("exact", "judge"), ("exact", "mc_hard")], n_boot=50)
    assert again["a - b, other seeds"].iloc[0] == f"seed 1: {d:+.1f}"
    assert again["a - b, other seeds"].iloc[2] == "–"  # mc_hard is not stored for seed 1
    assert sorted(p.relative_to(other.root) for p in other.root.rglob("*")) == before  # nothing computed there
    assert sorted(p.name for p in (run_dir / "smoke" / "seed-2").iterdir()) == ["claims.json"]


def test_retraining_changes_only_the_training_seed(run):
    """``name@seed``: the same labels and recipe, another training seed; the run's own seed is the
    lessons' PRM itself, and the tables put each PRM's values at every seed side by side."""
    assert run.metrics(f"exact@{run.seed}") == run.metrics("exact")
    again, own = run._job("exact@7")["prm_inputs"], run._job("exact")["prm_inputs"]
    assert again["labels"] == own["labels"] and again["recipe"] == own["recipe"]
    assert (again["seed"], own["seed"]) == (7, run.seed)
    t = retrain.values(run, ["exact", "judge"], train_seeds=[run.seed, 7])  # the run's seed is not trained twice
    cols = [f"training seed {run.seed} (the lessons')", "training seed 7"]
    assert list(t.columns) == ["measure", *cols, "range (max - min)"]
    f1 = t[t["measure"] == "ProcessBench F1"]
    for name in ("exact", "judge"):
        row = f1.loc[prm_title(name)]
        assert row[cols[0]] == pytest.approx(run.metrics(name)["processbench"]["avg_f1"])
        assert row[cols[1]] == pytest.approx(run.metrics(f"{name}@7")["processbench"]["avg_f1"])
        assert row["range (max - min)"] == pytest.approx(abs(row[cols[0]] - row[cols[1]]))
    d = retrain.differences(run, [("exact", "judge"), ("exact", "no_such_prm")], train_seeds=[7])
    assert len(d) == 2  # one pair (the unknown one left out), two measures
    diff = d[d["measure"] == "ProcessBench F1"].iloc[0]
    assert diff[cols[0]] == pytest.approx(f1.iloc[0][cols[0]] - f1.iloc[1][cols[0]])
    assert diff["same sign on every training seed"] == (diff[cols[0]] * diff[cols[1]] > 0)
    from prmlib.lessons.display import Skipped

    for nothing in ([], None, [run.seed]):  # no seed besides the run's: a note, and nothing trained
        assert isinstance(retrain.differences(run, [("exact", "judge")], nothing), Skipped)
        assert isinstance(retrain.values(run, ["exact"], nothing), Skipped)


def test_training_curves_come_from_each_training_run(run):
    """The loss log saved with each PRM, per training seed (about 50 entries whatever the length);
    a PRM without a log is named, not plotted."""
    import math

    import matplotlib

    from prmlib.prm.train import LOG_FILENAME, METRICS_FILENAME, read_loss_log

    matplotlib.use("Agg")
    t = retrain.curves(run, ["exact", "judge"], train_seeds=[7])
    assert list(t.columns) == ["PRM", "training seed", "step", "epoch", "loss"]
    for name in ("exact", "judge"):
        losses = []
        for seed, variant in ((run.seed, name), (7, f"{name}@7")):
            got = t[(t["PRM"] == prm_title(name)) & (t["training seed"] == seed)]
            folder = run.model_dir(variant)
            steps = json.loads((folder / METRICS_FILENAME).read_text())["global_steps"]
            every = math.ceil(steps / 50)  # the lessons log about 50 times per training
            assert got["step"].tolist() == [every * (i + 1) for i in range(steps // every)]
            assert got["loss"].tolist() == pytest.approx([e["loss"] for e in read_loss_log(folder)])
            losses.append(got["loss"].tolist())
        assert losses[0] != losses[1]  # two training runs, not one read twice
    assert not t.attrs["missing"]
    fig = retrain.figure_curves(run, ["exact", "judge"], train_seeds=[7])
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"] and fig.axes[0].get_ylabel()
    assert [x.get_text() for x in fig.legends[0].get_texts()] == [
        f"training seed {run.seed} (the lessons')", "training seed 7"]
    # per training seed: the running mean and the log as it is, in the seed's colour in every panel
    for ax, name in zip(fig.axes, ("exact", "judge")):
        smooth, raw, smooth7, raw7 = ax.get_lines()
        got = t[(t["PRM"] == prm_title(name)) & (t["training seed"] == run.seed)]
        assert raw.get_ydata().tolist() == pytest.approx(got["loss"].tolist())
        assert smooth.get_color() == raw.get_color() == "C0" and smooth7.get_color() == raw7.get_color() == "C1"
    # PRMs trained before the log was kept: named, and no figure from nothing
    from prmlib.lessons.display import Skipped

    logs = [run.model_dir(n) / LOG_FILENAME for n in ("exact@7", "exact")]
    saved = [f.read_text() for f in logs]
    try:
        logs[0].unlink()
        t = retrain.curves(run, ["exact"], train_seeds=[7])
        assert set(t["training seed"]) == {run.seed}
        assert t.attrs["missing"] == {f"{prm_title('exact')} (training seed 7)": "trained before the loss log was kept"}
        fig = retrain.figure_curves(run, ["exact"], train_seeds=[7])
        assert "Not drawn: " + prm_title("exact") in fig.texts[-1].get_text().replace("\n", " ")
        logs[1].unlink()
        assert isinstance(retrain.figure_curves(run, ["exact"], train_seeds=[7]), Skipped)
    finally:
        for f, text in zip(logs, saved):
            f.write_text(text)


def test_a_stored_prm_trains_again_bit_for_bit(run, run_dir, tmp_path):
    """benchmarks/retrain_logged.py: the store's rows, recipe and seed through the lessons' training
    call give the stored weights exactly, and the lessons' scoring gives the stored metrics."""
    from prm_testing import load_benchmark

    bench = load_benchmark("retrain_logged")
    same = bench.retrain("smoke", run.seed, str(run_dir), "judge", None, str(tmp_path))
    assert same["max_weight_difference_to_stored"] == 0.0
    assert same["f1"] == same["stored_f1"] == run.metrics("judge")["processbench"]["avg_f1"]
    assert same["bon_product"] == same["stored_bon_product"]
    with pytest.raises(ValueError, match="max_steps = 6 fixes the length"):  # smoke trains 6 steps whatever the epochs
        bench.retrain("smoke", run.seed, str(run_dir), "judge", same["epochs"] + 1, str(tmp_path))
    # the initial weights apart from the training order: the PRM's own seed for both is the stored PRM
    own = bench.retrain("smoke", run.seed, str(run_dir), "judge", None, str(tmp_path), init_seed=run.seed)
    assert own["max_weight_difference_to_stored"] == 0.0 and own["init_seed"] == run.seed
    other = bench.retrain("smoke", run.seed, str(run_dir), "judge", None, str(tmp_path), init_seed=run.seed + 1)
    assert other["max_weight_difference_to_stored"] > 0 and other["folder"] != own["folder"]
    # question 6's option: a soft PRM trained with its right steps' targets replaced (never a hard one)
    ones = bench.retrain("smoke", run.seed, str(run_dir), "consensus_soft", None, str(tmp_path), soft_targets="ones")
    assert ones["soft_targets"] == "ones" and ones["folder"].endswith("-ones")
    assert ones["max_weight_difference_to_stored"] is None and 0.0 <= ones["f1"] <= 100.0
    with pytest.raises(ValueError, match="needs a soft-label PRM"):
        bench.retrain("smoke", run.seed, str(run_dir), "judge", None, str(tmp_path), soft_targets="mean")


def test_soft_targets_are_replaced_only_on_right_steps():
    from prm_testing import load_benchmark

    bench = load_benchmark("retrain_logged")
    labels = [[0.5, 1.0, 0.0], [0.25, -100.0, 0.75], [0.0]]
    assert bench.replace_soft_targets(labels, "ones") == [[1.0, 1.0, 0.0], [1.0, -100.0, 1.0], [0.0]]
    assert bench.replace_soft_targets(labels, "mean") == [[0.625, 0.625, 0.0], [0.625, -100.0, 0.625], [0.0]]
    shuffled = bench.replace_soft_targets(labels, "shuffle", seed=3)
    right = [x for row in shuffled for x in row if x > 0]
    assert sorted(right) == [0.25, 0.5, 0.75, 1.0] and right != [0.5, 1.0, 0.25, 0.75]  # permuted, same values
    assert [row[-1] for row in shuffled[:1]] == [0.0] and shuffled[1][1] == -100.0 and shuffled[2] == [0.0]
    assert bench.replace_soft_targets(labels, "shuffle", seed=3) == shuffled  # seeded
    with pytest.raises(ValueError, match="must be one of"):
        bench.replace_soft_targets(labels, "zeros")


def test_retraining_tables_say_when_a_seed_is_missing(run, monkeypatch):
    """A retrained PRM that is not there (a stored-only run) gives NaN, never a range over fewer
    seeds or a sign that looks stable."""
    from prmlib.lessons.evaluate import missing_metrics

    real = run.metrics
    monkeypatch.setattr(run, "metrics", lambda name: missing_metrics() if name == "judge@7" else real(name))
    d = retrain.differences(run, [("exact", "judge")], train_seeds=[7])
    assert d["range (max - min)"].isna().all() and d["same sign on every training seed"].isna().all()
    v = retrain.values(run, ["judge"], train_seeds=[7])
    assert v["range (max - min)"].isna().all()


def test_one_job_per_stored_prm(run, monkeypatch):
    """"exact" and "exact@<run seed>" are one PRM: asked for together, they are trained once."""
    from prmlib.lessons import training

    seen = []
    monkeypatch.setattr(run, "_scored", lambda job: False)
    monkeypatch.setattr(training, "run_jobs", lambda jobs, **kw: seen.extend(jobs) or {})
    run.train_all(["exact", f"exact@{run.seed}", "exact@7"])
    assert len(seen) == 2 and {j["seed"] for j in seen} == {run.seed, 7}
    with pytest.raises(ValueError, match="needs K > 4"):  # smoke: K = 4
        run._job("mc_hard_t4")


def test_hidden_first_errors_counts_what_threshold_zero_calls_right():
    """Question 7's label description on four hand-made solutions (K = 8): a first wrong step that
    keeps 2 right completions is hidden (soft target 2/8); one with none is found; a too-early MC
    error hides nothing; right steps' targets are those the soft labels keep before the exact error."""
    from types import SimpleNamespace

    from prmlib.annotate.mc import MCResult, hard_labels
    from prmlib.lessons.soft_vs_hard import hidden_first_errors

    def mc(counts):
        labels = hard_labels(counts, 8)
        return MCResult(counts=counts, drawn=[8] * len(counts), k=8, threshold=0, strategy="exhaustive",
                        final_step="sample", labels=labels, first_error=len(labels) - 1 if not labels[-1] else -1,
                        rollouts=8 * len(counts), tokens=0, answer_correct=False)

    cases = [(1, [8, 2, 0]), (0, [0, 5]), (-1, [8, 4]), (2, [3, 0, 5])]  # (exact first error, MC counts)
    run = SimpleNamespace(train_solutions=[SimpleNamespace(meta={"first_error": fe}) for fe, _ in cases],
                          mc_results=[mc(c) for _, c in cases])
    out = hidden_first_errors(run)
    assert out["erroneous training solutions"] == 3
    assert out["first wrong steps called right at t = 0 (%)"] == pytest.approx(100 / 3)
    assert out["their mean soft target"] == 0.25
    assert out["right steps' mean soft target"] == pytest.approx((1.0 + 1.0 + 0.5 + 0.375 + 0.0) / 5)


def test_soft_vs_hard_what_if_sets_the_worlds_side_by_side(run):
    from prmlib.lessons import soft_vs_hard

    t = soft_vs_hard.what_if(run)
    assert list(t.index) == ["this world", "no self-correction"]
    here = t.loc["this world"]
    f1 = {n: run.metrics(n)["processbench"]["avg_f1"] for n in ("mc_hard", "mc_soft")}
    assert (here["MC hard F1"], here["MC soft F1"]) == (f1["mc_hard"], f1["mc_soft"])
    assert (t["soft - hard (F1 points)"] == t["MC soft F1"] - t["MC hard F1"]).all()
    assert here["first wrong steps called right at t = 0 (%)"] == soft_vs_hard.hidden_first_errors(run)[
        "first wrong steps called right at t = 0 (%)"]
    assert t.notna().all().all()  # the what-if world's PRMs were trained and scored
    with pytest.raises(ValueError, match="world must be one of"):
        soft_vs_hard.what_if(run, world="no such world")


def test_what_if_claims_are_every_claim_of_a_fresh_world(run, monkeypatch):
    from prmlib.lessons import claims as claims_mod
    from prmlib.lessons import common

    there = claims_mod.what_if_claims(run)
    assert [c.id for c in there] == [c.id for c in claims_mod.all_claims(run)]
    assert all(claims_mod.measured(c) for c in there)  # every PRM of the what-if world was trained
    store = run.root / "what-if" / run.profile.name / f"seed-{run.seed}"
    assert len(list((store / "prm").glob("*/DONE"))) >= len(run.prm_names())
    with pytest.raises(ValueError, match="world must be one of"):
        claims_mod.what_if_claims(run, world="no such world")
    monkeypatch.setattr(common, "synthetic_policy", lambda r: None)
    with pytest.raises(ValueError, match="no synthetic policy"):
        claims_mod.what_if_claims(run)


def test_soft_vs_hard_gaps_repeat_the_comparison_per_training_seed(run):
    from prmlib.lessons import soft_vs_hard

    t = soft_vs_hard.gaps(run, training_seeds=(run.seed, run.seed + 1))
    assert list(t.index) == [(w, s) for w in ("this world", "no self-correction") for s in (run.seed, run.seed + 1)]
    own = t.loc[("this world", run.seed)]  # the run's own training seed is the lessons' PRM
    assert (own["MC hard F1"], own["MC soft F1"]) == tuple(
        run.metrics(n)["processbench"]["avg_f1"] for n in ("mc_hard", "mc_soft"))
    again = t.loc[("this world", run.seed + 1)]
    assert again["MC hard F1"] == run.metrics(f"mc_hard@{run.seed + 1}")["processbench"]["avg_f1"]
    assert (t["soft - hard (F1 points)"] == t["MC soft F1"] - t["MC hard F1"]).all() and t.notna().all().all()
    with pytest.raises(ValueError, match="training_seeds non-empty"):
        soft_vs_hard.gaps(run, training_seeds=())
