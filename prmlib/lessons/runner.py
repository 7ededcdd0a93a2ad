"""``prmlib run``: execute the lesson notebooks with papermill and write the report.

    prmlib run --profile cpu                     # every notebook, seed 0
    prmlib run --profile smoke --notebooks 01,02 --seed 1 --run-dir /tmp/runs
    prmlib run --profile cpu -p k=16 -p rows_per_subset=100

1. When a lesson notebook (01-07) is selected, the chain of the profile is run first, in this
   process, with progress bars (training, scoring and evaluating every PRM; cached in the run
   store), so that the notebooks only read results.
2. Each notebook is executed with papermill into ``<run-dir>/<profile>/seed-<S>/notebooks/``
   (with ``-p NAME=VALUE``: into ``<run-dir>/<profile>/seed-<S>/knobs/<NAME=VALUE>/notebooks/``, so
   the profile's own report stays while the store, and every PRM the change does not touch, is
   shared), with ``profile``, ``seed`` and ``run_dir`` (and every ``-p NAME=VALUE``) injected after its
   ``parameters`` cell, ``--jobs`` at a time (default 2, in separate processes); one line per
   cell says which notebook and which cell is running.
3. A failing notebook stops the run: the message names the notebook and the cell, and the executed
   copy (with the traceback in it) is kept.
4. ``REPORT.md`` and ``report.html`` are written beside the notebooks folder
   (:mod:`prmlib.lessons.report`).

The last line of stdout is one JSON object (paths, seconds per notebook, the claims' verdicts).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

LESSON_PREFIXES = ("01", "02", "03", "04", "05", "06", "07")
#: started first when notebooks run side by side: the slowest (it builds and scores five models), so
#: that the others fill the second worker meanwhile instead of leaving it idle at the end
SLOW_FIRST = ("08",)
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def register(sub) -> None:
    p = sub.add_parser("run", help="execute the lesson notebooks (papermill) and write the report",
                       description="Execute the lesson notebooks with papermill and write REPORT.md and report.html.")
    p.add_argument("--profile", default="cpu", help="a shipped profile (smoke, cpu, ...) or a YAML path (default: cpu)")
    p.add_argument("--seed", type=int, default=0, help="the run's seed (default: 0)")
    p.add_argument("--notebooks", default=None,
                   help="comma-separated numbers or names, e.g. 01,02 (default: every numbered notebook)")
    p.add_argument("--run-dir", default="runs", help="root of the run store (default: runs)")
    p.add_argument("--notebooks-dir", default=None, help="folder of the source notebooks (default: the project's notebooks/)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a notebook parameter (YAML value), e.g. -p k=16; repeatable")
    p.add_argument("--no-prepare", action="store_true", help="do not run the chain before the notebooks")
    p.add_argument("--skip-preflight", action="store_true",
                   help="start the chain even if the GPU, a model or the data the profile needs looks missing")
    p.add_argument("--jobs", type=int, default=2,
                   help="notebooks executed at a time once the chain is ready (default: 2; 1 without it)")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds one cell may run (default: no limit)")
    p.add_argument("--quiet", action="store_true", help="no per-cell progress lines")
    p.set_defaults(func=run)


# -- finding notebooks -----------------------------------------------------------------------------
def default_notebooks_dir() -> Path:
    """The project's ``notebooks/`` (next to the ``prmlib`` package), else ``./notebooks``."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def select_notebooks(folder: Path, which: str | None) -> list[Path]:
    """Numbered notebooks (``NN_name.ipynb``) of ``folder``, all or those named in ``which``
    (``"01,02"`` or full names); an unknown entry is an error that lists what exists."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {folder}")
    if not which:
        return found
    out = []
    for entry in [w.strip() for w in which.split(",") if w.strip()]:
        match = [p for p in found if p.stem == entry or p.stem.split("_")[0] == entry.zfill(2) or p.name == entry]
        if not match:
            raise ValueError(f"no notebook {entry!r} in {folder}; have: {', '.join(p.stem for p in found)}")
        out += [p for p in match if p not in out]
    return sorted(out)


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["k=16", "models=[a, b]"]`` -> ``{"k": 16, "models": ["a", "b"]}`` (YAML values; ``None`` too)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"-p expects NAME=VALUE, got {item!r}")
        name, value = item.split("=", 1)
        out[name.strip()] = None if value.strip() in ("None", "none") else yaml.safe_load(value)
    return out


def knob_folder(params: dict[str, Any]) -> str:
    """The folder name of a run with changed parameters, so each knob setting gets its own notebooks
    and report beside the profile's own: ``{"k": 16}`` -> ``"k=16"``. Names are sorted; when a value
    needs characters other than letters, digits and ``=._,-`` (``None``, lists, paths) or the name is
    long, a short hash of the parameters is appended, so two settings never share a folder."""
    from prmlib.lessons.store import stable_hash

    def text(v: Any) -> str:
        return "+".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)

    plain = ",".join(f"{k}={text(v)}" for k, v in sorted(params.items()))
    safe = re.sub(r"[^A-Za-z0-9=._,-]", "-", plain)[:80].rstrip(". ")
    exact = safe == plain and all(isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                  and str(v) not in ("None", "none") for v in params.values())
    return safe if exact else f"{safe}-{stable_hash(params, 8)}"


def completed(path: Path) -> bool:
    """Whether an executed copy ran to its end: papermill recorded no exception and every cell it
    ran finished (a failed or interrupted copy, kept for its traceback, is not a result)."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except (OSError, ValueError):
        return False
    meta = nb.metadata.get("papermill") or {}
    statuses = {c.get("metadata", {}).get("papermill", {}).get("status") for c in nb.cells}
    return bool(meta) and not meta.get("exception") and statuses <= {"completed", None} and bool(meta.get("end_time"))


