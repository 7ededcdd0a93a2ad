"""Write the lesson notebooks (``NN_name.ipynb``) from the cell texts below, without outputs.

    python notebooks/_build.py          # rewrite every notebook
    python notebooks/_build.py --check  # exit 1 when a notebook differs from what this script writes

The notebooks are the source users open; this script keeps their structure uniform (one
``parameters`` cell, deterministic cell ids, no outputs). Edit a notebook here, or edit it in
JupyterLab and port the change back; ``make strip`` removes outputs either way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

RUN_PARAMS = '''profile = "cpu"      # smoke (toy sizes, numbers mean nothing), cpu (the reported run), gpu-small / paper
seed = 0
run_dir = "../runs"  # root of the run store (prmlib run passes its own)'''


def md(text: str) -> dict:
    return new_markdown_cell(text.strip("\n"))


def code(text: str, tags: tuple[str, ...] = ()) -> dict:
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def params(extra: str = "") -> dict:
    return code(RUN_PARAMS + ("\n" + extra.strip("\n") if extra.strip() else ""), tags=("parameters",))


NOTEBOOKS: dict[str, list[dict]] = {}

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["00_data_tour"] = [
    md("""
# 00 · The data: ProcessBench, PRM800K and the Best-of-N benchmarks

The paper judges PRMs on two kinds of data: **ProcessBench** (Zheng et al., 2024), 3,400 solutions
in four subsets (GSM8K 400, MATH 1,000, OlympiadBench 1,000, Omni-MATH 1,000) with the human-labelled
index of their first wrong step, and **Best-of-N** on seven maths benchmarks. Its human-labelled
training data is **PRM800K** (ratings +1 / 0 / -1 per step).

Two facts about this data carry a lesson by themselves. Among ProcessBench solutions whose final
answer is right, many still contain a wrong step, and more so on harder subsets: 3.5% (GSM8K),
18.8% (MATH), 32.2% (OlympiadBench), 51.8% (Omni-MATH) (ProcessBench, Table 2). Those solutions are
the Lessons paper's "extracted ProcessBench" of Table 5: 7 / 94 / 161 / 259 rows.

This notebook reads the local copy named by `PRMLIB_DATA_DIR` (layout in `data/README.md`); when it
is not set, it says so and skips every section.
"""),
    params('''data_dir = None                  # None: read $PRMLIB_DATA_DIR
prm800k_split = "phase1_test"    # or "phase1_train_plus" (the paper's training data; slower to load)
max_step = 15                    # first-error histogram: steps beyond this are pooled'''),
    code('''from prmlib.lessons import display as d
from prmlib.lessons.tour import DataTour

d.setup()
tour = DataTour(data_dir)
d.note(tour.status())'''),
    md("""
## ProcessBench: what is in it

About half of each subset reaches the right final answer, and the share of solutions with a wrong
step grows from GSM8K to Omni-MATH (columns "with an error" and "right final answer"). The
solutions were written by twelve open models of the Qwen2, Qwen2.5, Llama 3 and Llama 3.1 families.
"""),
    code('''d.show(tour.composition(), "ProcessBench per subset")
d.show(tour.generators(), "Solutions per generator and subset; share with an error")'''),
    md("""
## Where the first error sits

ProcessBench asks for the *index* of the first wrong step, so where errors sit matters: a predictor
that always names step 0 already gets some of them right.
"""),
    code('''d.show_figure(tour.first_error_figure(max_step))
d.show(tour.first_errors(), "First wrong step, per subset",
       formats={"mean relative position (0 = first step, 1 = last)": "{:.2f}"})'''),
    md("""
## Right answer, wrong process

A solution can reach the right final answer through a wrong step. Best-of-N only checks the final
answer, so it rewards such solutions; this is the root of lesson 5. ProcessBench's Table 2 counts
3.5 / 18.8 / 32.2 / 51.8%; the Lessons paper's Figure 6 measures the same on its own policy's
responses (5.1 / 11.9 / 27.4 / 43.4%).
"""),
    code('''d.show(tour.wrong_process(), "Right final answers that contain a wrong step")'''),
    md("""
## The Table 5 subset and its trivial baselines

The Lessons paper's Table 5 scores PRMs only on those right-answer-wrong-step solutions. A judge that
reads only the final answer calls every one of them correct, so it scores 0 there by construction.
"""),
    code('''d.show(tour.extracted(), "Right answer, wrong step: rows per subset and trivial predictors' accuracy (%)")'''),
    md("""
## PRM800K: the human ratings

Steps on the chosen path of each labelling episode are rated +1; the rated alternatives carry the
full distribution. The paper's PRM800K baseline counts +1 and 0 as correct and -1 as wrong.
"""),
    code('''d.show(tour.prm800k_ratings(prm800k_split), "PRM800K step ratings")'''),
    md("""
## The seven Best-of-N benchmarks

