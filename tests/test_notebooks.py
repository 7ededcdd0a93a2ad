"""The lesson notebooks: committed without outputs, one ``parameters`` cell each, executed end to end
on the ``smoke`` profile by ``prmlib run`` (papermill) into a report, and a failing notebook stops
the run naming the notebook and the cell."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in SOURCES if p.stem[:2] in {"01", "02", "03", "04", "05", "06", "07"}]
CLAIM_IDS = ["C1_value", "C2_processbench_order", "C3_evaluations_disagree", "C4_consensus", "C5_hard_vs_soft",
             "C6_threshold", "C7_wrong_process", "C8_bon_inflation", "C9_outcome_shift", "C10_scoring",
             "C11_recipe"]
HAS_DATA = bool(os.environ.get("PRMLIB_DATA_DIR")) and Path(os.environ.get("PRMLIB_DATA_DIR", "")).is_dir()


def _cmd(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([sys.executable, "-m", "prmlib", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT, check=False)


def _outputs(nb, mime: str) -> list:
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result") and mime in o.get("data", {})]


PARAMS = 'profile = "cpu"\nseed = 0\nrun_dir = "../runs"'


def _write_notebooks(folder: Path, notebooks: dict[str, tuple[str, list[str]]], params: str = PARAMS) -> Path:
    """Tiny numbered notebooks for the runner: ``{name: (heading markdown, [code cell sources])}``,
    each with a ``parameters`` cell after its heading."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (heading, sources) in notebooks.items():
        cells = [nbformat.v4.new_markdown_cell(heading),
                 nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                 *[nbformat.v4.new_code_cell(src) for src in sources]]
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


# -- the sources --------------------------------------------------------------------------------
def test_every_lesson_has_a_notebook():
    assert [p.stem[:2] for p in SOURCES] == [f"{i:02d}" for i in range(9)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_notebook_has_no_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i + 1} has outputs (run `make strip`)"
            assert cell.execution_count is None, f"{path.name}: cell {i + 1} has an execution count"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_one_parameters_cell_with_profile_seed_run_dir(path):
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    names = {t.id for node in ast.parse(tagged[0].source).body if isinstance(node, ast.Assign) for t in node.targets}
    assert {"profile", "seed", "run_dir"} <= names
    assert "profile = \"cpu\"" in tagged[0].source


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_notebook_cells_are_short_and_define_nothing(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
            assert len(cell.source.splitlines()) <= 10
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Conclusion" in text and "## Try this" in text


def test_sources_match_the_build_script():
    out = subprocess.run([sys.executable, str(NOTEBOOKS / "_build.py"), "--check"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_released_notebook_says_stand_in_first():
    nb = nbformat.read(str(NOTEBOOKS / "08_released_prms.ipynb"), as_version=4)
    assert "random" in nb.cells[0].source.split("\n\n")[1] and "stand-in" in nb.cells[0].source.split("\n\n")[1]


# -- the report, from hand-made executed notebooks (no kernel) -----------------------------------------
def test_report_collects_claims_tables_and_figures(tmp_path):
    import base64

    import pandas as pd

    from prmlib.lessons.display import CLAIMS_MIME, table
    from prmlib.lessons.report import read_notebook, write_report

    df = pd.DataFrame({"F1": [40.123456, 56.5], "rows": [3, 4]}, index=pd.Index(["MC", "human"], name="PRM"))
    t = table(df, "cap")
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Title\n\nThe lesson in words.\n\nMore words.\n\nHow to read it."),
        nbformat.v4.new_code_cell("profile = 'cpu'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("## A section\n\nWhat *the table* below shows."),
        nbformat.v4.new_markdown_cell("Only for JupyterLab.", metadata={"tags": ["no-report"]}),
        nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("display_data", data={
                "text/html": t._repr_html_(), "text/markdown": t._repr_markdown_(), "text/plain": repr(t)}),
            nbformat.v4.new_output("stream", name="stderr", text="progress 50%"),
            nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]),
        nbformat.v4.new_code_cell("y", outputs=[nbformat.v4.new_output("display_data", data={
            "text/markdown": "**Holds here.** it", "text/plain": "Holds",
            CLAIMS_MIME: [{"id": "C9", "lesson": 1, "claim": "a | b", "paper": "1", "ours": "2", "holds": False},
                          {"id": "D1", "lesson": 0, "claim": "data", "paper": "3", "ours": "3", "holds": True}]})]),
        nbformat.v4.new_markdown_cell("## Try this\n\n- `k = 16`: more rollouts."),
    ])
    path = tmp_path / "notebooks" / "01_title.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, str(path))
    summary = read_notebook(path)
    assert summary.title == "01 · Title" and summary.lesson.startswith("The lesson in words.")
    # the notebook's own prose comes along (the rest of the first cell, the text under each heading) ...
    assert [i.kind for i in summary.items] == ["prose", "heading", "prose", "table", "figure", "markdown",
                                               "heading", "prose"]
    assert summary.items[0].markdown == "How to read it."
    assert summary.items[2].markdown == "What *the table* below shows."
    md, html = write_report(tmp_path, [summary], {"profile": "smoke", "seed": 0, "meaningful": False})
    md_text, html_text = md.read_text(), html.read_text()
    assert "| claim | paper | ours | holds |" in md_text and "a \\| b" in md_text and "**no**" in md_text
    assert "40.1" in md_text and "40.12" not in md_text
    assert "progress" not in md_text and "progress" not in html_text
    assert (tmp_path / "report_figures" / "01_title-1.png").read_bytes().startswith(b"\x89PNG")
    assert "![" in md_text and "report_figures/01_title-1.png" in md_text
    assert f"data:image/png;base64,{png}" in html_text and "<table class=\"claims\">" in html_text
    assert "mean nothing" in md_text
    assert "What *the table* below shows." in md_text and "What <em>the table</em> below shows." in html_text
    assert "Only for JupyterLab" not in md_text and "Only for JupyterLab" not in html_text  # ... but not no-report cells
    # the paper's claims and the data checks are counted apart
    assert "0 of the paper's 1 claims hold in this report; 1 of 1 data checks pass" in md_text
    assert "0 of the paper's 1 claims hold in this report; 1 of 1 data checks pass" in html_text
    # a reader of the report learns how to run a "Try this" item
    assert "`prmlib run --profile smoke --seed 0 --notebooks 01 -p NAME=VALUE" in md_text
    # the header names the code that ran (git commit or prmlib version, and the libraries' versions)
    from prmlib.lessons.provenance import code_version

    assert f"; code: {code_version()}" in md_text and "torch " in code_version()


