"""Snakemake on a real SLURM cluster: the local single-node test cluster of ci/slurm/start.sh.

Skipped (with the reason) when SLURM is not installed or the cluster is not up: this module
never installs or starts SLURM. CI runs ``bash ci/slurm/start.sh`` before pytest. Select or
deselect with ``-m slurm`` / ``-m 'not slurm'``.
"""
from __future__ import annotations

import re
import warnings

import pytest

from slurm_helpers import LOCAL_TEST_PROFILE, run_snakemake_on_slurm, slurm_unavailable_reason

_REASON = slurm_unavailable_reason()
with warnings.catch_warnings():
    # the 'slurm' marker is not registered in pyproject.toml; selecting with -m still works
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    pytestmark = [pytest.mark.slurm,
                  pytest.mark.skipif(_REASON is not None, reason=f"SLURM: {_REASON}")]

SNAKEFILE = r'''
# two independent jobs (run in parallel on the 2-CPU node), an aggregate, and a GPU job
PARTS = [1, 2]

rule all:
    input: "agg.txt", "gpu.txt"

rule part:
    output: "part_{i}.txt"
    threads: 1
    resources: mem_mb=100, runtime=2
    shell: "echo part={wildcards.i} job=${{SLURM_JOB_ID:-none}} host=$(hostname) > {output}"

rule aggregate:
    input: expand("part_{i}.txt", i=PARTS)
    output: "agg.txt"
    resources: mem_mb=100, runtime=2
    shell: "cat {input} > {output}"

rule gpu:
    output: "gpu.txt"
    resources: gpu=1, mem_mb=100, runtime=2
    shell: "echo CUDA_VISIBLE_DEVICES=${{CUDA_VISIBLE_DEVICES:-}} job=${{SLURM_JOB_ID:-none}} > {output}"
'''


def test_profile_exists():
    assert (LOCAL_TEST_PROFILE / "config.yaml").is_file()


def test_workflow_runs_on_slurm(tmp_path):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(SNAKEFILE)

    first = run_snakemake_on_slurm(tmp_path, snakefile)
    assert first.returncode == 0, first.report()

    parts = [(tmp_path / f"part_{i}.txt").read_text() for i in (1, 2)]
    jobs = [re.search(r"job=(\S+)", p).group(1) for p in parts]
    # each job ran inside its own SLURM allocation, not locally
    assert all(j.isdigit() for j in jobs), parts
    assert len(set(jobs)) == 2, parts
    assert (tmp_path / "agg.txt").read_text() == "".join(parts)

    gpu = (tmp_path / "gpu.txt").read_text()
    match = re.search(r"CUDA_VISIBLE_DEVICES=(\S*)", gpu)
    assert match and re.fullmatch(r"\d+(,\d+)*", match.group(1)), (
        f"the gpu=1 job got no CUDA_VISIBLE_DEVICES from SLURM's GRES: {gpu!r}\n"
        + first.report())
    assert re.search(r"job=\d+", gpu), gpu

    # everything is up to date: a second run submits nothing
    second = run_snakemake_on_slurm(tmp_path, snakefile)
    assert second.returncode == 0, second.report()
    assert "Nothing to be done" in second.output, second.report()
    assert "Submitted job" not in second.output and "sbatch" not in second.output, second.report()


SMALL_DEMO = """
benchmarks: [nb201/cifar10]
scoring:
  device: auto          # requests gpu=1 from SLURM (fake GPUs); torch falls back to the CPU
  shards: 1
search:
  proxies: [snip, synflow]
  strategies: [random]
  seeds: {start: 0, count: 1}
  C: 20
demo_sizes:
  nb201_archs: 40
  nb101_archs: 20
  images_per_batch: 16
"""


def test_demo_workflow_runs_on_slurm(tmp_path):
    """The project's own workflow (demo configuration, shrunk) through --executor slurm,
    including the GPU-resource score rule on a fake GPU; a rerun schedules nothing."""
    import shutil
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    for name in ("Snakefile", "workflow", "config", "envs", "src"):
        src = repo / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, tmp_path / name)
    (tmp_path / "small.yaml").write_text(SMALL_DEMO)
    args = ["--configfile", str(tmp_path / "config" / "demo.yaml"), str(tmp_path / "small.yaml")]
    first = run_snakemake_on_slurm(tmp_path, tmp_path / "Snakefile", extra=args, timeout=900)
    assert first.returncode == 0, first.report()
    analysis = tmp_path / "results" / "demo" / "analysis"
    assert (analysis / "table1.csv").is_file() and "SYNTHETIC" in (analysis / "table1.md").read_text()
    logs = list((tmp_path / "results" / "demo" / "logs" / "score").rglob("*.log"))
    assert logs, "no score logs"
    seen = [re.search(r"CUDA_VISIBLE_DEVICES=(\S*)\)", log.read_text()) for log in logs]
    assert all(m and m.group(1) in {"0", "1"} for m in seen), [log.read_text() for log in logs]
    again = run_snakemake_on_slurm(tmp_path, tmp_path / "Snakefile", extra=args + ["-n"],
                                   timeout=300)
    assert again.returncode == 0 and "Nothing to be done" in again.output, again.report()
