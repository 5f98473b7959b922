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
    """A copy of the workflow with its own src/ (the code the rules run and fingerprint)."""
    for name in ("Snakefile", "workflow", "config", "envs", "profiles", "src"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, dest / name)
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
    assert len(runs) == 3 * METHODS * 4                  # nb201 x {cifar10, cifar100}, nb101
    base = demo / "results" / "demo" / "runs" / "nb201"
    assert (base / "cifar100" / "gea" / "snip" / "seed0.json").is_file()
    assert (base / "cifar10" / "random" / "seed0.json").is_file()
    table = (analysis / "table1.md").read_text()
    assert "NAS-Bench-201 / CIFAR-100" in table and "NAS-Bench-101 / CIFAR-10" in table
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
                 "reproduction.csv", "quality.png", "quality_scatter.png", "findings.md",
                 "effects.csv", "effects.png", "anytime.csv", "anytime.png",
                 "search_quality.csv", "search_quality.png"):
        assert any(n.endswith(part) for n in names), part


# ---------------------------------------------------------------- exact code dependencies
GEA = {"grad_norm", "snip", "grasp", "fisher", "jacob_cov", "synflow", "zico", "swap", "vote",
       "te_nas", "az_nas"}                     # config/demo.yaml's guides
METHODS = len(GEA) + 4                      # and the four baselines
SHARDS = 7 * 2                              # proxy groups x shards, per benchmark


def edit_and_plan(demo, module: str, text: str, where: str = "end") -> dict[str, list[dict]]:
    """Edit the demo copy's ``src/zsnas/<module>`` (append ``text``), dry-run, restore."""
    path = demo / "src" / "zsnas" / module
    original = path.read_bytes()
    try:
        if where == "end":
            path.write_bytes(original + text.encode())
        else:                                   # replace the first line that has `where`
            lines = original.decode().splitlines(keepends=True)
            k = next(i for i, line in enumerate(lines) if where in line)
            lines[k] = lines[k].replace(where, text, 1)
            path.write_text("".join(lines))
        return planned(demo)
    finally:
        path.write_bytes(original)


def by_rule(jobs, rule, key):
    return sorted(j[key] for j in jobs.get(rule, []))


def test_comment_whitespace_docstring_edits_rerun_nothing(demo):
    """Documented: comments, blank lines, formatting and docstrings are not code."""
    assert not edit_and_plan(demo, "proxies/snip.py", "\n# a comment\n\n\n")
    assert not edit_and_plan(demo, "benchmarks/store.py", "\n# added by a reader\n")
    assert not edit_and_plan(demo, "search/ga.py", "REGULARIZE   =   (", where="REGULARIZE = (")
    assert not edit_and_plan(demo, "proxies/snip.py", '"""SNIP, edited docs (Lee et al.,',
                             where='"""snip (Lee et al.,')


def test_proxy_code_change_reruns_its_group_only(demo):
    jobs = edit_and_plan(demo, "proxies/snip.py", "\n_EDITED = 1\n")
    assert {j["group"] for j in jobs["score"]} == {"forward"}      # snip's group, not synflow's
    assert len(jobs["score"]) == 3 * 2                              # 3 benchmarks x 2 shards
    assert "convert" not in jobs and len(jobs["merge"]) == 3
    assert set(by_rule(jobs, "search_gea", "proxy")) == GEA         # all read the cache ...
    assert set(by_rule(jobs, "search_baseline", "strategy")) == {"random-score"}  # ... this too
    assert "analyse" in jobs


def test_flop_counter_change_reruns_the_static_group(demo):
    """networks/flops.py is the flops/params proxies' arithmetic (missed before)."""
    jobs = edit_and_plan(demo, "networks/flops.py", "\n_EDITED = 1\n")
    assert {j["group"] for j in jobs["score"]} == {"static"} and len(jobs["score"]) == 6


def test_scoring_batch_reader_change_reruns_every_shard(demo):
    jobs = edit_and_plan(demo, "datasets/pickled_batches.py", "\n_EDITED = 1\n")
    assert len(jobs["score"]) == 3 * SHARDS and "convert" not in jobs


def test_mutation_change_reruns_that_spaces_searches_only(demo):
    jobs = edit_and_plan(demo, "spaces/nb201_evolution.py", "\n_EDITED = 1\n")
    assert "score" not in jobs and "merge" not in jobs and "convert" not in jobs
    searches = jobs["search_gea"] + jobs["search_baseline"]
    assert {j["space"] for j in searches} == {"nb201"} and len(searches) == 2 * METHODS * 4
    assert "analyse" in jobs


def test_network_builder_change_reruns_that_spaces_scoring(demo):
    jobs = edit_and_plan(demo, "networks/nb101.py", "\n_EDITED = 1\n")
    assert {j["space"] for j in jobs["score"]} == {"nb101"} and len(jobs["score"]) == SHARDS
    assert by_rule(jobs, "merge", "space") == ["nb101"] and "convert" not in jobs
    assert {j["space"] for j in jobs["search_gea"]} == {"nb101"}


