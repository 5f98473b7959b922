"""Deterministic, atomic writers shared by the analysis modules.

Every table goes through :func:`write_csv` (fixed ``%.8g`` floats, ``\\n`` line
ends, rows in the order given), :func:`markdown_table` / :func:`write_text`
(hand-written Markdown, so no ``tabulate`` dependency) and every figure through
:func:`save_figure` (PNG without the ``Software`` chunk, PDF without creation
date / producer, so two runs give identical bytes). Each file is written to a
temporary name next to its target and renamed into place
(:func:`zsnas.benchmarks.schema.atomic_path`).
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..benchmarks.schema import atomic_path

FLOAT_FORMAT = "%.8g"
SYNTHETIC_LABEL = "SYNTHETIC"
SYNTHETIC_BANNER = ("> **SYNTHETIC DATA** — at least one input (run, proxy cache or benchmark) "
                    "is flagged synthetic: these numbers exercise the pipeline and are **not** "
                    "results about NAS-Bench-101/201.")


def data_label(synthetic: bool) -> str:
    """Value of the ``data`` column every CSV carries: ``SYNTHETIC`` or ``real``."""
    return SYNTHETIC_LABEL if synthetic else "real"


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    if not text.endswith("\n"):
        text += "\n"
    return write_bytes(path, text.encode("utf-8"))


def write_csv(path: Path, df: pd.DataFrame, synthetic: bool) -> Path:
    """Write ``df`` plus a ``data`` column (``SYNTHETIC``/``real``) as CSV; a ``bench``
    column (``space/dataset``) is followed by its ``space`` and ``dataset``."""
    from .runs import with_space_dataset
    df = with_space_dataset(df)
    df["data"] = data_label(synthetic)
    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", na_rep="")
    return write_text(path, buf.getvalue())


def fmt_num(x, digits: int = 2, na: str = "n/a") -> str:
    """Fixed-point ``x`` with ``digits`` decimals; NaN/None → ``na``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return na
    x = float(x)
    if math.isnan(x):
        return na
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    out = f"{x:.{digits}f}"
    return "0." + "0" * digits if out == "-0." + "0" * digits else out


def fmt_mean_std(mean, std, digits: int = 2) -> str:
    """``"mean ± std"`` with ``digits`` decimals (``"93.48 ± 0.04"``); a missing
    std (a single run) prints ``n/a``."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    return f"{fmt_num(mean, digits)} ± {fmt_num(std, digits)}"


def fmt_p(p) -> str:
    """A p-value with four significant digits (``1.864e-12``, ``0.03125``)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    p = float(p)
    if p == 0:
        return "0"
    return f"{p:.4g}"


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (cells as ``str``; ``|`` escaped)."""
    def cell(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)):
            return FLOAT_FORMAT % v
        return str(v).replace("|", "\\|").replace("\n", " ")
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def latex_escape(s: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}
    return "".join(repl.get(c, c) for c in str(s))


def save_figure(fig, png: Path, pdf: Path, dpi: int = 150) -> tuple[Path, Path]:
    """Save a matplotlib figure as PNG and PDF with fixed metadata (no timestamps,
    no software versions), each atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)  # the Agg canvas, independent of pyplot's global backend
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    with atomic_path(pdf) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None,
                                                 "Producer": None, "Creator": "zsnas"})
    return Path(png), Path(pdf)


def new_figure(**kw):
    """A pyplot-free :class:`matplotlib.figure.Figure` on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(**kw)
    FigureCanvasAgg(fig)
    return fig


def stamp_synthetic(fig, synthetic: bool) -> None:
    """Write a red ``SYNTHETIC DATA`` label across the top of a figure."""
    if synthetic:
        fig.suptitle("SYNTHETIC DATA — not a NAS-Bench result", color="red", fontsize=11,
                     fontweight="bold")


#: One colour per method in every figure (proxies in the seed's order, baselines in greys
#: and distinct hues); other methods get a stable colour from their name.
METHOD_COLOURS = {
    "grad_norm": "#1f77b4", "snip": "#ff7f0e", "synflow": "#2ca02c", "grasp": "#d62728",
    "fisher": "#9467bd", "jacob_cov": "#8c564b", "nwot": "#e377c2", "params": "#bcbd22",
    "flops": "#17becf", "random": "#7f7f7f", "random-score": "#4d4d4d", "re": "#b8860b",
    "oracle": "#000000",
    # the newer proxies and the ensembles (lighter / darker tones, each its own)
    "l2_norm": "#aec7e8", "plain": "#ffbb78", "epe_nas": "#98df8a", "zen": "#ff9896",
    "zico": "#c5b0d5", "meco": "#c49c94", "swap": "#f7b6d2", "te_nas_ntk": "#dbdb8d",
    "te_nas_lr": "#9edae5", "az_expressivity": "#637939", "az_progressivity": "#8c6d31",
    "az_trainability": "#843c39", "vote": "#393b79", "te_nas": "#7b4173", "az_nas": "#e7298a",
}
_EXTRA = ("#66c2a5", "#fc8d62", "#8da0cb", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3",
          "#1b9e77", "#d95f02", "#7570b3", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def method_colour(method: str) -> str:
    """The colour of ``method`` in every figure."""
    if method in METHOD_COLOURS:
        return METHOD_COLOURS[method]
    import zlib
    return _EXTRA[zlib.crc32(str(method).encode()) % len(_EXTRA)]