def test_tables_show_one_decimal_and_words():
    import pandas as pd

    from prmlib.lessons.display import format_table

    df = pd.DataFrame({"share (%)": [12.3456, float("nan")], "ok": [True, False], "name": ["x", "y"]},
                      index=pd.Index(["agree_clean", "judge_later"], name="reason"))
    cells = format_table(df)
    assert list(cells.columns) == ["share (%)", "ok"]
    assert cells["share (%)"].tolist() == ["12.3", "–"] and cells["ok"].tolist() == ["yes", "no"]
    assert cells.index[0].startswith("kept:") and cells.index[1].startswith("dropped:")


def test_select_notebooks_and_params(tmp_path):
    from prmlib.lessons.runner import parse_params, select_notebooks

    for name in ("00_a", "01_b", "02_c"):
        nbformat.write(nbformat.v4.new_notebook(), str(tmp_path / f"{name}.ipynb"))
    assert [p.stem for p in select_notebooks(tmp_path, "2,01")] == ["01_b", "02_c"]
    assert len(select_notebooks(tmp_path, None)) == 3
    with pytest.raises(ValueError, match="have: 00_a, 01_b, 02_c"):
        select_notebooks(tmp_path, "07")
    assert parse_params(["k=16", "models=[a, b]", "x=none"]) == {"k": 16, "models": ["a", "b"], "x": None}


# -- a failing notebook stops the run -------------------------------------------------------------
@pytest.mark.slow
def test_failing_notebook_stops_the_run_and_names_the_cell(tmp_path):
    folder = _write_notebooks(tmp_path / "nbs", {
        "00_fine": ("# 00_fine", ["x = 1"]),
        "01_broken": ("# 01_broken", ["y = 2", "raise ValueError('deliberately broken')", "z = 3"]),
        "02_never": ("# 02_never", ["w = 4"])})
    out = _cmd("run", "--profile", "smoke", "--notebooks-dir", str(folder), "--run-dir", str(tmp_path / "runs"),
               "--no-prepare", "--jobs", "1", timeout=300)
    assert out.returncode == 1, out.stderr[-3000:]
    assert "notebook 01_broken failed in cell 4" in out.stderr and "deliberately broken" in out.stderr
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["failed"]["notebook"] == "01_broken" and last["failed"]["cell"] == 4
    kept = Path(last["failed"]["executed_copy"])
    assert kept.exists() and "deliberately broken" in kept.read_text()
    root = tmp_path / "runs" / "smoke" / "seed-0"
    assert (root / "notebooks" / "00_fine.ipynb").exists() and not (root / "notebooks" / "02_never.ipynb").exists()
    assert not (root / "REPORT.md").exists()