def test_converter_change_reruns_that_conversion_and_what_follows(demo):
    jobs = edit_and_plan(demo, "benchmarks/convert_nb101.py", "\n_EDITED = 1\n")
    assert by_rule(jobs, "convert", "space") == ["nb101"]
    assert {j["space"] for j in jobs["score"]} == {"nb101"}
    searches = jobs["search_gea"] + jobs["search_baseline"]
    assert {j["space"] for j in searches} == {"nb101"} and len(searches) == METHODS * 4
    assert "synth_nb101" not in jobs


def test_query_api_change_reruns_readers_not_converters(demo):
    """store.py is read by scoring, search and analysis; no conversion imports it."""
    jobs = edit_and_plan(demo, "benchmarks/store.py", "\n_EDITED = 1\n")
    assert "convert" not in jobs and len(jobs["score"]) == 3 * SHARDS
    assert len(jobs["search_gea"]) + len(jobs["search_baseline"]) == 3 * METHODS * 4


def test_merge_change_reruns_merges_and_what_reads_them(demo):
    jobs = edit_and_plan(demo, "scoring/merge.py", "\n_EDITED = 1\n")
    assert "score" not in jobs and "convert" not in jobs and len(jobs["merge"]) == 3
    assert set(by_rule(jobs, "search_gea", "proxy")) == GEA
    assert set(by_rule(jobs, "search_baseline", "strategy")) == {"random-score"}


def test_search_change_reruns_searches_only(demo):
    jobs = edit_and_plan(demo, "search/ga.py", "\n_EDITED = 1\n")
    assert set(jobs) == {"search_gea", "search_baseline", "analyse", "all"}
    assert len(jobs["search_gea"]) + len(jobs["search_baseline"]) == 3 * METHODS * 4


def test_analysis_change_reruns_the_analysis_only(demo):
    assert set(edit_and_plan(demo, "analysis/stats.py", "\n_EDITED = 1\n")) == \
        {"analyse", "all"}


def test_edits_outside_every_closure_rerun_nothing(demo):
    assert not edit_and_plan(demo, "benchmarks/download.py", "\n_EDITED = 1\n")
    assert not edit_and_plan(demo, "synthetic/search_fixtures.py", "\n_EDITED = 1\n")


def test_protected_output_stops_the_run_in_one_line(demo):
    """protect_caches: a run that would recompute a read-only benchmark stops before any job,
    naming the file and the command that allows it; nothing is touched."""
    override = demo / "protect.yaml"
    override.write_text("protect_caches: true\n")
    proc = snakemake(demo, "--cores", "1", "--configfile", "config/demo.yaml", str(override))
    assert proc.returncode == 0, proc.stderr[-3000:]         # nothing to do; files protected
    bench = demo / "results" / "demo" / "benchmarks" / "nb101" / "cifar10.h5"
    assert not bench.stat().st_mode & 0o222
    path = demo / "src" / "zsnas" / "benchmarks" / "convert_nb101.py"
    original = path.read_bytes()
    before = {f: f.stat().st_mtime_ns for f in (demo / "results").rglob("*") if f.is_file()}
    try:
        path.write_bytes(original + b"\n_EDITED = 1\n")
        proc = snakemake(demo, "--cores", "1", "--configfile", "config/demo.yaml",
                         str(override))
        dry = snakemake(demo, "-n", "--configfile", "config/demo.yaml", str(override))
    finally:
        path.write_bytes(original)
        for f in (demo / "results" / "demo").rglob("*.h5"):
            f.chmod(0o644)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "write-protected" in line]
    assert lines == ["zsnas workflow: error: results/demo/benchmarks/nb101/cifar10.h5 is "
                     "write-protected and would be recomputed (the converter's code "
                     "changed); to allow it: chmod u+w results/demo/benchmarks/nb101/cifar10.h5"]
    assert "Job stats" not in proc.stdout + proc.stderr
    after = {f: f.stat().st_mtime_ns for f in (demo / "results").rglob("*") if f.is_file()}
    assert {f: m for f, m in after.items() if f in before} == before
    assert dry.returncode == 0 and "zsnas workflow: warning:" in dry.stderr


def test_ga_parameter_change_reruns_searches_only(demo):
    jobs = planned(demo, "search:\n  P: 8\n")
    assert "score" not in jobs and "merge" not in jobs and "convert" not in jobs
    assert len(jobs["search_gea"]) + len(jobs["search_baseline"]) == 3 * METHODS * 4
    assert "analyse" in jobs


