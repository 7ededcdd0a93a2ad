"""The report of a batch run: ``REPORT.md`` and ``report.html`` from the executed notebooks.

At the top, one table of every claim the notebooks concluded (claim / paper / ours / holds), read
from the claims each notebook attached to its conclusion (:data:`prmlib.lessons.display.CLAIMS_MIME`);
then, notebook by notebook, its title and lesson, its prose (section headings and the text that
defines and reads each table), and every table, figure and computed note it displayed (cells
tagged ``no-report`` are left out; progress bars, logs and plain-text results always are).

``report.html`` is one file: styles inline, figures embedded as base64 PNG, so it opens anywhere.
``REPORT.md`` links the same figures as PNG files in ``report_figures/`` beside it (Markdown
viewers do not show embedded images reliably).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prmlib.lessons.display import CLAIMS_MIME, SKIPPED_MIME
from prmlib.lessons.provenance import code_version, machine

NO_REPORT_TAG = "no-report"


@dataclass
class Item:
    """One thing a notebook showed: ``kind`` is heading / prose / markdown / skipped / table / figure / html
    (``prose`` is the notebook's own text, ``markdown`` a note a cell computed)."""

    kind: str
    markdown: str = ""
    html: str = ""
    png: bytes = b""
    alt: str = ""


@dataclass
class NotebookSummary:
    """What the report keeps of one executed notebook."""

    name: str
    path: Path
    title: str
    lesson: str
    items: list[Item] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    seconds: float | None = None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def read_notebook(path: str | os.PathLike) -> NotebookSummary:
    """The title, lesson statement, section headings, displayed outputs and claims of one executed notebook."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    title, lesson = path.stem, ""
    items: list[Item] = []
    claims: list[dict[str, Any]] = []
    first_markdown = True
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            if NO_REPORT_TAG in tags:
                continue
            src = _text(cell.source)
            if first_markdown:
                first_markdown = False
                title, lesson, src = _title_and_lesson(src, path.stem)
            items.extend(_prose_items(src))
            continue
        if cell.cell_type != "code" or tags & {NO_REPORT_TAG, "parameters", "injected-parameters"}:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = out.get("data", {})
            if CLAIMS_MIME in data:
                claims.extend(dict(c, notebook=path.stem) for c in data[CLAIMS_MIME])
            if "image/png" in data:
                meta = out.get("metadata", {}).get("image/png", {})
                alt = meta.get("alt", "") if isinstance(meta, dict) else ""
                items.append(Item("figure", png=base64.b64decode(_text(data["image/png"])), alt=alt))
            elif "text/markdown" in data and "text/html" in data:
                items.append(Item("table", markdown=_text(data["text/markdown"]), html=_text(data["text/html"])))
            elif "text/markdown" in data:
                kind = "skipped" if SKIPPED_MIME in data else "markdown"
                items.append(Item(kind, markdown=_text(data["text/markdown"])))
            elif "text/html" in data:
                items.append(Item("html", html=_text(data["text/html"])))
    seconds = (nb.metadata.get("papermill") or {}).get("duration")
    return NotebookSummary(path.stem, path, title, lesson, _drop_empty_headings(items), claims, seconds)


def _title_and_lesson(src: str, default: str) -> tuple[str, str, str]:
    """The first markdown cell -> (title, lesson: its first two paragraphs, the rest of the cell)."""
    lines = src.strip().splitlines()
    title = default
    if lines and lines[0].startswith("# "):
        title = lines[0][2:].strip()
        lines = lines[1:]
    paragraphs = [p.strip() for p in "\n".join(lines).split("\n\n") if p.strip()]
    return title, "\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])


def _prose_items(src: str) -> list[Item]:
    """A markdown cell -> its ``##`` / ``###`` headings and the text between them, in order."""
    items: list[Item] = []
    block: list[str] = []

    def flush() -> None:
        text = "\n".join(block).strip()
        if text:
            items.append(Item("prose", markdown=text))
        block.clear()

    for line in src.splitlines():
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            flush()
            items.append(Item("heading", markdown=m.group(2).strip()))
        else:
            block.append(line)
    flush()
    return items


def _drop_empty_headings(items: list[Item]) -> list[Item]:
    """A heading followed by nothing but another heading (a section that showed nothing) is dropped."""
    items = [item for item in items if item.kind != "prose" or item.markdown.strip()]
    out = []
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if item.kind == "heading" and (nxt is None or nxt.kind == "heading"):
            continue
        out.append(item)
    return out


# -- writing -------------------------------------------------------------------------------------
def claim_counts(claims: list[dict[str, Any]]) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((held, paper's claims), (passed, data checks))``: ``D*`` ids are data checks."""
    checks = [bool(c["holds"]) for c in claims if str(c["id"]).startswith("D")]
    lessons = [bool(c["holds"]) for c in claims if not str(c["id"]).startswith("D")]
    return (sum(lessons), len(lessons)), (sum(checks), len(checks))


def claims_summary(claims: list[dict[str, Any]]) -> str:
    """How many of the paper's claims (``C*``) hold, and apart from them how many data checks (``D*``,
    the data against its own published counts) pass; and that the verdicts are one seed's."""
    (held, n), (passed, n_checks) = claim_counts(claims)
    text = f"{held} of the paper's {n} claims hold in this report"
    if n_checks:
        text += f"; {passed} of {n_checks} data checks pass"
    return (text + ". The verdicts are one seed's: a claim whose margin is a few points can change with the "
            "seed (`prmlib lessons --seeds 0 1 2` runs several; when this store holds other seeds' verdicts, "
            "the table below shows them).")


def claims_markdown(claims: list[dict[str, Any]]) -> str:
    if not claims:
        return "*No claims were concluded (no lesson notebook ran).*\n"
    lines = ["| claim | paper | ours | holds |", "|---|---|---|---|"]
    for c in claims:
        cells = [f"`{c['id']}`: {c['claim']}", c["paper"], c["ours"], "yes" if c["holds"] else "**no**"]
        lines.append("| " + " | ".join(" ".join(str(x).split()).replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines) + f"\n\n{claims_summary(claims)}\n"


def claims_html(claims: list[dict[str, Any]]) -> str:
    if not claims:
        return "<p><i>No claims were concluded (no lesson notebook ran).</i></p>"
    rows = []
    for c in claims:
        ok = bool(c["holds"])
        rows.append(
            f"<tr><td><code>{html.escape(c['id'])}</code><br>{html.escape(c['claim'])}</td>"
            f"<td>{html.escape(str(c['paper']))}</td><td>{html.escape(str(c['ours']))}</td>"
            f"<td class=\"{'yes' if ok else 'no'}\">{'yes' if ok else 'no'}</td></tr>")
    return ("<table class=\"claims\"><thead><tr><th>claim</th><th>paper</th><th>ours</th><th>holds</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><p>{_md_inline(claims_summary(claims))}</p>")


def _md_to_html(text: str) -> str:
    try:
        import mistune

        return mistune.html(text)
    except ImportError:  # nbconvert (and with it mistune) is in the notebooks extra
        return f"<pre>{html.escape(text)}</pre>"


def write_report(root: str | os.PathLike, notebooks: list[NotebookSummary], meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``REPORT.md``, ``report.html`` and ``report_figures/`` into ``root``; returns both paths.

    ``meta``: ``profile``, ``seed``, optionally ``description``, ``meaningful``, ``knobs``, ``code``
    (default :func:`~prmlib.lessons.provenance.code_version`),
    ``seconds``, ``started`` (ISO time), ``machine``, ``workers`` (notebooks run side by side),
    ``made_by`` (:meth:`prmlib.lessons.store.RunStore.made_by` of the run's store), ``earlier`` (names of notebooks among
    ``notebooks`` that an earlier run executed), ``seeds`` (``{seed: {claim id: entry}}`` of
    :func:`prmlib.lessons.seed_claims.collect`: a claim-by-seed table when it has two seeds or more).
    """
    root = Path(root)
    figdir = root / "report_figures"
    figdir.mkdir(parents=True, exist_ok=True)
    for old in figdir.glob("*.png"):
        old.unlink()
    claims = [c for nb in notebooks for c in nb.claims]
    when = meta.get("started") or _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    header = (f"profile `{meta['profile']}`" + (f" ({meta['description']})" if meta.get("description") else "")
              + f", seed {meta['seed']}, {when}, {meta.get('machine') or machine()}"
              + f"; code: {meta.get('code') or code_version()}"
              + (f"; {made_by_note(meta['made_by'], meta.get('machine') or machine())}" if meta.get("made_by")
                 else " (stages reused from the store may have been computed by earlier code or on another machine)"))
    if meta.get("knobs"):
        header += "; changed: " + ", ".join(f"{k}={v}" for k, v in meta["knobs"].items())
    earlier = list(meta.get("earlier") or [])
    ran = len(notebooks) - len(earlier)
    if meta.get("seconds") is not None:
        header += (f"; {ran} notebook{'' if ran == 1 else 's'} in {meta['seconds']:.0f} s of wall-clock time"
                   + (" (several at a time)" if ran > 1 and meta.get("workers", 1) > 1 else ""))
    if earlier:
        header += (f"; also shown, as an earlier run executed them: {', '.join(earlier)} (their claims are "
                   "that run's)")
    warning = "" if meta.get("meaningful", True) else (
        "**This profile only proves that the chain runs: its numbers and verdicts mean nothing.**")

    md = [f"# prm-lessons report: profile {meta['profile']}, seed {meta['seed']}", "", header, ""]
    if warning:
        md += [warning, ""]
    md += ["## The paper's claims, checked", "", claims_markdown(claims), ""]
    seeds_md, seeds_html = _seeds_section(meta.get("seeds") or {}, meta["seed"])
    md += [seeds_md, "", "## Contents", ""] if seeds_md else ["## Contents", ""]
    md += [f"- [{nb.title}](#{_anchor(nb.name)})" for nb in notebooks] + [""]
    body = [f"<h1>prm-lessons report: profile {html.escape(str(meta['profile']))}, seed {meta['seed']}</h1>",
            f"<p class=\"meta\">{_md_inline(header)}</p>"]
    if warning:
        body.append(f"<p class=\"warning\">{_md_inline(warning)}</p>")
    body += ["<h2>The paper's claims, checked</h2>", claims_html(claims), seeds_html, "<h2>Contents</h2><ul>"]
    body += [f"<li><a href=\"#{_anchor(nb.name)}\">{html.escape(nb.title)}</a></li>" for nb in notebooks] + ["</ul>"]

    for nb in notebooks:
        rel = os.path.relpath(nb.path, root)
        took = f" ({nb.seconds:.0f} s)" if nb.seconds is not None else ""
        md += [f"<a id=\"{_anchor(nb.name)}\"></a>", "", f"## {nb.title}", "",
               f"*Executed notebook: [{rel}]({rel}){took}*", ""]
        body += [f"<section><h2 id=\"{_anchor(nb.name)}\">{html.escape(nb.title)}</h2>",
                 f"<p class=\"meta\">Executed notebook: <a href=\"{html.escape(rel)}\">{html.escape(rel)}</a>{took}</p>"]
        if nb.lesson:
            md += [nb.lesson, ""]
            body.append(f"<div class=\"lesson\">{_md_to_html(nb.lesson)}</div>")
        k = 0
        for item in nb.items:
            if item.kind == "heading":
                md += [f"### {item.markdown}", ""]
                body.append(f"<h3>{_md_inline(item.markdown)}</h3>")
                if item.markdown.strip().lower() == "try this":  # the report's reader has no notebook open
                    hint = (f"*Each item is a parameter of this notebook (or a call in it): run it with `prmlib run "
                            f"--profile {meta['profile']} --seed {meta['seed']} --notebooks {nb.name[:2]} -p NAME=VALUE` "
                            f"(its notebooks and report go to `knobs/NAME=VALUE/` in this run's folder, so this report "
                            f"stays, and stages the change does not touch come from the store), or open it in "
                            f"JupyterLab (`make lab`).*")
                    md += [hint, ""]
                    body.append(f"<div class=\"prose\">{_md_to_html(hint)}</div>")
            elif item.kind == "figure":
                k += 1
                name = f"{nb.name}-{k}.png"
                (figdir / name).write_bytes(item.png)
                alt = item.alt or f"{nb.title}, figure {k}"
                md += [f"![{alt}](report_figures/{name})", ""]
                b64 = base64.b64encode(item.png).decode("ascii")
                body.append(f"<figure><img alt=\"{html.escape(alt)}\" src=\"data:image/png;base64,{b64}\"></figure>")
            elif item.kind == "table":
                md += [item.markdown.strip(), ""]
                body.append(f"<div class=\"table\">{item.html}</div>")
            elif item.kind == "prose":
                md += [item.markdown.strip(), ""]
                body.append(f"<div class=\"prose\">{_md_to_html(item.markdown)}</div>")
            elif item.kind in ("markdown", "skipped"):
                md += [item.markdown.strip(), ""]
                body.append(f"<div class=\"{'skipped' if item.kind == 'skipped' else 'note'}\">"
                            f"{_md_to_html(item.markdown)}</div>")
            elif item.kind == "html":
                body.append(f"<div class=\"table\">{item.html}</div>")
        body.append("</section>")
    md_path, html_path = root / "REPORT.md", root / "report.html"
    md_path.write_text("\n".join(md).rstrip() + "\n")
    title = f"prm-lessons report: {meta['profile']}, seed {meta['seed']}"
    html_path.write_text(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                         f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
                         + "\n".join(body) + "\n</body></html>\n")
    return md_path, html_path


def made_by_note(made: dict[str, Any], here: str) -> str:
    """One sentence on where and by which code the stored stages were computed, from
    :meth:`prmlib.lessons.store.RunStore.made_by`; ``here`` is this machine's line."""
    from prmlib.lessons.store import NOT_RECORDED

    machines, codes = made["machine"], made["code"]
    n = sum(machines.values())
    if not n:
        return "the store holds no finished stage"
    parts = []
    other = {m: c for m, c in machines.items() if m not in (here, NOT_RECORDED)}
    if other:
        parts.append(f"{sum(other.values())} computed on another machine ("
                     + "; ".join(f"{m}: {c}" for m, c in sorted(other.items(), key=lambda x: -x[1])) + ")")
    elif machines.get(here):
        parts.append("all recorded ones on this machine")
    if machines.get(NOT_RECORDED):
        parts.append(f"{machines[NOT_RECORDED]} from before the store recorded where a stage was computed")
    recorded = {c: k for c, k in codes.items() if c != NOT_RECORDED}
    if recorded:
        parts.append(f"by {len(recorded)} code version{'' if len(recorded) == 1 else 's'} ("
                     + "; ".join(f"{c}: {k}" for c, k in sorted(recorded.items(), key=lambda x: -x[1])) + ")")
    return f"the store's {n} stage{'' if n == 1 else 's'}: " + ", ".join(parts)


def _seeds_section(by_seed: dict[int, dict[str, Any]], seed: int) -> tuple[str, str]:
    """Markdown and HTML of the claim-by-seed table (:mod:`prmlib.lessons.seed_claims`), when the
    store holds verdicts of more than one seed; empty strings otherwise."""
    if len(by_seed) < 2:
        return "", ""
    from prmlib.lessons.seed_claims import machines, table

    t = table(by_seed)
    t = t.rename(columns={"holds": "holds on"})
    intro = (f"Every seed of this profile recorded in this store (each seed's latest verdicts, in its "
             f"`claims.json`; this run is seed {seed}). An empty cell: no verdict recorded for that seed "
             f"(the data checks come from notebook 00 and do not depend on the seed); *holds on* counts "
             f"the seeds with a verdict.")
    where = machines(by_seed)
    if len({m for ms in where.values() for m in ms} - {"not recorded"}) > 1:  # weights can differ between CPUs
        intro += (" The verdicts were computed on more than one machine, whose PRMs can differ (docs/lessons.md, "
                  "\"Across machines\"): " + "; ".join(f"seed {s}: {' / '.join(ms)}" for s, ms in where.items()) + ".")
    cols = ["claim", *t.columns]
    md = ["### The same claims on every seed", "", intro, "", "| " + " | ".join(cols) + " |",
          "|" + "---|" * len(cols)]
    rows = []
    for cid, row in t.iterrows():
        md.append("| " + " | ".join([f"`{cid}`", *[str(v) for v in row]]) + " |")
        tds = "".join(f"<td class=\"{v}\">{v}</td>" if v in ("yes", "no") else f"<td>{html.escape(str(v))}</td>"
                      for v in row)
        rows.append(f"<tr><td><code>{html.escape(str(cid))}</code></td>{tds}</tr>")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    html_table = (f"<h3>The same claims on every seed</h3><p>{_md_inline(intro)}</p><table class=\"claims\"><thead>"
                  f"<tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "\n".join(md), html_table


def _anchor(name: str) -> str:
    return "nb-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _md_inline(text: str) -> str:
    """Markdown of one line (bold, italics, code) as HTML without the paragraph around it."""
    out = _md_to_html(text).strip()
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") else out


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2329;
       max-width: 1120px; margin: 2em auto; padding: 0 1.2em; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #d9dee3; padding-bottom: .2em; margin-top: 2.2em; }
h3 { font-size: 1.08em; margin: 1.6em 0 .5em; color: #2c3e50; }
p.meta { color: #5b6670; font-size: .9em; margin-top: 0; }
p.warning, div.skipped { background: #fff4e5; border-left: 4px solid #f0a030; padding: .5em .8em; }
div.lesson { background: #f3f6f9; border-left: 4px solid #4a7ab0; padding: .1em 1em; margin: 1em 0; }
div.note { margin: .8em 0; }
div.prose { margin: .6em 0; color: #2b333b; }
div.table { overflow-x: auto; margin: .6em 0 1.2em; }
table { border-collapse: collapse; font-size: .86em; }
th, td { border: 1px solid #d9dee3; padding: .3em .6em; vertical-align: top; }
thead th { background: #eef1f4; }
tbody tr:nth-child(even) { background: #fafbfc; }
td { text-align: right; }
td:first-child, th:first-child, tbody th { text-align: left; }
table.claims td { text-align: left; max-width: 28em; }
td.yes { color: #1a7f37; font-weight: 600; text-align: center; }
td.no { color: #c62828; font-weight: 600; text-align: center; }
p.prm-caption { margin: .2em 0 .3em; }
figure { margin: .8em 0 1.4em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eef1f4; }
code { background: #f3f6f9; padding: 0 .2em; border-radius: 3px; font-size: .92em; }
"""