def test_knobs_that_do_not_fit_the_profile_stop_the_run_first(tmp_path):
    """A sweep threshold at or above K is reported in one line before anything is sampled."""
    out = _cmd("run", "--profile", "smoke", "--run-dir", str(tmp_path / "runs"), "--notebooks", "04",
               "-p", "thresholds=[0, 2, 4, 6]", timeout=120)
    assert out.returncode == 2, out.stderr[-3000:]
    assert "mc.thresholds must include 0 and lie in [0, k); got [0, 2, 4, 6] with k = 4" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "runs").exists()


def test_knob_folder_names():
    from prmlib.lessons.runner import knob_folder

    assert knob_folder({"rows_per_subset": 100, "k": 16}) == "k=16,rows_per_subset=100"
    # values that need escaping get a hash, so different settings never share a folder
    names = [knob_folder(p) for p in ({"models": ["a", "b"]}, {"models": "a+b"}, {"x": None}, {"x": "None"},
                                      {"p": "a/b"}, {"p": "a:b"}, {"p": "a-b"}, {"k": "1."}, {"k": 1.0})]
    assert len(set(names)) == len(names)
    assert names[6] == "p=a-b" and names[0].startswith("models=a-b-") and names[7].startswith("k=1-")
    long = {f"knob_{i}": i for i in range(20)}
    assert len(knob_folder(long)) <= 89 and knob_folder(long) != knob_folder({**long, "knob_19": 20})


@pytest.mark.slow
def test_knob_run_keeps_the_profiles_own_report(tmp_path):
    """A run with ``-p`` writes its notebooks and report under ``knobs/<NAME=VALUE>/`` and leaves the
    profile's own report and claims.json alone."""
    folder = _write_notebooks(tmp_path / "nbs", {"90_knobs": ("# 90 knobs", ["print('factor is', factor)"])},
                              params=PARAMS + "\nfactor = 1")
    base = ["run", "--profile", "smoke", "--notebooks-dir", str(folder), "--run-dir", str(tmp_path / "runs"),
            "--jobs", "1", "--quiet"]
    own = _cmd(*base, timeout=300)
    assert own.returncode == 0, own.stderr[-3000:]
    root = tmp_path / "runs" / "smoke" / "seed-0"
    before = (root / "report.html").read_text()
    knob = _cmd(*base, "-p", "factor=7", timeout=300)
    assert knob.returncode == 0, knob.stderr[-3000:]
    last = json.loads(knob.stdout.strip().splitlines()[-1])
    assert Path(last["report_html"]) == root / "knobs" / "factor=7" / "report.html"
    assert "factor is 7" in (root / "knobs" / "factor=7" / "notebooks" / "90_knobs.ipynb").read_text()
    assert "factor=7" in Path(last["report_html"]).read_text()
    assert (root / "report.html").read_text() == before
    assert "factor is 1" in (root / "notebooks" / "90_knobs.ipynb").read_text()


