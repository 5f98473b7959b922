"""``zsnas search``: one guided-evolution (or baseline) run on cached proxy scores → JSON."""
from __future__ import annotations


def add_parser(sub) -> None:
    from ..search.fitness import FITNESS_TRIALS
    from ..search.ga import PRESETS, REGULARIZE
    from ..search.run import STRATEGIES
    from ..search.space_adapter import DEFAULT_TRIES
    from .args import int_at_least

    p = sub.add_parser(
        "search", help="run GEA (or a baseline) on a benchmark with cached proxy scores",
        description="One search run, simulated on a converted benchmark: GEA's guided "
                    "evolution exactly as coded (preset gea: C random architectures scored, "
                    "the best P trained, C+1 cycles of P+1 children; preset paper: C cycles "
                    "of P children), or a baseline with the same number of trainings "
                    "(random search, regularised evolution, the GA guided by the true "
                    "accuracy (oracle) or by a random score). One --seed fixes the run; "
                    "the record is written as JSON (format zsnas-run v1, documented in "
                    "zsnas.search.run).")
    p.add_argument("--benchmark", required=True, metavar="FILE", help="converted benchmark (HDF5)")
    p.add_argument("--cache", metavar="FILE",
                   help="proxy cache (HDF5); needed by --strategy gea, optional for "
                        "random-score (its 'random' column)")
    p.add_argument("--proxy", metavar="NAME",
                   help="proxy column of the cache, or an ensemble of its columns: a preset "
                        "(vote, te_nas, az_nas) or the name of --ensemble (strategy gea)")
    p.add_argument("--ensemble", metavar="METHOD:P1,P2,...",
                   help="the guide --proxy names is this rank aggregation of cached proxies; "
                        "METHOD: mean_rank, log_rank (AZ-NAS) or vote (majority, "
                        "Abdelfattah et al. 2021)")
    p.add_argument("--seed", type=int_at_least(0), required=True, help="seed of the run (>= 0)")
    p.add_argument("--strategy", choices=STRATEGIES, default="gea",
                   help="gea (default), random, re, oracle, random-score")
    p.add_argument("--preset", choices=tuple(PRESETS), default="gea",
                   help="gea: the code's loop (2,411 scores, 211 trainings); paper: C cycles "
                        "x P children (2,200 scores, 210 trainings)")
    p.add_argument("--P", type=int_at_least(1), help="population size (default 10)")
    p.add_argument("--S", type=int_at_least(1), help="tournament size, drawn with replacement (default 5)")
    p.add_argument("--C", type=int_at_least(0), help="initial random architectures (default 200)")
    p.add_argument("--cycles", type=int_at_least(0), help="cycles (default: C+1 for gea, C for paper)")
    p.add_argument("--children", type=int_at_least(1),
                   help="children per cycle (default: P+1 for gea, P for paper)")
    p.add_argument("--regularize", choices=REGULARIZE, default="oldest",
                   help="which member leaves the population (default oldest)")
    p.add_argument("--fitness-trial", choices=FITNESS_TRIALS, default="random",
                   help="fitness: one random trial (default, GEA) or the trial mean")
    p.add_argument("--fitness-budget", type=int_at_least(1), default=12,
                   help="epochs of the simulated training (default 12)")
    from ..spaces import get_space, space_names
    spaces = [get_space(s) for s in space_names()]
    reports = list(dict.fromkeys(r.name for s in spaces for r in s.reports))
    mutations = list(dict.fromkeys(m for s in spaces for m in s.mutations))
    p.add_argument("--report", default="default", choices=["default"] + reports,
                   help="reported accuracy (default: the space's first for the benchmark's "
                        "dataset — " + "; ".join(f"{s.name}: {', '.join(s.report_names())}"
                                                  for s in spaces) + ")")
    p.add_argument("--mutation", choices=mutations, default=None,
                   help="the space's mutation (default: its first, GEA's — "
                        + "; ".join(f"{s.name}: {', '.join(s.mutations)}" for s in spaces) + ")")
    p.add_argument("--mutation-tries", type=int_at_least(1), default=DEFAULT_TRIES,
                   help="mutation draws per child before falling back to a random "
                        f"architecture on a partial benchmark (default {DEFAULT_TRIES})")
    p.add_argument("--out", required=True, metavar="RUN.json", help="output (written atomically)")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..search.report import write_json
    from ..search.run import run_search
    from .args import check_output

    check_output(args.out, inputs=[args.benchmark, args.cache])

    record = run_search(
        args.benchmark, args.cache, seed=args.seed, proxy=args.proxy, strategy=args.strategy,
        preset=args.preset, P=args.P, S=args.S, C=args.C, cycles=args.cycles,
        children=args.children, regularize=args.regularize, fitness_budget=args.fitness_budget,
        fitness_trial=args.fitness_trial, report=args.report, mutation=args.mutation,
        mutation_tries=args.mutation_tries, ensemble=args.ensemble)
    out = write_json(record, args.out)
    s = record["settings"]
    if not record.get("train_time_known", True):
        print(f"zsnas search: note: {args.benchmark} stores no training times; the simulated "
              "search time is unknown (null in the run)", file=sys.stderr)
    print(f"{out}: {s['space']} {s['strategy']}"
          + (f" {s['proxy']}" if s["proxy"] else "")
          + f" seed {s['seed']}: final {record['final']['encoding']} accuracy "
          f"{record['final_accuracy']:.2f} % ({s['report']}), {record['n_trainings']} "
          f"trainings, {record['n_proxy_calls']} proxy calls, search time "
          + (f"{record['search_time'] / 3600:.2f} h simulated" if record["search_time"] is not None
             else "unknown"))
    return 0
