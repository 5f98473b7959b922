"""Scoring cost: a cost model of the six-proxy pass, the shared pass vs the plain loop, workers.

    python benchmarks/proxies.py [--device cpu|cuda] [--archs 4] [--batch 64] [--threads 2]
                                 [--skip-128] [--workers 1,2,4] [--quick]

For NB201 (C=16, N=5) and NB101 at stem 16 (GEA's scoring width) and 128 (the
benchmark's), on random architectures (NB201: connected cells, uniform ops;
NB101: the NB101 paper's sampler) and a random batch of 32×32 images:

1. **Cost model.**  The FLOPs of one forward on the batch (from the encoding,
   NB201 convention: multiply-accumulates of conv + linear), the *unit* — the
   measured time of one plain forward + cross-entropy backward of the
   network — and every stage of the six-proxy pass (grad_norm, snip, grasp,
   fisher, jacob_cov, synflow) as ``zsnas score`` runs it, in units: build +
   move to the device, the shared forward, the CE backward (one backward for
   grad_norm / snip / fisher / GraSP's g, taken with ``create_graph`` for
   GraSP), GraSP's Hessian-gradient product, the input Jacobian, synflow (its
   own float64 copy, one image), the reductions, and the cache write
   (amortised).  The arithmetic floor of the pass is about 4 units
   (forward + CE backward 1, GraSP's product ~2 more, the Jacobian ~⅔, synflow
   one image).
2. **Candidates** measured in the same run and kept only if they pay: GraSP's
   product as forward-over-reverse (``torch.func.jvp`` of the gradient, tangent W;
   grasp = −gᵀ(H·W) = −Wᵀ(H·g)), with its largest relative difference from the
   double backward.
3. **Throughput**: architectures/s of the whole six-proxy pass, shared
   (``zsnas score``'s engine) vs the plain one-proxy-per-pass loop
   (``shared=False``: a fresh copy and pass per proxy, as foresight), both
   including build and move, measured side by side; the implied time for all
   15,625 NB201 architectures.
4. **Workers** (``--workers``): the real scoring engine (``score_shard``) on a
   small benchmark file of random architectures with K processes sharing the
   device — archs/s per K and the implied whole-space times.  On CUDA the cost
   model also prints the peak memory of one-at-a-time scoring;
   ``benchmarks/device.sh`` adds the GPU's utilisation and memory while the
   workers run.

Wall-clock on whatever machine runs it: state the device with the figures, and
compare ratios measured in one run (a shared machine is noisy).
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from zsnas.networks.flops import params_and_flops
from zsnas.proxies import PROXIES, SIX, score_network
from zsnas.proxies.common import fresh_copy, scored_layers
from zsnas.proxies.forward_pass import run_forward_pass
from zsnas.scoring.engine import arch_seed
from zsnas.spaces import get_space, nb101_evolution, nb201, nb201_evolution

FORWARD_SIX = [p for p in SIX if PROXIES[p].group == "forward"]
OWN_SIX = [p for p in SIX if PROXIES[p].group == "own"]


def sample(space: str, n: int, rng):
    out = []
    while len(out) < n:
        if space == "nb201":
            ops = nb201_evolution.random_ops(rng)
            if nb201.is_connected(ops):
                out.append(ops)
        else:
            out.append(nb101_evolution.random_spec(rng))
    return out


def sync_fn(device):
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def build(space: str, arch, width: int, seed: int, device):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = get_space(space).build(arch, width, 10)
    return model.to(device).train()


def clocked(sync, fn):
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    return time.perf_counter() - t0, out


def unit_seconds(model, x, y, sync, reps: int = 2) -> float:
    """One plain forward + CE backward of ``model`` (best of ``reps``, on fresh copies)."""
    best = math.inf
    for _ in range(reps):
        net = fresh_copy(model)
        dt, _ = clocked(sync, lambda: F.cross_entropy(net(x), y).backward())
        best = min(best, dt)
    return best


def grasp_jvp(model, x, y) -> float:
    """grasp = −gᵀ(H·W) by forward-over-reverse (``torch.func.jvp`` of ``torch.func.grad``)."""
    from torch.func import functional_call, grad, jvp
    net = fresh_copy(model)
    for m in net.modules():   # batch statistics only (train-mode output unchanged), no buffer writes
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.track_running_stats = False
            m.running_mean = m.running_var = m.num_batches_tracked = None
    names = {id(p): n for n, p in net.named_parameters()}
    wnames = [names[id(layer.weight)] for layer in scored_layers(net)]
    params = {n: p.detach() for n, p in net.named_parameters()}

    def loss(w):
        return F.cross_entropy(functional_call(net, {**params, **w}, (x,)), y)

    weights = {n: params[n] for n in wnames}
    g, hw = jvp(grad(loss), (weights,), (weights,))
    return -sum(float((g[n] * hw[n]).sum()) for n in wnames)


def cache_write_seconds(n: int = 1953) -> float:
    """Writing one finished 1,953-architecture shard (15,625 / 8) of the six proxies."""
    from zsnas.scoring.cache import OK, write_cache
    rng = np.random.default_rng(0)
    arrays = {p: rng.normal(size=n) for p in SIX}
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        write_cache(Path(d) / "c.h5", space="nb201", ids=np.arange(n), proxies=list(SIX),
                    scores=arrays, seconds=arrays,
                    status={p: np.full(n, OK, dtype=np.int8) for p in SIX},
                    settings={"bench": "cost model"})
        return time.perf_counter() - t0


def cost_model(space, width, archs, x, y, device, write_s):
    """Per-architecture seconds of every stage of the shared six-proxy pass (summed over
    ``archs``), the unit, FLOPs, the plain loop and the jvp candidate."""
    sync = sync_fn(device)
    sp = get_space(space)
    needs = frozenset(n for p in FORWARD_SIX for n in PROXIES[p].needs)
    t = {k: 0.0 for k in ("unit", "build", "forward", "ce_backward", "hessian", "jacobian",
                          "synflow", "reductions", "shared total", "plain loop", "grasp jvp")}
    mflops, jvp_err = 0.0, 0.0
    for i, arch in enumerate(archs):
        seed = arch_seed(0, i)
        mflops += params_and_flops(sp, arch, width, 10, x.shape[-1])[1] * x.shape[0]
        model = build(space, arch, width, seed, device)
        t["unit"] += unit_seconds(model, x, y, sync)
        # the shared pass, stage by stage, as the engine runs it (synflow on its own copy,
        # the forward group on the network itself)
        t0 = time.perf_counter()
        sync()
        dt_build, model = clocked(sync, lambda: build(space, arch, width, seed, device))
        t["build"] += dt_build
        for p in OWN_SIX:
            dt, _ = clocked(sync, lambda: PROXIES[p].fn(fresh_copy(model), x, y))
            t["synflow"] += dt
        state = run_forward_pass(model, x, y, needs, sync=sync)
        for stage, secs in state.seconds.items():
            t[stage] += secs
        values = {}
        for p in FORWARD_SIX:
            dt, values[p] = clocked(sync, lambda: PROXIES[p].fn(state))
            t["reductions"] += dt
        sync()
        t["shared total"] += time.perf_counter() - t0
        state = None  # free the graph before the plain loop
        # the plain loop: a fresh copy and pass per proxy (foresight), build included
        dt, _ = clocked(sync, lambda: score_network(build(space, arch, width, seed, device), x,
                                                    y, SIX, arch_seed=seed, shared=False))
        t["plain loop"] += dt
        # candidate: GraSP's product by forward-over-reverse
        fresh = build(space, arch, width, seed, device)
        dt, value = clocked(sync, lambda: grasp_jvp(fresh, x, y))
        t["grasp jvp"] += dt
        jvp_err = max(jvp_err, abs(value - values["grasp"]) / max(abs(values["grasp"]), 1e-30))
    n = len(archs)
    per = {k: v / n for k, v in t.items()}
    arch_seconds = per["shared total"]
    # a checkpoint every 60 s plus the final write, spread over the shard's architectures
    per["cache write"] = write_s / 1953 + write_s * arch_seconds / 60.0
    return per, mflops / n, jvp_err


def other_proxies(settings, archs_n, x, y, device, names) -> dict:
    """Seconds per architecture of each proxy in ``names`` alone (its own copy and pass, as
    ``score_network`` runs a one-proxy selection; build excluded), and for a forward-group
    proxy also its marginal cost when it joins the six-proxy shared pass."""
    sync = sync_fn(device)
    rng = np.random.default_rng(1)
    out = {}
    for space, width in settings:
        archs = sample(space, archs_n, rng)
        for i, arch in enumerate(archs):
            seed = arch_seed(0, i)
            model = build(space, arch, width, seed, device)
            dt_six, _ = clocked(sync, lambda: score_network(model, x, y, SIX, arch_seed=seed))
            for name in names:
                dt, res = clocked(sync, lambda: score_network(model, x, y, [name],
                                                              arch_seed=seed))
                row = out.setdefault((space, width, name), {"alone": 0.0, "joined": 0.0,
                                                            "errors": 0})
                row["alone"] += dt / archs_n
                row["errors"] += res[name].error is not None
                if PROXIES[name].group == "forward":
                    dt_j, _ = clocked(sync, lambda: score_network(model, x, y, list(SIX) + [name],
                                                                  arch_seed=seed))
                    row["joined"] += (dt_j - dt_six) / archs_n
                else:
                    row["joined"] = math.nan
    return out


def synthetic_benchmark(space: str, n_archs: int, folder: Path) -> Path:
    """A benchmark file of ``n_archs`` random architectures (``zsnas convert table``)."""
    import json

    import pandas as pd

    from zsnas.benchmarks.convert_table import convert_table
    archs = sample(space, n_archs, np.random.default_rng(5))
    if space == "nb201":
        cols = {"index": range(len(archs)), "arch": [nb201.arch_str(a) for a in archs]}
    else:
        cols = {"adjacency": [json.dumps(np.asarray(a.original_matrix).tolist()) for a in archs],
                "ops": [json.dumps(list(a.original_ops)) for a in archs]}
    table = pd.DataFrame({**cols, "valid_acc@12": np.linspace(50, 80, len(archs))})
    table.to_csv(folder / f"{space}.csv", index=False)
    return convert_table(folder / f"{space}.csv", folder / f"{space}.h5", space=space)


def bench_workers(settings, workers: list[int], device, batch: int, n_archs: int) -> dict:
    """archs/s of ``score_shard`` — the real engine, build, move, checkpoints and worker
    start-up included — with K processes sharing the device."""
    from zsnas.benchmarks.store import Benchmark
    from zsnas.scoring.data import BatchSettings
    from zsnas.scoring.engine import ScoreJob, score_shard
    from zsnas.synthetic.cifar10 import write_cifar10_archive
    out = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        data = write_cifar10_archive(d / "cifar-10-python.tar.gz", n_per_batch=max(batch, 20),
                                     seed=0)
        benches = {space: synthetic_benchmark(space, n_archs, d) for space in
                   sorted({s for s, _ in settings})}
        for space, width in settings:
            for k in workers:
                job = ScoreJob(benchmark=benches[space], data=data,
                               out=d / f"{space}{width}w{k}.h5", proxies=list(SIX),
                               batch=BatchSettings(batch_size=batch), width=width,
                               device=str(device), workers=k, progress=False)
                t0 = time.perf_counter()
                score_shard(job)
                out[(space, width, k)] = len(Benchmark(benches[space]).ids) / \
                    (time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--archs", type=int, default=4, help="architectures per setting")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-128", action="store_true", help="skip NB101 at stem 128")
    ap.add_argument("--workers", default="", help="e.g. 1,2,4: also time score_shard with "
                    "K processes sharing the device (NB201 C=16)")
    ap.add_argument("--worker-archs", type=int, default=24,
                    help="architectures of the synthetic benchmark for --workers")
    ap.add_argument("--quick", action="store_true", help="NB201 C=16 only")
    ap.add_argument("--others", default="auto",
                    help="5.: the proxies beyond the six to time one by one (comma list; "
                         "'auto': every registered one except random; 'none': skip)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else \
        f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {name}; batch {args.batch}; {args.archs} architectures per setting; "
          f"torch {torch.__version__}", flush=True)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32, generator=g).to(device)
    y = torch.randint(0, 10, (args.batch,), generator=g).to(device)
    rng = np.random.default_rng(0)
    settings = [("nb201", 16)] if args.quick else \
        [("nb201", 16), ("nb101", 16)] + ([] if args.skip_128 else [("nb101", 128)])
    write_s = cache_write_seconds()
    # warm-up (allocator, kernels, lazy imports)
    for space, width in settings:
        warm = sample(space, 1, np.random.default_rng(99))[0]
        score_network(build(space, warm, width, 0, device), x, y, SIX, arch_seed=0)
        grasp_jvp(build(space, warm, width, 0, device), x, y)
    table, flops, errs = {}, {}, {}
    peak = {}
    for space, width in settings:
        archs = sample(space, args.archs, rng)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        table[(space, width)], flops[(space, width)], errs[(space, width)] = \
            cost_model(space, width, archs, x, y, device, write_s)
        if device.type == "cuda":
            peak[(space, width)] = torch.cuda.max_memory_allocated(device) / 2**20
        print(f"  done {space} width {width}", flush=True)
    cols = list(table)
    head = "".join(f"{s} w{w}".rjust(13) for s, w in cols)
    print()
    print("1. cost model: the six-proxy pass per architecture, in units "
          "(unit = one plain forward + CE backward)")
    print(f"{'':34s}{head}")
    print(f"{'MFLOPs of one forward on the batch':34s}"
          + "".join(f"{flops[c]:13.0f}" for c in cols))
    print(f"{'unit (s)':34s}" + "".join(f"{table[c]['unit']:13.4f}" for c in cols))
    if peak:
        print(f"{'peak device memory (MiB)':34s}" + "".join(f"{peak[c]:13.0f}" for c in cols))
    stages = [("build + move to device", "build"), ("forward", "forward"),
              ("CE backward (create_graph)", "ce_backward"),
              ("GraSP Hessian-gradient product", "hessian"), ("input Jacobian", "jacobian"),
              ("synflow (own copy, 1 image)", "synflow"), ("reductions", "reductions"),
              ("cache write (amortised)", "cache write")]
    for label, key in stages:
        print(f"{'  ' + label:34s}" + "".join(f"{table[c][key] / table[c]['unit']:13.2f}"
                                              for c in cols))
    print(f"{'  six-proxy pass, measured':34s}"
          + "".join(f"{table[c]['shared total'] / table[c]['unit']:13.2f}" for c in cols))
    print(f"{'  arithmetic floor (model)':34s}" + "".join(f"{4.0:13.2f}" for c in cols))
    print(f"{'plain one-proxy-per-pass loop':34s}"
          + "".join(f"{table[c]['plain loop'] / table[c]['unit']:13.2f}" for c in cols))
    print()
    print("2. candidates (kept only if they pay)")
    print(f"{'GraSP fwd-over-rev (jvp), units':34s}"
          + "".join(f"{table[c]['grasp jvp'] / table[c]['unit']:13.2f}" for c in cols))
    print(f"{'  vs forward+CE+Hessian, units':34s}"
          + "".join(f"{(table[c]['forward'] + table[c]['ce_backward'] + table[c]['hessian']) / table[c]['unit']:13.2f}"
                    for c in cols))
    print(f"{'  largest relative difference':34s}" + "".join(f"{errs[c]:13.1e}" for c in cols))
    print()
    print("3. throughput, archs/s (build + move included)")
    for label, key in (("all six, shared pass", "shared total"),
                       ("all six, plain loop", "plain loop")):
        print(f"{label:34s}" + "".join(f"{1 / table[c][key]:13.3f}" for c in cols))
    for c in cols:
        print(f"{c[0]} w{c[1]}: shared/plain speed-up x"
              f"{table[c]['plain loop'] / table[c]['shared total']:.2f}")
    rate = 1 / table[cols[0]]["shared total"]
    print(f"implied time for all 15,625 NB201 architectures, six proxies, shared: "
          f"{15625 / rate / 60:.1f} min on {name} (one process)")
    if ("nb101", 16) in table:
        print(f"implied time for all 423,624 NB101 architectures at stem 16: "
              f"{423624 * table[('nb101', 16)]['shared total'] / 3600:.1f} h")
    if args.others != "none":
        names = ([p for p in PROXIES if p not in SIX and p != "random"] if args.others == "auto"
                 else [p.strip() for p in args.others.split(",") if p.strip()])
        others = other_proxies(settings, args.archs, x, y, device, names)
        print()
        print("5. the proxies beyond the six, one at a time (own copy and pass; build "
              "excluded): archs/s, and for a forward-group proxy the seconds it adds to the "
              "six-proxy shared pass")
        print(f"{'':22s}" + "".join(f"{s} w{w} archs/s".rjust(20) for s, w in settings)
              + "".join(f"{s} w{w} +s joined".rjust(20) for s, w in settings))
        for nm in names:
            rows = [others[(s, w, nm)] for s, w in settings]
            err = sum(r["errors"] for r in rows)
            print(f"{nm:22s}" + "".join(f"{1 / r['alone']:20.2f}" for r in rows)
                  + "".join(("" if math.isnan(r["joined"]) else f"{r['joined']:20.4f}").rjust(20)
                            for r in rows)
                  + (f"   ({err} errors)" if err else ""))
    if args.workers:
        ks = [int(k) for k in args.workers.split(",") if k.strip()]
        rates = bench_workers(settings, ks, device, args.batch, args.worker_archs)
        print()
        print(f"4. zsnas score engine (build, move, checkpoints, worker start-up included), "
              f"{args.worker_archs} archs, K processes sharing the device")
        sizes = {"nb201": 15625, "nb101": 423624}
        for space, width in settings:
            base = rates[(space, width, ks[0])]
            for k in ks:
                r = rates[(space, width, k)]
                total = sizes[space] / r
                print(f"  {space} w{width} K={k}: {r:8.2f} archs/s (x{r / base:.2f} vs "
                      f"K={ks[0]}); all {sizes[space]:,}: "
                      + (f"{total / 60:.1f} min" if total < 7200 else f"{total / 3600:.1f} h"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
