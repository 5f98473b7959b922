"""Run Snakemake workflows on the local single-node SLURM test cluster (ci/slurm/start.sh).

Used by tests/test_slurm.py; the project's real workflow can be run the same way::

    from slurm_helpers import run_snakemake_on_slurm, slurm_unavailable_reason
    res = run_snakemake_on_slurm(tmp_path, REPO / "workflow" / "Snakefile",
                                 configfile=REPO / "config" / "demo.yaml")
    assert res.returncode == 0, res.report()

Nothing here installs or starts SLURM: CI runs ``bash ci/slurm/start.sh`` before pytest.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[1]
LOCAL_TEST_PROFILE = REPO / "profiles" / "slurm-local-test"
# node states (sinfo %t) in which the node accepts jobs; a trailing '*' (not responding),
# 'drain', 'down', 'inval' etc. mean the cluster is not usable
USABLE_STATES = {"idle", "mix", "alloc", "comp"}


def slurm_unavailable_reason() -> str | None:
    """Why the local SLURM cluster cannot be used, or None when it is up with a usable node."""
    for tool in ("sinfo", "sbatch", "squeue", "timeout"):
        if shutil.which(tool) is None:
            return (f"'{tool}' is not on PATH: no SLURM here (CI starts a local cluster with "
                    "'bash ci/slurm/start.sh' before pytest)")
    for module in ("snakemake", "snakemake_executor_plugin_slurm"):
        if importlib.util.find_spec(module) is None:
            return (f"Python module '{module}' is not installed (pip install 'snakemake>=9.27,<10' "
                    "'snakemake-executor-plugin-slurm>=2.8,<3')")
    try:
        proc = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                              timeout=5)
    except subprocess.TimeoutExpired:
        return ("'sinfo' got no answer from slurmctld within 5 s: the SLURM cluster is not up "
                "(start it with 'bash ci/slurm/start.sh')")
    except OSError as exc:
        return f"'sinfo' could not run: {exc}"
    if proc.returncode != 0:
        return (f"SLURM cluster is not up ('sinfo' exit {proc.returncode}: "
                f"{proc.stderr.strip()[:200]}); start it with 'bash ci/slurm/start.sh'")
    states = proc.stdout.split()
    if not any(s in USABLE_STATES for s in states):
        return (f"no SLURM node is idle/mixed/allocated (sinfo states: {states or 'none'}); "
                "run 'bash ci/slurm/start.sh' (it resumes drained nodes)")
    return None


@dataclass
class SnakemakeResult:
    """Outcome of one snakemake run: exit status, combined stdout+stderr, the command."""
    returncode: int
    output: str
    cmd: list[str]
    workdir: Path

    @property
    def timed_out(self) -> bool:
        return self.returncode in (124, 137)

    def report(self, tail: int = 12000) -> str:
        """Failure message: command, exit status, output tail and the SLURM job logs."""
        parts = [f"command: {' '.join(self.cmd)}", f"exit status: {self.returncode}"
                 + (" (timed out)" if self.timed_out else ""),
                 "----- snakemake output (tail) -----", self.output[-tail:]]
        logdir = self.workdir / ".snakemake" / "slurm_logs"
        if logdir.is_dir():
            for log in sorted(logdir.rglob("*.log"))[-10:]:
                text = log.read_text(errors="replace")
                parts += [f"----- {log.relative_to(self.workdir)} (tail) -----", text[-3000:]]
        return "\n".join(parts)


def run_snakemake_on_slurm(workdir: str | os.PathLike, snakefile: str | os.PathLike,
                           configfile: str | os.PathLike | None = None,
                           extra: Sequence[str] = (), *, timeout: int = 300,
                           profile: str | os.PathLike = LOCAL_TEST_PROFILE,
                           env: dict[str, str] | None = None) -> SnakemakeResult:
    """Run ``snakemake`` with the SLURM executor on the local test cluster.

    Runs ``timeout -k 10 <timeout> <python> -m snakemake --snakefile SNAKEFILE --directory
    WORKDIR --workflow-profile profiles/slurm-local-test [--configfile CONFIGFILE] *EXTRA``
    from WORKDIR with this interpreter (the SLURM jobs run the same interpreter: sbatch
    --export=ALL). ``timeout -k`` because the plugin can ignore SIGTERM while it polls.
    Returns a SnakemakeResult; it does not raise when snakemake fails.
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake",
           "--snakefile", str(Path(snakefile).resolve()), "--directory", str(workdir),
           "--workflow-profile", str(Path(profile).resolve())]
    if configfile is not None:
        cmd += ["--configfile", str(Path(configfile).resolve())]
    cmd += [str(x) for x in extra]
    run_env = dict(os.environ if env is None else env)
    # a user/global profile must not change what the test runs
    run_env.pop("SNAKEMAKE_PROFILE", None)
    proc = subprocess.run(cmd, cwd=workdir, env=run_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    return SnakemakeResult(proc.returncode, proc.stdout, cmd, workdir)
