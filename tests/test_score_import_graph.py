"""The import graph of ``prmlib.prm`` has no cycle, function-level imports included.

The adapter registry, the two scorers and ``load_prm`` used to import each other inside functions
to dodge a cycle (registry -> score -> registry). Now the shared inputs live in
``prmlib.prm.encoding`` and ``load_prm`` in ``prmlib.prm.loading``, above all of them.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

import prmlib.prm

PRM_DIR = Path(prmlib.prm.__file__).resolve().parent
PACKAGE = "prmlib.prm"
CORE = ("prmlib.prm.adapters.registry", "prmlib.prm.score", "prmlib.prm.vllm_score", "prmlib.prm.loading")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PRM_DIR.parent.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PRM_DIR.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports anywhere (module level or inside functions).

    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module. The implicit
    import of a parent package (``a.b`` before ``a.b.c``) is not an edge: it is containment, and
    a package's function-level (lazy) re-exports run only after it has been imported.
    """
    is_pkg = path.name == "__init__.py"
    here = name if is_pkg else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{alias.name}" for alias in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_graph_sees_the_known_edges():
    graph = _graph()
    assert set(CORE) <= set(graph)
    assert "prmlib.prm.encoding" in graph["prmlib.prm.score"]
    assert "prmlib.prm.adapters.registry" in graph["prmlib.prm.score"]
    assert {"prmlib.prm.score", "prmlib.prm.vllm_score"} <= graph["prmlib.prm.loading"]
    assert "prmlib.prm.loading" in graph["prmlib.prm.adapters"]  # the lazy load_prm re-export
    assert {"prmlib.prm.config", "prmlib.prm.data", "prmlib.prm.model"} <= graph["prmlib.prm.train"]


def test_no_import_cycle_in_prmlib_prm():
    graph = _graph()
    assert _find_cycle(graph) is None, f"import cycle: {' -> '.join(_find_cycle(graph))}"
    assert not graph["prmlib.prm.adapters.registry"] & {"prmlib.prm.score", "prmlib.prm.vllm_score",
                                                         "prmlib.prm.loading"}
    assert "prmlib.prm.score" not in graph["prmlib.prm.vllm_score"]
    assert "prmlib.prm.score" not in graph["prmlib.prm.encoding"]


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("order", list(itertools.permutations(CORE)),
                         ids=lambda order: "-".join(m.rsplit(".", 1)[1] for m in order))
def test_modules_import_in_every_order(order):
    """Each order of the core modules in a fresh interpreter, then ``load_prm`` from the package."""
    script = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in order) + (
        "from prmlib.prm.adapters import load_prm\n"
        "from prmlib.prm.loading import load_prm as direct\n"
        "assert load_prm is direct\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
