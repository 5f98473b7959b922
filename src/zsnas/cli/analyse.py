"""``zsnas analyse``: tables, curves, statistics and proxy quality from run files."""
from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "analyse", help="aggregate search runs into tables, figures and statistics",
        description="Read run JSON files (files, folders searched recursively for *.json, or "
                    "glob patterns) and write into --out: table1.csv/.md/.tex (mean ± std final "
                    "accuracy), curves.csv/.png/.pdf (convergence with 95%% CI), stats_*.csv + "
                    "stats_summary.md (ANOVA/Tukey, Welch/Games-Howell, Kruskal-Wallis/Dunn, "
                    "Levene, Shapiro-Wilk), counts.csv/.md, reproduction.csv/.md (beside the "
                    "seed study's Table 1) and, with --cache and --benchmark for a space, "
                    "quality.csv/.png/.pdf (Spearman, Kendall, top-k%% overlap).")
    p.add_argument("runs", nargs="+", metavar="RUN",
                   help="run JSON file, folder of runs or glob pattern")
    p.add_argument("--cache", action="append", default=[], metavar="[SPACE=]FILE",
                   help="merged proxy cache (HDF5); repeat for each space")
    p.add_argument("--benchmark", action="append", default=[], metavar="[SPACE=]FILE",
                   help="benchmark file (HDF5) matching a --cache; repeat for each space")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.report import analyse
    from .args import check_output
    check_output(args.out, option="--out", folder=True)
    written = analyse(args.runs, args.out, cache=args.cache or None,
                      benchmark=args.benchmark or None)
    for path in written.values():
        print(path)
    return 0