# -- papermill with one progress line per cell ---------------------------------------------------
class NotebookFailed(RuntimeError):
    """A notebook raised: which one, which cell (numbered as in the source notebook), and the error."""

    def __init__(self, notebook: str, cell: int, exec_count: int | None, source: str, error: str, output: Path):
        self.notebook, self.cell, self.exec_count, self.source, self.error, self.output = (
            notebook, cell, exec_count, source, error, output)
        first = source.strip().splitlines()[0] if source.strip() else ""
        super().__init__(f"notebook {notebook} failed in cell {cell} (counting every cell of the source notebook; "
                         f"In [{exec_count}] of the executed copy: {first!r}): {error}. "
                         f"The executed copy, with the traceback, is kept: {output}")


def _engine(label: str, out, quiet: bool):
    """A papermill engine that prints ``label: cell i/n: <first line>`` when a code cell starts."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager

    class Manager(NotebookExecutionManager):
        def cell_start(self, cell, cell_index=None, **kwargs):
            super().cell_start(cell, cell_index, **kwargs)
            tags = cell.get("metadata", {}).get("tags", [])
            if quiet or cell.get("cell_type") != "code" or cell_index is None or "injected-parameters" in tags:
                return
            number, total = source_position(self.nb, cell_index)
            first = next((ln for ln in str(cell.source).splitlines() if ln.strip() and not ln.startswith("#")), "")
            first = first if len(first) <= 90 else first[:87] + "..."
            print(f"  {label}: cell {number}/{total}: {first}", file=out, flush=True)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            nb_man = Manager(nb, output_path=output_path, progress_bar=False, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    return Engine


def execute(src: Path, dst: Path, parameters: dict[str, Any], cwd: Path, quiet: bool = False,
            cell_timeout: int | None = None, out=None) -> float:
    """Execute one notebook with papermill; seconds taken. Raises :class:`NotebookFailed`."""
    import papermill
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    out = out or sys.stderr
    name = f"prmlib-{src.stem}"
    papermill_engines.register(name, _engine(src.stem, out, quiet))
    dst.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(str(src), str(dst), parameters=parameters, engine_name=name, progress_bar=False,
                                   cwd=str(cwd), execution_timeout=cell_timeout, request_save_on_cell_execute=True,
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as exc:
        cell = _source_cell_number(dst, exc.cell_index)
        raise NotebookFailed(src.stem, cell, exc.exec_count, exc.source, f"{exc.ename}: {exc.evalue}", dst) from None
    return time.perf_counter() - t0


def execute_job(job: dict[str, Any]) -> dict[str, Any]:
    """:func:`execute` in a worker process: ``{"name", "seconds"}`` or ``{"name", "failed": {...}}``
    (an exception with a custom signature does not cross a process boundary)."""
    try:
        seconds = execute(Path(job["src"]), Path(job["dst"]), job["parameters"], Path(job["cwd"]), job["quiet"],
                          job["cell_timeout"])
    except NotebookFailed as exc:
        return {"name": exc.notebook, "failed": {"cell": exc.cell, "exec_count": exc.exec_count, "source": exc.source,
                                                 "error": exc.error, "output": str(exc.output), "message": str(exc)}}
    return {"name": Path(job["src"]).stem, "seconds": round(seconds, 1)}


def execute_all(jobs: list[dict[str, Any]], workers: int, out=None) -> tuple[dict[str, float], dict[str, Any] | None]:
    """Run notebook jobs, ``workers`` at a time (separate processes); stop at the first failure.

    Returns ``({name: seconds}, failure or None)``; on a failure the notebooks already running
    finish, none is started after it. Side by side, every kernel gets one torch / BLAS thread
    (competing threads slow small models down several times on a small machine), and the slowest
    notebooks (:data:`SLOW_FIRST`) start first."""
    out = out or sys.stderr
    timings: dict[str, float] = {}

    def done(res: dict[str, Any], job: dict[str, Any]) -> dict[str, Any] | None:
        if "failed" in res:
            return res
        timings[res["name"]] = res["seconds"]
        print(f"    {res['name']} done in {res['seconds']:.0f} s -> {job['dst']}", file=out, flush=True)
        return None

    numbered = list(enumerate(jobs, 1))
    if workers <= 1 or len(jobs) <= 1:
        for i, job in numbered:
            print(f"[{i}/{len(jobs)}] {Path(job['src']).stem}", file=out, flush=True)
            failure = done(execute_job(job), job)
            if failure:
                return timings, failure
        return timings, None
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pending = sorted(numbered, key=lambda item: Path(item[1]["src"]).stem[:2] not in SLOW_FIRST)
    failure = None
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update({k: "1" for k in THREAD_VARS})  # inherited by the workers and their kernels
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            running: dict[Any, dict[str, Any]] = {}
            while pending or running:
                while pending and len(running) < workers and failure is None:
                    i, job = pending.pop(0)
                    print(f"[{i}/{len(jobs)}] {Path(job['src']).stem}", file=out, flush=True)
                    running[pool.submit(execute_job, job)] = job
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = running.pop(fut)
                    failure = failure or done(fut.result(), job)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return timings, failure


def source_position(nb, index: int) -> tuple[int, int]:
    """``(number, total)`` of the executed notebook's cell ``index`` in the *source* notebook
    (1-based, markdown cells counted; papermill's injected parameters cell is not)."""
    injected = [i for i, c in enumerate(nb.cells) if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    return index + 1 - sum(1 for i in injected if i < index), len(nb.cells) - len(injected)


def _source_cell_number(executed: Path, index: int) -> int:
    import nbformat

    try:
        nb = nbformat.read(str(executed), as_version=4)
    except (OSError, ValueError):  # unreadable copy: the executed index is the best we have
        return index + 1
    return source_position(nb, index)[0]


# -- the command ---------------------------------------------------------------------------------
def prepare(profile, seed: int, run_dir: Path) -> float:
    """Run the chain (every PRM trained and scored, cached) with progress bars for a
    :class:`~prmlib.lessons.profiles.Profile` (knobs applied: ``display.make_profile``); seconds taken."""
    from prmlib.lessons.experiment import LessonRun

    t0 = time.perf_counter()
    lr = LessonRun(profile, seed=seed, run_dir=run_dir, progress=True)
    try:
        lr.train_all()
        for name in lr.prm_names():  # stored now, so notebooks running side by side only read
            lr.metrics(name)
    finally:
        lr.close()
    return time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    from prmlib.cli import print_json
    from prmlib.lessons.display import knobs_of, make_profile
    from prmlib.lessons.display import meaningful as numbers_mean_something
    from prmlib.lessons.profiles import load_profile
    from prmlib.lessons.provenance import machine
    from prmlib.lessons.report import claim_counts, read_notebook, write_report
    from prmlib.lessons.store import RunStore

    started = _dt.datetime.now().astimezone()  # with the UTC offset, for the report
    t0 = time.perf_counter()
    try:
        profile = load_profile(args.profile)
        params = parse_params(args.param)
        folder = Path(args.notebooks_dir) if args.notebooks_dir else default_notebooks_dir()
        notebooks = select_notebooks(folder, args.notebooks)
        knobbed = make_profile(args.profile, **knobs_of(params))  # the knobs fit the profile (thresholds below K ...)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        print(f"prmlib run: {exc}", file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir).resolve()
    root = run_dir / profile.name / f"seed-{args.seed}"
    # a knob run is another experiment: its notebooks and report go beside the profile's own, the store is shared
    out_root = root / "knobs" / knob_folder(params) if params else root
    out_dir = out_root / "notebooks"
    meaningful = numbers_mean_something(profile)
    print(f"prmlib run: profile {profile.name} ({profile.description}), seed {args.seed}, "
          f"{len(notebooks)} notebooks from {folder} into {out_dir}", file=sys.stderr)
    timings: dict[str, float] = {}
    if not args.no_prepare and any(p.stem[:2] in LESSON_PREFIXES for p in notebooks):
        if not args.skip_preflight:
            from prmlib.lessons.preflight import PreflightError, require

            try:
                require(profile)
            except PreflightError as exc:
                print(f"prmlib run: {exc}\n(--skip-preflight starts anyway; the data tour and the released PRMs do "
                      f"not need the chain: prmlib run --profile {args.profile} --notebooks 00,08)", file=sys.stderr)
                return 2
        print("preparing the chain (trains and scores every PRM not yet in the store) ...", file=sys.stderr, flush=True)
        try:
            timings["prepare"] = round(prepare(knobbed, args.seed, run_dir), 1)
        except NotImplementedError as exc:
            print(f"prmlib run: {exc}\nThe data tour and the released PRMs do not need the chain: "
                  f"prmlib run --profile {args.profile} --notebooks 00,08", file=sys.stderr)
            return 2
        print(f"chain ready in {timings['prepare']:.0f} s", file=sys.stderr)
    parameters = {"profile": args.profile, "seed": args.seed, "run_dir": str(run_dir), **params}
    jobs = [{"src": str(src), "dst": str(out_dir / src.name), "parameters": parameters, "cwd": str(src.parent),
             "quiet": args.quiet, "cell_timeout": args.cell_timeout} for src in notebooks]
    # side by side only when the chain is stored (otherwise two notebooks could compute the same stage)
    workers = max(1, args.jobs) if "prepare" in timings or not any(
        p.stem[:2] in LESSON_PREFIXES for p in notebooks) else 1
    ran, failure = execute_all(jobs, workers)
    timings.update(ran)
    if failure is not None:
        print(f"prmlib run: {failure['failed']['message']}", file=sys.stderr)
        print_json({"profile": profile.name, "seed": args.seed, "failed": {
            "notebook": failure["name"], "cell": failure["failed"]["cell"], "error": failure["failed"]["error"],
            "executed_copy": failure["failed"]["output"]}, "seconds": timings})
        return 1
    executed = [out_dir / src.name for src in notebooks]
    fresh = [read_notebook(p) for p in executed]
    # the report covers every notebook of this folder: those of this run, and executed copies an earlier
    # run left (so `--notebooks 02` refreshes notebook 02 without dropping the others from the report)
    earlier = [p for p in sorted(out_dir.glob("[0-9][0-9]_*.ipynb"))
               if p not in executed and (folder / p.name).exists() and completed(p)]
    summaries = sorted(fresh + [read_notebook(p) for p in earlier], key=lambda s: s.name)
    claims = [c for s in fresh for c in s.claims]
    from prmlib.lessons import seed_claims

    if claims and not params:  # only the profile's own settings: a knob run is another experiment
        seed_claims.record(root, claims)
    seconds = time.perf_counter() - t0
    md, html = write_report(out_root, summaries, {
        "profile": profile.name, "seed": args.seed, "description": profile.description, "meaningful": meaningful,
        "knobs": params, "seconds": seconds, "started": started.isoformat(timespec="seconds"), "machine": machine(),
        "made_by": RunStore(root, read_only=True).made_by(), "earlier": [p.stem for p in earlier], "workers": workers,
        "seeds": seed_claims.collect(root.parent) if not params else {}})
    (held, n), (passed, n_checks) = claim_counts(claims)
    print(f"{held}/{n} claims hold" + (f", {passed}/{n_checks} data checks pass" if n_checks else "")
          + f"; {seconds:.0f} s in all", file=sys.stderr)
    print(f"report: {html}\n        {md}", file=sys.stderr)
    from prmlib.lessons.provenance import code_version

    print_json({"profile": profile.name, "seed": args.seed, "seconds": round(seconds, 1), "timings": timings,
                "code": code_version(),
                "notebooks": [str(p) for p in executed], "report_md": str(md), "report_html": str(html),
                "meaningful": meaningful, "claims": {c["id"]: bool(c["holds"]) for c in claims}})
    return 0


# -- stripping outputs (make strip) ----------------------------------------------------------------
def strip_outputs(path: str | Path) -> bool:
    """Remove outputs, execution counts and execution metadata (papermill's, Jupyter's timings) from
    a notebook in place; True when the file changed. Source notebooks are committed this way."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(nb)
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + "\n")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    """``python -m prmlib.lessons.runner --strip NOTEBOOK...`` (what ``make strip`` runs)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "--strip":
        print("usage: python -m prmlib.lessons.runner --strip NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    changed = [p for p in argv[1:] if strip_outputs(p)]
    print(f"stripped {len(changed)} of {len(argv) - 1} notebooks" + (": " + ", ".join(changed) if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
