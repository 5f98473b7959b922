"""The Snakemake workflow, run for real on the demo configuration (CPU, synthetic sources).

One module-scoped demo run in a temporary copy of the workflow; then: a second run schedules
nothing, the report builds, and dry-runs show that a change reruns only what depends on it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
pytestmark = pytest.mark.skipif(shutil.which("zsnas") is None,
                                reason="the zsnas command is not installed (pip install -e .)")


def copy_workflow(dest: Path) -> Path:
    for name in ("Snakefile", "workflow", "config", "envs", "profiles"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    return dest


def snakemake(workdir: Path, *args, timeout=1500) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*SNAKEMAKE, "--directory", str(workdir), *args], cwd=workdir,
                          capture_output=True, text=True, timeout=timeout, env=env)


def planned(workdir: Path, override: str | None = None) -> dict[str, list[dict]]:
    """Dry-run (demo config, plus an optional YAML override): rule → planned jobs' wildcards."""
    files = ["config/demo.yaml"]
    if override:
        (workdir / "override.yaml").write_text(override)
        files.append("override.yaml")
    proc = snakemake(workdir, "-n", "--configfile", *files, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs: dict[str, list[dict]] = {}
    rule = None
    for line in proc.stdout.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):", line.strip())
        if m:
            rule = m.group(1)
            jobs.setdefault(rule, []).append({})
        elif rule and line.strip().startswith("wildcards:"):
            jobs[rule][-1] = dict(kv.split("=", 1) for kv in
                                  line.split(":", 1)[1].strip().split(", "))
    return jobs


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("demo"))
    proc = snakemake(workdir, "--cores", "2", "--configfile", "config/demo.yaml")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-10000:]
    return workdir


def test_demo_outputs(demo):
    analysis = demo / "results" / "demo" / "analysis"
    for name in ("table1.csv", "table1.md", "curves.png", "stats_summary.md", "counts.csv",
                 "reproduction.csv", "quality.csv", "quality.png"):
        assert (analysis / name).is_file(), name
    assert "SYNTHETIC" in (analysis / "table1.md").read_text()
    assert "SYNTHETIC" in (analysis / "table1.csv").read_text()
    runs = list((demo / "results" / "demo" / "runs").rglob("seed*.json"))
    assert len(runs) == 2 * 10 * 4
    assert not list((demo / "results").rglob("*.partial"))


def test_second_run_schedules_nothing(demo):
    proc = snakemake(demo, "-n", "--configfile", "config/demo.yaml")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_report(demo):
    proc = snakemake(demo, "--configfile", "config/demo.yaml", "--report", "report.zip",
                     timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    import zipfile
    names = zipfile.ZipFile(demo / "report.zip").namelist()
    for part in ("table1.csv", "curves.png", "stats_summary.md", "counts.csv",
                 "reproduction.csv", "quality.png"):
        assert any(n.endswith(part) for n in names), part


def test_proxy_code_change_reruns_its_group_only(demo):
    """Snakemake reruns on a changed input (newer and a different checksum): edit snip.py
    (a comment), plan, and restore the file's bytes and time stamps."""
    import zsnas.proxies.snip as snip
    path = Path(snip.__file__)
    before, original = path.stat(), path.read_bytes()
    try:
        path.write_bytes(original + b"\n# edited by test_workflow\n")
        os.utime(path, (before.st_atime + 3600, before.st_mtime + 3600))
        jobs = planned(demo)
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert {j["group"] for j in jobs["score"]} == {"forward"}      # snip's group, not synflow's
    assert len(jobs["score"]) == 2 * 2                              # 2 spaces x 2 shards
    assert "convert" not in jobs
    assert {j["method"] for j in jobs["search"]} == {"grad_norm", "snip", "grasp", "fisher",
                                                     "jacob_cov", "synflow", "random-score"}


def test_ga_parameter_change_reruns_searches_only(demo):
    jobs = planned(demo, "search:\n  P: 8\n")
    assert "score" not in jobs and "merge" not in jobs and "convert" not in jobs
    assert len(jobs["search"]) == 2 * 10 * 4 and "analyse" in jobs


def test_new_seed_runs_only_the_new_searches(demo):
    jobs = planned(demo, "search:\n  seeds: {start: 0, count: 5}\n")
    assert set(jobs) == {"search", "analyse", "all"}
    assert {j["seed"] for j in jobs["search"]} == {"4"}


def test_bad_config_stops_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("search:\n  P: 0\n")
    proc = snakemake(workdir, "-n", "--configfile", "config/demo.yaml", str(bad), timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "['search']['P']" in out and "minimum" in out and "Job stats" not in out
    bad.write_text("scoring:\n  groups:\n    forward: [snip, not_a_proxy]\n")
    proc = snakemake(workdir, "-n", "--configfile", "config/demo.yaml", str(bad), timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config: scoring.groups.forward: unknown proxy 'not_a_proxy'" in out
