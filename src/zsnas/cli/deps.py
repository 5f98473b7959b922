"""``zsnas deps``: the code a pipeline job runs, and its fingerprint (zsnas.codedeps)."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..codedeps import STAGES
    p = sub.add_parser(
        "deps", help="print the modules and code fingerprint of a pipeline stage",
        description="The import closure of what a job of STAGE runs (see zsnas.codedeps): a "
                    "job reruns in the workflow exactly when this fingerprint changes. "
                    "Comments, blank lines, formatting and docstrings do not count.")
    p.add_argument("stage", choices=STAGES)
    p.add_argument("--space", help="convert, score, search: the search space")
    p.add_argument("--proxies", default="", help="score: comma list of proxies")
    p.add_argument("--converter", help="convert: the converter kind (nb101, nats, ...)")
    p.add_argument("--writer", help="synth: the synthetic source kind")
    p.add_argument("--spaces", default="", help="analyse: comma list of spaces")
    p.add_argument("--dataset", help="score: the benchmark's dataset")
    p.add_argument("--datasets", default="", help="analyse: comma list of datasets")
    p.add_argument("--list", action="store_true", help="also list the modules")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..codedeps import stage_fingerprint, stage_modules
    from ..errors import UsageError
    kwargs = {"space": args.space, "converter": args.converter, "writer": args.writer,
              "proxies": [p for p in args.proxies.split(",") if p],
              "spaces": [s for s in args.spaces.split(",") if s], "dataset": args.dataset,
              "datasets": [d for d in args.datasets.split(",") if d]}
    needs = {"convert": ("space", "converter"), "score": ("space", "proxies"),
             "search": ("space",), "synth": ("writer",), "analyse": (), "merge": ()}
    for key in needs[args.stage]:
        if not kwargs[key]:
            raise UsageError(f"deps {args.stage} needs --{key}")
    if args.list:
        for name in stage_modules(args.stage, **kwargs):
            print(name)
    print(stage_fingerprint(args.stage, **kwargs))
    return 0
