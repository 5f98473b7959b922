"""Proxy throughput: architectures per second per proxy, all six shared vs one pass each.

    python benchmarks/proxies.py [--device cpu|cuda] [--archs 6] [--batch 64] [--threads 2]

For NB201 (C=16, N=5) and NB101 at stem 16 (GEA's scoring width) and 128 (the
benchmark's), on random architectures (NB201: connected cells, uniform ops;
NB101: the NB101 paper's sampler) and a random batch of 32×32 images:

- each proxy alone (one fresh copy and pass, ``shared=False``);
- all six with the shared-pass engine (``shared=True``) and with the plain
  one-proxy-per-pass loop (``shared=False``), both including the network
  build and the move to the device, as ``zsnas score`` does per architecture;
- the implied time for all 15,625 NB201 architectures.

Figures are wall-clock on whatever machine runs it; state the device with them.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from zsnas.networks.nb101 import build_nb101
from zsnas.networks.nb201 import build_nb201
from zsnas.proxies import SIX, score_network
from zsnas.scoring.engine import arch_seed
from zsnas.spaces import nb101_evolution, nb201, nb201_evolution


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


def build(space: str, arch, width: int, seed: int, device):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_nb201(arch, C=width) if space == "nb201" else \
            build_nb101(arch, stem_channels=width)
    return model.to(device).train()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device):
    sync(device)
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t0, out


def bench_space(space, width, archs, x, y, device, reps):
    rows = {}
    seeds = [arch_seed(0, i) for i in range(len(archs))]
    # warm-up (allocator, kernels)
    score_network(build(space, archs[0], width, seeds[0], device), x, y, SIX, arch_seed=0)
    for proxy in SIX:
        total = 0.0
        for arch, seed in zip(archs, seeds):
            model = build(space, arch, width, seed, device)
            dt, _ = timed(lambda: score_network(model, x, y, [proxy], arch_seed=seed,
                                                shared=False), device)
            total += dt
        rows[proxy] = len(archs) / total
    for label, shared in (("all six, shared pass", True), ("all six, one pass each", False)):
        total = 0.0
        for _ in range(reps):
            for arch, seed in zip(archs, seeds):
                # as zsnas score does: a fresh network per architecture, consumed by the
                # shared engine (no extra copy); the plain loop copies per proxy
                dt, _ = timed(lambda: score_network(build(space, arch, width, seed, device), x, y,
                                                    SIX, arch_seed=seed, shared=shared,
                                                    consume=shared), device)
                total += dt
        rows[label] = reps * len(archs) / total
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--archs", type=int, default=6)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-128", action="store_true", help="skip NB101 at stem 128")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else \
        f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {name}; batch {args.batch}; {args.archs} architectures per setting; "
          f"torch {torch.__version__}")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32, generator=g).to(device)
    y = torch.randint(0, 10, (args.batch,), generator=g).to(device)
    rng = np.random.default_rng(0)
    settings = [("nb201", 16), ("nb101", 16)] + ([] if args.skip_128 else [("nb101", 128)])
    table = {}
    for space, width in settings:
        archs = sample(space, args.archs, rng)
        table[(space, width)] = bench_space(space, width, archs, x, y, device, args.reps)
        print(f"  done {space} width {width}", flush=True)
    cols = list(table)
    print()
    print(f"{'archs/s':26s}" + "".join(f"{s} w{w:<4d}".rjust(14) for s, w in cols))
    for row in list(SIX) + ["all six, shared pass", "all six, one pass each"]:
        print(f"{row:26s}" + "".join(f"{table[c][row]:14.2f}" for c in cols))
    for c in cols:
        shared = table[c]["all six, shared pass"]
        plain = table[c]["all six, one pass each"]
        print(f"{c[0]} w{c[1]}: shared/plain speed-up x{shared / plain:.2f}")
    nb201_rate = table[("nb201", 16)]["all six, shared pass"]
    print(f"implied time for all 15,625 NB201 architectures, six proxies, shared: "
          f"{15625 / nb201_rate / 60:.1f} min on {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