def test_new_seed_runs_only_the_new_searches(demo):
    jobs = planned(demo, "search:\n  seeds: {start: 0, count: 5}\n")
    assert set(jobs) == {"search_gea", "search_baseline", "analyse", "all"}
    assert {j["seed"] for j in jobs["search_gea"] + jobs["search_baseline"]} == {"4"}


def test_adding_a_dataset_schedules_only_its_jobs(demo):
    jobs = planned(demo, "benchmarks: [nb201/cifar10, nb201/cifar100, nb101/cifar10, "
                         "nb201/ImageNet16-120]\n")
    assert by_rule(jobs, "convert", "dataset") == ["ImageNet16-120"]
    assert by_rule(jobs, "synth_dataset", "dataset") == ["ImageNet16-120"]
    for rule in ("score", "merge", "search_gea", "search_baseline"):
        assert {j["dataset"] for j in jobs[rule]} == {"ImageNet16-120"}, rule
    assert len(jobs["score"]) == SHARDS and "synth_nats" not in jobs and "analyse" in jobs


def test_ensemble_definition_reruns_only_its_searches(demo):
    """An ensemble is computed from the cache: redefining one reruns its own GEA runs and
    the analysis, nothing scored; a new ensemble guide runs only its searches."""
    jobs = planned(demo, "ensembles:\n  vote: {members: [synflow, jacob_cov, snip, zico], "
                         "method: vote}\n")
    assert set(jobs) == {"search_gea", "analyse", "all"}
    assert set(by_rule(jobs, "search_gea", "proxy")) == {"vote"}
    assert len(jobs["search_gea"]) == 3 * 4
    jobs = planned(demo, "ensembles:\n  mine: [zico, meco]\nsearch:\n  proxies: [grad_norm, "
                         "snip, grasp, fisher, jacob_cov, synflow, zico, swap, vote, te_nas, "
                         "az_nas, mine]\n")
    assert set(jobs) == {"search_gea", "analyse", "all"}
    assert set(by_rule(jobs, "search_gea", "proxy")) == {"mine"}


def test_ensemble_of_an_unscored_proxy_stops_the_run(demo):
    (demo / "bad_ens.yaml").write_text("search:\n  proxies: [snip, mine]\n"
                                       "ensembles:\n  mine: [snip, not_scored]\n")
    proc = snakemake(demo, "-n", "--configfile", "config/demo.yaml", "bad_ens.yaml",
                     timeout=300)
    assert proc.returncode != 0
    assert "config: search.proxies: ensemble 'mine' needs 'not_scored'" in proc.stdout + proc.stderr


def test_adding_the_size_space_schedules_only_its_jobs(demo):
    """config/demo-sss.yaml: the NATS size space's synthetic archive, conversion, scoring,
    searches — and nothing of the other benchmarks but the analysis."""
    jobs = planned(demo, (demo / "config" / "demo-sss.yaml").read_text())
    assert "synth_nats_sss" in jobs and by_rule(jobs, "convert", "space") == ["nats-sss"]
    for rule in ("score", "merge", "search_gea", "search_baseline"):
        assert {j["space"] for j in jobs[rule]} == {"nats-sss"}, rule
    assert len(jobs["score"]) == SHARDS and "analyse" in jobs


def test_protect_setting_reruns_nothing(demo):
    assert not planned(demo, "protect_caches: true\n")


def test_scoring_workers_and_threads_rerun_nothing(demo):
    """How many processes and threads score a shard does not change a score."""
    assert not planned(demo, "scoring:\n  workers: 2\n  cpu_threads: 2\n")


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
    bad.write_text("search:\n  P: 10\n  C: 5\n")
    proc = snakemake(workdir, "-n", "--configfile", "config/demo.yaml", str(bad), timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Job stats" not in out
    assert "config: search.C: C = 5 is smaller than P = 10" in out
    bad.write_text("benchmarks: [nb201/cifar10, nb101/cifar100]\n")
    proc = snakemake(workdir, "-n", "--configfile", "config/demo.yaml", str(bad), timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Job stats" not in out
    assert ("config: benchmarks: nb101/cifar100: the nb101 benchmark has no dataset 'cifar100' "
            "(it has: cifar10)") in out
    bad.write_text("benchmarks: [nb201/ImageNet16-120]\n")   # the study's folder is absent
    proc = snakemake(workdir, "-n", "--configfile", "config/config.yaml", str(bad), timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Job stats" not in out
    assert "config: data_folders.ImageNet16-120: data/ImageNet16 does not exist " \
        "(ImageNet16-120 cannot be downloaded;" in out


def test_rules_run_the_interpreter_that_runs_snakemake(demo):
    """Not `python` from PATH: a venv's snakemake run by its full path uses its own python."""
    proc = snakemake(demo, "-n", "-p", "--forcerun", "analyse", "--configfile", "config/demo.yaml",
                     timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{sys.executable} -m zsnas analyse" in proc.stdout