@pytest.mark.slow
def test_running_one_notebook_keeps_the_others_in_the_report(tmp_path):
    folder = _write_notebooks(tmp_path / "nbs", {name: (f"# {name} title\n\nThe lesson of {name}.", ["x = 1"])
                                                 for name in ("90_first", "91_second")})
    base = ["run", "--profile", "smoke", "--notebooks-dir", str(folder), "--run-dir", str(tmp_path / "runs"),
            "--jobs", "1", "--quiet"]
    assert _cmd(*base, timeout=300).returncode == 0
    again = _cmd(*base, "--notebooks", "91", timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    md = (tmp_path / "runs" / "smoke" / "seed-0" / "REPORT.md").read_text()
    assert "The lesson of 90_first." in md and "The lesson of 91_second." in md
    assert "1 notebook in" in md and "also shown, as an earlier run executed them: 90_first" in md
    # a failed or interrupted copy is not an earlier result
    from prmlib.lessons.runner import completed

    copy = tmp_path / "runs" / "smoke" / "seed-0" / "notebooks" / "90_first.ipynb"
    assert completed(copy)
    nb = nbformat.read(str(copy), as_version=4)
    nb.cells[-1].metadata["papermill"]["status"] = "running"
    nbformat.write(nb, str(copy))
    assert not completed(copy)
    assert _cmd(*base, "--notebooks", "91", timeout=300).returncode == 0
    md = (tmp_path / "runs" / "smoke" / "seed-0" / "REPORT.md").read_text()
    assert "The lesson of 90_first." not in md and "also shown" not in md


# -- the smoke profile end to end ----------------------------------------------------------------
@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("nbruns")
    out = _cmd("run", "--profile", "smoke", "--run-dir", str(run_dir), timeout=900)
    assert out.returncode == 0, out.stderr[-5000:]
    return run_dir / "smoke" / "seed-0", json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


@pytest.mark.slow
def test_smoke_run_executes_every_notebook(smoke_run):
    root, last, err = smoke_run
    assert [Path(p).name for p in last["notebooks"]] == [p.name for p in SOURCES]
    assert "01_prm_vs_value_model: cell 3/" in err  # progress names notebook and cell
    for src in SOURCES:
        nb = nbformat.read(str(root / "notebooks" / src.name), as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{src.name}: {errors[:1]}"
        streams = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                          if o.output_type == "stream")
        assert "IProgress not found" not in streams, f"{src.name} shows tqdm's ipywidgets warning"
        tables = [h for h in _outputs(nb, "text/html") if "prm-table" in h]
        if src.stem != "00_data_tour" or HAS_DATA:
            assert tables, f"{src.name} showed no table"
        if src in LESSONS:
            assert _outputs(nb, "application/vnd.prmlib.claims+json"), f"{src.name} concluded nothing"


@pytest.mark.slow
def test_smoke_run_writes_the_report(smoke_run):
    root, last, _ = smoke_run
    md, html = (root / "REPORT.md").read_text(), (root / "report.html").read_text()
    assert Path(last["report_md"]) == root / "REPORT.md" and Path(last["report_html"]) == root / "report.html"
    assert md.index("| claim | paper | ours | holds |") < md.index("## 01 ")
    for cid in CLAIM_IDS + (["D1_wrong_process_share", "D2_extracted_rows"] if HAS_DATA else []):
        assert f"`{cid}`" in md and f"<code>{cid}</code>" in html
        assert cid in last["claims"]
    assert html.count("data:image/png;base64,") >= 8 and "<img" in html and "src=\"report_figures" not in html
    assert md.count("](report_figures/") == html.count("data:image/png;base64,")
    assert "mean nothing" in md  # the smoke profile says its numbers are meaningless
    # the header says where the stored stages were computed (here, by this code: a fresh store)
    stages = len(list(root.glob("*/*/made.json")))
    assert stages and f"the store's {stages} stages: all recorded ones on this machine, by 1 code version" in md
    for src in SOURCES:
        assert f"notebooks/{src.name}" in html


@pytest.mark.slow
def test_smoke_released_prms_say_stand_in(smoke_run):
    root, _, _ = smoke_run
    nb = nbformat.read(str(root / "notebooks" / "08_released_prms.ipynb"), as_version=4)
    tables = [h for h in _outputs(nb, "text/html") if "prm-table" in h]
    ours = [h for h in tables if "(ours)" in h or "stand-in" in h]
    if HAS_DATA:
        assert any("Qwen2.5-Math-PRM-7B (random stand-in)" in h for h in ours)
    assert any("Best-of-N accuracy" in h and "random stand-in" in h for h in tables)


def test_strip_removes_outputs_and_execution_metadata(tmp_path):
    from prmlib.lessons.runner import strip_outputs

    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3, outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=3)])
    cell.metadata["papermill"] = {"duration": 0.1}
    cell.metadata["execution"] = {"iopub.status.busy": "now"}
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"papermill": {"duration": 1.0}})
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert strip_outputs(path) and not strip_outputs(path)  # the second pass changes nothing
    again = nbformat.read(str(path), as_version=4)
    assert again.cells[0].outputs == [] and again.cells[0].execution_count is None
    assert dict(again.cells[0].metadata) == {"tags": ["parameters"]} and "papermill" not in again.metadata


def test_data_tour_without_data_skips_every_section(monkeypatch):
    from prmlib.lessons.display import Skipped
    from prmlib.lessons.tour import DataTour

    monkeypatch.delenv("PRMLIB_DATA_DIR", raising=False)
    tour = DataTour()
    assert not tour.available and "PRMLIB_DATA_DIR" in tour.status()
    for section in (tour.composition(), tour.generators(), tour.first_errors(), tour.first_error_figure(),
                    tour.wrong_process(), tour.extracted(), tour.prm800k_ratings(), tour.bon_benchmarks()):
        assert isinstance(section, Skipped) and "PRMLIB_DATA_DIR" in section.reason
    assert tour.claims() == []


def test_released_prms_are_stand_ins_on_cpu_profiles():
    from prmlib.lessons import released

    assert released.uses_stand_ins("smoke") and released.uses_stand_ins("cpu")
    assert not released.uses_stand_ins("gpu-small") and not released.uses_stand_ins("paper")
    assert released.label("Skywork-PRM-7B", True) == "Skywork-PRM-7B (random stand-in)"
    t6, t7 = released.paper_tables()
    assert t7.loc["Qwen2.5-Math-PRM-7B", "Avg. F1"] == 73.5 and t6.loc["Qwen2.5-Math-PRM-72B", "Avg."] == 69.3