The paper samples 8 solutions per problem from Qwen2.5-Math-7B-Instruct on each benchmark and
reports the accuracy of the PRM's pick; "Avg." is the plain mean of the seven.
"""),
    code('''d.show(tour.bon_benchmarks(), "The paper's Best-of-N benchmarks")'''),
    md("## Conclusion"),
    code('''d.conclusion(tour.claims(), empty="*Nothing checked: there is no local data here.*")'''),
    md("""
## Try this

- Set `prm800k_split = "phase1_train_plus"` (the data the paper trains its PRM800K baseline on) and
  rerun: does the share of -1 ratings among the rated alternatives stay about the same?
- Set `max_step = 30`: the long tail of OlympiadBench and Omni-MATH solutions shows up; compare it
  with the "steps (max)" column of the first table.
- In the generator table, compare the error share of the Qwen2.5-Math models with the general
  instruct models of the same size: which writes fewer wrong steps?
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["01_prm_vs_value_model"] = [
    md("""
# 01 · A PRM is not a value model

**The lesson.** Monte Carlo (MC) estimation labels a step by sampling K completions that continue
from it and counting how many reach the right answer. That count says how likely the policy is to
still succeed from there: a *value*, not whether the step itself is right. On a hard problem a
correct step gets a low MC score (the policy fails later anyway); a wrong step the policy recovers
from gets a high one. The paper makes this point in words; its cost shows in its Table 2: PRMs
trained on MC labels (3M) reach 40.2 average ProcessBench F1, the human-labelled PRM800K model
(264k) 56.5.

**Here.** In the synthetic world every step's truth is known exactly, so each MC label can be put
beside the truth, level by level (level 1 = easiest).
"""),
    params('''k = None                         # MC completions per step (None: the profile's; 8 on cpu)
train_problems_per_level = None  # training problems per level (None: the profile's)
example_level = None             # level of the example solution (None: the hardest)'''),
    code('''from prmlib.lessons import display as d, lesson1_value

d.setup()
run = d.open_run(profile, seed, run_dir, train=False, k=k, train_problems_per_level=train_problems_per_level)'''),
    md("""
## MC labels against the truth, by difficulty

"Wrong" is the positive class. *Precision*: of the steps MC calls wrong (none of the K completions
right), the share that are wrong. *Recall*: of the wrong steps, the share MC calls wrong. The last
two columns are the mean MC score c/K of correct and of wrong steps (steps up to each solution's
first error).
"""),
    code('''d.show(lesson1_value.value_table(run), "MC hard labels (threshold 0) against the exact step labels",
       formats={"MC score of correct steps": "{:.2f}", "MC score of wrong steps": "{:.2f}"})
d.show_figure(lesson1_value.figure(run))'''),
    md("""
## One solution, step by step

A training solution from a hard level where MC and the truth disagree on at least one step up to
its first error. `correct (exact)` follows the PRM labels' convention: every step from the first
error on counts as wrong (training labels stop there). `MC says correct` is the hard label at
threshold 0: at least one of the K completions from that step reaches the right answer.
"""),
    code('''d.show(lesson1_value.example(run, example_level), "One solution: MC value and truth per step",
       formats={"MC value c/K": "{:.2f}"})'''),
    md("## Conclusion"),
    code('''d.conclusion(lesson1_value.claims(run), run)'''),
    md("""
## Try this

- `k = 16`: more rollouts per step. Does recall at the hardest level rise, and does the mean MC
  score of *correct* steps there stay low? If both, more sampling estimates the value better
  without turning it into correctness.
- `k = 2`: fewer rollouts. What happens to precision at the easy levels and to recall? Count how
  many wrong steps slip through as "right".
- `example_level = 1`: an easy-level example, where MC and the truth mostly agree.
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["02_annotation_methods"] = [
    md("""
# 02 · Annotation methods: MC, LLM-as-a-judge, humans

**The lesson.** PRMs trained from the same base model on labels from MC estimation, an LLM judge
or humans look alike in Best-of-N: 65.9 / 65.3 / 64.9 average accuracy over seven benchmarks
(paper, Table 3). On ProcessBench they do not: human > judge > MC, 56.5 > 46.5 > 40.1 average F1
(Table 4). The two evaluations disagree, and MC data is the weakest at finding wrong steps.

**Here.** Four PRMs of the same tiny base and recipe: MC hard labels, the (noisy, synthetic) judge,
exact labels (the ideal human annotator) and a PRM800K-like row: exact labels on another, weaker
policy's solutions at one third of the size (PRM800K is another model's solutions and 264k labels
against 860k MC labels, so the paper's human row mixes label quality with data size and source).
"""),
    params('''k = None                         # MC completions per step (None: the profile's)
n = None                         # Best-of-N candidates per problem (None: the profile's)
train_problems_per_level = None  # training problems per level (None: the profile's)
retrain_seeds = []               # train these PRMs again with these training seeds, e.g. [1, 2] (one more training each)'''),
    code('''from prmlib.lessons import common, display as d, lesson2_annotation, noise, retrain
from prmlib.eval.reference import reference_table

d.setup()
run = d.open_run(profile, seed, run_dir, k=k, n=n, train_problems_per_level=train_problems_per_level)'''),
    md("## The paper's Tables 3 and 4 (averages)"),
    code('''d.show(reference_table("lessons_table3_bon_by_annotation_method")[["Setting", "# samples", "Avg."]],
       "Paper, Table 3: Best-of-8 accuracy (%), average of seven benchmarks", index=False)
d.show(reference_table("lessons_table4_processbench_by_annotation_method")[["Method", "# samples", "Avg. F1"]],
       "Paper, Table 4: ProcessBench average F1 (%)", index=False)'''),
    md("""
## Our PRMs on both evaluations

ProcessBench-style F1 on the synthetic test set (threshold tuned on a validation set, mean of the
per-level F1s) and Best-of-N accuracy with the product of step scores, the paper's numbers beside
(`paper row` names the paper's PRM and its data size). *error acc.*: on erroneous solutions, the
share whose first error the PRM finds at exactly the right step; *correct acc.*: on fully correct
solutions, the share it flags nowhere. Both columns are means over the levels, and F1 is the mean
of each level's harmonic mean of the two, so it is not the harmonic mean of the two columns.
"""),
    code('''t = lesson2_annotation.table(run)
d.show(t, "Same base and recipe, four label sources")
d.note(common.majority_note(run, t["name"]))
d.show_figure(lesson2_annotation.figure(run))'''),
    md("""
## Larger than test-set noise?

The numbers above come from one test set (its size is in the caption below) and one training run
per PRM. Each difference here comes with a 95% interval from resampling the test rows and Best-of-N
problems within each level, the same resample for both PRMs and each PRM's threshold held where the
validation set put it. *Beyond test-set noise* means the interval excludes 0. The interval leaves
out what a new seed changes (training data, labels, training run and test set); the last column
shows that: the same difference on the other seeds this store holds.
"""),
    code('''diffs = noise.differences_table(run)
d.show(diffs, diffs.attrs["caption"])
d.note(noise.resolution_note(diffs))'''),
    md("""
## The same labels, trained again

How much of that is the training run alone? With `retrain_seeds` set, each PRM is trained again on
exactly the same labelled rows, with only the training seed changed (initialisation, which right
steps are sampled into rows, batch order), and scored on the same sets. On `cpu` each retraining
takes about 100 s, two at a time; docs/lessons.md has the result on cpu seeds 0-2 for every pair
of the noise tables.
"""),
    code('''d.show(retrain.differences(run, noise.LESSON2_PAIRS, retrain_seeds))'''),
    md("""
Each training run's loss, logged with the model: whether a run is still learning when its budget
ends, and how far apart two seeds' runs are. A small gap here can be a large one in F1: consensus
soft's failed runs on `cpu` ended only about 0.05 nats above the runs that worked (docs/lessons.md).
"""),
    code('''d.show_figure(retrain.figure_curves(run, ["exact", "judge", "mc_hard"], retrain_seeds))'''),
    md("## Conclusion"),
    code('''d.conclusion(lesson2_annotation.claims(run), run)'''),
    md("""
## Try this

- `k = 16`: better MC estimates. Does the MC row's F1 move towards the judge's, and how far apart
  are the four in Best-of-N, compared with their F1 spread? (Retrains the MC-based PRMs: minutes on
  `cpu`.)
- `n = 4`: fewer Best-of-N candidates. Does the accuracy spread between label sources shrink?
  Compare it with the F1 spread.
- `train_problems_per_level = 300`: half the data for every source. Which ordering survives?
- `retrain_seeds = [1, 2]`: the same labels trained twice more. Does exact - judge keep its sign?
"""),
]

def noise_cells(pairs: str) -> list:
    """The "Larger than test-set noise?" section of notebooks 03, 04 and 07 (notebook 02 explains it)."""
    return [
        md("""## Larger than test-set noise?

The differences behind this lesson's claim, each with its 95% paired bootstrap interval over the
test rows and Best-of-N problems, and the same difference on the other seeds this store holds
(notebook 02 explains both)."""),
        code(f'''diffs = noise.differences_table(run, noise.{pairs})
d.show(diffs, diffs.attrs["caption"])
d.note(noise.resolution_note(diffs))'''),
    ]


# -----------------------------------------------------------------------------------------------
NOTEBOOKS["03_consensus_filtering"] = [
    md("""
# 03 · Consensus filtering

**The lesson.** Keep a training solution only when MC estimation and the LLM judge agree on where
its first error is (or agree it has none). In the paper this kept about 40% of the data (860k ->
350k solutions) and the PRM trained on it reached 46.3 average ProcessBench F1, level with the
judge-trained PRM (46.5) and above MC alone (40.1), with Best-of-8 unchanged (65.7 vs 65.9 / 65.3)
(Figure 2).

**Here.** The same filter on the synthetic training solutions, MC hard labels (threshold 0) of the
kept ones, the same recipe.
"""),
    params('''k = None                         # MC completions per step (None: the profile's)
train_problems_per_level = None  # training problems per level (None: the profile's)'''),
    code('''from prmlib.lessons import display as d, lesson3_consensus, noise

d.setup()
run = d.open_run(profile, seed, run_dir, k=k, train_problems_per_level=train_problems_per_level)'''),
    md("## What the filter keeps"),
    code('''d.note(f"Kept **{lesson3_consensus.kept_share(run):.1f}%** of {len(run.train_solutions)} training solutions "
       "(paper: about 40%, 860k -> 350k).")
d.show(lesson3_consensus.filter_summary(run), "Why training solutions were kept or dropped")'''),
    md("## Figure 2: MC, judge and consensus on both evaluations"),
    md("""Our Best-of-N and the paper's are on different problems: the paper's on seven real benchmarks
(pass@8 74.7, maj@8 66.2, Table 1), ours on the synthetic levels, whose pass@N and maj@N are in
notebook 05. Compare the order of the bars, not their heights."""),
    code('''t = lesson3_consensus.table(run)
d.show(t, "MC, judge and consensus-filtered PRMs (the paper's Figure 2 beside)")
ci = noise.intervals(run, t["name"])  # 95% bootstrap intervals over the test rows / Best-of-N problems
d.show_figure(d.compare_bars(t, "ProcessBench F1", "paper F1", ylabel="ProcessBench-style F1 (%)",
                             xlabel="training labels", title="Figure 2: consensus filtering, ProcessBench",
                             ours_label="ours (95% test-set interval)", interval=ci[["F1 low", "F1 high"]]))
d.show_figure(d.compare_bars(t, d.bon_column(t), "paper BoN", ylabel="Best-of-N accuracy (%)",
                             xlabel="training labels", title="Figure 2: consensus filtering, Best-of-N",
                             ours_label="ours (95% test-set interval)", interval=ci[["BoN low", "BoN high"]]))'''),
    *noise_cells("LESSON3_PAIRS"),
    md("## Conclusion"),
    code('''d.conclusion(lesson3_consensus.claims(run), run)'''),
    md("""
## Try this

- `k = 4`: noisier MC labels. Does the filter drop more solutions, and does the consensus PRM
  still beat MC alone?
- `train_problems_per_level = 1200`: twice the data, so the filtered set is about as large as (or
  larger than) today's
  unfiltered one. Is it the cleaner labels or the smaller set that matters? (Slower: every PRM
  retrains.)
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["04_hard_vs_soft_labels"] = [
    md("""
# 04 · Hard or soft labels, and the hard-label threshold

**The lesson.** MC estimation gives each step a fraction c/K of right completions. Trained as a
soft target or as a hard label ("correct iff at least one completion is right"), the PRMs are the
same before filtering (ProcessBench F1 40.2 / 40.2 in Figure 4, Best-of-8 65.4 / 65.4 in Figure 3; Table 1
gives 65.5 / 64.4 for the same two PRMs), but after consensus
filtering hard labels win clearly: 66.5 vs 49.3 F1 and 67.2 vs 65.4 Best-of-8 (Figures 3 and 4).
The best hard threshold is the loosest one: F1 falls from 40.2 at threshold 0 to 29.5 at 7/8
(Figure 5).

**Here.** Hard and soft labels of the same MC counts, before and after consensus filtering, and a
sweep of the hard-label threshold t (a step is positive iff more than t of its K completions are
right).
"""),
    params('''k = None                         # MC completions per step (None: the profile's)
thresholds = None                # hard-label thresholds of the sweep, e.g. [0, 2, 4, 6] (None: the profile's)
train_problems_per_level = None  # training problems per level (None: the profile's)
retrain_seeds = []               # train the four PRMs again with these training seeds, e.g. [1, 2]'''),
    code('''from prmlib.lessons import display as d, lesson4_labels, noise, retrain, soft_vs_hard

d.setup()
run = d.open_run(profile, seed, run_dir, k=k, thresholds=thresholds, train_problems_per_level=train_problems_per_level)'''),
    md("## Figures 3 and 4: hard vs soft, before and after filtering"),
    md("""Our Best-of-N and the paper's are on different problems: the paper's on seven real benchmarks
(pass@8 74.7, maj@8 66.2, Table 1), ours on the synthetic levels, whose pass@N and maj@N are in
notebook 05. Compare the order of the bars, not their heights."""),
    code('''t = lesson4_labels.table(run)
d.show(t, "Hard and soft MC labels, before and after consensus filtering")
ci = noise.intervals(run, t["name"])  # 95% bootstrap intervals over the test rows / Best-of-N problems
d.show_figure(d.compare_bars(t, "ProcessBench F1", "paper F1", ylabel="ProcessBench-style F1 (%)",
                             xlabel="training labels", title="Figure 4: hard vs soft labels, ProcessBench",
                             ours_label="ours (95% test-set interval)", interval=ci[["F1 low", "F1 high"]]))
d.show_figure(d.compare_bars(t, d.bon_column(t), "paper BoN", ylabel="Best-of-N accuracy (%)",
                             xlabel="training labels", title="Figure 3: hard vs soft labels, Best-of-N",
                             ours_label="ours (95% test-set interval)", interval=ci[["BoN low", "BoN high"]]))'''),
    *noise_cells("LESSON4_PAIRS"),
    md("""
Before filtering, the paper's hard and soft PRMs are level. Where they are not, look at what the two
kinds of label say about a first wrong step. At threshold 0 the hard label calls it right as soon as
one of its K completions reaches the answer; its soft target is c/K, however small. The table counts
the first wrong steps of the training solutions that threshold 0 calls right, and the soft targets
those steps and the right steps get instead (labels only, no PRM).
"""),
    code('''d.show(soft_vs_hard.table(run), "First wrong steps that the threshold-0 labels call right, and their soft targets", digits=2)'''),
    md("""
How the four trainings went: each PRM's training loss, logged with the model. Hard labels are
trained with cross-entropy, soft ones with binary cross-entropy against c/K, which cannot fall below
the targets' own entropy, so compare the shape of a curve, not its height across panels. On `cpu`
seeds 0 and 2, consensus soft's F1 collapsed in a run whose loss fell more slowly than other runs
on the same labels (docs/lessons.md, "Why consensus soft fails with training seed 0"). Such a run
learns the difficulty that c/K tracks instead of the step checks. With the right steps' targets
shuffled among them, or set to their mean, every one of those trainings works (question 6 there).
"""),
    code('''d.show_figure(retrain.figure_curves(run, ["mc_hard", "mc_soft", "consensus_hard", "consensus_soft"], retrain_seeds))'''),
    md("""
With `retrain_seeds` set, the four PRMs are trained again on exactly the same rows with other
training seeds (initialisation, batch order), and the differences of C5 are read for each training
run: whether "hard level with soft before filtering" and "hard above soft after filtering" survive
a retraining. On `cpu` seeds 0-2 (docs/lessons.md), consensus soft failed in 2 of 9 training runs,
so C5's verdict there depends on the run.
"""),
    code('''d.show(retrain.differences(run, noise.LESSON4_PAIRS, retrain_seeds))'''),
    md("## Figure 5: the hard-label threshold"),
    code('''d.show(lesson4_labels.threshold_table(run), "Hard-label threshold sweep (unfiltered MC data)")
d.show_figure(lesson4_labels.figure(run))'''),
    md("""The labels themselves, before any PRM: each training solution's MC first error at threshold t,
scored against the exact first error like a PRM on ProcessBench. Where a wrong step still leaves
the policy a completion that reaches the answer, threshold 0 puts the error too late or misses it;
higher thresholds start flagging right steps (too early). If the PRM's F1 above follows this
table, the sweep's shape comes from the labels, not from training."""),
    code('''d.show(lesson4_labels.threshold_label_table(run),
       "MC first errors per threshold against the exact ones (training solutions, no PRM)")
d.note(lesson4_labels.labels_vs_prm_note(run))'''),
    md("""Why a wrong step keeps a right completion: K fresh completions after each erroneous training
solution's first wrong step, and the route by which those that reach the answer got there. The
policy may notice its mistake and write a `Wait, ...` correction; the wrong step may compute
someone the question does not need (a distractor); a later division made inexact by the wrong
value may round it away; the error may cancel in the chain; or a second slip may land back on the
true value. Rows are the kinds of first error the policy makes: *arithmetic* (a result off by a few
units), *operation* (the relation misread: another operation, computed right) and *value* (an operand
that is another person's count or another number of the problem)."""),
    code('''d.show(lesson4_labels.recovery_table(run),
       "Completions after the first wrong step: how the right ones got there (training solutions)")'''),
    md("""A what-if, to test that reading: the same profile and seed with a policy that never corrects
itself, and with one that has no way back at all (no correction, no compensating slip, distractors
always skipped). Fresh solutions and MC labels are sampled for each; no PRM is trained. If
self-correction is why threshold 0 trails 1/8, the gap should shrink or reverse. In the table,
the row *t = 0: first error too late or missed* is a share of each world's erroneous training
solutions, and the last two rows count each what-if world's own fresh training solutions."""),
    code('''what_if = lesson4_labels.threshold_label_what_if(run)
d.show(what_if, "F1 of the MC labels per threshold: this world and policies that recover less (no PRM)")
d.note(lesson4_labels.what_if_note(run, what_if))
d.show_figure(lesson4_labels.what_if_figure(run, what_if))'''),
    md("## Conclusion"),
    code('''d.conclusion(lesson4_labels.claims(run), run)'''),
    md("""
## Try this

- `thresholds = [0, 2, 4, 6]`: a coarser sweep, four PRMs fewer to train. Is the ranking the same?
- `k = 16` with `thresholds = [0, 4, 8, 12]`: with more completions per step the soft labels carry
  more information. Does soft catch up with hard after filtering?
- `lesson4_labels.threshold_prm_what_if(run)` trains the threshold-0 and 1/8 PRMs in the world whose
  policy never corrects itself (two more trainings). Do the PRMs follow their labels there too?
- `soft_vs_hard.what_if(run)` trains MC hard and MC soft in that same world (two more trainings):
  with fewer first wrong steps hidden by threshold 0, does soft's lead over hard shrink? On `cpu`
  seeds 0-2 (docs/lessons.md, question 7) it went from 16.6 / 6.0 / 11.2 F1 points to -4.7 / 0.0 / 3.1.
- `retrain_seeds = [1, 2]`: the four PRMs trained twice more on the same rows (eight trainings, about
  50-100 s each on `cpu`, two at a time). Does consensus soft fail in one of them, and where does C5 go?
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["05_bon_bias"] = [
    md("""
# 05 · Best-of-N is a biased way to judge PRMs

**The lesson.** A policy often reaches the right answer through a wrong step, and more often on
harder problems: 5.1% (GSM8K), 11.9% (MATH), 27.4% (OlympiadBench), 43.4% (Omni-MATH) of
Qwen2.5-Math-7B-Instruct's right answers (Figure 6). Best-of-N only sees the answer, so a PRM that
misses those wrong steps loses nothing there: PRMs with about the same Best-of-8 accuracy differ
widely at finding the first error of right-answer-wrong-step solutions (Figure 7, on Table 5's subset: MC
22.2 vs human 38.2). PRMs tuned for Best-of-N drift towards outcome models: their lowest step score sits
on the last step far more often (Figure 8: over 40% for several public PRMs).
"""),
    params('''n = None                         # Best-of-N candidates per problem (None: the profile's)
bon_problems_per_level = None    # Best-of-N problems per level (None: the profile's)
k = None                         # MC completions per step (None: the profile's)'''),
    code('''from prmlib.lessons import display as d, lesson5_bon_bias
from prmlib.eval.reference import reference_table

d.setup()
run = d.open_run(profile, seed, run_dir, n=n, bon_problems_per_level=bon_problems_per_level, k=k)'''),
    md("## Figure 6: right answers through wrong steps, by difficulty"),
    code('''d.show(lesson5_bon_bias.wrong_process_table(run), "Best-of-N candidates with a right final answer, per level")
d.show_figure(lesson5_bon_bias.figure(run))'''),
    md("""How those candidates reached the right answer past their wrong step (the synthetic policy's
routes, read from each candidate's own text). A step that a later `Wait, ...` corrects still counts as
the solution's first wrong step here: it was written wrong."""),
    code('''d.show(lesson5_bon_bias.wrong_process_routes(run), "Right answers through a wrong step: by which route (%)")'''),
    md("""
## Figure 7 and Table 5: Best-of-N against the right-answer-wrong-step rows

For each PRM: Best-of-N accuracy, and the accuracy of its predicted first error on the test rows
whose final answer is right but which contain a wrong step.
"""),
    code('''b = lesson5_bon_bias.bias_table(run)
d.show(b, "Best-of-N and the right-answer-wrong-step rows, per PRM", labels={"rows": "right-answer-wrong-step rows"})
d.show_figure(lesson5_bon_bias.figure_bias(run))
d.show(reference_table("lessons_fig7_bon_vs_extracted_processbench"), "Paper, Figure 7", index=False)'''),
    md("""
### How high can Best-of-N go for a perfect step checker?

BoN can only hide the label source if a PRM that checks steps well gains little from it. The table
below asks what a perfect step checker would score: pick a candidate with no wrong step when there
is one, else the one whose first wrong step comes latest. In the synthetic world a candidate with
no wrong step has the right answer (column "all-right candidates with the right answer"), so this
ceiling is about the share of problems with at least one clean candidate. When it sits far above
the MC PRM's Best-of-N, a PRM that checks steps *well* would win at Best-of-N too, and the two
evaluations would agree, as they do in this project's `cpu-long` profile, whose PRMs train about ten
times longer and reach F1 85-92 on exact labels (docs/lessons.md). A PRM far from a perfect checker
need not: compare the exact PRM's "first error found" above, and notebook 07's note on how well this
run's PRM learns exact labels.
Real policies' candidates carry no exact step labels, so the table is skipped there.
"""),
    code('''d.show(lesson5_bon_bias.checker_ceiling_table(run), "Best-of-N for a perfect step checker, per level")'''),
    md("""Best-of-N per level, for the perfect step checker and for the PRMs, beside pass@N (a right
answer among the N candidates: what no selector can beat) and maj@N (the most frequent answer, no
PRM). Where a PRM falls below majority voting it picks wrong answers that most candidates avoid; where the checker gets no
clean candidate (the hardest level) a PRM can beat it by preferring a right answer with a wrong step."""),
    code('''d.show(lesson5_bon_bias.bon_by_level_table(run), "Best-of-N accuracy (%) per level")'''),
    md("## Figure 8: where the lowest step score sits"),
    code('''d.show_figure(lesson5_bon_bias.figure_outcome_shift(run))
d.show(reference_table("lessons_fig8_min_score_at_last_step").rename(columns={"%": "lowest score on the last step (%)"}),
       "Paper, Figure 8 (public PRMs)", index=False)'''),
    md("## Conclusion"),
    code('''d.conclusion(lesson5_bon_bias.claims(run), run)'''),
    md("""
## Try this

- `n = 16`: more candidates per problem. How far are the PRMs' Best-of-N accuracies from pass@N
  now? The right-answer-wrong-step accuracies are read from the test set, not from the candidates,
  so they stay as they are.
- `bon_problems_per_level = 120`: more Best-of-N problems make the per-level shares of Figure 6
  steadier; does the trend with difficulty stay monotone?
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["06_scoring_strategies"] = [
    md("""
# 06 · Scoring strategies: product, min, last, mean

**The lesson.** A PRM gives one score per step; Best-of-N needs one per solution. For PRMs trained
on MC labels the last step's score alone works best (66.7 vs 65.9 product and 64.1 min): an MC
label is a value estimate, and the last step's value is the chance that the whole solution is
right. For PRMs trained on human or judge labels, min or product is as good or better (PRM800K:
min 65.6 vs last 64.7) (Figure 9, Table 13).
"""),
    params('''n = None                         # Best-of-N candidates per problem (None: the profile's)
k = None                         # MC completions per step (None: the profile's)'''),
    code('''from prmlib.lessons import display as d, lesson6_scoring
from prmlib.eval import plots
from prmlib.eval.reference import reference_table

d.setup()
run = d.open_run(profile, seed, run_dir, n=n, k=k)'''),
    md("""## Best-of-N by scoring strategy

`majority vote` is maj@N: the most frequent final answer among the N candidates, no PRM involved
(the same for every row). In the paper maj@8 is 66.2 (Table 1), level with its PRMs (64-68). A PRM
whose pick falls below it chooses wrong answers that most candidates avoid (notebook 05 shows it
per level)."""),
    code('''t = lesson6_scoring.table(run)
d.show(t, "Best-of-N accuracy (%) by scoring strategy, per PRM (paper's Figure 9 beside)",
       labels={"maj": "majority vote"})
d.show_figure(plots.plot_scoring_strategies(t[["min", "product", "last", "mean"]],
                                            title="Figure 9: Best-of-N by scoring strategy"))'''),
    md("## The paper's Figure 9"),
    code('''d.show(reference_table("lessons_fig9_scoring_strategy"), "Paper, Figure 9: Best-of-8 accuracy (%)", index=False)'''),
    md("## Conclusion"),
    code('''d.conclusion(lesson6_scoring.claims(run), run)'''),
    md("""
## Try this

- `n = 16`: with more candidates, small differences between strategies show more clearly. Which
  strategy leads for the MC-trained PRMs (in the paper, "last"), and does the order change?
- `k = 4`: noisier MC labels. How does the MC PRM's "last" move against its "min"?
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["07_the_recipe"] = [
    md("""
# 07 · The recipe: MC expansion + hard labels + consensus filtering

**The lesson.** The released Qwen2.5-Math-PRMs put the lessons together: MC estimation for
coverage, hard labels (a step is correct iff any completion is right), consensus filtering with an
LLM judge to remove the noise. After filtering, hard labels reach 66.5 ProcessBench F1 against 40.2
unfiltered, with the best Best-of-8 (67.2, Figures 3-4, vs 65.9 for the best alternative, MC in Table 3); the
released 7B model reaches 73.5 F1 and 67.6 Best-of-8 (Tables 6-7).

**Here.** Every label source and recipe of the run on both evaluations (the hard-label threshold
sweep is in notebook 04). The windowed rows are an ablation: the same
labels, a PRM that sees only a window of the text around each step.
"""),
    params('''k = None                         # MC completions per step (None: the profile's)
n = None                         # Best-of-N candidates per problem (None: the profile's)
train_problems_per_level = None  # training problems per level (None: the profile's)'''),
    code('''from prmlib.lessons import display as d, lesson7_recipe, noise

d.setup()
run = d.open_run(profile, seed, run_dir, k=k, n=n, train_problems_per_level=train_problems_per_level)'''),
    md("## Every recipe on both evaluations"),
    code('''t = lesson7_recipe.table(run)
d.show(t, "The recipe against the alternatives")
d.show_figure(lesson7_recipe.figure(run))
d.note(lesson7_recipe.fit_note(run))'''),
    *noise_cells("LESSON7_PAIRS"),
    md("## Conclusion"),
    code('''d.conclusion(lesson7_recipe.claims(run), run)'''),
    md("""
## Try this

- `train_problems_per_level = 1200`: twice the data. Consensus filtering throws data away; does the
  consensus + hard row move towards or away from the others when data is plentiful?
- `k = 4`: a cheaper MC stage. Which rows lose most?
"""),
]

# -----------------------------------------------------------------------------------------------
NOTEBOOKS["08_released_prms"] = [
    md("""
# 08 · The released PRMs on ProcessBench and Best-of-N

The cells run each release's input format (adapter), single-pass scoring, ProcessBench F1 with
the threshold tuned on GSM8K, and Best-of-N: with the real checkpoints (Qwen2.5-Math-PRM-7B/72B,
Math-Shepherd-PRM-7B, Skywork-PRM-7B, RLHFlow-PRM-Deepseek-8B) on a GPU profile, with tiny random
stand-ins on a CPU profile (the note below says which, and that stand-ins' numbers are noise).

**The paper's numbers (Tables 6 and 7).** Qwen2.5-Math-PRM-7B reaches 73.5 average ProcessBench F1
and 67.6 Best-of-8; the 72B model 78.3 and 69.3. The three other 7B-class PRMs shown here score
26.6 to 42.1 F1 (RLHFlow-PRM-Deepseek-8B 26.6, Math-Shepherd-PRM-7B 31.5, Skywork-PRM-7B 42.1) while their
Best-of-8 lies within 0.7 points (64.2 to 64.9): Best-of-N hardly separates them, ProcessBench does.
"""),
    params('''rows_per_subset = None          # ProcessBench rows per subset (None: 4 on smoke, 10 on cpu, all on GPU)
bon_problems_per_level = None   # Best-of-N problems per level (None: 5 with stand-ins, all with real models)
models = None                   # released PRMs to run, e.g. ["Qwen2.5-Math-PRM-7B"] (None: all five)
agg = "product"                 # Best-of-N scoring: product, min, last or mean'''),
    code('''from prmlib.lessons import display as d, released

d.setup()
prms = released.ReleasedPRMs(profile, seed, run_dir, models=models)
d.note(prms.banner())'''),
    md("## The paper's Tables 6 and 7 (the releases shown here)"),
    code('''t6, t7 = released.paper_tables()
d.show(t6, "Paper, Table 6: Best-of-8 accuracy (%), policy Qwen2.5-Math-7B-Instruct")
d.show(t7, "Paper, Table 7: ProcessBench error accuracy, correct accuracy, F1 (%)")'''),
    md("""
## ProcessBench (Table 7 analogue)

On CPU profiles: a seeded sample of real ProcessBench rows per subset (half with an error), every
row labelled *random stand-in*. The threshold is tuned on the GSM8K rows and reused, as in the
ProcessBench protocol.
"""),
    code('''pb = prms.processbench(rows_per_subset)
d.show(pb, f"ProcessBench (%): ours ({prms.sample}) beside the paper's Table 7")
d.show_figure(prms.figure(pb))'''),
    md("""
## Best-of-N (Table 6 analogue)

On CPU profiles the candidates are the run's synthetic Best-of-N sets (the real ones need the
policy Qwen2.5-Math-7B-Instruct on a GPU); scores again from the random stand-ins.
"""),
    code('''bon = prms.bon(agg, bon_problems_per_level)
d.show(bon, f"Best-of-N accuracy (%), {agg} of step scores on {prms.bon_source}: ours beside Table 6")'''),
    md("## Conclusion"),
    code('''d.conclusion(prms.claims(pb), empty=prms.conclusion(pb))'''),
    md("""
## Try this

- `rows_per_subset = 100`: more rows. Where does the stand-ins' F1 settle? A scorer with random
  weights is a floor to compare real PRMs against (a few minutes on a CPU).
- `models = ["Qwen2.5-Math-PRM-7B"]` and `agg = "min"`: one release, another aggregation; the code
  path is the same for every release.
- On a GPU machine: `profile = "gpu-small"` loads the real checkpoints; the tables then fill with
  real numbers beside the paper's.
"""),
]


def build(name: str, cells: list[dict]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"
    nbformat.validate(nb)
    return nb


def shape(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What --check compares: each cell's type, source and tags (not ids or JSON layout)."""
    return [(c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        nb = build(name, cells)
        if check:
            if not path.exists() or shape(nbformat.read(str(path), as_version=4)) != shape(nb):
                stale.append(path.name)
        else:
            path.write_text(nbformat.writes(nb) + "\n")
    if stale:
        print("notebooks differ from notebooks/_build.py: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
