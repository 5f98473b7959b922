"""Analysis of search runs: Table 1, convergence curves, significance tests,
search coverage, comparison with the seed study, proxy quality.

Entry point: :func:`analyse` (``zsnas analyse``). One module per job:
:mod:`.runs` (load run JSONs), :mod:`.table1`, :mod:`.curves`, :mod:`.stats`,
:mod:`.counts`, :mod:`.reproduction` + :mod:`.published`, :mod:`.quality`,
:mod:`.report`; :mod:`.output` holds the deterministic atomic writers.
"""
from .report import analyse
from .runs import RunData, RunFileError, load_runs, read_run

__all__ = ["RunData", "RunFileError", "analyse", "load_runs", "read_run"]
