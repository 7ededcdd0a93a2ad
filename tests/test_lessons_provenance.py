"""Which code produced a result: the git commit and library versions in reports and claims.json."""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata

import pytest

from prmlib.lessons import provenance, seed_claims


def _git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})


def test_git_commit_names_the_commit_and_uncommitted_changes(tmp_path):
    if subprocess.run(["git", "--version"], check=False, capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "prmlib").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "prmlib" / "a.py").write_text("1")
    _git(repo, "add", "prmlib/a.py")
    _git(repo, "commit", "-q", "-m", "one")
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert provenance.git_commit(repo) == sha
    (repo / "notes.txt").write_text("a new file outside the code does not count")
    assert provenance.git_commit(repo) == sha
    (repo / "prmlib" / "new.py").write_text("a new module does")
    assert provenance.git_commit(repo) == f"{sha} (uncommitted changes)"
    (repo / "prmlib" / "new.py").unlink()
    (repo / "prmlib" / "a.py").write_text("2")
    assert provenance.git_commit(repo) == f"{sha} (uncommitted changes)"
    # a folder inside a checkout but not its top (an installed package in a repository's venv): no commit
    (repo / "site").mkdir()
    assert provenance.git_commit(repo / "site") is None


def test_code_version_lists_the_libraries_that_compute(monkeypatch):
    provenance.code_version.cache_clear()
    monkeypatch.setattr(provenance, "git_commit", lambda root=None: None)  # as an installed package
    try:
        text = provenance.code_version()
    finally:
        provenance.code_version.cache_clear()
    assert text.startswith("prmlib ")
    assert f"torch {metadata.version('torch')}" in text and f"trl {metadata.version('trl')}" in text


def test_claims_json_records_the_code(tmp_path, monkeypatch):
    monkeypatch.setattr(seed_claims, "code_version", lambda: "git abc1234, torch 9")
    seed_claims.record(tmp_path, [{"id": "C1", "holds": True, "ours": "x", "paper": "p"}])
    entry = json.loads((tmp_path / "claims.json").read_text())["claims"]["C1"]
    assert entry["code"] == "git abc1234, torch 9" and entry["at"]


def test_machine_names_the_cpu_and_torch_kernels(monkeypatch):
    """The report's machine line says which CPU and which of torch's vector kernels ran: trained
    weights can differ between them."""
    import platform

    import torch

    from prmlib.lessons import report

    line = provenance.machine()
    assert report.machine is provenance.machine  # the report writes the same line
    assert line.startswith(f"{os.cpu_count()} CPU cores")
    assert f"torch CPU kernels {torch.backends.cpu.get_cpu_capability()}" in line
    if os.path.exists("/proc/cpuinfo"):
        assert provenance._cpu_model() and f"({provenance._cpu_model()})" in line
    # no /proc/cpuinfo (macOS, Windows): platform's processor name instead
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError("no cpuinfo")))
    monkeypatch.setattr(platform, "processor", lambda: "  Some CPU ")
    assert provenance._cpu_model() == "Some CPU"
